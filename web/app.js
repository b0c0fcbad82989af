// Retouch editor: wires the page together. The session (./session.js) owns
// the core and sequences every call into it; the command registry
// (./registry.js, commands in ./commands/) is the one way buttons, keys,
// host panels and tests act; tools (./tools/) turn canvas gestures into
// commands; panels (./ui/, ./panels.js) show the document. No pixel is
// computed here: the core (./pkg/retouch.js) computes them all.

import * as wasm from './pkg/retouch.js';
import { createSession } from './session.js';
import { createCommands } from './registry.js';
import { FILE_COMMANDS, openFiles, openProject, openAutosave, exportBytes } from './commands/file.js';
import { LAYER_COMMANDS } from './commands/layer.js';
import { SELECT_COMMANDS, MODIFIERS } from './commands/select.js';
import { VIEW_COMMANDS } from './commands/view.js';
import { PANEL_COMMANDS } from './commands/panels.js';
import { ADJUST_COMMANDS } from './commands/adjust.js';
import { TRANSFORM_COMMANDS } from './commands/transform.js';
import { HOST_COMMANDS } from './commands/host.js';
import { PLUGIN_COMMANDS } from './commands/plugins.js';
import { createPluginLibrary } from './plugins.js';
import { createPluginManager, readBundleFile } from './ui/plugin-manager.js';
import { createFilterDialog } from './ui/filter.js';
import { createPluginRunner } from './workers/plugin-runner.js';
import { createHost } from './hosts/host.js';
import { createHostBar } from './ui/host-bar.js';
import { PAINT_COMMANDS } from './commands/paint.js';
import { HEAL_COMMANDS } from './commands/heal.js';
import { TYPE_COMMANDS } from './commands/type.js';
import { TOOLS, createGesture } from './tools/gesture.js';
import { mountTypeOptions } from './tools/type.js';
import { createPanels } from './panels.js';
import { buildParamControls } from './ui/params.js';
import { createAdjustDialog } from './ui/adjust.js';
import { createViewer } from './ui/viewer.js';
import { createLayersPanel } from './ui/layers.js';
import { createHistoryPanel } from './ui/history.js';
import { createSelection } from './ui/selection.js';
import { createAutosave } from './ui/autosave.js';
import { createStatus } from './ui/status.js';
import { createToolbox } from './ui/toolbox.js';
import { showBackend } from './ui/backend-badge.js';
import { installOffline } from './ui/offline.js';
import { hasFiles, formatBytes, readChecked } from './ui/files.js';

const COMPOSITE_ID = 'retouch.composite';
const BACKENDS = ['auto', 'gpu', 'cpu'];

const $ = (selector) => document.querySelector(selector);
/** Where the editor runs (the browser, or a design tool's panel): see ./hosts/host.js. */
const host = createHost(wasm);
const status = createStatus({ bar: $('#status'), toasts: $('#toasts') });

/** What the panels show, read from the document after each change (safe while the GPU renders). */
const shown = { layers: [], history: null, size: null, lastGesture: null, recovered: null, cloneSource: null, healSource: null };

const viewer = createViewer({
  stage: $('#stage'),
  zoomLabel: $('#zoom'),
  onPointer: (phase, point, event) => gesture?.handle(phase, point, event),
});

/**
 * `?present=2d` draws the view through the 2D canvas even on WebGPU (read back
 * from the GPU): for a browser whose WebGPU cannot present, and for tests that
 * read the 2D canvas's pixels.
 */
const DRAW_IN_2D = new URLSearchParams(location.search).get('present') === '2d';

/** The WebGPU canvas view of the current engine, made on first use. */
let canvasView = { engine: null, view: null };

/**
 * The view the core presents the composite on from the GPU, or null where the
 * 2D canvas shows it (the CPU engine, a canvas WebGPU cannot draw on). A
 * document the 2D canvases hold at a reduced level is presented at full
 * resolution: the GPU holds it whole already, so zooming in needs no detail
 * read from the core. Leaving the GPU view redraws the 2D canvas whole.
 * Called in the session's queue, before a render.
 */
