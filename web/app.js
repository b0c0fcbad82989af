// Retouch editor: one document (the core's Project) with layers, history,
// a selection and autosave. This file wires the page to the wasm core: every
// pixel is computed by the core (./pkg/retouch.js); the page only moves bytes
// between the user, the core and the screen.

import init, {
  createEngine,
  manifests,
  version,
  Image,
  Mask,
  Project,
  planProviderJob,
  planOutpaintJob,
  ingestOutpaintResult,
  ingestProviderResult,
  mockProviderAnswer,
} from './pkg/retouch.js';
import { buildParamControls } from './ui/params.js';
import { createViewer } from './ui/viewer.js';
import { createLayersPanel } from './ui/layers.js';
import { createHistoryPanel } from './ui/history.js';
import { createSelection } from './ui/selection.js';
import { createAutosave } from './ui/autosave.js';
import { createGeneratePanel } from './ui/generate.js';
import { createUpscalePanel, compareWindow } from './ui/upscale.js';
import { createBrandKitPanel } from './ui/brandkit.js';
import { hasFiles, download, toBytes, formatBytes, stem } from './ui/files.js';

const COMPOSITE_ID = 'retouch.composite';
const BACKENDS = ['auto', 'gpu', 'cpu'];
const SAMPLES = { base: 'samples/base.png', layer: 'samples/layer.png', mask: 'samples/mask.png' };
const HISTORY_BUDGET = 512 * 1024 * 1024;
/** Layer properties the layers panel edits, with controls from the composite manifest. */
const LAYER_PARAMS = ['mode', 'opacity'];

/** Canvas tools; selection tools take their controls from their manifests. */
const TOOLS = {
  move: { name: 'Move', description: 'Moves the active layer.', hint: 'Drag on the image to move the active layer.' },
  rectangle: { manifest: 'retouch.mask.rectangle', hint: 'Drag to select. Shift adds, Alt subtracts, both intersect. Click to deselect.' },
  ellipse: { manifest: 'retouch.mask.ellipse', hint: 'Drag to select. Shift adds, Alt subtracts, both intersect.' },
  lasso: { manifest: 'retouch.mask.lasso', hint: 'Drag around the area; the path closes itself. Shift adds, Alt subtracts.' },
  wand: { manifest: 'retouch.mask.wand', hint: 'Click a colour to select it (sampled from the composite). Shift adds, Alt subtracts.' },
  color_range: { manifest: 'retouch.mask.color_range', hint: 'Click the image to select every pixel of that colour, or use the colour above.' },
  brush: { manifest: 'retouch.mask.brush', hint: 'Paint the selection; turn on Erase (or hold Alt) to remove. [ and ] change the size.' },
};
/** Selection changes offered in the options panel, from their manifests. */
const MODIFIERS = [
  { op: 'feather', manifest: 'retouch.mask.feather', param: 'radius', button: 'Feather' },
  { op: 'grow', manifest: 'retouch.mask.grow', param: 'distance', button: 'Expand' },
  { op: 'shrink', manifest: 'retouch.mask.shrink', param: 'distance', button: 'Contract' },
  { op: 'border', manifest: 'retouch.mask.border', param: 'width', button: 'Border' },
  { op: 'smooth', manifest: 'retouch.mask.smooth', param: 'radius', button: 'Smooth' },
];

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------- state

const state = {
  engine: null,
  /** @type {Project | null} */
  project: null,
  /** File name the document came from (for downloads). */
  name: '',
  /** What the first history row says (the state before any entry). */
  origin: '',
  activeId: null,
  /** History entries dropped before this session's document opened (not news). */
  droppedBase: 0,
  /** Why the last render failed. */
  error: null,
  tool: 'rectangle',
  /** The last canvas gesture in image coordinates, for tests and hosts. */
  lastGesture: null,
  recovered: null,
  /** The layers panel's rows (bottom first), refreshed after every change. */
  layers: [],
  /** The history panel's content, refreshed after every change. */
  history: null,
};

let layerControls = null;
const toolControls = new Map(); // tool -> manifest-built controls
const modifierControls = new Map(); // op -> controls
let engineGeneration = 0;
let modeLabels = new Map();
/** The Generate fill panel, made once the core is up. */
let generatePanel = null;
/** The Upscale panel, made once the core is up. */
let upscalePanel = null;
let brandKitPanel = null;

// ---------------------------------------------------------------- status

const statusEl = $('#status');

