// The Filter dialog of a third-party filter plugin: controls from its manifest
// (like every other panel), a live preview of a downscaled proxy of the area
// (the core cuts and blends it; the plugin runs in its worker), and Apply with a
// progress bar and Cancel. Apply asks the core for the layer crop the plugin
// reads, runs the plugin in a worker (terminated at its time limit or on
// Cancel, so the page stays responsive) and hands the result to the core,
// which writes it inside the selection as one history step.

import { buildParamControls } from './params.js';
import { Cancelled } from '../workers/plugin-runner.js';

const PREVIEW_DELAY_MS = 150;
/** The preview proxy's longest side, in pixels. */
const PROXY_SIDE = 240;

/**
 * @param {{ ctx: object, library: object, dialog: HTMLDialogElement,
 *   createRunner: () => object }} options
 */
export function createFilterDialog({ ctx, library, dialog, createRunner }) {
  const { session } = ctx;
  const $ = (selector) => dialog.querySelector(selector);
  const runner = createRunner();
  const previewRunner = createRunner();
  let open = null; // { plugin, layerId, controls }
  let timer = null;
  let previewing = Promise.resolve();
  let previewGeneration = 0;
  /**
   * The last apply's outcome, for tests and the host: { state: 'applied' | 'failed' | 'cancelled',
   * message }, and when applied the implementation that ran ("wgsl" on WebGPU, else "wasm").
   */
  let last = null;

  function showError(error) {
    $('.filter-error').textContent = error ? error.message ?? String(error) : '';
  }

  function setProgress(fraction, label) {
    const bar = $('.filter-progress');
    bar.hidden = fraction === null;
    if (fraction !== null) {
      $('.filter-progress progress').value = fraction;
      $('.filter-progress-label').textContent = label ?? `${Math.round(fraction * 100)}%`;
    }
  }

  function values() {
    return open.controls.values();
  }

  /** The page engine's backend: on "gpu" a plugin's WGSL shader runs on WebGPU. */
  const backend = () => session.state.engine?.backend ?? 'cpu';

  function describe(plugin) {
    const { manifest, limits } = plugin;
    $('.filter-title').textContent = manifest.name;
    const memory = limits.memoryMiB === null ? 'WebGPU only' : `${limits.memoryMiB} MiB`;
    $('.filter-about').textContent = [manifest.author && `by ${manifest.author}`, `v${manifest.version}`,
      `${limits.timeoutMs / 1000} s, ${memory}`].filter(Boolean).join(' · ');
  }

  /** Runs the plugin on the proxy and draws it; resolves when shown, superseded or failed (shown). */
  function preview() {
    clearTimeout(timer);
    timer = null;
    const mine = ++previewGeneration;
    const { plugin, layerId } = open;
    const wanted = values();
    previewing = previewing.then(async () => {
      if (mine !== previewGeneration || !open) return;
      const proxy = await session.read((project) => project.filterProxy(layerId, PROXY_SIDE));
      try {
        const { width, height } = proxy;
        const { pixels } = await previewRunner.run({
          name: plugin.manifest.name,
          bundle: plugin.bytes,
          key: plugin.key,
          values: wanted,
          backend: backend(),
          timeoutMs: plugin.limits.timeoutMs,
          readSource: async () => ({
            crop: { pixels: proxy.pixels(), x: 0, y: 0, width, height, layerWidth: width, layerHeight: height },
            area: { x: 0, y: 0, width, height },
          }),
        });
        if (mine !== previewGeneration || !open) return;
        const shown = proxy.blend(pixels);
        const canvas = $('.filter-preview canvas');
        canvas.width = width;
        canvas.height = height;
        canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(shown.buffer), width, height), 0, 0);
        $('.filter-preview').dataset.state = 'shown';
        showError(null);
      } finally {
        proxy.free();
      }
    }).catch((error) => {
      if (error instanceof Cancelled) return;
      $('.filter-preview').dataset.state = 'failed';
      showError(error);
    });
    return previewing;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, PREVIEW_DELAY_MS);
  }

  function close() {
    clearTimeout(timer);
    previewGeneration++;
    previewRunner.cancel();
    dialog.close();
    open = null;
    setProgress(null);
    ctx.commandsChanged();
  }

  return {
    isOpen: () => open !== null,
    running: () => runner.running,
    last: () => last,

    /** Opens the dialog for installed filter `id` on the active layer; `values` preset its controls. */
    open(id, preset) {
      const plugin = library.get(id);
      if (!plugin.enabled) throw new Error(`“${plugin.manifest.name}” is disabled: enable it in Plugins first`);
      const layer = ctx.activeLayer();
      if (!layer) throw new Error('choose a layer to filter');
      describe(plugin);
      const controls = buildParamControls($('.filter-params'), plugin.manifest.params, schedule);
      if (preset) {
        const unknown = controls.set(preset);
        if (unknown.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
      }
      open = { plugin, layerId: layer.id, controls };
      $('.filter-preview').dataset.state = 'waiting';
      $('.filter-preview canvas').getContext('2d').clearRect(0, 0, 1e4, 1e4);
      setProgress(null);
      showError(null);
      dialog.showModal();
      ctx.commandsChanged();
      return preview();
    },

    set(update) {
      const unknown = open.controls.set(update);
      if (unknown.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
      return preview();
    },

    /**
     * Runs the filter on the layer inside the selection and writes it as one history step;
     * resolves to `last()`. A failure (time limit, trap, bad output) is shown in the dialog,
     * which stays open; the document is unchanged.
     */
    async apply() {
      const { plugin, layerId } = open;
      const wanted = values();
      clearTimeout(timer);
      previewGeneration++;
      previewRunner.cancel();
      showError(null);
      setProgress(0, 'Starting…');
      try {
        let canvasArea = null;
        const running = runner.run({
          name: plugin.manifest.name,
          bundle: plugin.bytes,
          key: plugin.key,
          values: wanted,
          backend: backend(),
          timeoutMs: plugin.limits.timeoutMs,
          readSource: (halo) =>
            session.read((project) => {
              const source = project.filterCrop(layerId, halo);
              canvasArea = source.area;
              return { crop: source.crop, area: source.areaOnLayer };
            }),
          onProgress: (fraction) => setProgress(fraction),
        });
        // Apply is disabled and Cancel stops the run while it is in flight.
        ctx.commandsChanged();
        const { pixels, area, implementation } = await running;
        // The core checks that the area is still the selection's on this layer.
        await session.edit((project) =>
          project.applyFilteredArea(layerId, canvasArea.x, canvasArea.y, area.width, area.height, pixels, plugin.manifest.name),
        );
        last = { state: 'applied', message: '', implementation };
        close();
      } catch (error) {
        setProgress(null);
        last = error instanceof Cancelled ? { state: 'cancelled', message: 'Cancelled: nothing was changed.' } : { state: 'failed', message: error.message ?? String(error) };
        showError(error instanceof Cancelled ? new Error(last.message) : error);
        ctx.commandsChanged();
      }
      return last;
    },

    /** Cancels a run in flight (the dialog stays open), or closes the dialog. */
    async cancel() {
      if (runner.running) {
        runner.cancel();
        return;
      }
      close();
    },
  };
}
