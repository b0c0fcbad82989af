// Retouch editor shell: wires files, controls and the view to the wasm core.
// Every pixel is computed by the core (./pkg/retouch.js); this file only moves
// bytes between the page and the core and shows the core's results.

import init, { createEngine, manifests, version, Image, Mask } from './pkg/retouch.js';
import { buildParamControls } from './ui/params.js';
import { createSlot, hasFiles } from './ui/slots.js';
import { createViewer } from './ui/viewer.js';

const COMPOSITE_ID = 'retouch.composite';
const BACKENDS = ['auto', 'gpu', 'cpu'];
const SAMPLES = { base: 'samples/base.png', layer: 'samples/layer.png', mask: 'samples/mask.png' };

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------- state

const state = {
  engine: null,
  /** @type {{ image: Image, name: string } | null} */
  base: null,
  /** @type {{ image: Image, name: string } | null} */
  layer: null,
  /** Coverage bytes of the mask, wrapped in a Mask for each composite. */
  mask: null,
  /** @type {Image | null} the last successful composite */
  result: null,
  /** @type {Error | null} why the last composite failed */
  error: null,
  offset: { x: 0, y: 0 },
  seed: 0,
};

let controls = null; // manifest-built parameter controls
let pendingNotice = null; // said once, after the next composite
let engineGeneration = 0;

// ---------------------------------------------------------------- status

const statusEl = $('#status');

function setStatus(text, kind = 'info') {
  statusEl.textContent = text;
  statusEl.dataset.kind = kind;
  statusEl.classList.toggle('error', kind === 'error');
  statusEl.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

function showError(prefix, error) {
  const message = error instanceof Error ? error.message : String(error);
  setStatus(prefix ? `${prefix}: ${message}` : message, 'error');
  console.error(prefix ?? 'Retouch', error);
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
  canvas: $('#result'),
  zoomLabel: $('#zoom'),
  onDrag: (dx, dy, phase) => {
    if (!state.layer) return;
    if (phase === 'start') dragOrigin = { ...state.offset };
    if (!dragOrigin) return;
    setOffset(dragOrigin.x + dx, dragOrigin.y + dy);
    if (phase === 'end') dragOrigin = null;
  },
});
let dragOrigin = null;

$('#zoom-in').addEventListener('click', () => viewer.zoomIn());
$('#zoom-out').addEventListener('click', () => viewer.zoomOut());
$('#zoom-fit').addEventListener('click', () => viewer.fit());
$('#zoom-100').addEventListener('click', () => viewer.actualSize());

function updateChrome() {
  const base = state.base?.image;
  $('#doc-info').textContent = base ? `${base.width} × ${base.height} px` : '';
  $('#export').disabled = !state.result;
  document.body.classList.toggle('has-layer', Boolean(state.layer));
}

// ---------------------------------------------------------------- compositing

// Runs are serialised and coalesced: edits during a run cause exactly one more
// run with the latest values.
let dirty = false;
let running = null;

function scheduleComposite() {
  dirty = true;
  if (!running) {
    running = (async () => {
      while (dirty) {
        dirty = false;
        await compositeOnce();
      }
    })().finally(() => {
      running = null;
      if (dirty) scheduleComposite();
    });
  }
  return settled();
}

/** Resolves once no composite is pending or running. */
async function settled() {
  while (running) await running;
}

function compositeParams() {
  return {
    ...(controls ? controls.apiValues() : {}),
    offsetX: state.offset.x,
    offsetY: state.offset.y,
    seed: state.seed,
  };
}

async function compositeOnce() {
  const { engine, base, layer } = state;
  if (!engine || !base) {
    dropResult();
    if (!base) viewer.clear();
    updateChrome();
    return;
  }
  if (!layer) {
    // Nothing to blend yet: show the backdrop as it is.
    dropResult();
    state.error = null;
    viewer.show(base.image.width, base.image.height, base.image.rgba());
    updateChrome();
    return;
  }
  const params = compositeParams();
  const mask = state.mask ? Mask.fromValues(state.mask.width, state.mask.height, state.mask.values) : undefined;
  const started = performance.now();
  // Say so only when it takes long enough to notice (no flicker while dragging).
  const busy = setTimeout(() => setStatus('Compositing…', 'busy'), 250);
  try {
    const out = mask
      ? await engine.compositeMasked(base.image, layer.image, mask, params)
      : await engine.composite(base.image, layer.image, params);
    const ms = performance.now() - started;
    state.result?.free();
    state.result = out;
    state.error = null;
    viewer.show(out.width, out.height, out.rgba());
    $('#timing').textContent = `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms on ${engine.backend.toUpperCase()}`;
    const label = controls?.element('mode')?.selectedOptions?.[0]?.textContent ?? params.mode;
    const summary = `${label} · ${Math.round(params.opacity * 100)} %${state.mask ? ' · masked' : ''}`;
    setStatus(pendingNotice ? `${summary} · ${pendingNotice}` : summary, 'ok');
    pendingNotice = null;
  } catch (error) {
    dropResult();
    state.error = error instanceof Error ? error : new Error(String(error));
    // The inputs may have been replaced while the core was busy.
    const current = state.base?.image;
    if (current) viewer.show(current.width, current.height, current.rgba());
    showError('Cannot composite', error);
  } finally {
    mask?.free();
    clearTimeout(busy);
  }
  updateChrome();
}