function setStatus(text, kind = 'info') {
  statusEl.textContent = text;
  statusEl.dataset.kind = kind;
  statusEl.classList.toggle('error', kind === 'error');
  statusEl.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

function showError(prefix, error) {
  setStatus(prefix ? `${prefix}: ${messageOf(error)}` : messageOf(error), 'error');
  console.error(prefix ?? 'Retouch', error);
}

/** Runs a UI action: errors are shown, never thrown into the event loop. */
function ui(label, fn) {
  return (...args) => {
    Promise.resolve()
      .then(() => fn(...args))
      .catch((error) => showError(label, error));
  };
}

function showBackend(engine) {
  const badge = $('#backend');
  const adapter = $('#adapter');
  if (!engine) {
    badge.textContent = 'no engine';
    badge.dataset.backend = '';
    adapter.textContent = '';
    return;
  }
  badge.textContent = engine.backend === 'gpu' ? 'GPU' : 'CPU';
  badge.dataset.backend = engine.backend;
  // Browsers do not name their WebGPU adapter; say what it is anyway.
  const reported = engine.adapter.trim();
  const description = reported.startsWith('(') ? `WebGPU adapter ${reported}` : reported;
  badge.title = description;
  adapter.textContent = description;
  adapter.title = description;
}

// ---------------------------------------------------------------- view

const viewer = createViewer({
  stage: $('#stage'),
  zoomLabel: $('#zoom'),
  onPointer: (phase, point, event) => {
    try {
      gesture(phase, point, event);
    } catch (error) {
      showError(null, error);
    }
  },
});

$('#zoom-in').addEventListener('click', () => viewer.zoomIn());
$('#zoom-out').addEventListener('click', () => viewer.zoomOut());
$('#zoom-fit').addEventListener('click', () => viewer.fit());
$('#zoom-100').addEventListener('click', () => viewer.actualSize());

// ---------------------------------------------------------------- rendering

// Renders are serialised and coalesced: edits during a render cause exactly
// one more render. The core refuses calls while a GPU render holds the
// document, so every edit waits for `idle()` first.
let renderWanted = false;
let running = null;

function scheduleRender() {
  renderWanted = true;
  if (!running) {
    running = (async () => {
      while (renderWanted) {
        renderWanted = false;
        await renderOnce();
      }
    })().finally(() => {
      running = null;
      if (renderWanted) scheduleRender();
    });
  }
  return settled();
}

/** Resolves once no render is pending or running. */
async function settled() {
  while (running) await running;
  await selection.settled();
  while (running) await running;
}

async function renderOnce() {
  const { engine, project } = state;
  if (!engine || !project) return;
  const started = performance.now();
  try {
    const rect = await project.render(engine);
    if (project !== state.project) return;
    state.error = null;
    if (rect && rect.width > 0 && rect.height > 0) {
      viewer.putRegion(rect.x, rect.y, rect.width, rect.height, project.compositeRegion(rect.x, rect.y, rect.width, rect.height));
      const ms = performance.now() - started;
      const area = rect.width === project.width && rect.height === project.height ? 'full' : `${rect.width}×${rect.height}`;
      $('#timing').textContent = `${area} in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms on ${engine.backend.toUpperCase()}`;
    }
  } catch (error) {
    state.error = error instanceof Error ? error : new Error(String(error));
    showError('Cannot render', error);
  }
}

/**
 * Changes the document through the core, then refreshes the panels, renders
 * and autosaves. `fn(project)` runs while no render holds the document.
 */
async function edit(fn) {
  while (running) await running;
  const project = state.project;
  if (!project) throw new Error('open an image first');
  const result = fn(project); // synchronous: nothing can start a render meanwhile
  afterEdit(project);
  return result;
}

/**
 * Like `edit`, for the core's asynchronous commands (Image Size, Upscale
 * Region) that hold the document while the engine works: renders wait for
 * them as they wait for each other.
 */
async function editAsync(fn) {
  await settled();
  const project = state.project;
  if (!project) throw new Error('open an image first');
  const job = Promise.resolve().then(() => fn(project));
  running = job
    .then(() => {}, () => {})
    .finally(() => {
      running = null;
      if (renderWanted) scheduleRender();
    });
  const result = await job;
  if (project === state.project) afterEdit(project);
  return result;
}

/** After a command: panels, render, autosave, and the status line say what happened. */
function afterEdit(project) {
  const trim = project.lastTrim();
  const history = project.history();
  changed();
  setStatus(history.entries[history.position - 1]?.name ?? state.origin, 'ok');
  if (trim.entries > 0) {
    setStatus(`History is over its ${formatBytes(project.history().budget)} budget: the ${trim.entries} oldest step(s) were dropped (${formatBytes(trim.bytes)})`, 'info');
  }
}

function changed() {
  syncCanvasSize();
  refreshPanels();
  scheduleRender();
  autosave.schedule();
}

/** Set by Image Size so that the selection scales with the canvas instead of starting over. */
let selectionScalesWithCanvas = false;

/**
 * The canvas size changed (Image Size, an outpaint, a crop, their undo): the view takes the new
 * size. The selection scales along after Image Size; otherwise its coordinates no longer fit and
 * it starts over.
 */
function syncCanvasSize() {
  const project = state.project;
  const scale = selectionScalesWithCanvas;
  selectionScalesWithCanvas = false;
  if (!project || !viewer.size) return;
  const { width, height } = project;
  if (viewer.size.width === width && viewer.size.height === height) return;
  viewer.resize(width, height);
  viewer.fit();
  if (!selection.size) return;
  if (scale) selection.resizeTo(width, height).catch((error) => showError('Cannot resize the selection', error));
  else selection.reset(width, height);
}

// ---------------------------------------------------------------- document

/** Replaces the open document (or closes it with null). */
function setProject(project, { name, origin, activeId } = {}) {
  state.project?.free();
  state.project = project;
  state.name = name ?? '';
  state.origin = origin ?? '';
  state.error = null;
  state.lastGesture = null;
  generatePanel?.documentChanged();
  if (!project) {
    state.activeId = null;
    selection.reset(null);
    viewer.clear();
    refreshPanels();
    return;
  }
  const layers = project.layers();
  state.activeId = layers.some((l) => l.id === activeId) ? activeId : layers.at(-1)?.id ?? null;
  state.droppedBase = project.history().droppedTotal;
  viewer.resize(project.width, project.height);
  selection.reset(project.width, project.height);
  viewer.fit();
  changed();
}

/**
 * A new document holding one image, with an empty history: the opened image
 * is where history starts, not an undoable step. The core starts history
 * empty only for a project read from a file, hence the OpenRaster round trip.
 */
function documentFromImage(image, name) {
  const draft = new Project(image.width, image.height);
  try {
    draft.addLayer(image, { name: stem(name) || 'Background' });
    const project = Project.fromOra(draft.toOra());
    project.setHistoryBudget(HISTORY_BUDGET);
    return { project, id: project.layers()[0].id };
  } finally {
    draft.free();
  }
}

function decodeImage(bytes, name) {
  try {
    return Image.decode(toBytes(bytes));
  } catch (error) {
    throw new Error(`Cannot open ${name ? `“${name}”` : 'the image'}: ${messageOf(error)}`);
  }
}

async function openImage(bytes, name = 'image.png') {
  const image = decodeImage(bytes, name);
  try {
    while (running) await running;
    const { project, id } = documentFromImage(image, name);
    setProject(project, { name, origin: `Open “${name}”`, activeId: id });
  } finally {
    image.free();
  }
  hideRecovery();
  setStatus(`Opened ${name} (${state.project.width} × ${state.project.height} px)`, 'ok');
  await settled();
}

/** Adds an image as a layer above the active one, centred on the canvas. */
async function addImageLayer(bytes, name = 'layer.png', { mask, props } = {}) {
  if (!state.project) return openImage(bytes, name);
  const image = decodeImage(bytes, name);
  try {
    const id = await edit((project) => {
      const layers = project.layers();
      const active = layers.findIndex((l) => l.id === state.activeId);
      const index = active >= 0 ? active + 1 : layers.length;
      const x = Math.round((project.width - image.width) / 2);
      const y = Math.round((project.height - image.height) / 2);
      return project.addLayer(image, { name: stem(name), x, y, ...props }, mask ?? undefined, index);
    });
    state.activeId = id;
    refreshPanels();
  } finally {
    image.free();
  }
  setStatus(`Added ${name} as a layer`, 'ok');
  await settled();
}

async function openProject(bytes, name = 'project.ora', { recovered = false, activeId } = {}) {
  let project;
  try {
    project = Project.fromOra(toBytes(bytes));
  } catch (error) {
    throw new Error(`Cannot open ${name ? `“${name}”` : 'the project'}: ${messageOf(error)}`);
  }
  while (running) await running;
  setProject(project, { name, origin: recovered ? 'Recovered project' : `Open “${name}”`, activeId });
  if (!recovered) {
    hideRecovery();
    setStatus(`Opened project ${name} (${project.layers().length} layers)`, 'ok');
  }
  await settled();
}

function projectBytes() {
  if (!state.project) throw new Error('no document is open');
  return state.project.toOra();
}

async function saveProject() {
  while (running) await running;
  const bytes = projectBytes();
  const name = `${stem(state.name)}.ora`;
  download(bytes, name, 'image/openraster');
  setStatus(`Saved ${name} (${formatBytes(bytes.length)})`, 'ok');
}

const EXPORT_TYPES = { png: ['image/png', 'png'], jpeg: ['image/jpeg', 'jpg'], webp: ['image/webp', 'webp'] };

function exportBytes(format = 'png', { quality, longEdge } = {}) {
  if (!state.project) throw new Error('no document is open');
  if (!EXPORT_TYPES[format]) throw new Error(`unknown export format “${format}”`);
  return state.project.exportImage(format, format === 'jpeg' ? quality ?? 90 : undefined, longEdge || undefined);
}

async function exportImage() {
  while (running) await running;
  const format = $('#export-format').value;
  const quality = Number($('#export-quality').value) || 90;
  const longEdge = Number($('#export-size').value) || undefined;
  const bytes = exportBytes(format, { quality, longEdge });
  const [type, ext] = EXPORT_TYPES[format];
  const name = `${stem(state.name)}-retouched.${ext}`;
  download(bytes, name, type);
  setStatus(`Exported ${name} (${formatBytes(bytes.length)})`, 'ok');
}

$('#export-format').addEventListener('change', () => {
  $('#export-quality').hidden = $('#export-format').value !== 'jpeg';
});

// ---------------------------------------------------------------- panels

const layersPanel = createLayersPanel($('#layers'), {
  onSelect: (id) => selectLayer(id),
  onVisible: ui('Cannot change the layer', (id, visible) => edit((p) => p.setLayerProperties(id, { visible }))),
  onRename: ui('Cannot rename the layer', (id, name) => edit((p) => p.renameLayer(id, name))),
  onMove: ui('Cannot move the layer', (id, index) => edit((p) => p.moveLayer(id, index))),
});

const historyPanel = createHistoryPanel($('#history'), {
  onJump: ui('Cannot go to that step', (position) => jumpTo(position)),
});

function selectLayer(id) {
  if (id === state.activeId) return;
  state.activeId = id;
  refreshPanels();
}

/** The active layer's row as the layers panel last showed it. */
function activeLayer() {
  return state.layers.find((l) => l.id === state.activeId) ?? null;
}

// While a GPU render holds the document the core refuses reads: the panels
// are refreshed when it is done.
let refreshWanted = false;

function refreshPanels() {
  if (running) {
    if (!refreshWanted) running.then(() => {
      refreshWanted = false;
      refreshPanels();
    });
    refreshWanted = true;
    return;
  }
  const project = state.project;
  const has = Boolean(project);
  document.body.classList.toggle('has-document', has);
  const layers = has ? project.layers() : [];
  state.layers = layers;
  if (has && !layers.some((l) => l.id === state.activeId)) state.activeId = layers.at(-1)?.id ?? null;
  const index = layers.findIndex((l) => l.id === state.activeId);
  const active = layers[index] ?? null;
  layersPanel.render(layers, state.activeId, (m) => modeLabels.get(m) ?? m);
  if (active && layerControls) layerControls.set({ mode: active.mode, opacity: active.opacity });
  // A refresh that comes late (after a render) must not undo what the user is typing.
  for (const [input, value] of [[$('#layer-x'), active?.x], [$('#layer-y'), active?.y]]) {
    if (document.activeElement !== input) input.value = active ? String(value) : '';
  }
  $('#layer-props').classList.toggle('disabled', !active);
  for (const el of document.querySelectorAll('#layer-props input, #layer-props select, .layer-position input')) el.disabled = !active;

  const enable = (selector, flag) => ($(selector).disabled = !flag);
  enable('#add-image', has);
  enable('#save-project', has);
  enable('#export', has);
  enable('#layer-new', has);
  enable('#layer-duplicate', active);
  enable('#layer-delete', active && layers.length > 1);
  enable('#layer-up', active && index < layers.length - 1);
  enable('#layer-down', active && index > 0);
  enable('#layer-merge', active && index > 0);
  enable('#mask-add', active && !active.hasMask);
  enable('#mask-load', active && !active.hasMask);
  enable('#mask-apply', active?.hasMask);
  enable('#mask-delete', active?.hasMask);
  for (const id of ['#select-all', '#deselect', '#select-invert', '#select-layer']) enable(id, has);
  enable('#selection-to-mask', active && selection.mask);
  for (const button of document.querySelectorAll('.modify button')) button.disabled = !selection.mask;

  const history = has ? project.history() : null;
  state.history = history;
  historyPanel.render(history, state.origin || 'Open');
  enable('#undo', history && history.position > 0);
  enable('#redo', history && history.position < history.entries.length);
  if (history) {
    const dropped = history.droppedTotal - state.droppedBase;
    $('#history-info').textContent =
      `${history.entries.length} step${history.entries.length === 1 ? '' : 's'} · ${formatBytes(history.bytes)} of ${formatBytes(history.budget)}` +
      (dropped > 0 ? ` · ${dropped} oldest dropped to stay within budget` : '');
  } else {
    $('#history-info').textContent = '';
  }
  $('#doc-info').textContent = has ? `${project.width} × ${project.height} px · ${layers.length} layer${layers.length === 1 ? '' : 's'}` : '';
  $('#doc-title').textContent = has ? state.name || 'Untitled' : 'No document';
  $('#selection-info').textContent = selection.mask ? '' : has ? 'Nothing selected.' : '';
  generatePanel?.refresh();
  upscalePanel?.refresh();
  brandKitPanel?.refresh();
}

// Undo can swap one reference image for another of the same count: the brand
// kit panel reads them again.
async function undo() {
  const name = await edit((p) => p.undo());
  setStatus(name ? `Undid ${name}` : 'Nothing to undo', 'info');
  await settled();
  brandKitPanel.refresh(true);
}

async function redo() {
  const name = await edit((p) => p.redo());
  setStatus(name ? `Redid ${name}` : 'Nothing to redo', 'info');
  await settled();
  brandKitPanel.refresh(true);
}

async function jumpTo(position) {
  await edit((p) => p.jumpTo(position));
  await settled();
  brandKitPanel.refresh(true);
}

$('#undo').addEventListener('click', ui('Cannot undo', undo));
$('#redo').addEventListener('click', ui('Cannot redo', redo));

function layerAction(selector, label, fn) {
  $(selector).addEventListener(
    'click',
    ui(label, async () => {
      const id = state.activeId;
      if (id === null) return;
      const result = await edit((p) => fn(p, id));
      if (typeof result === 'number') state.activeId = result;
      refreshPanels();
    }),
  );
}

layerAction('#layer-new', 'Cannot add a layer', (p) => p.newLayer(`Layer ${p.layers().length + 1}`));
layerAction('#layer-duplicate', 'Cannot duplicate the layer', (p, id) => p.duplicateLayer(id));
layerAction('#layer-delete', 'Cannot delete the layer', (p, id) => {
  p.deleteLayer(id);
  return p.layers().at(-1)?.id;
});
layerAction('#layer-up', 'Cannot move the layer', (p, id) => p.moveLayer(id, p.layers().findIndex((l) => l.id === id) + 1));
layerAction('#layer-down', 'Cannot move the layer', (p, id) => p.moveLayer(id, p.layers().findIndex((l) => l.id === id) - 1));
layerAction('#layer-merge', 'Cannot merge down', (p, id) => p.mergeDown(id));
layerAction('#mask-apply', 'Cannot apply the mask', (p, id) => p.applyLayerMask(id));
layerAction('#mask-delete', 'Cannot delete the mask', (p, id) => p.deleteLayerMask(id));
$('#mask-add').addEventListener('click', ui('Cannot add a mask', () => addMask({ fromSelection: Boolean(selection.mask) })));
$('#selection-to-mask').addEventListener('click', ui('Cannot make a mask', () => addMask({ fromSelection: true })));
$('#mask-load').addEventListener('click', () => $('#file-layer-mask').click());

/**
 * Gives the active layer a mask: white (reveal all), or the selection
 * mapped onto the layer (parts of the layer off the canvas stay hidden).
 */
async function addMask({ fromSelection }) {
  const layer = activeLayer();
  if (!layer) throw new Error('no active layer');
  const sel = selection.mask;
  if (fromSelection && !sel) throw new Error('nothing is selected');
  await edit((p) => {
    if (!fromSelection) {
      p.addLayerMask(layer.id);
      return;
    }
    const inside = layer.x >= 0 && layer.y >= 0 && layer.x + layer.width <= p.width && layer.y + layer.height <= p.height;
    if (inside && !layer.hasMask) {
      // One history entry: the selection's part under the layer becomes its mask.
      p.addLayerMask(layer.id, Mask.fromValues(layer.width, layer.height, sel.regionValues(layer.x, layer.y, layer.width, layer.height)));
      return;
    }
    if (!layer.hasMask) p.addLayerMask(layer.id, Mask.none(layer.width, layer.height));
    p.paintMask(layer.id, 0, 0, sel, 'Selection to Layer Mask');
  });
  setStatus(fromSelection ? `The selection is now the mask of “${layer.name}”` : `Added a mask to “${layer.name}”`, 'ok');
  await settled();
}

async function loadLayerMask(bytes, name = 'mask.png') {
  const layer = activeLayer();
  if (!layer) throw new Error('no active layer');
  let mask;
  try {
    mask = Mask.decode(toBytes(bytes));
  } catch (error) {
    throw new Error(`Cannot open “${name}”: ${messageOf(error)}`);
  }
  await edit((p) => p.addLayerMask(layer.id, mask));
  setStatus(`Loaded ${name} as the mask of “${layer.name}”`, 'ok');
  await settled();
}

for (const [axis, input] of [['x', $('#layer-x')], ['y', $('#layer-y')]]) {
  input.addEventListener(
    'change',
    ui('Cannot move the layer', () => {
      const value = Math.trunc(Number(input.value));
      const id = state.activeId;
      if (id === null || !Number.isFinite(value)) return refreshPanels();
      return edit((p) => p.setLayerProperties(id, { [axis]: value }));
    }),
  );
}

// ---------------------------------------------------------------- selection

const selection = createSelection({
  wasm: { Mask },
  viewer,
  engine: () => {
    if (!state.engine) throw new Error('the engine is not ready');
    return state.engine;
  },
  composite: async () => {
    while (running) await running;
    const p = state.project;
    p.renderCpu();
    return Image.fromRgba(p.width, p.height, p.compositeRegion(0, 0, p.width, p.height));
  },
  onChange: ({ name }) => {
    refreshPanels();
    autosave.schedule();
    setStatus(name, 'ok');
  },
});

$('#select-all').addEventListener('click', ui('Cannot select', () => selection.all()));
$('#deselect').addEventListener('click', ui('Cannot deselect', () => selection.none()));
$('#select-invert').addEventListener('click', ui('Cannot invert', () => selection.invert()));
/** Selects the active layer's pixels (its alpha, at its position). */
async function selectLayerPixels() {
  const layer = activeLayer();
  if (!state.project || !layer) throw new Error('no active layer');
  const image = state.project.layerPixels(layer.id);
  try {
    await selection.layerAlpha(image, layer.x, layer.y);
  } finally {
    image.free();
  }
}
$('#select-layer').addEventListener('click', ui('Cannot select the layer', selectLayerPixels));
$('#show-overlay').addEventListener('change', () => viewer.showOverlay($('#show-overlay').checked));

// ---------------------------------------------------------------- tools

function setTool(tool) {
  if (!TOOLS[tool]) throw new Error(`unknown tool “${tool}”`);
  state.tool = tool;
  for (const button of document.querySelectorAll('.tool')) {
    const on = button.dataset.tool === tool;
    button.classList.toggle('active', on);
    button.setAttribute('aria-pressed', String(on));
  }
  const info = TOOLS[tool];
  const manifest = info.manifest ? manifests().find((m) => m.id === info.manifest) : null;
  $('#tool-name').textContent = manifest?.name ?? info.name;
  $('#tool-description').textContent = manifest?.description ?? info.description ?? '';
  $('#tool-hint').textContent = info.hint ?? '';
  for (const [name, controls] of toolControls) controls.host.hidden = name !== tool;
  $('#stage').dataset.tool = tool;
  viewer.showShape(null);
}

for (const button of document.querySelectorAll('.tool')) {
  button.addEventListener('click', () => setTool(button.dataset.tool));
}

function toolValues(tool = state.tool) {
  return toolControls.get(tool)?.values() ?? {};
}

/** Shift adds, Alt subtracts, both intersect (as in Photoshop); else the tool's own mode. */
function combineMode(event, values) {
  if (event?.shiftKey && event?.altKey) return 'intersect';
  if (event?.shiftKey) return 'add';
  if (event?.altKey) return 'subtract';
  return values.mode ?? 'replace';
}

let drag = null; // the canvas gesture in progress

function dragRect(a, b, ratio) {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  const width = Math.abs(b.x - a.x);
  const height = ratio > 0 ? width / ratio : Math.abs(b.y - a.y);
  return { x, y, width, height };
}

function gesture(phase, point, event) {
  if (!state.project) return;
  const tool = state.tool;
  const values = toolValues(tool);
  if (phase === 'down') {
    const mode = combineMode(event, values);
    if (tool === 'wand' || tool === 'color_range') {
      const params = { ...values, x: point.x, y: point.y, mode };
      state.lastGesture = { tool, points: [point.x, point.y], params };
      const run = tool === 'wand' ? selection.wand(params) : selection.colorRange({ ...params, color: null, samples: [point.x, point.y] });
      run.catch((error) => showError(`Cannot use the ${tool === 'wand' ? 'magic wand' : 'colour range'}`, error));
      return;
    }
    drag = { tool, start: point, last: point, points: [point.x, point.y], mode, values };
    if (tool === 'move') {
      const layer = activeLayer();
      if (!layer) {
        drag = null;
        return;
      }
      drag.layer = layer;
    }
    if (tool === 'brush') drag.erase = Boolean(values.erase) || event.altKey;
    preview();
    return;
  }
  if (!drag) return;
  if (phase === 'move') {
    drag.last = point;
    if (tool === 'lasso' || tool === 'brush') {
      const n = drag.points.length;
      if (drag.points[n - 2] !== point.x || drag.points[n - 1] !== point.y) drag.points.push(point.x, point.y);
    }
    preview();
    return;
  }
  const done = drag;
  drag = null;
  viewer.showShape(null);
  if (phase === 'cancel') return;
  done.last = point;
  commit(done);
}

function preview() {
  const d = drag;
  if (!d) return;
  if (d.tool === 'rectangle' || d.tool === 'ellipse') {
    viewer.showShape({ kind: d.tool === 'rectangle' ? 'rect' : 'ellipse', ...dragRect(d.start, d.last, d.values.ratio) });
  } else if (d.tool === 'lasso') {
    viewer.showShape({ kind: 'path', points: d.points, closed: false });
  } else if (d.tool === 'brush') {
    viewer.showShape({ kind: 'path', points: d.points, width: d.values.diameter, erase: d.erase });
  } else if (d.tool === 'move') {
    const { layer } = d;
    viewer.showShape({
      kind: 'outline',
      x: layer.x + Math.round(d.last.x - d.start.x),
      y: layer.y + Math.round(d.last.y - d.start.y),
      width: layer.width,
      height: layer.height,
    });
  }
}

function commit(d) {
  const fail = (label) => (error) => showError(label, error);
  if (d.tool === 'rectangle' || d.tool === 'ellipse') {
    const rect = dragRect(d.start, d.last, d.values.ratio);
    const params = { ...rect, ratio: d.values.ratio, mode: d.mode };
    state.lastGesture = { tool: d.tool, points: [d.start.x, d.start.y, d.last.x, d.last.y], params };
    if (rect.width < 1 || rect.height < 1) {
      // A click: deselect, as every editor does.
      if (d.mode === 'replace') selection.none().catch(fail('Cannot deselect'));
      return;
    }
    selection[d.tool](params).catch(fail('Cannot select'));
  } else if (d.tool === 'lasso') {
    const params = { points: d.points, mode: d.mode };
    state.lastGesture = { tool: 'lasso', points: d.points, params };
    if (d.points.length < 6) {
      if (d.mode === 'replace') selection.none().catch(fail('Cannot deselect'));
      return;
    }
    selection.lasso(params).catch(fail('Cannot select'));
  } else if (d.tool === 'brush') {
    const params = { ...d.values, erase: d.erase, points: d.points };
    state.lastGesture = { tool: 'brush', points: d.points, params };
    selection.brush(params).catch(fail('Cannot paint the selection'));
  } else if (d.tool === 'move') {
    const dx = Math.round(d.last.x - d.start.x);
    const dy = Math.round(d.last.y - d.start.y);
    state.lastGesture = { tool: 'move', points: [d.start.x, d.start.y, d.last.x, d.last.y], params: { dx, dy } };
    if (dx === 0 && dy === 0) return;
    edit((p) => p.setLayerProperties(d.layer.id, { x: d.layer.x + dx, y: d.layer.y + dy })).catch(fail('Cannot move the layer'));
  }
}

// ---------------------------------------------------------------- files

async function openFiles(files, { asLayers = false } = {}) {
  for (const [i, file] of files.entries()) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    // OpenRaster is a zip: by extension, or by its "PK" signature.
    if (/\.ora$/i.test(file.name) || (bytes[0] === 0x50 && bytes[1] === 0x4b)) await openProject(bytes, file.name);
    else if (!asLayers && i === 0) await openImage(bytes, file.name);
    else await addImageLayer(bytes, file.name);
  }
}