function presentingView(project) {
  const engine = state.engine;
  if (canvasView.engine !== engine) {
    canvasView.view?.free();
    canvasView = { engine, view: null };
    if (engine?.backend === 'gpu') {
      try {
        canvasView.view = engine.canvasView(viewer.presentCanvas);
      } catch (error) {
        console.warn('Presenting from the GPU is unavailable; drawing through the 2D canvas.', error);
      }
    }
  }
  const view = engine?.backend === 'gpu' && !DRAW_IN_2D ? canvasView.view : null;
  if (!view && viewer.presenting) viewer.stopPresenting((x, y, width, height) => project.compositeRegion(x, y, width, height));
  return view;
}

const session = createSession({
  onRender(project, rect, ms, presented) {
    // Presented: the GPU canvas shows it already. A band of a render in progress
    // is drawn as it comes; the summary after the last only reports the time.
    if (presented) viewer.presented();
    // Not presented although the GPU canvas was showing: the core could not present this document (too large
    // to hold or show on the GPU), so back to the 2D canvas, whole.
    else if (viewer.presenting) viewer.stopPresenting((x, y, width, height) => project.compositeRegion(x, y, width, height));
    else if (ms === null || state.engine?.backend !== 'cpu') {
      viewer.drawComposite(rect, (x, y, width, height) => project.compositeRegion(x, y, width, height));
    }
    if (ms === null) return;
    const area = rect.width === project.width && rect.height === project.height ? 'full' : `${rect.width}×${rect.height}`;
    // Presented: the time runs until the GPU finished the frame (its work to show it), with no read-back.
    const where = presented ? 'GPU, presented' : session.state.engine.backend.toUpperCase();
    $('#timing').textContent = `${area} in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms on ${where}`;
  },
  presentingView,
  onRenderError: (error) => status.error('Cannot render', error),
  onChange: ({ kind }) => documentChanged(kind),
});
const { state } = session;
// Zoomed in on a document shown at a reduced level, the viewer reads the visible part at full resolution.
viewer.setCompositeReader((x, y, width, height) => session.read((p) => p.compositeRegion(x, y, width, height)));

const selection = createSelection({ wasm, viewer, session });

// ---------------------------------------------------------------- the editor context

/** What commands, tools and panels act through. */
const ctx = {
  wasm,
  session,
  selection,
  viewer,
  status,
  run: (id, args) => commands.run(id, args),
  layers: () => (state.project ? shown.layers : []),
  history: () => (state.project ? shown.history : null),
  activeLayer: () => shown.layers.find((l) => l.id === state.activeId) ?? null,
  setActiveLayer(id) {
    // Re-rendering the list for nothing would swallow a double-click that renames.
    if ((id ?? null) === state.activeId) return;
    state.activeId = id ?? null;
    renderPanels();
  },
  recordGesture: (g) => (shown.lastGesture = g),
  /** A layer's own pixels { width, height, data } (RGBA bytes), read in the session's queue. */
  layerPixels: (id) =>
    session.read((p) => {
      const image = p.layerPixels(id);
      try {
        return { width: image.width, height: image.height, data: image.rgba() };
      } finally {
        image.free();
      }
    }),
  /** The clone stamp's source (a canvas point, set by Alt+click), or null. */
  cloneSource: () => shown.cloneSource,
  setCloneSource: (point) => (shown.cloneSource = point),
  /** The Healing brush's source (a canvas point, set by Alt+click), or null. */
  healSource: () => shown.healSource,
  setHealSource: (point) => (shown.healSource = point),
  /** Opens the hidden file picker of a kind: open, add-layer, project, layer-mask. */
  pick: (kind) => $(`#file-${kind}`).click(),
  exportSettings: () => ({
    format: $('#export-format').value,
    quality: Number($('#export-quality').value) || 90,
    longEdge: Number($('#export-size').value) || undefined,
  }),
  modifierValue: (op) => {
    const { param } = MODIFIERS.find((m) => m.op === op);
    return modifierControls.get(op).values()[param];
  },
  overlayShown: () => $('#show-overlay').checked,
  setOverlay(show) {
    $('#show-overlay').checked = show;
    viewer.showOverlay(show);
  },
  useBackend: (choice) => useBackend(choice),
  commandsChanged: () => commands.refresh(),
  recovery: {
    hide: () => ($('#recovery').hidden = true),
    forget() {
      shown.recovered = null;
      $('#autosave-state').textContent = '';
    },
  },
  autosave: null,
  tools: null,
  panels: null,
  adjust: null,
  /** Installed plugins (./plugins.js), the Plugins dialog and a filter plugin's dialog. */
  pluginLibrary: null,
  plugins: null,
  filter: null,
  host,
  hostBar: null,
};

