// The Upscale panel and its before/after view. The panel only gathers the
// parameters and calls back into the app (which runs the core's Image Size or
// Upscale Region command, or the AI upscaler in a worker, whose tiles it shows
// on a progress bar with Cancel); the view shows two crops the core returned,
// stacked, with a divider the user drags. No pixel math here: the browser
// scales the "before" crop for display, exactly as it would when zooming.

import { buildParamControls } from './params.js';

/**
 * Builds the panel in `root` from the resize manifest's `params` (filter,
 * scale, sharpness, linear light), starting on the edge-adaptive upscaler.
 * `actions`: `{ upscaleImage(params, onProgress), upscaleSelection(params, onProgress),
 * upscaleSelectionToFile(params, onProgress), cancel(), undo(), saveLayer(id),
 * canUpscaleSelection(), hasDocument(), setStatus(text, kind) }`; the upscale actions
 * resolve to `{ before: {width, height, data}, after: {width, height, data}, label,
 * layerId?, device? }`, and an AI one reports its tiles through `onProgress({ done, total })`
 * and rejects with `Cancelled` when cancelled.
 */
export function createUpscalePanel(root, manifestParams, actions) {
  const $ = (selector) => root.querySelector(selector);
  const controls = buildParamControls($('#upscale-params'), manifestParams, () => refresh());
  controls.set({ filter: 'edge' });
  const imageButton = $('#upscale-image');
  const selectionButton = $('#upscale-selection');
  const fileButton = $('#upscale-file');
  const dialog = document.querySelector('#compare');
  const stack = dialog.querySelector('.compare-stack');
  const beforeCanvas = dialog.querySelector('#compare-before');
  const afterCanvas = dialog.querySelector('#compare-after');
  const split = dialog.querySelector('#compare-split');
  const pixels = dialog.querySelector('#compare-pixels');
  const progressRow = $('#upscale-progress');
  const progressBar = progressRow.querySelector('progress');
  const progressLabel = progressRow.querySelector('.upscale-progress-label');
  let busy = false;
  let last = null;
  /** The AI upscale's tiles `{ done, total }` while one runs, else null. */
  let progress = null;

  /** The wasm resize parameters: { filter, scale, sharpness, linearLight }. */
  const params = () => controls.apiValues();

  function refresh() {
    const has = actions.hasDocument();
    imageButton.disabled = busy || !has;
    selectionButton.disabled = busy || !has || !actions.canUpscaleSelection();
    fileButton.disabled = selectionButton.disabled;
    root.dataset.state = busy ? 'running' : 'idle';
  }

  function showProgress(next) {
    progress = next;
    progressRow.hidden = !next;
    if (!next) return;
    progressBar.value = next.total ? next.done / next.total : 0;
    progressLabel.textContent = `${next.done} / ${next.total} tiles`;
  }

  function draw(canvas, crop) {
    canvas.width = crop.width;
    canvas.height = crop.height;
    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength), crop.width, crop.height), 0, 0);
  }

  function showCompare(result) {
    draw(beforeCanvas, result.before);
    draw(afterCanvas, result.after);
    stack.style.aspectRatio = `${result.after.width} / ${result.after.height}`;
    stack.style.maxWidth = `${result.after.width}px`;
    dialog.querySelector('#compare-title').textContent = result.label;
    dialog.querySelector('#compare-save').hidden = result.layerId == null;
    // A new file leaves the document as it was: nothing to undo.
    dialog.querySelector('#compare-undo').hidden = Boolean(result.file);
    split.value = '50';
    setSplit();
    if (!dialog.open) dialog.showModal();
  }

  function setSplit() {
    stack.style.setProperty('--split', `${split.value}%`);
  }

  async function run(kind) {
    if (busy) throw new Error('an upscale is already running');
    const p = params();
    busy = true;
    refresh();
    const runs = { image: actions.upscaleImage, selection: actions.upscaleSelection, file: actions.upscaleSelectionToFile };
    if (!runs[kind]) throw new Error(`unknown upscale “${kind}” (image, selection or file)`);
    const ai = p.filter === 'esrgan';
    actions.setStatus(`${ai ? 'AI-upscaling' : 'Upscaling'} the ${kind === 'image' ? 'image' : 'selection'}…`, 'info');
    if (ai) showProgress({ done: 0, total: 0 });
    try {
      const result = await runs[kind](p, ai ? showProgress : undefined);
      last = {
        kind,
        params: p,
        before: { width: result.before.width, height: result.before.height },
        after: { width: result.after.width, height: result.after.height },
        layerId: result.layerId ?? null,
        file: result.file ?? null,
        // Where an AI upscale ran ("gpu": the worker's WebGPU device, "cpu"); null otherwise.
        device: result.device ?? null,
        label: result.label,
      };
      showCompare(result);
      return last;
    } finally {
      busy = false;
      showProgress(null);
      refresh();
    }
  }

  /** Stops a running AI upscale; the document stays as it was. */
  function cancel() {
    if (progress) actions.cancel();
  }

  const report = (label, fn) => () =>
    fn().catch((error) =>
      error?.name === 'Cancelled'
        ? actions.setStatus('Upscale cancelled: nothing was changed', 'info')
        : actions.setStatus(`${label}: ${error instanceof Error ? error.message : error}`, 'error'),
    );
  imageButton.addEventListener('click', report('Cannot upscale the image', () => run('image')));
  selectionButton.addEventListener('click', report('Cannot upscale the selection', () => run('selection')));
  fileButton.addEventListener('click', report('Cannot upscale the selection', () => run('file')));
  $('#upscale-cancel').addEventListener('click', cancel);
  split.addEventListener('input', setSplit);
  pixels.addEventListener('change', () => stack.classList.toggle('pixelated', pixels.checked));
  dialog.querySelector('#compare-keep').addEventListener('click', () => dialog.close());
  dialog.querySelector('#compare-save').addEventListener('click', report('Cannot save the layer', async () => actions.saveLayer(last.layerId)));
  dialog.querySelector('#compare-undo').addEventListener('click', report('Cannot undo', async () => {
    dialog.close();
    await actions.undo();
  }));
  refresh();

  return {
    refresh,
    /** Sets manifest parameters by id (filter, scale, sharpness, linear_light); returns unknown ids. */
    set: (values) => controls.set(values),
    /** Upscales the image ('image'), the selection's box into a new layer ('selection') or a new file ('file'); resolves to the result's summary. */
    run,
    /** Stops a running AI upscale (its run rejects with `Cancelled`); the document stays as it was. */
    cancel,
    /** { busy, last, compareOpen, progress: { done, total } while an AI upscale runs } for tests and hosts. */
    state: () => ({ busy, last, compareOpen: dialog.open, progress }),
    closeCompare: () => dialog.open && dialog.close(),
  };
}