/** Calls `onFiles(files)` whenever files are chosen in the hidden picker `input`. */
function picker(input, onFiles) {
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    // Reset so choosing the same file again fires another change event.
    input.value = '';
    if (files.length) ui(null, () => onFiles(files))();
  });
}
picker($('#file-open'), (files) => openFiles(files));
picker($('#file-add-layer'), (files) => openFiles(files, { asLayers: true }));
picker($('#file-project'), async ([file]) => openProject(new Uint8Array(await file.arrayBuffer()), file.name));
picker($('#file-layer-mask'), async ([file]) => loadLayerMask(new Uint8Array(await file.arrayBuffer()), file.name));
$('#open-image').addEventListener('click', () => $('#file-open').click());
for (const button of document.querySelectorAll('[data-action=open-image]')) {
  button.addEventListener('click', () => $('#file-open').click());
}
$('#add-image').addEventListener('click', () => $('#file-add-layer').click());
$('#open-project').addEventListener('click', () => $('#file-project').click());
$('#save-project').addEventListener('click', ui('Cannot save the project', saveProject));
$('#export').addEventListener('click', ui('Cannot export', exportImage));

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
    // On an open document, dropped images become layers.
    if (files.length) ui(null, () => openFiles(files, { asLayers: asLayers || Boolean(state.project) }))();
  });
}
dropTarget($('#stage'), { asLayers: false });
dropTarget($('.layers-panel'), { asLayers: true });
// A file dropped anywhere else must not navigate away from the document.
window.addEventListener('dragover', (event) => hasFiles(event) && event.preventDefault());
window.addEventListener('drop', (event) => hasFiles(event) && event.preventDefault());

