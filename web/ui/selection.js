// The selection: part of the document (the core keeps it, so every change is
// a history step that undo takes back, and the .ora and autosave keep it).
// Every tool and modifier is a call into the core: marquees, lasso, wand and
// colour range build a shape that is combined into the selection (replace,
// add, subtract, intersect); the brush paints into it; feather, grow,
// shrink, border and smooth replace it with the engine's result. This module
// keeps a copy for the overlay and the tools, drawn again from the document
// whenever something else (undo, Image Size, opening a file) changed it.

/**
 * @param {{ wasm: object, viewer: object, session: object }} deps
 *   `session` is the editing session: every change is one of its edits.
 */
export function createSelection({ wasm, viewer, session }) {
  const { Mask, Image } = wasm;
  let mask = null; // Mask | null: the document's selection, as last read
  let size = null; // { width, height }
  /** The selection before the last Deselect, for Reselect. */
  let previous = null;

  /** The ants follow the whole edge (the core traces it); the overlay only the changed rectangle. */
  function redraw(rect) {
    if (!size) return;
    viewer.showAnts(true);
    if (!mask) {
      viewer.drawSelection(null, null);
      viewer.drawAnts(null);
      return;
    }
    const edge = mask.outline();
    try {
      viewer.drawAnts((x, y, width, height) => edge.regionValues(x, y, width, height));
    } finally {
      edge.free();
    }
    if (rect && (rect.width === 0 || rect.height === 0)) return;
    viewer.drawSelection(rect ?? { x: 0, y: 0, ...size }, (x, y, width, height) => mask.regionValues(x, y, width, height));
  }

  /** Reads the selection back from `project` (or forgets it with null) and redraws it all. */
  function sync(project) {
    mask?.free();
    mask = project ? project.selection() ?? null : null;
    size = project ? { width: project.width, height: project.height } : null;
    redraw();
  }

  /**
   * One selection change as one history step: `build(project, engine)` returns
   * `{ next, name, rect? }` (next: a Mask, or null to deselect). The document
   * takes a copy; ours becomes the overlay. A failure changes nothing.
   */
  function change(build) {
    return session.edit(
      async (project, engine) => {
        const { next, name, rect } = await build(project, engine);
        try {
          if (next) project.setSelection(next, name);
          else project.deselect(name);
        } catch (error) {
          if (next && next !== mask) next.free();
          sync(project);
          throw error;
        }
        if (!next && mask) {
          previous?.free();
          previous = mask;
        } else if (mask && mask !== next) mask.free();
        mask = next;
        redraw(rect);
        return rect;
      },
      { kind: 'selection' },
    );
  }

  function requireSize(project) {
    return { width: project.width, height: project.height };
  }

  /** The composite as an Image, rendered on the CPU (the wand and colour range sample it). */
  function composite(project) {
    project.renderCpu();
    return Image.fromRgba(project.width, project.height, project.compositeRegion(0, 0, project.width, project.height));
  }

  /** Combines a freshly built shape into the selection (a copy: ours stays intact on failure). */
  function combined(project, shape, mode, name) {
    const m = mode || 'replace';
    const s = requireSize(project);
    const base = m === 'replace' || !mask ? Mask.none(s.width, s.height) : Mask.fromValues(s.width, s.height, mask.values());
    try {
      base.combine(shape, m);
    } catch (error) {
      base.free();
      throw error;
    } finally {
      shape.free();
    }
    return { next: base, name };
  }

  const modeName = { replace: '', add: ' (add)', subtract: ' (subtract)', intersect: ' (intersect)' };
  const withMode = (name, mode) => `${name}${modeName[mode || 'replace'] ?? ''}`;
  const modifierNames = { feather: 'Feather', grow: 'Expand Selection', shrink: 'Contract Selection', border: 'Border', smooth: 'Smooth Selection' };

  return {
    sync,
    redraw,
    get mask() {
      return mask;
    },
    get size() {
      return size;
    },
    /** Whether a Deselect can be taken back by Reselect. */
    get canReselect() {
      return Boolean(previous && size && previous.width === size.width && previous.height === size.height);
    },
    /** A copy of the coverage bytes, or null when nothing is selected. */
    values() {
      return mask ? mask.values() : null;
    },
    /** A marquee over a drag's box; with `ratio` the core constrains the box to it. */
    rectangle({ x, y, width, height, ratio, mode }) {
      return change((p) => {
        const s = requireSize(p);
        return combined(p, Mask.rectangle(s.width, s.height, x, y, width, height, ratio || undefined), mode, withMode('Rectangular Marquee', mode));
      });
    },
    ellipse({ x, y, width, height, ratio, mode }) {
      return change((p) => {
        const s = requireSize(p);
        return combined(p, Mask.ellipse(s.width, s.height, x, y, width, height, ratio || undefined), mode, withMode('Elliptical Marquee', mode));
      });
    },
    lasso({ points, mode }) {
      return change((p) => {
        const s = requireSize(p);
        return combined(p, Mask.polygon(s.width, s.height, Float32Array.from(points)), mode, withMode('Lasso', mode));
      });
    },
    wand({ x, y, tolerance, contiguous, anti_alias: antiAlias, mode }) {
      return change((p) => {
        const image = composite(p);
        let shape;
        try {
          shape = Mask.magicWand(image, Math.floor(x), Math.floor(y), tolerance, contiguous, antiAlias);
        } finally {
          image.free();
        }
        return combined(p, shape, mode, withMode('Magic Wand', mode));
      });
    },
    colorRange({ color, samples = [], fuzziness, mode }) {
      return change(async (p, engine) => {
        const image = composite(p);
        let shape;
        try {
          const rgb = color ? hexToRgb(color) : [];
          shape = await engine.colorRange(image, Uint8Array.from(rgb), Uint32Array.from(samples.map(Math.floor)), fuzziness);
        } finally {
          image.free();
        }
        return combined(p, shape, mode, withMode('Color Range', mode));
      });
    },
    /** Paints (or erases) a stroke through flat image points; resolves to the dirty rectangle. */
    brush({ points, diameter, hardness, spacing, flow, erase }) {
      return change((p) => {
        const s = requireSize(p);
        const next = mask ? Mask.fromValues(s.width, s.height, mask.values()) : Mask.none(s.width, s.height);
        const dirty = next.paintStroke(Float32Array.from(points), { diameter, hardness, spacing, flow, erase: Boolean(erase) });
        const rect = dirty ? { x: dirty[0], y: dirty[1], width: dirty[2], height: dirty[3] } : { x: 0, y: 0, width: 0, height: 0 };
        // A new selection has no overlay yet: draw all of it once.
        return { next, name: erase ? 'Selection Brush (erase)' : 'Selection Brush', rect: mask ? rect : undefined };
      });
    },
    /** feather | grow | shrink | border (on the engine) and smooth (CPU). */
    modify(op, value) {
      if (!modifierNames[op]) return Promise.reject(new Error(`unknown selection change “${op}”`));
      return change(async (p, engine) => {
        if (!mask) throw new Error('nothing is selected');
        const next = op === 'smooth' ? mask.smooth(value) : await engine[op](mask, value);
        return { next, name: `${modifierNames[op]} ${value} px` };
      });
    },
    invert() {
      return change((p) => {
        const s = requireSize(p);
        const next = mask ? Mask.fromValues(s.width, s.height, mask.values()) : Mask.none(s.width, s.height);
        next.invert();
        return { next, name: 'Inverse' };
      });
    },
    /** Selects a layer's pixels: its alpha at its position on the canvas. */
    layerAlpha(layerId) {
      return change((p) => {
        const layer = p.layers().find((l) => l.id === layerId);
        if (!layer) throw new Error('no active layer');
        const image = p.layerPixels(layerId);
        try {
          return { next: Mask.fromLayerAlpha(p.width, p.height, image, layer.x, layer.y), name: 'Select Layer Pixels' };
        } finally {
          image.free();
        }
      });
    },
    all() {
      return change((p) => ({ next: Mask.all(p.width, p.height), name: 'Select All' }));
    },
    none() {
      return change(() => ({ next: null, name: 'Deselect' }));
    },
    /** Makes `next` (a canvas-sized Mask, taken over) the selection, as the step `name`. */
    replace(next, name) {
      return change((p) => {
        if (next.width !== p.width || next.height !== p.height) {
          next.free();
          throw new Error(`a ${next.width}×${next.height} selection does not fit the ${p.width}×${p.height} image`);
        }
        return { next, name };
      });
    },

        /** Brings back the selection the last Deselect removed. */
    reselect() {
      return change((p) => {
        if (!previous || previous.width !== p.width || previous.height !== p.height) throw new Error('there is no selection to bring back');
        return { next: Mask.fromValues(p.width, p.height, previous.values()), name: 'Reselect' };
      });
    },
  };
}

function hexToRgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`“${hex}” is not a colour like #ff8800`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}
