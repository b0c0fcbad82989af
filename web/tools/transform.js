// Free transform (Ctrl+T): a box with eight handles around the active layer.
// Drag inside to move, a handle to scale (Shift keeps the ratio on a
// corner), an edge handle with Ctrl to skew, outside the box to rotate
// (Shift: 15° steps). Enter applies — the core resamples the layer once —
// and Esc cancels. The preview shows the layer's own pixels under the same
// matrix (display only), and the core leaves the layer out of the composite
// meanwhile, so the original does not show through. With a selection, only
// the selected pixels float (as in Photoshop): the box is the float's, the
// preview draws the float the core lifted, the composite shows the layer
// with the hole it leaves, and Enter has the core transform the float.

import { after, apply, dragHandle, dragRotate, handles, inside, translate } from './affine.js';

/** The transform in progress: { layer, floating, box: { x, y, width, height }, matrix, image, hidden } or null. */
let pending = null;

/** Image-space distance that counts as "on a handle": 8 screen pixels. */
const reach = (ctx) => 8 / ctx.viewer.scale;

function shapeOf(state) {
  const { width, height } = state.box;
  return {
    kind: 'transform',
    matrix: state.matrix,
    width,
    height,
    image: state.image,
    handles: handles(width, height).map((h) => apply(state.matrix, h.at)),
  };
}

/** RGBA bytes as an image URL for the preview (display only). */
async function imageUrl({ width, height, data }) {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height), 0, 0);
  return URL.createObjectURL(await canvas.convertToBlob());
}

/** What the preview draws: the layer's pixels, or the floating selection's with its box. */
async function previewOf(ctx, state) {
  if (!state.floating) return { url: await imageUrl(await ctx.layerPixels(state.layer.id)), box: state.box };
  const float = await ctx.session.read((p) => p.selectionFloat(state.layer.id));
  const { x, y, width, height } = float;
  return { url: await imageUrl({ width, height, data: float.pixels }), box: { x, y, width, height } };
}

/** Shows the layer in the composite as the preview needs it: left out, with the float's hole, or (null) as it is. */
function previewInComposite(ctx, state, shown) {
  const { session } = ctx;
  const id = shown ? state.layer.id : undefined;
  return session
    .run(() => {
      // Queued behind Enter (pressed before the preview was ready) or Esc: the transform is over, nothing to hide.
      if (shown && (pending !== state || state.applying)) return;
      return state.floating ? session.state.project?.setPreviewFloat(id) : session.state.project?.setPreviewHidden(id);
    })
    .then(() => session.requestRender())
    .catch((error) => ctx.status.error('Cannot update the transform preview', error));
}

function drop(ctx) {
  if (pending?.image) URL.revokeObjectURL(pending.image);
  if (pending?.hidden) previewInComposite(ctx, pending, false);
  pending = null;
}