// ---------------------------------------------------------------- keyboard

window.addEventListener('keydown', (event) => {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  const typing = event.target instanceof HTMLElement && event.target.matches('input:not([type=checkbox]), select, textarea');
  const run = (label, fn) => {
    event.preventDefault();
    ui(label, fn)();
  };
  if (mod && !typing) {
    if (key === 'z' && !event.shiftKey) return state.project && run('Cannot undo', undo);
    if ((key === 'z' && event.shiftKey) || key === 'y') return state.project && run('Cannot redo', redo);
    if (key === 'a') return state.project && run('Cannot select', () => selection.all());
    if (key === 'd') return state.project && run('Cannot deselect', () => selection.none());
    if (key === 'i' && event.shiftKey) return state.project && run('Cannot invert', () => selection.invert());
    if (key === 'e' && !event.shiftKey) return state.project && $('#layer-merge').click();
  }
  if (mod) {
    if (key === 's' && event.shiftKey) return state.project && run('Cannot export', exportImage);
    if (key === 's') return state.project && run('Cannot save the project', saveProject);
    if (key === 'o') {
      event.preventDefault();
      return $('#file-open').click();
    }
    return;
  }
  if (typing || event.altKey) return;
  if (key === '0') viewer.fit();
  else if (key === '1') viewer.actualSize();
  else if (key === '+' || key === '=') viewer.zoomIn();
  else if (key === '-') viewer.zoomOut();
  else if (key === 'v') setTool('move');
  else if (key === 'm') setTool(event.shiftKey ? 'ellipse' : 'rectangle');
  else if (key === 'l') setTool('lasso');
  else if (key === 'w') setTool('wand');
  else if (key === 'r') setTool('color_range');
  else if (key === 'b') setTool('brush');
  else if (key === 'g' && generatePanel && !$('#goto-generate').disabled) {
    event.preventDefault(); // the G must not land in the prompt
    generatePanel.focus();
  }
  else if ((key === '[' || key === ']') && state.tool === 'brush') {
    const brush = toolControls.get('brush');
    const size = brush.values().diameter;
    brush.set({ diameter: key === ']' ? Math.ceil(size * 1.25) : Math.floor(size / 1.25) });
  }
});

