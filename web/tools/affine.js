// 2-D affine maps as [a, b, c, d, e, f] (SVG's matrix(): x' = a·x + c·y + e,
// y' = b·x + d·y + f), for the free-transform gesture: how a drag on a
// handle changes the map. The core resamples the pixels; this only moves
// the box.

/** `m` applied after `n`. */
export function after(m, n) {
  const [a, b, c, d, e, f] = m;
  const [A, B, C, D, E, F] = n;
  return [a * A + c * B, b * A + d * B, a * C + c * D, b * C + d * D, a * E + c * F + e, b * E + d * F + f];
}

export const translate = (x, y) => [1, 0, 0, 1, x, y];
export const scale = (x, y) => [x, 0, 0, y, 0, 0];
/** Clockwise on screen by `radians`. */
export const rotate = (radians) => [Math.cos(radians), Math.sin(radians), -Math.sin(radians), Math.cos(radians), 0, 0];
/** x moves by k·y. */
export const shearX = (k) => [1, 0, k, 1, 0, 0];
/** y moves by k·x. */
export const shearY = (k) => [1, k, 0, 1, 0, 0];

export function apply([a, b, c, d, e, f], [x, y]) {
  return [a * x + c * y + e, b * x + d * y + f];
}

export function invert([a, b, c, d, e, f]) {
  const det = a * d - b * c;
  if (!det) throw new Error('the transform is flat');
  const [A, B, C, D] = [d / det, -b / det, -c / det, a / det];
  return [A, B, C, D, -(A * e + C * f), -(B * e + D * f)];
}

/** `m` with `local` (a map in the layer's own coordinates) about the local point `p`. */
function aboutLocal(m, p, local) {
  return after(m, after(translate(p[0], p[1]), after(local, translate(-p[0], -p[1]))));
}

/**
 * The eight handles of a `width`×`height` box, in its own coordinates:
 * { name, at: [x, y], anchor: the opposite point that stays put, axes: which axes it drags }.
 */
export function handles(width, height) {
  const xs = [0, width / 2, width];
  const ys = [0, height / 2, height];
  const list = [];
  for (const [i, name] of [[0, 'w'], [1, ''], [2, 'e']]) {
    for (const [j, vertical] of [[0, 'n'], [1, ''], [2, 's']]) {
      const id = vertical + name;
      if (!id) continue;
      list.push({
        name: id,
        at: [xs[i], ys[j]],
        anchor: [xs[2 - i], ys[2 - j]],
        axes: { x: i !== 1, y: j !== 1 },
      });
    }
  }
  return list;
}

/**
 * The map after dragging a handle from where the drag began to `pointer`
 * (canvas coordinates). `start` is the map when the drag began. Scales
 * about the opposite handle; `keepRatio` (Shift on a corner) scales both
 * axes alike. With `skew` (Ctrl on an edge handle) the edge slides along
 * itself instead.
 */
export function dragHandle(start, handle, pointer, { keepRatio = false, skew = false } = {}) {
  const local = apply(invert(start), pointer);
  const [hx, hy] = handle.at;
  const [ax, ay] = handle.anchor;
  if (skew && handle.axes.x !== handle.axes.y) {
    if (handle.axes.y) return aboutLocal(start, handle.anchor, shearX((local[0] - hx) / (hy - ay)));
    return aboutLocal(start, handle.anchor, shearY((local[1] - hy) / (hx - ax)));
  }
  let sx = handle.axes.x ? (local[0] - ax) / (hx - ax) : 1;
  let sy = handle.axes.y ? (local[1] - ay) / (hy - ay) : 1;
  if (keepRatio && handle.axes.x && handle.axes.y) {
    const s = Math.max(Math.abs(sx), Math.abs(sy));
    sx = Math.sign(sx || 1) * s;
    sy = Math.sign(sy || 1) * s;
  }
  // Never through zero: a flat layer cannot be resampled.
  const least = 1e-3;
  sx = Math.sign(sx || 1) * Math.max(Math.abs(sx), least);
  sy = Math.sign(sy || 1) * Math.max(Math.abs(sy), least);
  return aboutLocal(start, handle.anchor, scale(sx, sy));
}

/** The map after turning about the box's centre `centre` (canvas) as the pointer went from `from` to `to`; `step` snaps (radians). */
export function dragRotate(start, centre, from, to, step = 0) {
  let angle = Math.atan2(to[1] - centre[1], to[0] - centre[0]) - Math.atan2(from[1] - centre[1], from[0] - centre[0]);
  if (step) angle = Math.round(angle / step) * step;
  return after(translate(centre[0], centre[1]), after(rotate(angle), after(translate(-centre[0], -centre[1]), start)));
}

/** Whether the canvas point `p` lies inside the box under `m`. */
export function inside(m, width, height, p) {
  const [x, y] = apply(invert(m), p);
  return x >= 0 && y >= 0 && x <= width && y <= height;
}
