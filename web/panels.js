// The Generate fill, Upscale and Brand kit panels, each given what it needs
// from the session: snapshots read in the session's turn, results added as
// one edit, and the document's state to enable their controls.

import { createGeneratePanel } from './ui/generate.js';
import { createUpscalePanel } from './ui/upscale.js';
import { createBrandKitPanel } from './ui/brandkit.js';
import { download, stem } from './ui/files.js';
import { createEsrganRunner } from './workers/esrgan-runner.js';
import { Cancelled } from './workers/plugin-runner.js';

/** RGBA of a rectangle of the rendered composite. */
function compositeCrop(project, r) {
  return { width: r.width, height: r.height, data: project.compositeRegion(r.x, r.y, r.width, r.height) };
}

/**
 * @param {object} ctx the editor context (session, selection, viewer, status, wasm, ...)
 * @param {(selector: string) => HTMLElement} $ finds an element of the page
 */
export function createPanels(ctx, $) {
  const { session, selection, viewer, status, wasm } = ctx;
  const { Image, Mask } = wasm;
  // The before/after geometry is the core's: which window to compare, and where it lands after.
  const compareWindow = (r, scale) => wasm.compareWindow(r.x, r.y, r.width, r.height, scale);
  /** `r` in a `from`-sized space carried onto the same content in a `to`-sized one. */
  const scaledRect = (r, from, to) => wasm.scaleRect(r.x, r.y, r.width, r.height, from.width, from.height, to.width, to.height);

  // ------------------------------------------------------------ generate fill

  /** The composite and a copy of the selection, as the core plans a provider job from them. */
  const snapshot = () =>
    session.read((project) => {
      project.renderCpu();
      const image = Image.fromRgba(project.width, project.height, project.compositeRegion(0, 0, project.width, project.height));
      const mask = selection.mask;
      return { image, selection: mask ? Mask.fromValues(project.width, project.height, mask.values()) : null, project };
    });

  /**
   * Adds an accepted variant on top of the stack with its provenance: one history step, undone
   * as one. An outpaint's variant (`extend`: the sides) grows the canvas in that same step.
   */
  async function accept(result) {
    const props = { name: result.name, x: result.offsetX, y: result.offsetY };
    const { extend } = result;
    const id = await session.edit(
      (p) => {
        const layer = extend
          ? p.extendCanvasWithLayer(extend.left, extend.top, extend.right, extend.bottom, result.layer, props)
          : p.addLayer(result.layer, props);
        // Provenance travels with the layer (saved in the .ora and the autosave).
        p.setProvenance(layer, result.provenanceJson);
        return layer;
      },
      { kind: extend ? 'canvas' : 'edit' },
    );
    ctx.setActiveLayer(id);
    // A fill that is accepted is done: the marching ants and the quick mask would only hide it.
    ctx.setOverlay(false);
    viewer.showAnts(false);
    return id;
  }

  /** The canvas area a staged variant is previewed on, to restore it afterwards. */
  let previewed = null;

  /** Shows a variant's pixels on the canvas (display only), or restores the document's with null. */
  function preview(region) {
    session
      .read((project) => {
        if (previewed && (!region || region.x !== previewed.x || region.y !== previewed.y || region.width !== previewed.width || region.height !== previewed.height)) {
          const { x, y, width, height } = previewed;
          if (x + width <= project.width && y + height <= project.height) viewer.drawComposite(previewed, (x, y, width, height) => project.compositeRegion(x, y, width, height));
        }
        previewed = region ? { x: region.x, y: region.y, width: region.width, height: region.height } : null;
        // The quick mask would hide the variant: off while previewing.
        viewer.showOverlay(!region && ctx.overlayShown());
        viewer.coverAnts(Boolean(region));
        if (region && region.x + region.width <= project.width && region.y + region.height <= project.height) {
          viewer.putRegion(region.x, region.y, region.width, region.height, region.data);
        }
      })
      .catch((error) => status.error('Cannot preview', error));
  }

  const brandKit = createBrandKitPanel($('#brandkit'), {
    project: () => session.state.project,
    busy: () => session.busy,
    edit: (fn) => session.edit(fn),
    setStatus: status.set,
  });

  /** Content-Aware Fill of the selection by the core: a new layer in one history step. */
  async function contentAwareFill({ patch, seed, colorAdaptation }) {
    const id = await session.edit((p, engine) => p.contentAwareFill(engine, undefined, patch, seed, colorAdaptation));
    ctx.setActiveLayer(id);
    ctx.setOverlay(false);
    viewer.showAnts(false);
    return id;
  }

  let generateReady = false;
  const generate = createGeneratePanel($('#generate'), {
    wasm,
    snapshot,
    accept,
    contentAwareFill,
    canRun: (extend) => Boolean(session.state.project && (extend || selection.mask)),
    isCurrent: (project) => project === session.state.project,
    activeLayerId: () => session.state.activeId,
    /** The layer's name, or null when there is no such layer (e.g. undone). */
    layerName: (id) => ctx.layers().find((l) => l.id === id)?.name ?? null,
    /** A layer's provenance JSON from the document (also after reopening), or null. */
    provenance: (id) => {
      if (session.busy || !session.state.project || !ctx.layers().some((l) => l.id === id)) return null;
      return session.state.project.provenance(id) ?? null;
    },
    /** What the brand kit attaches to a job on `project`, or null (see ui/brandkit.js). */
    brandKit: (project) => brandKit.forJob(project),
    setStatus: status.set,
    download,
    preview,
    onReady: (ready) => {
      generateReady = ready;
      ctx.commandsChanged();
    },
  });

  // ------------------------------------------------------------ upscale

  // ------------------------------------------------------------ AI upscale (ESRGAN)

  const esrgan = createEsrganRunner();
  /** Cancel was asked for the AI upscale being prepared (before its worker run started). */
  let aiCancelled = false;

  /**
   * The AI upscale of what is visible in `box` by the panel's `model` and `scale`, run tile by
   * tile in a worker while the document stays free (nothing in it changes until the result is
   * added); resolves to the source window and crop of the before/after view and the
   * `{ width, height, pixels }` upscaled.
   */
  async function aiUpscale(box, params, onProgress) {
    // An unknown model or scale is refused before any work.
    wasm.esrganModelFile(params.model, params.scale);
    aiCancelled = false;
    const source = compareWindow(box, params.scale);
    const { rgba, before } = await session.read((project) => ({
      rgba: project.compositeRegion(box.x, box.y, box.width, box.height),
      before: compositeCrop(project, source),
    }));
    if (aiCancelled) throw new Cancelled();
    const backend = session.state.engine?.backend ?? 'cpu';
    const out = await esrgan.run({ model: params.model, scale: params.scale, width: box.width, height: box.height, rgba, backend, onProgress });
    return { source, before, out };
  }

  /** The AI upscale of `box` as a new top layer at its corner (one history step). */
  async function aiUpscaleToLayer(box, params, onProgress, what) {
    const { source, before, out } = await aiUpscale(box, params, onProgress);
    const name = `AI upscaled (${params.model}) ${box.width}×${box.height} → ${out.width}×${out.height}`;
    const id = await session.edit((project) => {
      const image = Image.fromRgba(out.width, out.height, out.pixels);
      try {
        return project.addLayer(image, { name, x: box.x, y: box.y });
      } finally {
        image.free();
      }
    });
    ctx.setActiveLayer(id);
    const after = await session.read((project) => {
      const local = { x: source.x - box.x, y: source.y - box.y, width: source.width, height: source.height };
      const r = scaledRect(local, box, out);
      return { width: r.width, height: r.height, data: project.layerRegion(id, r.x, r.y, r.width, r.height) };
    });
    const where = out.device === 'gpu' ? 'WebGPU' : 'CPU';
    return { before, after, layerId: id, device: out.device, label: `${what} ${box.width}×${box.height} → new layer ${out.width}×${out.height} (AI, ${params.model}, ${where})` };
  }

  /** Image Size by the panel's parameters; returns the before/after crops for the view. */
  async function upscaleImage(params, onProgress) {
    if (params.filter === 'esrgan') {
      // The AI upscale makes a layer: the canvas keeps its size (the layer reaches past it).
      const whole = await session.read((p) => ({ x: 0, y: 0, width: p.width, height: p.height }));
      return aiUpscaleToLayer(whole, params, onProgress, 'Image');
    }
    // A host that takes images back only up to a size (Figma: 4096) refuses before any work.
    const limit = ctx.host.maxImageSide;
    if (limit) {
      const { from, to } = await session.read((p) => ({ from: { width: p.width, height: p.height }, to: wasm.scaledSize(p.width, p.height, params.scale) }));
      if (to.width > limit || to.height > limit) {
        throw new Error(
          `${from.width}×${from.height} × ${params.scale} would be ${to.width}×${to.height} px, and ${ctx.host.label} takes images up to ${limit}×${limit}: choose a smaller scale`,
        );
      }
    }
    let old;
    let before;
    let source;
    await session.edit(
      async (project, engine) => {
        old = { width: project.width, height: project.height };
        source = compareWindow({ x: 0, y: 0, ...old }, params.scale);
        before = compositeCrop(project, source);
        await project.resizeImage(session.requireEngine(), params);
      },
      { kind: 'canvas' },
    );
    return session.read((project) => {
      const now = { width: project.width, height: project.height };
      const after = compositeCrop(project, scaledRect(source, old, now));
      return { before, after, label: `Image size ${old.width}×${old.height} → ${now.width}×${now.height}` };
    });
  }

  /** Upscale Region on the selection's box; returns the new layer's id and the before/after crops. */
  async function upscaleSelection(params, onProgress) {
    const box = selection.mask?.bounds();
    if (!box) throw new Error('select a region first');
    if (params.filter === 'esrgan') return aiUpscaleToLayer(box, params, onProgress, 'Selection');
    const source = compareWindow(box, params.scale);
    let before;
    const id = await session.edit(async (project) => {
      before = compositeCrop(project, source);
      return project.upscaleRegion(session.requireEngine(), box.x, box.y, box.width, box.height, params);
    });
    ctx.setActiveLayer(id);
    return session.read((project) => {
      const layer = project.layers().find((l) => l.id === id);
      const local = { x: source.x - box.x, y: source.y - box.y, width: source.width, height: source.height };
      const r = scaledRect(local, box, layer);
      const after = { width: r.width, height: r.height, data: project.layerRegion(id, r.x, r.y, r.width, r.height) };
      return { before, after, layerId: id, label: `Selection ${box.width}×${box.height} → new layer ${layer.width}×${layer.height}` };
    });
  }

  /**
   * Upscales what is visible in the selection's box into a file of its own (crop + enlarge, the
   * document unchanged) and downloads it as PNG; returns the before/after crops.
   */
  async function upscaleSelectionToFile(params, onProgress) {
    const box = selection.mask?.bounds();
    if (!box) throw new Error('select a region first');
    const source = compareWindow(box, params.scale);
    let out;
    let before;
    let device = null;
    if (params.filter === 'esrgan') {
      const ai = await aiUpscale(box, params, onProgress);
      before = ai.before;
      device = ai.out.device;
      out = Image.fromRgba(ai.out.width, ai.out.height, ai.out.pixels);
    } else {
      let crop;
      ({ crop, before } = await session.read((project) => ({
        crop: Image.fromRgba(box.width, box.height, project.compositeRegion(box.x, box.y, box.width, box.height)),
        before: compositeCrop(project, source),
      })));
      try {
        out = await session.read(() => session.requireEngine().resize(crop, params));
      } finally {
        crop.free();
      }
    }
    const draft = new wasm.Project(out.width, out.height);
    try {
      draft.addLayer(out, { name: 'upscaled' });
      draft.renderCpu();
      const local = { x: source.x - box.x, y: source.y - box.y, width: source.width, height: source.height };
      const after = compositeCrop(draft, scaledRect(local, box, out));
      const name = `${stem(session.state.name)}-selection-${out.width}x${out.height}.png`;
      download(out.encodePng(), name, 'image/png');
      status.set(`Saved the selection upscaled to ${out.width}×${out.height} as ${name}`, 'ok');
      return { before, after, label: `Selection ${box.width}×${box.height} → new file ${out.width}×${out.height}`, file: name, device };
    } finally {
      draft.free();
      out.free();
    }
  }

  /** Downloads a layer's pixels as PNG (e.g. an upscaled region, at its full resolution). */
  async function saveLayer(id) {
    const { bytes, layer } = await session.read((project) => {
      const row = project.layers().find((l) => l.id === id);
      if (!row) throw new Error('the layer is gone (undone or deleted)');
      const image = project.layerPixels(id);
      try {
        return { bytes: image.encodePng(), layer: row };
      } finally {
        image.free();
      }
    });
    download(bytes, `${stem(session.state.name)}-${stem(layer.name).replace(/[^\w.-]+/g, '-')}.png`, 'image/png');
    status.set(`Saved “${layer.name}” (${layer.width}×${layer.height}) as PNG`, 'ok');
  }

  const resize = wasm.manifests().find((m) => m.id === 'retouch.resize');
  if (!resize) throw new Error('the core has no “retouch.resize” plugin');
  const upscale = createUpscalePanel($('#upscale'), resize.params, {
    upscaleImage,
    upscaleSelection,
    upscaleSelectionToFile,
    cancel: () => {
      aiCancelled = true;
      esrgan.cancel();
    },
    undo: () => ctx.run('edit.undo'),
    saveLayer,
    hasDocument: () => Boolean(session.state.project),
    canUpscaleSelection: () => Boolean(selection.mask),
    setStatus: status.set,
  });

  return {
    generate: Object.assign(generate, { ready: () => generateReady }),
    upscale,
    brandKit,
    /** Every panel shows the document as it is now (called after each change). */
    refresh({ references = false } = {}) {
      generate.refresh();
      upscale.refresh();
      brandKit.refresh(references);
    },
    /** A different document was opened: staged variants no longer apply. */
    documentChanged: () => generate.documentChanged(),
  };
}