export const transform = {
  id: 'transform',
  manifest: 'retouch.transform.free',
  label: 'Free transform',
  shortcut: 'Mod+T',
  hint: 'Drag inside to move, a handle to scale (Shift: keep the ratio), Ctrl+edge handle to skew, outside to rotate (Shift: 15° steps). Enter applies, Esc cancels.',
  enabled: (ctx) => Boolean(ctx.activeLayer()) && !ctx.activeLayer().locked,
  /** The transform in progress, for the apply command and the tests: { layerId, floating, box, matrix, ready } or null. */
  pending: () =>
    pending
      ? { layerId: pending.layer.id, floating: pending.floating, box: { ...pending.box }, matrix: [...pending.matrix], ready: Boolean(pending.image) }
      : null,
  enter(ctx) {
    drop(ctx);
    const layer = ctx.activeLayer();
    if (!layer) return;
    const floating = Boolean(ctx.selection?.mask);
    const box = { x: layer.x, y: layer.y, width: layer.width, height: layer.height };
    const state = { layer, floating, box, matrix: translate(box.x, box.y), image: null, hidden: false };
    pending = state;
    // A float's box is known once the core has lifted it.
    if (!floating) ctx.viewer.showShape(shapeOf(state));
    previewOf(ctx, state)
      .then(({ url, box }) => {
        if (pending !== state) return URL.revokeObjectURL(url);
        state.image = url;
        state.box = box;
        if (floating) state.matrix = translate(box.x, box.y);
        state.hidden = true;
        ctx.viewer.showShape(shapeOf(state));
        return previewInComposite(ctx, state, true);
      })
      .catch((error) => {
        ctx.status.error('Cannot show the transform preview', error);
        if (pending === state && floating) transform.leave(ctx);
      });
  },
  leave(ctx) {
    drop(ctx);
    ctx.viewer.showShape(null);
  },
  /** Sets the whole matrix (host panels and tests): [a, b, c, d, e, f] from the layer's pixels to the canvas. */
  setMatrix(ctx, matrix) {
    if (!pending) throw new Error('no transform in progress (Ctrl+T starts one)');
    if (!Array.isArray(matrix) || matrix.length !== 6 || !matrix.every(Number.isFinite)) throw new Error('matrix: expected 6 finite numbers');
    pending.matrix = [...matrix];
    ctx.viewer.showShape(shapeOf(pending));
  },
  begin(ctx, drag, event) {
    if (!pending || (pending.floating && !pending.image)) return null;
    const { width, height } = pending.box;
    const p = [drag.start.x, drag.start.y];
    const near = handles(width, height).find((h) => Math.hypot(...apply(pending.matrix, h.at).map((v, i) => v - p[i])) <= reach(ctx));
    drag.startMatrix = pending.matrix;
    drag.keys = { shift: Boolean(event?.shiftKey), ctrl: Boolean(event?.ctrlKey || event?.metaKey) };
    if (near) drag.op = { kind: 'handle', handle: near };
    else if (inside(pending.matrix, width, height, p)) drag.op = { kind: 'move' };
    else drag.op = { kind: 'rotate', centre: apply(pending.matrix, [width / 2, height / 2]) };
    return drag;
  },
  matrixOf(drag) {
    const to = [drag.last.x, drag.last.y];
    const from = [drag.start.x, drag.start.y];
    const { op, startMatrix, keys } = drag;
    if (op.kind === 'move') return after(translate(to[0] - from[0], to[1] - from[1]), startMatrix);
    if (op.kind === 'rotate') return dragRotate(startMatrix, op.centre, from, to, keys.shift ? Math.PI / 12 : 0);
    return dragHandle(startMatrix, op.handle, to, { keepRatio: keys.shift, skew: keys.ctrl });
  },
  shape(ctx, drag) {
    pending.matrix = this.matrixOf(drag);
    return shapeOf(pending);
  },
  finish(ctx, drag) {
    pending.matrix = this.matrixOf(drag);
    ctx.recordGesture({ tool: 'transform', points: [drag.start.x, drag.start.y, drag.last.x, drag.last.y], params: { op: drag.op.kind, matrix: pending.matrix } });
    ctx.viewer.showShape(shapeOf(pending));
    ctx.commandsChanged();
  },
  /** Enter: resamples the layer (or the floating selection) in the core as one history step, then leaves the tool. */
  async apply(ctx) {
    if (!pending) throw new Error('no transform in progress');
    const { layer, matrix, floating } = pending;
    if (floating && !pending.image) throw new Error('the floating selection is not ready yet');
    const { resampler } = ctx.tools.values('transform');
    const state = pending;
    // Set until the tool is left: a preview still on its way must not hide the layer afterwards.
    state.applying = true;
    await ctx.session
      .edit(
        async (p, engine) => {
          if (floating) await p.transformSelection(engine, layer.id, matrix, resampler);
          else await p.transformLayer(engine, layer.id, matrix, resampler);
          // In the same turn, so no render shows the canvas without the layer.
          if (floating) p.setPreviewFloat(undefined);
          else p.setPreviewHidden(undefined);
          if (pending) pending.hidden = false;
        },
        // The selection follows a float: the page reads it again.
        { kind: floating ? 'transform' : 'edit' },
      )
      .catch((error) => {
        state.applying = false;
        throw error;
      });
    ctx.status.set(floating ? `Transformed the selection on “${layer.name}”` : `Transformed “${layer.name}”`, 'ok');
  },
  isPending: () => Boolean(pending),
};
