// The adjustment dialog: controls from the adjustment's manifest, a debounced
// live preview (the core composites the adjusted area; the page only draws it),
// OK applies one history step, Cancel redraws the untouched composite.

import { buildParamControls } from './params.js';

const PREVIEW_DELAY_MS = 120;

/**
 * @param {{ ctx: object, manifests: object[], dialog: HTMLDialogElement }} options
 *   `dialog` holds `.adjust-title`, `.adjust-params` and `.adjust-error`.
 */
export function createAdjustDialog({ ctx, manifests, dialog }) {
  const { session, viewer } = ctx;
  let open = null; // { kind, layerId, controls, shown: rect | null }
  let timer = null;
  let latest = Promise.resolve();
  let generation = 0;

  const manifestOf = (kind) => {
    const m = manifests.find((x) => x.entry?.kernel === `adjust.${kind}`);
    if (!m) throw new Error(`the core has no “${kind}” adjustment`);
    return m;
  };

  function params() {
    return { kind: open.kind, ...open.controls.values() };
  }

  function showError(error) {
    dialog.querySelector('.adjust-error').textContent = error ? error.message ?? String(error) : '';
  }

  /** Queues a preview of the current values; resolves when it is drawn (or superseded). */
  function preview() {
    clearTimeout(timer);
    timer = null;
    const mine = ++generation;
    const { layerId } = open;
    const wanted = params();
    latest = session
      .read(async (project, engine) => {
        if (mine !== generation) return;
        const result = await project.previewAdjustment(engine, layerId, wanted);
        if (mine !== generation || !open) return;
        restore(result);
        viewer.putRegion(result.x, result.y, result.width, result.height, result.pixels);
        open.shown = { x: result.x, y: result.y, width: result.width, height: result.height };
        showError(null);
      })
      .catch(showError);
    return latest;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, PREVIEW_DELAY_MS);
  }

  /** Redraws the composite where a preview was shown, unless `next` covers the same area. */
  function restore(next) {
    const shown = open?.shown;
    if (!shown) return;
    const same = next && next.x === shown.x && next.y === shown.y && next.width === shown.width && next.height === shown.height;
    if (same) return;
    session
      .read((project) => viewer.drawComposite(shown, (x, y, width, height) => project.compositeRegion(x, y, width, height)))
      .catch(showError);
    open.shown = null;
  }

  function close() {
    clearTimeout(timer);
    generation++;
    dialog.close();
    open = null;
    ctx.commandsChanged();
  }

  return {
    isOpen: () => open !== null,

    open(kind, values) {
      const layer = ctx.activeLayer();
      if (!layer) throw new Error('choose a layer to adjust');
      const manifest = manifestOf(kind);
      dialog.querySelector('.adjust-title').textContent = manifest.name;
      const host = dialog.querySelector('.adjust-params');
      const controls = buildParamControls(host, manifest.params, schedule);
      open = { kind, layerId: layer.id, controls, shown: null };
      if (values) {
        const unknown = controls.set(values);
        if (unknown.length) {
          open = null;
          throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
        }
      }
      showError(null);
      dialog.showModal();
      ctx.commandsChanged();
      return preview();
    },

    set(values) {
      const unknown = open.controls.set(values);
      if (unknown.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
      return preview();
    },

    /** Applies the values as one history step on the layer the dialog opened for. */
    async ok() {
      const { layerId } = open;
      const wanted = params();
      await latest;
      try {
        await session.edit((project, engine) => project.adjustLayer(engine, layerId, wanted));
      } catch (error) {
        showError(error);
        throw error;
      }
      // The document shows the result now: the preview drawn over it goes
      // (over the GPU canvas it would cover later changes there).
      restore(null);
      close();
      await session.idle();
    },

    /** Closes the dialog and shows the document as it is. */
    async cancel() {
      generation++;
      await latest;
      restore(null);
      close();
      await session.idle();
    },
  };
}
