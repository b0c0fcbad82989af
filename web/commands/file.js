// File commands: open an image or a project, add images as layers, save the
// project, export the composite, the samples, and starting fresh after a
// recovery. With `bytes` in their arguments they act on them (drops, hosts,
// tests); without, they ask the user through the file picker.

import { download, toBytes, formatBytes, stem, exportFileName, readChecked } from '../ui/files.js';
import { decodeInWorker } from '../workers/decode.js';

const HISTORY_BUDGET = 512 * 1024 * 1024;
const SAMPLES = { base: 'samples/base.png', layer: 'samples/layer.png', mask: 'samples/mask.png' };
export const EXPORT_TYPES = { png: ['image/png', 'png'], jpeg: ['image/jpeg', 'jpg'], webp: ['image/webp', 'webp'] };

const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const hasDocument = (ctx) => Boolean(ctx.session.state.project);

/** Runs `fn`, naming the file in the error it throws. */
function reading(name, what, fn) {
  try {
    return fn();
  } catch (error) {
    throw new Error(`Cannot open ${name ? `“${name}”` : what}: ${messageOf(error)}`);
  }
}

/**
 * Opens image bytes as a new document: a worker decodes them with the core's decoder (keeping
 * the ICC profile and EXIF, turned upright) so the page stays responsive, then the core makes
 * the document; the opened image is where history starts. Runs in the session's turn.
 */
export function openImage(ctx, bytes, name = 'image.png') {
  const { session } = ctx;
  return session.run(async () => {
    ctx.status.set(`Opening ${name}…`, 'busy');
    const decoded = await decodeInWorker(toBytes(bytes)).catch((error) => {
      throw new Error(`Cannot open “${name}”: ${messageOf(error)}`);
    });
    const { width, height, rgba, iccProfile, exif } = decoded;
    const project = reading(name, 'the image', () => ctx.wasm.Project.fromDecodedImage(width, height, rgba, iccProfile, exif));
    project.setHistoryBudget(HISTORY_BUDGET);
    session.replaceProject(project, { name, origin: `Open “${name}”` });
    ctx.recovery.hide();
    ctx.status.set(`Opened ${name} (${project.width} × ${project.height} px); rendering…`, 'busy');
    // Let the page paint the new state before the first full render (queued next) takes the thread.
    await new Promise((resolve) => setTimeout(resolve, 0));
    ctx.status.set(`Opened ${name} (${project.width} × ${project.height} px)`, 'ok');
  });
}

/**
 * Opens an image a host handed over (`{ name, image, selection }`: the core's Image and a
 * canvas-sized Mask or null, both taken over) as a new document; the host's selection
 * becomes the document's, as the history step `selectionStep`.
 */
export async function openHostImage(ctx, { name, image, selection }, selectionStep) {
  const { session } = ctx;
  const { width, height } = image;
  try {
    await session.run(() => {
      const project = reading(name, 'the image', () => ctx.wasm.Project.fromDecodedImage(width, height, image.rgba()));
      project.setHistoryBudget(HISTORY_BUDGET);
      session.replaceProject(project, { name, origin: `Open “${name}”` });
      ctx.recovery.hide();
    });
  } catch (error) {
    selection?.free();
    throw error;
  } finally {
    image.free();
  }
  if (selection) await ctx.selection.replace(selection, selectionStep);
  ctx.status.set(`Opened ${name} (${width} × ${height} px)`, 'ok');
}

export function openProject(ctx, bytes, name = 'project.ora', { recovered = false, activeId } = {}) {
  const { session } = ctx;
  return session.run(() => {
    const project = reading(name, 'the project', () => ctx.wasm.Project.fromOra(toBytes(bytes)));
    project.setHistoryBudget(HISTORY_BUDGET);
    session.replaceProject(project, { name, origin: recovered ? 'Recovered project' : `Open “${name}”`, activeId });
    if (!recovered) {
      ctx.recovery.hide();
      ctx.status.set(`Opened project ${name} (${project.layers().length} layers)`, 'ok');
    }
  });
}

/** Opens what the autosave stored (see ui/autosave.js `load`) as the document, history empty. */
export function openAutosave(ctx, { record, pieces, bytes }) {
  const { session } = ctx;
  return session.run(() => {
    const all = new Uint8Array(bytes);
    const restore = reading(record.name, 'the autosaved project', () => new ctx.wasm.AutosaveRestore(record.state));
    try {
      for (const { key, offset, length } of pieces) {
        reading(record.name, 'the autosaved project', () => restore.addPiece(key, all.subarray(offset, offset + length)));
      }
    } catch (error) {
      restore.free();
      throw error;
    }
    const project = reading(record.name, 'the autosaved project', () => restore.finish());
    project.setHistoryBudget(HISTORY_BUDGET);
    const recoveredHistory = project.restoredHistory();
    // The first row is the state before the oldest step kept: what it was called, unless steps were lost.
    const whole = recoveredHistory.notKept === 0 && recoveredHistory.damaged === 0 && record.origin;
    const origin = whole ? record.origin : 'Recovered project';
    session.replaceProject(project, { name: record.name, origin, activeId: record.activeId, recoveredHistory });
  });
}