const commands = createCommands({
  context: ctx,
  onError: (label, error) => status.error(`${label} failed`, error),
  onRan: () => commands.refresh(),
});
for (const command of [...FILE_COMMANDS, ...LAYER_COMMANDS, ...SELECT_COMMANDS, ...VIEW_COMMANDS, ...PANEL_COMMANDS, ...ADJUST_COMMANDS, ...PAINT_COMMANDS, ...HEAL_COMMANDS, ...TYPE_COMMANDS, ...TRANSFORM_COMMANDS, ...HOST_COMMANDS, ...PLUGIN_COMMANDS]) commands.define(command);

let gesture = null;
const modifierControls = new Map();
let layerControls = null;
let modeLabels = new Map();

// ---------------------------------------------------------------- after each change

/**
 * Runs in the session's queue after every change: reads the document once for
 * the panels, follows size changes and selection changes that did not come
 * from the selection tools (undo, Image Size, opening), and schedules autosave.
 */
function documentChanged(kind) {
  const project = state.project;
  if (kind === 'document') ctx.panels?.documentChanged();
  if (!project) {
    shown.layers = [];
    shown.history = null;
    shown.size = null;
    viewer.clear();
    selection.sync(null);
    renderPanels();
    ctx.panels?.refresh();
    return;
  }
  shown.layers = project.layers();
  shown.history = project.history();
  shown.size = { width: project.width, height: project.height };
  if (!shown.layers.some((l) => l.id === state.activeId)) state.activeId = shown.layers.at(-1)?.id ?? null;
  const resized = !viewer.size || viewer.size.width !== project.width || viewer.size.height !== project.height;
  if (kind === 'document' || resized) {
    viewer.resize(project.width, project.height);
    viewer.fit();
  }
  if (kind !== 'selection' && kind !== 'edit') selection.sync(project);
  if (kind !== 'document') {
    const { entries, position } = shown.history;
    status.set(entries[position - 1]?.name ?? state.origin, 'ok');
    const trim = project.lastTrim();
    if (trim.entries > 0) {
      status.set(`History is over its ${formatBytes(shown.history.budget)} budget: the ${trim.entries} oldest step(s) were dropped (${formatBytes(trim.bytes)})`, 'info');
    }
  }
  renderPanels();
  ctx.panels?.refresh({ references: kind === 'history' || kind === 'document' });
  ctx.autosave?.schedule();
}

/** Shows the panels from what was last read (no core call: safe at any time). */
function renderPanels() {
  const has = Boolean(state.project);
  document.body.classList.toggle('has-document', has);
  const layers = ctx.layers();
  const active = ctx.activeLayer();
  layersPanel.render(layers, state.activeId, (m) => modeLabels.get(m) ?? m);
  if (active && layerControls) layerControls.set({ mode: active.mode, opacity: Math.round(active.opacity * 100) });
  // A refresh that comes late (after a render) must not undo what the user is typing.
  for (const [input, value] of [[$('#layer-x'), active?.x], [$('#layer-y'), active?.y]]) {
    if (document.activeElement !== input) input.value = active ? String(value) : '';
  }
  $('#layer-props').classList.toggle('disabled', !active);
  for (const el of document.querySelectorAll('#layer-props input, #layer-props select, .layer-position input')) el.disabled = !active;
  for (const button of document.querySelectorAll('.modify button')) button.disabled = !selection.mask;

  const history = ctx.history();
  historyPanel.render(history, state.origin || 'Open', { recovered: state.recoveredHistory, autosaved: state.autosavedHistory });
  if (history) {
    const dropped = history.droppedTotal - state.droppedBase;
    $('#history-info').textContent =
      `${history.entries.length} step${history.entries.length === 1 ? '' : 's'} · ${formatBytes(history.bytes)} of ${formatBytes(history.budget)}` +
      (dropped > 0 ? ` · ${dropped} oldest dropped to stay within budget` : '');
  } else {
    $('#history-info').textContent = '';
  }
  $('#doc-info').textContent = has ? `${shown.size.width} × ${shown.size.height} px · ${layers.length} layer${layers.length === 1 ? '' : 's'}` : '';
  $('#doc-title').textContent = has ? state.name || 'Untitled' : 'No document';
  $('#selection-info').textContent = selection.mask ? '' : has ? 'Nothing selected.' : '';
  commands.refresh();
}