// ---------------------------------------------------------------- autosave

const autosave = createAutosave({
  snapshot: async () => {
    while (running) await running;
    await selection.settled();
    while (running) await running;
    const project = state.project;
    if (!project) return null;
    return {
      ora: project.toOra(),
      name: state.name,
      activeId: state.activeId,
      selection: selection.mask ? selection.mask.encodePng() : null,
    };
  },
  onSaved: (record) => {
    $('#autosave-state').textContent = `Autosaved ${new Date(record.savedAt).toLocaleTimeString()}`;
  },
  onError: (error) => {
    $('#autosave-state').textContent = 'Autosave failed';
    showError('Autosave failed', error);
  },
});
// Last chance when the tab goes away (the save may or may not finish).
window.addEventListener('pagehide', () => autosave.pending && autosave.flush());
document.addEventListener('visibilitychange', () => document.hidden && autosave.pending && autosave.flush());

async function recover() {
  let record;
  try {
    record = await autosave.load();
  } catch (error) {
    showError('Cannot read the autosaved project', error);
    return false;
  }
  if (!record) return false;
  try {
    await openProject(record.ora, record.name, { recovered: true, activeId: record.activeId });
    if (record.selection) {
      const mask = Mask.decode(record.selection);
      if (mask.width === state.project.width && mask.height === state.project.height) selection.setValues(mask.values(), 'Recovered selection');
      mask.free();
    }
  } catch (error) {
    showError('The autosaved project could not be opened', error);
    return false;
  }
  const when = new Date(record.savedAt);
  state.recovered = { name: record.name, savedAt: record.savedAt };
  $('#recovery-text').textContent = `“${record.name || 'Untitled'}”, autosaved ${when.toLocaleString()}.`;
  $('#recovery').hidden = false;
  setStatus(`Recovered project “${record.name || 'Untitled'}”`, 'ok');
  return true;
}