/** Adds image bytes as a layer above the active one, centred; `mask`: mask bytes; `props`: layer properties. */
async function addImageLayer(ctx, { bytes, name = 'layer.png', mask, props }) {
  const { session, wasm } = ctx;
  if (!session.state.project) return openImage(ctx, bytes, name);
  const image = reading(name, 'the image', () => wasm.Image.decode(toBytes(bytes)));
  let layerMask;
  try {
    layerMask = mask ? reading(null, 'the mask', () => wasm.Mask.decode(toBytes(mask))) : undefined;
    const id = await session.edit((p) => {
      const layers = p.layers();
      const active = layers.findIndex((l) => l.id === session.state.activeId);
      const index = active >= 0 ? active + 1 : layers.length;
      const x = Math.round((p.width - image.width) / 2);
      const y = Math.round((p.height - image.height) / 2);
      return p.addLayer(image, { name: stem(name), x, y, ...props }, layerMask, index);
    });
    ctx.setActiveLayer(id);
    ctx.status.set(`Added ${name} as a layer`, 'ok');
    return id;
  } finally {
    image.free();
  }
}

/** Opens picked or dropped files: projects open, the first image opens (or, `asLayers`, is added), the rest are added. */
export async function openFiles(ctx, files, { asLayers = false } = {}) {
  for (const [i, file] of files.entries()) {
    const bytes = await readChecked(file);
    // OpenRaster is a zip: by extension, or by its "PK" signature.
    if (/\.ora$/i.test(file.name) || (bytes[0] === 0x50 && bytes[1] === 0x4b)) await openProject(ctx, bytes, file.name);
    else if (!asLayers && i === 0) await openImage(ctx, bytes, file.name);
    else await addImageLayer(ctx, { bytes, name: file.name });
  }
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export const FILE_COMMANDS = [
  {
    id: 'file.open',
    label: 'Open image…',
    shortcut: 'Mod+O',
    whileTyping: true,
    run: (ctx, { bytes, name }) => (bytes ? openImage(ctx, bytes, name) : ctx.pick('open')),
  },
  {
    id: 'file.add-layer',
    label: 'Add image as layer…',
    enabled: hasDocument,
    run: (ctx, args) => (args.bytes ? addImageLayer(ctx, args) : ctx.pick('add-layer')),
  },
  {
    id: 'file.open-project',
    label: 'Open project…',
    run: (ctx, { bytes, name }) => (bytes ? openProject(ctx, bytes, name) : ctx.pick('project')),
  },
  {
    id: 'file.save-project',
    label: 'Save project',
    shortcut: 'Mod+S',
    whileTyping: true,
    enabled: hasDocument,
    async run(ctx) {
      const bytes = await ctx.session.read((p) => p.toOra());
      const name = `${stem(ctx.session.state.name)}.ora`;
      download(bytes, name, 'image/openraster');
      ctx.status.set(`Saved ${name} (${formatBytes(bytes.length)})`, 'ok');
      return name;
    },
  },
  {
    id: 'file.export',
    label: 'Export',
    shortcut: 'Mod+Shift+S',
    whileTyping: true,
    enabled: hasDocument,
    /** `{ format, quality, longEdge }`, each defaulting to the export fields. */
    async run(ctx, args) {
      const { format, quality, longEdge } = { ...ctx.exportSettings(), ...args };
      const bytes = await exportBytes(ctx, format, { quality, longEdge });
      const [type] = EXPORT_TYPES[format];
      const name = exportFileName(stem(ctx.session.state.name), EXPORT_TYPES[format][1], longEdge);
      download(bytes, name, type);
      ctx.status.set(`Exported ${name} (${formatBytes(bytes.length)})`, 'ok');
      return name;
    },
  },
  {
    id: 'file.samples',
    label: 'Open the samples',
    async run(ctx) {
      ctx.status.set('Loading samples…', 'busy');
      const [base, layer, mask] = await Promise.all([SAMPLES.base, SAMPLES.layer, SAMPLES.mask].map(fetchBytes));
      await openImage(ctx, base, 'sunset.png');
      await addImageLayer(ctx, { bytes: layer, name: 'bokeh.png', mask, props: { mode: 'screen', opacity: 0.85 } });
      ctx.status.set('Opened the samples: a sunset with a light layer in Screen mode through its mask', 'ok');
    },
  },
  {
    id: 'file.autosave-history-budget',
    label: 'Autosave history limit…',
    /** `megabytes`: most history the autosave keeps (the oldest steps beyond it are left out). */
    async run(ctx, { megabytes } = {}) {
      const answer = megabytes ?? prompt('Most history the autosave keeps, in MB', '256');
      if (answer === null) return;
      const value = Number(answer);
      if (!Number.isFinite(value) || value < 0) throw new Error(`Autosave history limit: “${value}” is not a size in MB`);
      const bytes = Math.round(value * 1024 * 1024);
      await ctx.session.run(() => {
        ctx.session.state.autosaveHistoryBudget = bytes;
        ctx.session.state.project?.setAutosaveHistoryBudget(bytes);
      });
      ctx.autosave?.schedule();
      ctx.status.set(`The autosave keeps up to ${formatBytes(bytes)} of history`, 'ok');
    },
  },
  {
    id: 'file.start-fresh',
    label: 'Start fresh',
    async run(ctx) {
      ctx.recovery.hide();
      await ctx.autosave?.clear();
      await ctx.session.run(() => ctx.session.replaceProject(null));
      ctx.recovery.forget();
      ctx.status.set('Started fresh: the recovered project was discarded', 'info');
    },
  },
];

/** The composite encoded as "png", "jpeg" or "webp" ({ quality, longEdge }), read in the session's turn. */
export function exportBytes(ctx, format = 'png', { quality, longEdge } = {}) {
  if (!EXPORT_TYPES[format]) return Promise.reject(new Error(`unknown export format “${format}”`));
  return ctx.session.read((p) => p.exportImage(format, format === 'jpeg' ? quality ?? 90 : undefined, longEdge || undefined));
}