// ---------------------------------------------------------------- panels

const layersPanel = createLayersPanel($('#layers'), {
  onSelect: (id) => commands.invoke('layer.select', { id }),
  onVisible: (id, visible) => commands.invoke('layer.set-properties', { id, visible }),
  onRename: (id, name) => commands.invoke('layer.rename', { id, name }),
  onMove: (id, index) => commands.invoke('layer.move-to', { id, index }),
});

const historyPanel = createHistoryPanel($('#history'), $('#history-note'), {
  onJump: (position) => commands.invoke('history.jump', { position }),
});

for (const [axis, input] of [['x', $('#layer-x')], ['y', $('#layer-y')]]) {
  input.addEventListener('change', () => {
    const value = Math.trunc(Number(input.value));
    if (state.activeId === null || !Number.isFinite(value)) return renderPanels();
    commands.invoke('layer.set-properties', { [axis]: value });
  });
}
$('#show-overlay').addEventListener('change', () => viewer.showOverlay($('#show-overlay').checked));
$('#export-format').addEventListener('change', () => {
  $('#export-quality').hidden = $('#export-format').value !== 'jpeg';
});

// ---------------------------------------------------------------- files

/** Calls `onFiles(files)` whenever files are chosen in the hidden picker `input`. */
function picker(input, onFiles) {
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    // Reset so choosing the same file again fires another change event.
    input.value = '';
    if (files.length) onFiles(files).catch((error) => status.error(null, error));
  });
}
picker($('#file-open'), (files) => openFiles(ctx, files));
picker($('#file-add-layer'), (files) => openFiles(ctx, files, { asLayers: true }));
picker($('#file-project'), async ([file]) => openProject(ctx, await readChecked(file), file.name));
picker($('#file-layer-mask'), async ([file]) => commands.run('layer.mask.load', { bytes: await readChecked(file), name: file.name }));

// Files dropped on the view open a document (or, on an open one, become
// layers); files dropped on the layers panel become layers.
function dropTarget(element, { asLayers }) {
  let depth = 0;
  element.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    element.classList.add('dragover');
  });
  element.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  element.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) element.classList.remove('dragover');
  });
  element.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.stopPropagation();
    depth = 0;
    element.classList.remove('dragover');
    const files = Array.from(event.dataTransfer?.files ?? []);
    // A plugin bundle dropped on the page is offered for install, not opened as an image.
    const bundle = files.find((f) => f.name.toLowerCase().endsWith('.retouchplugin'));
    if (bundle) {
      readBundleFile(bundle)
        .then((bytes) => commands.run('plugins.install', { bytes, name: bundle.name }))
        .catch((error) => status.error('Install plugin failed', error));
      return;
    }
    if (files.length) openFiles(ctx, files, { asLayers: asLayers || Boolean(state.project) }).catch((error) => status.error(null, error));
  });
}
dropTarget($('#stage'), { asLayers: false });
dropTarget($('.layers-panel'), { asLayers: true });
// A file dropped anywhere else must not navigate away from the document.
window.addEventListener('dragover', (event) => hasFiles(event) && event.preventDefault());
window.addEventListener('drop', (event) => hasFiles(event) && event.preventDefault());

window.addEventListener('keydown', (event) => commands.handleKey(event));

// ---------------------------------------------------------------- autosave