function hideRecovery() {
  $('#recovery').hidden = true;
}

async function startFresh() {
  hideRecovery();
  while (running) await running;
  await autosave.clear();
  setProject(null);
  state.recovered = null;
  $('#autosave-state').textContent = '';
  setStatus('Started fresh: the recovered project was discarded', 'info');
}

$('#recovery-keep').addEventListener('click', hideRecovery);
$('#start-fresh').addEventListener('click', ui('Cannot start fresh', startFresh));

// ---------------------------------------------------------------- samples

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadSamples() {
  setStatus('Loading samples…', 'busy');
  try {
    const [base, layer, mask] = await Promise.all([SAMPLES.base, SAMPLES.layer, SAMPLES.mask].map(fetchBytes));
    await openImage(base, 'sunset.png');
    await addImageLayer(layer, 'bokeh.png', { mask: Mask.decode(mask), props: { mode: 'screen', opacity: 0.85 } });
    setStatus('Opened the samples: a sunset with a light layer in Screen mode through its mask', 'ok');
  } catch (error) {
    showError('Cannot load the samples', error);
  }
}

for (const button of document.querySelectorAll('#load-samples, [data-action=load-samples]')) {
  button.addEventListener('click', loadSamples);
}

// ---------------------------------------------------------------- engine

const backendSelect = $('#backend-select');

