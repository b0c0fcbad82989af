// The selection: one canvas-sized coverage mask (the core's Mask) or none.
// Every tool and modifier is a call into the core: marquees, lasso, wand and
// colour range build a shape that is combined into the selection (replace,
// add, subtract, intersect); the brush paints into it in place; feather,
// grow, shrink, border and smooth replace it with the engine's result. After
// each change the overlay is redrawn from the mask bytes (only the brush's
// dirty rectangle after a stroke).

/**
 * @param {{ wasm: object, viewer: object, engine: () => object,
 *   composite: () => Promise<object>, onChange: (info: { name: string }) => void }} deps
 *   `composite()` resolves to an Image of the current composite (for the wand
 *   and colour range); `onChange` is told after every change.
 */
export function createSelection({ wasm, viewer, engine, composite, onChange }) {
  const { Mask } = wasm;
  let mask = null; // Mask | null
  let size = null; // { width, height }
  let queue = Promise.resolve();

  /** Runs selection changes one after another (some await the engine). */
  function task(fn) {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  }

  function redraw(rect) {
    if (!size) return;
    if (!mask) {
      viewer.putSelection(0, 0, size.width, size.height, null);
      return;
    }
    if (rect && (rect.width === 0 || rect.height === 0)) return;
    if (rect) viewer.putSelection(rect.x, rect.y, rect.width, rect.height, mask.regionValues(rect.x, rect.y, rect.width, rect.height));
    else viewer.putSelection(0, 0, size.width, size.height, mask.values());
  }

  function replace(next, name, rect) {
    if (next !== mask) mask?.free();
    mask = next;
    redraw(rect);
    onChange({ name });
  }

  function requireSize() {
    if (!size) throw new Error('open an image first');
    return size;
  }

  /** Combines a freshly built shape into the selection. */
  function combineShape(shape, mode, name) {
    const m = mode || 'replace';
    if (m === 'replace' || !mask) {
      const base = Mask.none(size.width, size.height);
      try {
        base.combine(shape, m);
      } catch (error) {
        base.free();
        shape.free();
        throw error;
      }
      shape.free();
      replace(base, name);
      return;
    }
    try {
      mask.combine(shape, m);
    } finally {
      shape.free();
    }
    replace(mask, name);
  }

  const modeName = { replace: '', add: ' (add)', subtract: ' (subtract)', intersect: ' (intersect)' };
  const withMode = (name, mode) => `${name}${modeName[mode || 'replace'] ?? ''}`;

  const api = {
    /** Starts over for a document of this size (null: no document). */
    reset(width, height) {
      mask?.free();
      mask = null;
      size = width ? { width, height } : null;
      redraw();
    },
    /** Follows a canvas size change (Image Size or its undo): the selection is resized with the canvas. */
    resizeTo(width, height) {
      return task(async () => {
        const next = mask ? await engine().resizeMask(mask, width, height) : null;
        size = { width, height };
        if (next) replace(next, 'Selection resized with the canvas');
        else redraw();
      });
    },
    get mask() {
      return mask;
    },
    get size() {
      return size;
    },
    /** A copy of the coverage bytes, or null when nothing is selected. */
    values() {
      return mask ? mask.values() : null;
    },
    /** Replaces the selection with coverage bytes (e.g. a recovered one); null deselects. */
    setValues(values, name = 'Selection') {
      const { width, height } = requireSize();
      replace(values ? Mask.fromValues(width, height, values) : null, name);
    },
    rectangle({ x, y, width, height, ratio, mode }) {
      return task(() => {
        const s = requireSize();
        combineShape(Mask.rectangle(s.width, s.height, x, y, width, height, ratio || undefined), mode, withMode('Rectangular Marquee', mode));
      });
    },
    ellipse({ x, y, width, height, ratio, mode }) {
      return task(() => {
        const s = requireSize();
        combineShape(Mask.ellipse(s.width, s.height, x, y, width, height, ratio || undefined), mode, withMode('Elliptical Marquee', mode));
      });
    },
    lasso({ points, mode }) {
      return task(() => {
        const s = requireSize();
        combineShape(Mask.polygon(s.width, s.height, Float32Array.from(points)), mode, withMode('Lasso', mode));
      });
    },
    wand({ x, y, tolerance, contiguous, anti_alias: antiAlias, mode }) {
      return task(async () => {
        requireSize();
        const image = await composite();
        let shape;
        try {
          shape = Mask.magicWand(image, Math.floor(x), Math.floor(y), tolerance, contiguous, antiAlias);
        } finally {
          image.free();
        }
        combineShape(shape, mode, withMode('Magic Wand', mode));
      });
    },
    colorRange({ color, samples = [], fuzziness, mode }) {
      return task(async () => {
        requireSize();
        const image = await composite();
        let shape;
        try {
          const rgb = color ? hexToRgb(color) : [];
          shape = await engine().colorRange(image, Uint8Array.from(rgb), Uint32Array.from(samples.map(Math.floor)), fuzziness);
        } finally {
          image.free();
        }
        combineShape(shape, mode, withMode('Color Range', mode));
      });
    },
    /** Paints (or erases) a stroke through flat image points; returns the dirty rectangle. */
    brush({ points, diameter, hardness, spacing, flow, erase }) {
      return task(() => {
        const s = requireSize();
        const target = mask ?? Mask.none(s.width, s.height);
        const dirty = target.paintStroke(Float32Array.from(points), { diameter, hardness, spacing, flow, erase: Boolean(erase) });
        const rect = dirty ? { x: dirty[0], y: dirty[1], width: dirty[2], height: dirty[3] } : null;
        // A new mask has no overlay yet: draw all of it once.
        const fresh = target !== mask;
        replace(target, erase ? 'Selection Brush (erase)' : 'Selection Brush', fresh ? undefined : rect ?? { x: 0, y: 0, width: 0, height: 0 });
        return rect;
      });
    },
    /** feather | grow | shrink | border (on the engine) and smooth (CPU). */
    modify(op, value) {
      return task(async () => {
        requireSize();
        if (!mask) throw new Error('nothing is selected');
        const names = { feather: 'Feather', grow: 'Expand Selection', shrink: 'Contract Selection', border: 'Border', smooth: 'Smooth Selection' };
        if (!names[op]) throw new Error(`unknown selection change “${op}”`);
        const next = op === 'smooth' ? mask.smooth(value) : await engine()[op](mask, value);
        replace(next, `${names[op]} ${value} px`);
      });
    },
    invert() {
      return task(() => {
        const s = requireSize();
        const target = mask ?? Mask.none(s.width, s.height);
        target.invert();
        replace(target, 'Inverse');
      });
    },
    /** Selects a layer's pixels: its alpha at its position on the canvas. */
    layerAlpha(image, x, y) {
      return task(() => {
        const s = requireSize();
        replace(Mask.fromLayerAlpha(s.width, s.height, image, x, y), 'Select Layer Pixels');
      });
    },
    all() {
      return task(() => {
        const s = requireSize();
        replace(Mask.all(s.width, s.height), 'Select All');
      });
    },
    none() {
      return task(() => {
        if (!size || !mask) return;
        replace(null, 'Deselect');
      });
    },
    /** Resolves once every queued change is done. */
    settled: () => queue,
    redraw,
  };
  return api;
}

function hexToRgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`“${hex}” is not a colour like #ff8800`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}