// A host that keeps the document itself (Photoshop, Figma, Express) has no page autosave.
ctx.autosave = !host.autosave ? null : createAutosave({
  // The core hands out only what changed since the last stored save; the worker stores it.
  capture: async () => {
    if (!state.project) return null;
    return session.read((project) => {
      const changes = project.autosaveChanges();
      try {
        const { state: docState, keys, pieces, full, historyFirst: first, historyLeftOut: leftOut } = changes;
        const meta = { name: state.name, origin: state.origin, activeId: state.activeId, history: { first, leftOut } };
        return { project, state: docState, keys, pieces, full, bytes: changes.takeBytes(), ...meta };
      } finally {
        changes.free();
      }
    });
  },
  // Only the document that made the changes counts them as stored.
  confirm: ({ project }) => session.run(() => project === state.project && project.autosaveStored()),
  onSaved: (save) => {
    state.autosavedHistory = save.history;
    renderPanels();
    $('#autosave-state').textContent = `Autosaved ${new Date(save.savedAt).toLocaleTimeString()}`;
  },
  onError: (error) => {
    $('#autosave-state').textContent = 'Autosave failed';
    status.error('Autosave failed', error);
  },
});
// Last chance when the tab goes away (the save may or may not finish).
window.addEventListener('pagehide', () => ctx.autosave?.pending && ctx.autosave.flush());
document.addEventListener('visibilitychange', () => document.hidden && ctx.autosave?.pending && ctx.autosave.flush());
commands.define({
  id: 'file.autosave-now',
  label: 'Autosave now',
  enabled: () => Boolean(ctx.autosave),
  /** Saves now if a change waits; resolves when it is stored. */
  run: async () => {
    await session.idle();
    await ctx.autosave.flush();
  },
});

async function recover() {
  if (!ctx.autosave) return false;
  let saved;
  try {
    saved = await ctx.autosave.load();
  } catch (error) {
    status.error('Cannot read the autosaved project', error);
    return false;
  }
  if (!saved) return false;
  const record = saved.record ?? saved.legacy;
  try {
    if (saved.legacy) await openProject(ctx, record.ora, record.name, { recovered: true, activeId: record.activeId });
    else await openAutosave(ctx, saved);
  } catch (error) {
    status.error('The autosaved project could not be opened', error);
    return false;
  }
  shown.recovered = { name: record.name, savedAt: record.savedAt };
  $('#recovery-text').textContent = `“${record.name || 'Untitled'}”, autosaved ${new Date(record.savedAt).toLocaleString()}.`;
  $('#recovery').hidden = false;
  status.set(`Recovered project “${record.name || 'Untitled'}”`, 'ok');
  return true;
}
$('#recovery-keep').addEventListener('click', ctx.recovery.hide);

// ---------------------------------------------------------------- engine

const backendSelect = $('#backend-select');
const badge = { badge: $('#backend'), adapter: $('#adapter') };
let engineGeneration = 0;