async function useBackend(choice) {
  const generation = ++engineGeneration;
  backendSelect.disabled = true;
  $('#backend').textContent = 'starting…';
  $('#backend').dataset.backend = '';
  let engine;
  let fallbackError = null;
  try {
    engine = await createEngine(choice);
  } catch (error) {
    if (choice === 'cpu') throw error;
    fallbackError = error;
    engine = await createEngine('cpu');
  }
  if (generation !== engineGeneration) {
    engine.free();
    return;
  }
  const old = state.engine;
  await settled();
  state.engine = engine;
  old?.free();
  backendSelect.value = choice;
  backendSelect.disabled = false;
  showBackend(engine);
  // Keep the choice in the address so a reload or a shared link keeps it.
  const url = new URL(location.href);
  if (choice === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', choice);
  if (url.href !== location.href) history.replaceState(null, '', url);
  if (fallbackError) {
    showError('WebGPU is unavailable, running on the CPU', fallbackError);
  } else {
    setStatus(`Engine ready: ${engine.backend === 'gpu' ? 'WebGPU' : 'CPU (WebAssembly)'}`, 'info');
  }
  await scheduleRender();
}

backendSelect.addEventListener('change', () => {
  useBackend(backendSelect.value).catch((error) => showError('Cannot start the engine', error));
});

function requestedBackend() {
  const value = new URLSearchParams(location.search).get('backend');
  if (value === null || value === '') return { choice: 'auto' };
  const choice = value.toLowerCase();
  if (BACKENDS.includes(choice)) return { choice };
  return { choice: 'auto', warning: `Unknown backend “${value}” in the address (use auto, gpu or cpu); using auto.` };
}

// ---------------------------------------------------------------- generate fill

/** The composite and a copy of the selection, as the core plans a provider job from them. */
async function generationSnapshot() {
  while (running) await running;
  await selection.settled();
  while (running) await running;
  const project = requireProject();
  project.renderCpu();
  const image = Image.fromRgba(project.width, project.height, project.compositeRegion(0, 0, project.width, project.height));
  const mask = selection.mask;
  return { image, selection: mask ? Mask.fromValues(project.width, project.height, mask.values()) : null, project };
}

/**
 * Adds an accepted variant on top of the stack: one history step, undone as one. An outpaint's
 * variant (`extend`: the sides) grows the canvas in that same step.
 */
async function acceptGenerated(result) {
  const props = { name: result.name, x: result.offsetX, y: result.offsetY };
  const { extend } = result;
  const id = await edit((p) =>
    extend ? p.extendCanvasWithLayer(extend.left, extend.top, extend.right, extend.bottom, result.layer, props) : p.addLayer(result.layer, props),
  );
  state.activeId = id;
  refreshPanels();
  await settled();
  // Provenance travels with the layer (saved in the .ora and the autosave);
  // set once the render that holds the project is done.
  state.project.setProvenance(id, result.provenanceJson);
  autosave.schedule();
  return id;
}

/** The canvas area a staged variant is previewed on, to restore it afterwards. */
let previewed = null;

/** Shows a variant's pixels on the canvas (display only), or restores the document's with null. */
function previewGenerated(region) {
  (async () => {
    while (running) await running;
    const project = state.project;
    if (!project) return;
    if (previewed && (!region || region.x !== previewed.x || region.y !== previewed.y || region.width !== previewed.width || region.height !== previewed.height)) {
      const { x, y, width, height } = previewed;
      if (x + width <= project.width && y + height <= project.height) viewer.putRegion(x, y, width, height, project.compositeRegion(x, y, width, height));
    }
    previewed = region ? { x: region.x, y: region.y, width: region.width, height: region.height } : null;
    // The quick mask would hide the variant: off while previewing.
    viewer.showOverlay(!region && $('#show-overlay').checked);
    if (region && region.x + region.width <= project.width && region.y + region.height <= project.height) {
      viewer.putRegion(region.x, region.y, region.width, region.height, region.data);
    }
  })().catch((error) => showError('Cannot preview', error));
}

function buildGeneratePanel() {
  generatePanel = createGeneratePanel($('#generate'), {
    wasm: { manifests, planProviderJob, ingestProviderResult, planOutpaintJob, ingestOutpaintResult, mockProviderAnswer, Image, Project },
    snapshot: generationSnapshot,
    accept: acceptGenerated,
    canRun: (extend) => Boolean(state.project && (extend || selection.mask)),
    isCurrent: (project) => project === state.project,
    activeLayerId: () => state.activeId,
    /** The layer's name, or null when there is no such layer (e.g. undone). */
    layerName: (id) => state.layers.find((l) => l.id === id)?.name ?? null,
    /** A layer's provenance JSON from the document (also after reopening), or null. */
    provenance: (id) => {
      // Not while a render holds the project; a layer that is gone has none.
      if (running || !state.project || !state.layers.some((l) => l.id === id)) return null;
      try {
        return state.project.provenance(id) ?? null;
      } catch {
        return null;
      }
    },
    /** What the brand kit attaches to a job on `project`, or null (see ui/brandkit.js). */
    brandKit: (project) => brandKitPanel.forJob(project),
    setStatus,
    download,
    preview: previewGenerated,
    onReady: (ready) => ($('#goto-generate').disabled = !ready),
  });
  $('#goto-generate').addEventListener('click', () => generatePanel.focus());
}

// ---------------------------------------------------------------- upscale

function requireEngine() {
  if (!state.engine) throw new Error('the engine is not ready');
  return state.engine;
}

/** RGBA of a rectangle of the rendered composite. */
function compositeCrop(project, r) {
  return { width: r.width, height: r.height, data: project.compositeRegion(r.x, r.y, r.width, r.height) };
}

/** `r` scaled by (sx, sy) and kept inside `bounds` ({ width, height }). */
function scaledRect(r, sx, sy, bounds) {
  const x = Math.min(Math.round(r.x * sx), bounds.width - 1);
  const y = Math.min(Math.round(r.y * sy), bounds.height - 1);
  return {
    x,
    y,
    width: Math.max(1, Math.min(Math.round(r.width * sx), bounds.width - x)),
    height: Math.max(1, Math.min(Math.round(r.height * sy), bounds.height - y)),
  };
}

/** Image Size by the panel's parameters; returns the before/after crops for the view. */
async function upscaleImage(params) {
  await settled();
  const project = requireProject();
  const old = { width: project.width, height: project.height };
  const source = compareWindow({ x: 0, y: 0, ...old }, params.scale);
  const before = compositeCrop(project, source);
  selectionScalesWithCanvas = true;
  await editAsync((p) => p.resizeImage(requireEngine(), params)).finally(() => (selectionScalesWithCanvas = false));
  await settled();
  const now = { width: project.width, height: project.height };
  const after = compositeCrop(project, scaledRect(source, now.width / old.width, now.height / old.height, now));
  return { before, after, label: `Image size ${old.width}×${old.height} → ${now.width}×${now.height}` };
}

/** Upscale Region on the selection's box; returns the new layer's id and the before/after crops. */
async function upscaleSelection(params) {
  await settled();
  const project = requireProject();
  const box = selection.mask?.bounds();
  if (!box) throw new Error('select a region first');
  const source = compareWindow(box, params.scale);
  const before = compositeCrop(project, source);
  const id = await editAsync((p) => p.upscaleRegion(requireEngine(), box.x, box.y, box.width, box.height, params));
  state.activeId = id;
  refreshPanels();
  await settled();
  const layer = state.layers.find((l) => l.id === id);
  const local = { x: source.x - box.x, y: source.y - box.y, width: source.width, height: source.height };
  const r = scaledRect(local, layer.width / box.width, layer.height / box.height, layer);
  const after = { width: r.width, height: r.height, data: project.layerRegion(id, r.x, r.y, r.width, r.height) };
  return { before, after, layerId: id, label: `Selection ${box.width}×${box.height} → new layer ${layer.width}×${layer.height}` };
}

/** Downloads a layer's pixels as PNG (e.g. an upscaled region, at its full resolution). */
async function saveLayerPng(id) {
  await settled();
  const project = requireProject();
  const layer = state.layers.find((l) => l.id === id);
  if (!layer) throw new Error('the layer is gone (undone or deleted)');
  const image = project.layerPixels(id);
  try {
    download(image.encodePng(), `${stem(state.name)}-${stem(layer.name).replace(/[^\w.-]+/g, '-')}.png`, 'image/png');
  } finally {
    image.free();
  }
  setStatus(`Saved “${layer.name}” (${layer.width}×${layer.height}) as PNG`, 'ok');
}

function buildUpscalePanel() {
  const resize = manifests().find((m) => m.id === 'retouch.resize');
  if (!resize) throw new Error('the core has no “retouch.resize” plugin');
  upscalePanel = createUpscalePanel($('#upscale'), resize.params, {
    upscaleImage,
    upscaleSelection,
    undo,
    saveLayer: saveLayerPng,
    hasDocument: () => Boolean(state.project),
    canUpscaleSelection: () => Boolean(selection.mask),
    setStatus,
  });
}

function buildBrandKitPanel() {
  brandKitPanel = createBrandKitPanel($('#brandkit'), {
    project: () => state.project,
    // A GPU render holds the document; refreshPanels comes again when it is done.
    busy: () => Boolean(running),
    edit: async (fn) => {
      const result = await edit(fn);
      await settled();
      return result;
    },
    setStatus,
  });
}

// ---------------------------------------------------------------- start-up

function buildControls() {
  const all = manifests();
  const byId = (id) => {
    const m = all.find((x) => x.id === id);
    if (!m) throw new Error(`the core has no “${id}” plugin`);
    return m;
  };
  // Layer properties: the composite's parameters that a layer carries.
  const composite = byId(COMPOSITE_ID);
  const layerParams = composite.params.filter((p) => LAYER_PARAMS.includes(p.id));
  modeLabels = new Map(layerParams.find((p) => p.id === 'mode').values.map((v) => [v.value, v.label]));
  layerControls = buildParamControls($('#layer-props'), layerParams, (values, { final }) => {
    if (!final || state.activeId === null) return;
    const id = state.activeId;
    ui('Cannot change the layer', () => edit((p) => p.setLayerProperties(id, { mode: values.mode, opacity: values.opacity })))();
  });

  // One form per tool, kept while switching so values stay.
  const host = $('#tool-params');
  for (const [tool, info] of Object.entries(TOOLS)) {
    const wrap = document.createElement('div');
    wrap.dataset.tool = tool;
    host.append(wrap);
    const params = info.manifest ? byId(info.manifest).params ?? [] : [];
    const controls = buildParamControls(wrap, params, () => {});
    controls.host = wrap;
    toolControls.set(tool, controls);
  }
  // Colour range also has a button for the colour picked in its controls.
  const rangeButton = document.createElement('button');
  rangeButton.type = 'button';
  rangeButton.className = 'small wide';
  rangeButton.id = 'color-range-apply';
  rangeButton.textContent = 'Select this colour';
  rangeButton.addEventListener(
    'click',
    ui('Cannot select the colour range', () => {
      const values = toolValues('color_range');
      return selection.colorRange({ color: values.color, fuzziness: values.fuzziness, mode: values.mode });
    }),
  );
  toolControls.get('color_range').host.append(rangeButton);

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
    apply.title = m.description ?? m.name;
    apply.disabled = true;
    apply.addEventListener('click', ui(`Cannot ${button.toLowerCase()}`, () => selection.modify(op, controls.values()[param])));
    row.append(form, apply);
    $('#modify').append(row);
    modifierControls.set(op, controls);
  }
}

async function start() {
  await init();
  $('#version').textContent = `v${version()}`;
  buildControls();
  buildGeneratePanel();
  buildUpscalePanel();
  buildBrandKitPanel();
  setTool('rectangle');
  refreshPanels();
  const { choice, warning } = requestedBackend();
  await useBackend(choice);
  if (warning) setStatus(warning, 'error');
  await recover();
}

const ready = start().catch((error) => {
  showError('Retouch could not start', error);
  showBackend(null);
  throw error;
});

// ---------------------------------------------------------------- test hook

function requireProject() {
  if (!state.project) throw new Error('no document is open');
  return state.project;
}

/** Composite parameters of the active layer, as the old composite page named them. */
function activeParams() {
  const layer = activeLayer();
  if (!layer) return {};
  return { mode: layer.mode, opacity: layer.opacity, offsetX: layer.x, offsetY: layer.y };
}

