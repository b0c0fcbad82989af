// Free transform (Ctrl+T): a box with eight handles around the active layer.
// Drag inside to move, a handle to scale (Shift keeps the ratio on a
// corner), an edge handle with Ctrl to skew, outside the box to rotate
// (Shift: 15° steps). Enter applies — the core resamples the layer once —
// and Esc cancels. The preview shows the layer's own pixels under the same
// matrix (display only), and the core leaves the layer out of the composite
// meanwhile, so the original does not show through.

import { after, apply, dragHandle, dragRotate, handles, inside, translate } from './affine.js';

/** The transform in progress: { layer, matrix, image } or null. */
let pending = null;

/** Image-space distance that counts as "on a handle": 8 screen pixels. */
const reach = (ctx) => 8 / ctx.viewer.scale;

function shapeOf(state) {
  const { width, height } = state.layer;
  return {
    kind: 'transform',
    matrix: state.matrix,
    width,
    height,
    image: state.image,
    handles: handles(width, height).map((h) => apply(state.matrix, h.at)),
  };
}

/** The layer's pixels as an image URL for the preview (display only). */
async function previewImage(ctx, layer) {
  const { width, height, data } = await ctx.layerPixels(layer.id);
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height), 0, 0);
  return URL.createObjectURL(await canvas.convertToBlob());
}

/** Leaves layer `id` out of the composite while the preview stands in for it (null: shows it again). */
function hideInComposite(ctx, id) {
  const { session } = ctx;
  return session
    .run(() => session.state.project?.setPreviewHidden(id ?? undefined))
    .then(() => session.requestRender())
    .catch((error) => ctx.status.error('Cannot update the transform preview', error));
}

function drop(ctx) {
  if (pending?.image) URL.revokeObjectURL(pending.image);
  if (pending?.hidden) hideInComposite(ctx, null);
  pending = null;
}

export const transform = {
  id: 'transform',
  manifest: 'retouch.transform.free',
  label: 'Free transform',
  shortcut: 'Mod+T',
  hint: 'Drag inside to move, a handle to scale (Shift: keep the ratio), Ctrl+edge handle to skew, outside to rotate (Shift: 15° steps). Enter applies, Esc cancels.',
  enabled: (ctx) => Boolean(ctx.activeLayer()) && !ctx.activeLayer().locked,
  /** The transform in progress, for the apply command and the tests: { layerId, matrix } or null. */
  pending: () => (pending ? { layerId: pending.layer.id, matrix: [...pending.matrix] } : null),
  enter(ctx) {
    drop(ctx);
    const layer = ctx.activeLayer();
    if (!layer) return;
    const state = { layer, matrix: translate(layer.x, layer.y), image: null, hidden: false };
    pending = state;
    ctx.viewer.showShape(shapeOf(state));
    previewImage(ctx, layer)
      .then((url) => {
        if (pending !== state) return URL.revokeObjectURL(url);
        state.image = url;
        state.hidden = true;
        ctx.viewer.showShape(shapeOf(state));
        return hideInComposite(ctx, layer.id);
      })
      .catch((error) => ctx.status.error('Cannot show the transform preview', error));
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
    if (!pending) return null;
    const { width, height } = pending.layer;
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
  /** Enter: resamples the layer in the core as one history step, then leaves the tool. */
  async apply(ctx) {
    if (!pending) throw new Error('no transform in progress');
    const { layer, matrix } = pending;
    const { resampler } = ctx.tools.values('transform');
    await ctx.session.edit(async (p, engine) => {
      await p.transformLayer(engine, layer.id, matrix, resampler);
      // In the same turn, so no render shows the canvas without the layer.
      p.setPreviewHidden(undefined);
      if (pending) pending.hidden = false;
    });
    ctx.status.set(`Transformed “${layer.name}”`, 'ok');
  },
  isPending: () => Boolean(pending),
};