async function useBackend(choice) {
  const generation = ++engineGeneration;
  backendSelect.disabled = true;
  badge.badge.textContent = 'starting…';
  badge.badge.dataset.backend = '';
  let engine;
  let fallbackError = null;
  try {
    engine = await wasm.createEngine(choice);
  } catch (error) {
    if (choice === 'cpu') throw error;
    fallbackError = error;
    engine = await wasm.createEngine('cpu');
  }
  if (generation !== engineGeneration) {
    engine.free();
    return;
  }
  await session.run(() => session.replaceEngine(engine));
  restartOnLoss(engine);
  backendSelect.value = choice;
  backendSelect.disabled = false;
  showBackend(engine, badge);
  // Keep the choice in the address so a reload or a shared link keeps it.
  const url = new URL(location.href);
  if (choice === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', choice);
  try {
    if (url.href !== location.href) history.replaceState(null, '', url);
  } catch {
    // A panel whose address cannot change (a host's srcdoc or data: frame) keeps it for this session only.
  }
  if (fallbackError) status.error('WebGPU is unavailable, running on the CPU', fallbackError);
  else status.set(`Engine ready: ${engine.backend === 'gpu' ? 'WebGPU' : 'CPU (WebAssembly)'}`, 'info');
  await session.idle();
}

/**
 * When `engine`'s GPU device is lost (a driver reset, the browser's GPU process restarting) while the page
 * uses it, starts another engine with the same choice. Nothing is lost: the document lives on the CPU side,
 * a stroke in progress included (its dabs painted on the GPU are painted again on the CPU).
 */
function restartOnLoss(engine) {
  engine.lost().then((why) => {
    if (!why || engine !== state.engine) return;
    status.error('The GPU stopped; restarting the engine (the document is safe)', new Error(why));
    useBackend(backendSelect.value).catch((error) => status.error('The engine could not be restarted', error));
  });
}

backendSelect.addEventListener('change', () => commands.invoke('engine.use', { choice: backendSelect.value }));

function requestedBackend() {
  const value = new URLSearchParams(location.search).get('backend');
  if (value === null || value === '') return { choice: 'auto' };
  const choice = value.toLowerCase();
  if (BACKENDS.includes(choice)) return { choice };
  return { choice: 'auto', warning: `Unknown backend “${value}” in the address (use auto, gpu or cpu); using auto.` };
}

// ---------------------------------------------------------------- start-up

/** The controls built from the core's manifests: layer properties, tools, selection modifiers. */
function buildControls() {
  const all = wasm.manifests();
  const byId = (id) => {
    const m = all.find((x) => x.id === id);
    if (!m) throw new Error(`the core has no “${id}” plugin`);
    return m;
  };
  // Layer properties: the composite's mode, and its opacity shown in percent as in the layer list.
  const composite = byId(COMPOSITE_ID);
  const mode = composite.params.find((p) => p.id === 'mode');
  const opacity = { ...composite.params.find((p) => p.id === 'opacity'), min: 0, max: 100, step: 1, default: 100, unit: '%' };
  modeLabels = new Map(mode.values.map((v) => [v.value, v.label]));
  layerControls = buildParamControls($('#layer-props'), [mode, opacity], (values, { final }) => {
    if (!final || state.activeId === null) return;
    commands.invoke('layer.set-properties', { mode: values.mode, opacity: values.opacity });
  });

  ctx.tools = createToolbox({
    tools: TOOLS,
    manifests: all,
    buttons: document.querySelectorAll('.tool'),
    host: $('#tool-params'),
    info: { name: $('#tool-name'), description: $('#tool-description'), hint: $('#tool-hint') },
    stage: $('#stage'),
    onChange: (id) => {
      gesture?.cancel();
      // A tool that holds something (a crop box, a transform) lets go of it when left.
      for (const tool of TOOLS) if (tool.id !== id) tool.leave?.(ctx);
      TOOLS.find((t) => t.id === id).enter?.(ctx);
      viewer.setNavigation(TOOLS.find((t) => t.id === id).navigation ?? null);
      commands.refresh();
    },
  });
  for (const button of document.querySelectorAll('.tool')) button.dataset.command = `tool.${button.dataset.tool}`;
  gesture = createGesture({
    ctx,
    viewer,
    tool: () => ctx.tools.tool(),
    values: (id) => ctx.tools.values(id),
    onError: (label, error) => status.error(label, error),
  });
  // Colour range also has a button for the colour picked in its controls.
  const rangeButton = document.createElement('button');
  rangeButton.type = 'button';
  rangeButton.className = 'small wide';
  rangeButton.id = 'color-range-apply';
  rangeButton.textContent = 'Select this colour';
  rangeButton.addEventListener('click', () => {
    const values = ctx.tools.values('color_range');
    commands.invoke('select.color-range', { color: values.color, fuzziness: values.fuzziness, mode: values.mode });
  });
  ctx.tools.host('color_range').append(rangeButton);
  mountTypeOptions(ctx.tools.host('type'), ctx);

  // Selection modifiers: one parameter and a button each.
  for (const { op, manifest, param, button } of MODIFIERS) {
    const m = byId(manifest);
    const row = document.createElement('div');
    row.className = 'modify';
    row.dataset.op = op;
    const form = document.createElement('div');
    const controls = buildParamControls(form, m.params.filter((p) => p.id === param), () => {});
    const apply = document.createElement('button');
    apply.type = 'button';
    apply.className = 'small';
    apply.textContent = button;
    apply.dataset.title = m.description ?? m.name;
    apply.dataset.command = `select.${op}`;
    row.append(form, apply);
    $('#modify').append(row);
    modifierControls.set(op, controls);
  }
}

/** The Filter menu's plugin entries: every enabled filter plugin, in name order. */
function renderFilterMenu() {
  const filters = ctx.pluginLibrary.filters();
  const items = filters.map((plugin) => {
    const item = document.createElement('button');
    item.type = 'button';
    item.setAttribute('role', 'menuitem');
    item.dataset.plugin = plugin.id;
    item.textContent = `${plugin.manifest.name}…`;
    item.title = plugin.manifest.description;
    item.disabled = !commands.isEnabled('filter.open');
    item.addEventListener('click', () => commands.invoke('filter.open', { id: plugin.id }));
    return item;
  });
  if (!items.length) {
    const none = document.createElement('div');
    none.className = 'menu-note';
    none.textContent = 'None installed';
    items.push(none);
  }
  $('#filter-plugins').replaceChildren(...items);
}

/** The plugin library (installed bundles from IndexedDB), the Plugins dialog and the filter dialog. */
function startPlugins() {
  ctx.pluginLibrary = createPluginLibrary({
    wasm,
    onChange() {
      ctx.plugins?.render();
      renderFilterMenu();
      commands.refresh();
    },
  });
  ctx.plugins = createPluginManager({ library: ctx.pluginLibrary, dialog: $('#plugins-dialog'), invoke: (id, args) => commands.run(id, args) });
  ctx.filter = createFilterDialog({ ctx, library: ctx.pluginLibrary, dialog: $('#filter-dialog'), createRunner: createPluginRunner });
  $('#filter-dialog').addEventListener('cancel', (event) => {
    event.preventDefault();
    commands.invoke('filter.cancel');
  });
  $('#plugins-dialog').addEventListener('cancel', (event) => {
    event.preventDefault();
    commands.invoke('plugins.close');
  });
  $('#filter-menu').addEventListener('toggle', () => $('#filter-menu').open && renderFilterMenu());
  $('#filter-menu').addEventListener('click', (event) => {
    if (event.target.closest('button')) $('#filter-menu').open = false;
  });
  renderFilterMenu();
  // Plugins are not needed to start: a damaged store is reported, never fatal.
  ctx.pluginLibrary.load().then(
    (problems) => problems.length && status.error('Some installed plugins were left out', new Error(problems.join('; '))),
    (error) => status.error('Installed plugins could not be read', error),
  );
}

async function start() {
  await host.startEngine(wasm);
  $('#version').textContent = `v${wasm.version()}`;
  buildControls();
  ctx.panels = createPanels(ctx, $);
  ctx.adjust = createAdjustDialog({ ctx, manifests: wasm.manifests(), dialog: $('#adjust-dialog') });
  $('#adjust-dialog').addEventListener('cancel', (event) => {
    event.preventDefault();
    commands.invoke('adjust.cancel');
  });
  $('#adjust-menu').addEventListener('click', (event) => {
    if (event.target.closest('button')) $('#adjust-menu').open = false;
  });
  startPlugins();
  ctx.hostBar = createHostBar({ root: $('#host-bar'), host, invoke: (id, args) => commands.invoke(id, args) });
  commands.bindButtons(document);
  ctx.tools.set('rectangle');
  renderPanels();
  const { choice, warning } = requestedBackend();
  await useBackend(choice);
  if (warning) status.set(warning, 'error');
  await recover();
  host.connect({ run: (id, args) => commands.run(id, args), status });
}

const offline = installOffline({ badge: $('#offline') });

const ready = start().catch((error) => {
  status.error('Retouch could not start', error);
  showBackend(null, badge);
  throw error;
});

// ---------------------------------------------------------------- automation

// Tests and embedding hosts act through the same commands as the page
// (`run(id, args)`); the rest only reads what the page shows.
window.retouchApp = {
  /** Results the engine read back from the GPU so far (0 on the CPU). */
  readBacks: () => state.engine?.readBacks() ?? 0,
  /** Bytes the engine uploaded to the GPU so far (0 on the CPU). */
  uploadedBytes: () => state.engine?.uploadedBytes() ?? 0,
  /** Loses the engine's GPU device as a driver reset would (tests): the page must carry on. */
  simulateGpuLoss: () => state.engine?.releaseGpu(),
  /** Whether the stroke being painted is painted on the GPU alone so far, none of it on the CPU (false with none open). */
  strokeOnGpu: () => session.read((p) => p.strokeOnGpu()),
  /** Resolves once the engine and the controls are up (rejects if start-up failed). */
  ready,
  /** Runs a command by id (see `commands()`); resolves to its result. */
  run: async (id, args) => (await ready, commands.run(id, args)),
  /** Every command: { id, label, shortcuts, enabled }. */
  commands: () => commands.list(),
  /** Resolves once nothing is queued in the session. */
  settled: () => session.idle(),
  backend: () => state.engine?.backend ?? null,
  adapter: () => state.engine?.adapter ?? null,
  /** The canvas size as of the last change (read in the queue: a render in flight does not block it). */
  size: () => (state.project ? shown.size : null),
  /** The layers as the panel shows them (bottom first; opacity 0–1 as the core keeps it). */
  layers: () => ctx.layers(),
  activeLayerId: () => state.activeId,
  /** The history as the panel shows it ({ entries, position, bytes, budget, droppedTotal }). */
  history: () => ctx.history(),
  tool: () => ctx.tools.current,
  toolParams: (tool) => ctx.tools.values(tool),
  /** What the current tool holds until Enter: a crop box { x, y, width, height }, a transform { layerId, matrix }, or null. */
  toolPending: () => ctx.tools.tool()?.pending?.() ?? null,
  /** The clone stamp's source { x, y } (canvas), or null. */
  cloneSource: () => shown.cloneSource,
  /** The Healing brush's source { x, y } (canvas), or null. */
  healSource: () => shown.healSource,
  /** The last canvas gesture ({ tool, points, params }) in image coordinates. */
  lastGesture: () => shown.lastGesture,
  /** Image coordinates → page (client) coordinates, to drive the pointer. */
  clientPoint: (x, y) => viewer.clientPoint(x, y),
  /** How the view shows the document: { level } (canvases at 1/2^level per side), { scale } (screen px per image px). */
  view: () => ({ level: viewer.level, scale: viewer.scale }),
  /** RGBA bytes of a rectangle of the composite as the core rendered it. */
  compositeRegion: (x, y, width, height) => session.read((p) => p.compositeRegion(x, y, width, height)),
  /** The selection's coverage bytes (canvas-sized), or null when there is none. */
  selectionValues: async () => (await session.idle(), selection.values()),
  /** The composite as the core rendered it; rejects with the last render error. */
  async resultRgba() {
    await ready;
    await session.idle();
    if (state.error) throw state.error;
    return session.read((p) => ({ width: p.width, height: p.height, data: p.compositeRegion(0, 0, p.width, p.height) }));
  },
  projectBytes: () => session.read((p) => p.toOra()),
  /** A layer's pixels { width, height, data }. */
  layerPixels: (id) => ctx.layerPixels(id),
  /** A layer's mask coverage bytes, or null without a mask. */
  layerMask: (id) => session.read((p) => p.layerMask(id)?.values() ?? null),
  /** The composite encoded as "png", "jpeg" or "webp" ({ quality, longEdge }). */
  exportBytes: (format, options) => exportBytes(ctx, format, options),
  /** The overlay canvas's pixels (display only). */
  overlayRgba() {
    const c = viewer.overlay;
    return c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  },
  autosavePending: () => ctx.autosave?.pending ?? false,
  /** What autosave wrote to IndexedDB: { saves, written, last: { written, pieces, full, savedAt } } (bytes). */
  autosaveStats: () => ctx.autosave?.stats ?? null,
  /** Resolves to whether the app's files are stored for offline use (service worker). */
  offlineReady: () => offline.cached,
  /** { name, savedAt } of the project recovered at start-up, or null. */
  recovered: () => shown.recovered,
  generation: {
    /** { running, provider, error, variants, plan, lastAccepted }. */
    state: () => ctx.panels.generate.state(),
    /** Resolves once no generation runs. */
    settled: () => ctx.panels.generate.settled(),
    provenanceJson: (id) => ctx.panels.generate.provenanceJson(id),
  },
  plugins: {
    /** Installed plugins: [{ id, name, version, enabled }]. */
    installed: () => ctx.pluginLibrary.installed().map((p) => ({ id: p.id, name: p.manifest.name, version: p.manifest.version, enabled: p.enabled })),
    /** The bundle waiting for confirmation ({ id, name, version }) or null. */
    pending: () => ctx.plugins.pending(),
    /** The filter dialog: { open, running, last: { state, message } | null }. */
    filter: () => ({ open: ctx.filter.isOpen(), running: ctx.filter.running(), last: ctx.filter.last() }),
    /** Resolves once installed plugins were read back from IndexedDB. */
    loaded: () => ctx.pluginLibrary.loaded,
  },
  /** { busy, last: { kind, params, before, after, layerId, label }, compareOpen }. */
  upscale: { state: () => ctx.panels.upscale.state() },
  /** { attach, style, palette, references } as the Brand kit panel shows them. */
  brandKit: () => ctx.panels.brandKit.state(),
};