// A small, stable surface for automated tests and embedding hosts.
window.retouchApp = {
  /** Resolves once the engine and the controls are up (rejects if start-up failed). */
  ready,
  /** Resolves once no render or selection change is pending. */
  settled,
  /** "gpu" or "cpu", the backend in use. */
  backend: () => state.engine?.backend ?? null,
  /** The adapter description (or why the CPU is used). */
  adapter: () => state.engine?.adapter ?? null,
  /** Recreates the engine: "auto", "gpu" or "cpu". */
  setBackend: async (choice) => {
    await ready;
    if (!BACKENDS.includes(choice)) throw new Error(`unknown backend “${choice}”`);
    await useBackend(choice);
  },
  loadSamples,

  // Documents and files.
  /** Opens image bytes as a new document. */
  openImage: async (bytes, name) => (await ready, openImage(bytes, name)),
  /** Adds image bytes as a layer (optional mask bytes for it); returns its id. */
  async addImageLayer(bytes, name, maskBytes) {
    await ready;
    await addImageLayer(bytes, name, { mask: maskBytes ? Mask.decode(toBytes(maskBytes)) : undefined });
    return state.activeId;
  },
  /** The old composite page's call: a document of `base` with `layer` (and its mask) above. */
  async loadImages(baseBytes, layerBytes, maskBytes) {
    await ready;
    const base = decodeImage(baseBytes, 'base.png');
    base.free();
    if (layerBytes != null) decodeImage(layerBytes, 'layer.png').free();
    await openImage(baseBytes, 'base.png');
    if (layerBytes != null) {
      await addImageLayer(layerBytes, 'layer.png', {
        mask: maskBytes != null ? Mask.decode(toBytes(maskBytes)) : undefined,
        props: { x: 0, y: 0 },
      });
    }
    await settled();
  },
  /** Sets the active layer's mode, opacity and offset (offsetX, offsetY) in one history entry. */
  async setParams(params) {
    await ready;
    const { mode, opacity, offsetX, offsetY, ...rest } = params;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')} (a layer has mode, opacity, offsetX, offsetY)`);
    const id = state.activeId;
    const patch = {};
    if (mode !== undefined) patch.mode = mode;
    if (opacity !== undefined) patch.opacity = opacity;
    if (offsetX !== undefined) patch.x = offsetX;
    if (offsetY !== undefined) patch.y = offsetY;
    await edit((p) => p.setLayerProperties(id, patch));
    await settled();
  },
  /** The active layer's composite parameters. */
  params: () => activeParams(),
  /** The composite on screen, as the core rendered it; rejects with the last render error. */
  async resultRgba() {
    await ready;
    await settled();
    if (state.error) throw state.error;
    const p = requireProject();
    return { width: p.width, height: p.height, data: p.compositeRegion(0, 0, p.width, p.height) };
  },
  openProject: async (bytes, name) => (await ready, openProject(bytes, name)),
  /** The project as .ora bytes. */
  projectBytes: async () => {
    await settled();
    return projectBytes();
  },
  /** The composite encoded as "png", "jpeg" or "webp" ({ quality, longEdge }). */
  exportBytes: async (format, options) => {
    await settled();
    return exportBytes(format, options);
  },
  /** The document's size, or null. */
  size: () => (state.project ? { width: state.project.width, height: state.project.height } : null),

  // Layers and history.
  /** The layers as the panel shows them (bottom first), safe to call while the GPU renders. */
  layers: () => (state.project ? state.layers : []),
  activeLayerId: () => state.activeId,
  selectLayer: (id) => selectLayer(id),
  /** Runs `fn(project)` as a document edit (panels, render and autosave follow). */
  edit: async (fn) => {
    const result = await edit(fn);
    await settled();
    return result;
  },
  /** The history as the panel shows it ({ entries, position, bytes, budget, droppedTotal }). */
  history: () => (state.project ? state.history : null),
  undo,
  redo,
  jumpTo,

  // Tools and the selection.
  setTool: (tool) => setTool(tool),
  tool: () => state.tool,
  /** Sets the current (or named) tool's manifest parameters. */
  setToolParams(params, tool = state.tool) {
    const unknown = toolControls.get(tool).set(params);
    if (unknown.length) throw new Error(`unknown parameter(s) for ${tool}: ${unknown.join(', ')}`);
  },
  toolParams: (tool) => toolValues(tool),
  /** The selection's coverage bytes (canvas-sized), or null when there is none. */
  selectionValues: async () => {
    await settled();
    return selection.values();
  },
  /** Runs a selection tool directly: rectangle, ellipse, lasso, wand, colorRange, brush. */
  select: async (tool, params) => {
    const fn = { rectangle: 'rectangle', ellipse: 'ellipse', lasso: 'lasso', wand: 'wand', colorRange: 'colorRange', brush: 'brush' }[tool];
    if (!fn) throw new Error(`unknown selection tool “${tool}”`);
    const result = await selection[fn](params);
    await settled();
    return result;
  },
  /** feather | grow | shrink | border | smooth with its value, invert, all or none. */
  modifySelection: async (op, value) => {
    if (op === 'invert' || op === 'all' || op === 'none') await selection[op]();
    else await selection.modify(op, value);
    await settled();
  },
  /** Makes the selection the active layer's mask. */
  selectionToMask: () => addMask({ fromSelection: true }),
  /** The last canvas gesture ({ tool, points, params }) in image coordinates. */
  lastGesture: () => state.lastGesture,
  /** Image coordinates → page (client) coordinates, to drive the pointer. */
  clientPoint: (x, y) => viewer.clientPoint(x, y),
  /** The overlay canvas's pixels (display only). */
  overlayRgba() {
    const c = viewer.overlay;
    return c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  },

  // Autosave.
  /** Saves now if a change waits; resolves when it is stored. */
  flushAutosave: async () => {
    await settled();
    await autosave.flush();
  },
  /** Whether a change waits to be autosaved. */
  autosavePending: () => autosave.pending,
  /** { name, savedAt } of the project recovered at start-up, or null. */
  recovered: () => state.recovered,
  startFresh,

  // Upscale.
  upscale: {
    /** Sets the panel's parameters by manifest id (filter, scale, sharpness, linear_light), then upscales the image ('image') or the selection's box into a new layer ('selection'). */
    run: async (kind, params = {}) => {
      await ready;
      const unknown = upscalePanel.set(params);
      if (unknown?.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
      return upscalePanel.run(kind);
    },
    /** { busy, last: { kind, params, before, after, layerId, label }, compareOpen }. */
    state: () => upscalePanel.state(),
    closeCompare: () => upscalePanel.closeCompare(),
  },
  // Brand kit.
  /** { attach, style, palette, references } as the Brand kit panel shows them. */
  brandKit: () => brandKitPanel.state(),

  // Generate fill.
  generation: {
    /** Runs the panel as it is filled in; resolves when the run ended (staged, failed, cancelled). */
    run: async () => (await ready, generatePanel.run()),
    cancel: () => generatePanel.cancel(),
    /** Accepts variant `index` as a new layer; resolves to its id. */
    accept: (index) => generatePanel.accept(index),
    discard: () => generatePanel.discard(),
    /** { running, provider, error, variants: [{name, offsetX, offsetY, width, height, metrics, provenance}], plan, lastAccepted }. */
    state: () => generatePanel.state(),
    /** Resolves once no generation runs. */
    settled: () => generatePanel.settled(),
    /** { mockLatencyMs, policy } (the bridge's retry policy). */
    setOptions: (patch) => generatePanel.setOptions(patch),
    /** The provenance sidecar of a generated layer, or null. */
    provenanceJson: (id) => generatePanel.provenanceJson(id),
  },
};