function dropResult() {
  state.result?.free();
  state.result = null;
}

// ---------------------------------------------------------------- inputs

const slots = {
  base: createSlot(document.querySelector('[data-slot=base]'), {
    onFile: (file) => openFile('base', file),
  }),
  layer: createSlot(document.querySelector('[data-slot=layer]'), {
    onFile: (file) => openFile('layer', file),
    onClear: () => clearSlot('layer'),
  }),
  mask: createSlot(document.querySelector('[data-slot=mask]'), {
    onFile: (file) => openFile('mask', file),
    onClear: () => clearSlot('mask'),
  }),
};

function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(data);
  throw new TypeError('expected image bytes (Uint8Array or ArrayBuffer)');
}

const SNIFF = [
  [[0x89, 0x50, 0x4e, 0x47], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x52, 0x49, 0x46, 0x46], 'image/webp'],
];
function mimeOf(bytes, fallback) {
  for (const [magic, type] of SNIFF) if (magic.every((b, i) => bytes[i] === b)) return type;
  return fallback || 'application/octet-stream';
}

/**
 * Decodes `bytes` with the core into slot `kind` ("base", "layer" or "mask").
 * A bad file leaves the slot as it was and throws an Error naming the file.
 */
function loadInto(kind, bytes, name, type) {
  const data = toBytes(bytes);
  let entry;
  try {
    if (kind === 'mask') {
      const mask = Mask.decode(data);
      entry = { values: mask.values(), width: mask.width, height: mask.height, name };
      mask.free();
    } else {
      entry = { image: Image.decode(data), name };
    }
  } catch (error) {
    slots[kind].invalid(true);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open ${name ? `“${name}”` : `the ${slotLabel(kind)}`}: ${message}`);
  }
  const { width, height } = kind === 'mask' ? entry : entry.image;
  if (kind !== 'mask') state[kind]?.image.free();
  state[kind] = entry;
  if (kind === 'mask') pendingNotice = null;
  // A mask belongs to its layer: a new layer of another size drops it.
  if (kind === 'layer' && state.mask && (state.mask.width !== width || state.mask.height !== height)) {
    const { width: mw, height: mh } = state.mask;
    state.mask = null;
    slots.mask.empty();
    pendingNotice = `mask removed (${mw}×${mh} px; the new layer is ${width}×${height} px)`;
  }
  slots[kind].invalid(false);
  slots[kind].show({ fileName: name || `${kind}.png`, width, height, bytes: data, type: mimeOf(data, type) });
  return entry;
}

function slotLabel(kind) {
  return { base: 'backdrop', layer: 'layer', mask: 'mask' }[kind];
}

async function openFile(kind, file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    loadInto(kind, bytes, file.name, file.type);
    if (kind === 'base') viewer.fit();
    setStatus(`Opened ${file.name}`, 'info');
  } catch (error) {
    showError(null, error);
    return;
  }
  await scheduleComposite();
}

function clearSlot(kind) {
  if (kind === 'layer') state.layer?.image.free();
  state[kind] = null;
  slots[kind].empty();
  slots[kind].invalid(false);
  scheduleComposite();
}

// Files dropped on the view fill the slots: one file goes to the first empty
// of backdrop/layer (else replaces the layer); several go to backdrop, layer, mask.
const stage = $('#stage');
let stageDepth = 0;
stage.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  stageDepth++;
  stage.classList.add('dragover');
});
stage.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
stage.addEventListener('dragleave', () => {
  stageDepth = Math.max(0, stageDepth - 1);
  if (stageDepth === 0) stage.classList.remove('dragover');
});
stage.addEventListener('drop', async (event) => {
  event.preventDefault();
  stageDepth = 0;
  stage.classList.remove('dragover');
  const files = Array.from(event.dataTransfer?.files ?? []);
  if (files.length === 0) return;
  if (files.length === 1) {
    await openFile(!state.base ? 'base' : 'layer', files[0]);
    return;
  }
  const kinds = ['base', 'layer', 'mask'];
  for (const [i, file] of files.slice(0, 3).entries()) await openFile(kinds[i], file);
});
// A file dropped anywhere else must not navigate away from the document.
window.addEventListener('dragover', (event) => hasFiles(event) && event.preventDefault());
window.addEventListener('drop', (event) => hasFiles(event) && event.preventDefault());

// ---------------------------------------------------------------- position

const offsetX = $('#offset-x');
const offsetY = $('#offset-y');

function setOffset(x, y) {
  const clamp = (v) => Math.max(-16384, Math.min(16384, Math.trunc(v) || 0));
  state.offset = { x: clamp(x), y: clamp(y) };
  offsetX.value = String(state.offset.x);
  offsetY.value = String(state.offset.y);
  return scheduleComposite();
}

offsetX.addEventListener('change', () => setOffset(Number(offsetX.value), state.offset.y));
offsetY.addEventListener('change', () => setOffset(state.offset.x, Number(offsetY.value)));
$('#offset-reset').addEventListener('click', () => setOffset(0, 0));
$('#offset-center').addEventListener('click', () => {
  const { base, layer } = state;
  if (!base || !layer) return;
  setOffset(
    Math.round((base.image.width - layer.image.width) / 2),
    Math.round((base.image.height - layer.image.height) / 2),
  );
});

// ---------------------------------------------------------------- export

function exportPng() {
  if (!state.result) return;
  try {
    const bytes = state.result.encodePng();
    const stem = (state.base?.name || 'retouch').replace(/\.[^.]+$/, '') || 'retouch';
    const url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${stem}-composite.png`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Exported ${link.download} (${formatBytes(bytes.length)})`, 'ok');
  } catch (error) {
    showError('Cannot export', error);
  }
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

$('#export').addEventListener('click', exportPng);

window.addEventListener('keydown', (event) => {
  const mod = event.ctrlKey || event.metaKey;
  if (mod && event.key.toLowerCase() === 's') {
    event.preventDefault();
    exportPng();
    return;
  }
  const typing = event.target instanceof HTMLElement && event.target.matches('input, select, textarea');
  if (typing || mod || event.altKey) return;
  if (event.key === '0') viewer.fit();
  else if (event.key === '1') viewer.actualSize();
  else if (event.key === '+' || event.key === '=') viewer.zoomIn();
  else if (event.key === '-') viewer.zoomOut();
});

// ---------------------------------------------------------------- samples

async function loadSamples() {
  setStatus('Loading samples…', 'busy');
  try {
    const fetchBytes = async (url) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    };
    const [base, layer, mask] = await Promise.all(
      [SAMPLES.base, SAMPLES.layer, SAMPLES.mask].map(fetchBytes),
    );
    loadInto('base', base, 'sample-backdrop.png', 'image/png');
    loadInto('layer', layer, 'sample-layer.png', 'image/png');
    loadInto('mask', mask, 'sample-mask.png', 'image/png');
    viewer.fit();
  } catch (error) {
    showError('Cannot load the samples', error);
    return;
  }
  await setOffset(0, 0);
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
  await scheduleComposite();
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

// ---------------------------------------------------------------- start-up

async function start() {
  await init();
  $('#version').textContent = `v${version()}`;
  const manifest = manifests().find((m) => m.id === COMPOSITE_ID);
  if (!manifest) throw new Error(`the core has no “${COMPOSITE_ID}” plugin`);
  $('#op-name').textContent = manifest.name;
  $('#op-description').textContent = manifest.description;
  controls = buildParamControls($('#params'), manifest.params, () => scheduleComposite());
  $('#reset-params').addEventListener('click', () => controls.reset());

  const { choice, warning } = requestedBackend();
  await useBackend(choice);
  if (warning) setStatus(warning, 'error');
}

const ready = start().catch((error) => {
  showError('Retouch could not start', error);
  showBackend(null);
  throw error;
});

// ---------------------------------------------------------------- test hook

// A small, stable surface for automated tests and embedding hosts.
window.retouchApp = {
  /** Resolves once the engine and the controls are up (rejects if start-up failed). */
  ready,
  /** Decodes and sets the inputs (mask optional; null clears it), then composites. */
  async loadImages(baseBytes, layerBytes, maskBytes) {
    await ready;
    loadInto('base', baseBytes, 'base.png');
    if (layerBytes != null) loadInto('layer', layerBytes, 'layer.png');
    else if (state.layer) clearSlot('layer');
    if (maskBytes != null) loadInto('mask', maskBytes, 'mask.png');
    else if (state.mask) clearSlot('mask');
    viewer.fit();
    await scheduleComposite();
  },
  /** Sets parameters: manifest params (mode, opacity, linearLight) plus offsetX, offsetY, seed. */
  async setParams(params) {
    await ready;
    const { offsetX: x, offsetY: y, seed, ...rest } = params;
    const unknown = controls.set(rest);
    if (unknown.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
    if (seed !== undefined) state.seed = seed >>> 0;
    await setOffset(x ?? state.offset.x, y ?? state.offset.y);
  },
  /** The current parameters as passed to the core. */
  params: () => compositeParams(),
  /** The composite on screen, as the core produced it; rejects with the last error. */
  async resultRgba() {
    await ready;
    await settled();
    if (state.error) throw state.error;
    if (!state.result) throw new Error('no result: open a backdrop and a layer first');
    return { width: state.result.width, height: state.result.height, data: state.result.rgba() };
  },
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
  settled,
};
