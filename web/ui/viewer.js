// The document view: shows the composite the core produced on a <canvas>
// (putImageData, display only), the selection as a red quick-mask overlay on
// a second canvas, and the tool being dragged (marquee, lasso, brush path) as
// SVG in image coordinates. Zoom: fit, 100 %, steps. Pointer positions are
// turned into image coordinates through the view's transform and handed to
// the current tool. No pixel is computed here: the overlay only turns the
// core's coverage bytes into display colours.
//
// On the WebGPU engine the composite is presented straight from the GPU on
// a canvas of its own under the 2D one (the core draws it; nothing is read
// back to show it): the 2D canvas stays clear then, and holds only what a
// tool previews, with a hole cut in the GPU canvas there (CSS clip-path) so
// a preview's transparent pixels show the checkerboard, not the document.
// The GPU canvas always holds the document at full resolution, also when the
// 2D canvases hold it at a reduced level (below): zoomed in, it needs no
// detail canvas.
//
// Level of detail: a document bigger than VIEW_PIXEL_LIMIT (a 16384² one) is
// held on canvases of half, a quarter… its size, as Photoshop's cache levels
// do: the browser scales each band the core hands over (display only, like
// the CSS scaling of any zoom), so a giant canvas is never composited on
// every frame. Zoomed in past that level, a detail canvas shows the visible
// part at full resolution, read from the core as the view moves.

const ZOOM_STEPS = [0.05, 0.1, 0.125, 0.25, 1 / 3, 0.5, 2 / 3, 1, 1.5, 2, 3, 4, 6, 8, 12, 16];
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Quick-mask colour: red at half strength over the selected area. */
const OVERLAY_RGB = [255, 40, 40];
const OVERLAY_ALPHA = 0.5;
/** The most pixels a view canvas holds; bigger documents are shown at a reduced level of detail. */
const VIEW_PIXEL_LIMIT = 4096 * 4096;
/** Pixels read from the core per strip when drawing at a reduced level (bounded memory). */
const STRIP_PIXELS = 1 << 22;
/** How long the view rests before the detail canvas is read again (ms). */
const DETAIL_DELAY_MS = 80;

/** The level (canvases at 1/2^level per side) a document of this size is shown at. */
export function viewLevel(width, height) {
  let level = 0;
  while (Math.ceil(width / 2 ** level) * Math.ceil(height / 2 ** level) > VIEW_PIXEL_LIMIT) level++;
  return level;
}

/**
 * @param {{ stage: HTMLElement, zoomLabel: HTMLElement,
 *   onPointer?: (phase: 'down'|'move'|'up'|'cancel', point: {x: number, y: number}, event: PointerEvent) => void }} parts
 */
export function createViewer({ stage, zoomLabel, onPointer }) {
  const frame = stage.querySelector('.canvas-frame');
  const canvas = frame.querySelector('canvas.composite');
  const presentCanvas = frame.querySelector('canvas.presented');
  const overlay = frame.querySelector('canvas.overlay');
  const ants = frame.querySelector('canvas.ants');
  const detail = frame.querySelector('canvas.detail');
  const shapes = frame.querySelector('svg.shapes');
  const ctx = canvas.getContext('2d');
  const overlayCtx = overlay.getContext('2d');
  const antsCtx = ants.getContext('2d');
  const detailCtx = detail.getContext('2d');
  let antsShown = true;
  let antsCovered = false;
  let size = null; // { width, height } of what is shown
  let mode = 'fit'; // 'fit' or a fixed scale
  let scale = 1;
  let level = 0; // the canvases hold the document at 1/2^level per side
  /** Reads full-resolution composite bytes of a document rectangle, asynchronously (set by the app). */
  let readComposite = null;
  let detailRect = null; // the document rectangle the detail canvas shows, or null
  let detailTimer = 0;
  let detailGeneration = 0;
  let scratch = null; // an OffscreenCanvas for bands drawn at a reduced level
  let presenting = false; // whether the GPU canvas shows the composite
  let holes = []; // document rectangles where a preview on the 2D canvas covers the GPU canvas

  /** Draws the composite in document rectangle `rect` on the 2D canvases, read through `read` (see `drawComposite`). */
  function drawOn2d(rect, read) {
    forStrips(rect, (x, y, width, height) => show(ctx, x, y, imageOf(read(x, y, width, height), width, height)));
    const part = detailRect && intersection(detailRect, rect);
    if (part) detailCtx.putImageData(imageOf(read(part.x, part.y, part.width, part.height), part.width, part.height), part.x - detailRect.x, part.y - detailRect.y);
  }

  /** Cuts the preview holes out of the GPU canvas (even-odd: each rectangle is a hole). */
  function clipHoles() {
    if (holes.length === 0 || !size) {
      presentCanvas.style.clipPath = '';
      return;
    }
    const px = (x, y) => `${(x / size.width) * 100}% ${(y / size.height) * 100}%`;
    const points = ['0% 0%', '100% 0%', '100% 100%', '0% 100%', '0% 0%'];
    for (const h of holes) {
      points.push(px(h.x, h.y), px(h.x + h.width, h.y), px(h.x + h.width, h.y + h.height), px(h.x, h.y + h.height), px(h.x, h.y), '0% 0%');
    }
    presentCanvas.style.clipPath = `polygon(evenodd, ${points.join(', ')})`;
  }

  function layout() {
    if (!size) {
      zoomLabel.textContent = '—';
      return;
    }
    if (mode === 'fit') {
      const pad = 32;
      const w = Math.max(1, stage.clientWidth - pad);
      const h = Math.max(1, stage.clientHeight - pad);
      scale = Math.min(w / size.width, h / size.height);
      // Small images are shown at an integer zoom so pixels stay crisp.
      if (scale > 1) scale = Math.max(1, Math.floor(scale));
    } else {
      scale = mode;
    }
    frame.style.width = `${Math.round(size.width * scale)}px`;
    frame.style.height = `${Math.round(size.height * scale)}px`;
    frame.classList.toggle('pixelated', scale >= 2);
    scheduleDetail();
    stage.classList.toggle('scrolls', mode !== 'fit');
    zoomLabel.textContent = `${formatPercent(scale)}${mode === 'fit' ? ' (fit)' : ''}`;
    // Strokes in the SVG keep a constant on-screen width.
    shapes.style.setProperty('--px', String(1 / scale));
  }

  new ResizeObserver(() => {
    if (mode === 'fit') layout();
  }).observe(stage);
  stage.addEventListener('scroll', () => scheduleDetail(), { passive: true });

  /** The integer rectangle of the reduced canvas that document rectangle (x, y, width, height) covers. */
  function reducedRect(x, y, width, height) {
    const s = 2 ** level;
    const x0 = Math.floor(x / s);
    const y0 = Math.floor(y / s);
    return { x: x0, y: y0, width: Math.ceil((x + width) / s) - x0, height: Math.ceil((y + height) / s) - y0 };
  }

  /** Draws full-resolution `image` (at document x, y) onto a reduced canvas: the browser scales it. */
  function drawReduced(target, x, y, image) {
    if (!scratch || scratch.width < image.width || scratch.height < image.height) {
      scratch = new OffscreenCanvas(Math.max(image.width, scratch?.width ?? 0), Math.max(image.height, scratch?.height ?? 0));
    }
    scratch.getContext('2d').putImageData(image, 0, 0);
    const to = reducedRect(x, y, image.width, image.height);
    target.clearRect(to.x, to.y, to.width, to.height);
    target.imageSmoothingEnabled = true;
    target.imageSmoothingQuality = 'high';
    target.drawImage(scratch, 0, 0, image.width, image.height, to.x, to.y, to.width, to.height);
  }

  /** Shows `image` (document x, y, full resolution) on a view canvas at the current level. */
  function show(target, x, y, image) {
    if (level === 0) target.putImageData(image, x, y);
    else drawReduced(target, x, y, image);
  }

  /**
   * Calls `fn(x, y, width, height)` for strips of document rectangle `rect`
   * grown to whole cells of the current level, so each strip fills whole
   * canvas pixels and a strip's bytes stay bounded.
   */
  function forStrips(rect, fn) {
    const s = 2 ** level;
    const x0 = Math.floor(rect.x / s) * s;
    const y0 = Math.floor(rect.y / s) * s;
    const x1 = Math.min(size.width, Math.ceil((rect.x + rect.width) / s) * s);
    const y1 = Math.min(size.height, Math.ceil((rect.y + rect.height) / s) * s);
    if (x1 <= x0 || y1 <= y0) return;
    const rows = level === 0 ? y1 - y0 : Math.max(s, Math.floor(STRIP_PIXELS / (x1 - x0) / s) * s);
    for (let y = y0; y < y1; y += rows) fn(x0, y, x1 - x0, Math.min(rows, y1 - y));
  }

  const imageOf = (rgba, width, height) => new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), width, height);

  /** Quick-mask colours for coverage bytes. */
  function overlayImage(values, width, height) {
    const rgba = new Uint8ClampedArray(width * height * 4);
    const [r, g, b] = OVERLAY_RGB;
    for (let i = 0, o = 0; i < values.length; i++, o += 4) {
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = values[i] * OVERLAY_ALPHA;
    }
    return new ImageData(rgba, width, height);
  }

  /** The part of the document on screen, or null when the whole view is at full resolution. */
  function visibleRect() {
    if (!size || level === 0 || presenting || scale * 2 ** level <= 1) return null;
    const box = canvas.getBoundingClientRect();
    const view = stage.getBoundingClientRect();
    const left = Math.max(box.left, view.left);
    const top = Math.max(box.top, view.top);
    const right = Math.min(box.right, view.right);
    const bottom = Math.min(box.bottom, view.bottom);
    if (right <= left || bottom <= top) return null;
    const x0 = Math.max(0, Math.floor(((left - box.left) / box.width) * size.width) - 1);
    const y0 = Math.max(0, Math.floor(((top - box.top) / box.height) * size.height) - 1);
    const x1 = Math.min(size.width, Math.ceil(((right - box.left) / box.width) * size.width) + 1);
    const y1 = Math.min(size.height, Math.ceil(((bottom - box.top) / box.height) * size.height) + 1);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  /** Reads the detail canvas again once the view rests (zoomed in on a reduced view). */
  function scheduleDetail() {
    clearTimeout(detailTimer);
    const wanted = visibleRect();
    if (!wanted) {
      detailRect = null;
      detail.hidden = true;
      return;
    }
    if (detailRect && within(wanted, detailRect)) return;
    detailTimer = setTimeout(() => refreshDetail(visibleRect()), DETAIL_DELAY_MS);
  }

  async function refreshDetail(rect) {
    if (!rect || !readComposite) return;
    const generation = ++detailGeneration;
    const rgba = await readComposite(rect.x, rect.y, rect.width, rect.height).catch(() => null);
    if (!rgba || generation !== detailGeneration || !size || presenting) return;
    detail.width = rect.width;
    detail.height = rect.height;
    detailCtx.putImageData(imageOf(rgba, rect.width, rect.height), 0, 0);
    Object.assign(detail.style, {
      left: `${(rect.x / size.width) * 100}%`,
      top: `${(rect.y / size.height) * 100}%`,
      width: `${(rect.width / size.width) * 100}%`,
      height: `${(rect.height / size.height) * 100}%`,
    });
    detailRect = rect;
    detail.hidden = false;
  }

  /** Client coordinates → image coordinates (fractional pixels; 0,0 is the top-left corner). */
  function imagePoint(clientX, clientY) {
    const box = canvas.getBoundingClientRect();
    if (!size || box.width === 0 || box.height === 0) return { x: 0, y: 0 };
    return {
      x: ((clientX - box.left) / box.width) * size.width,
      y: ((clientY - box.top) / box.height) * size.height,
    };
  }

  // Navigation as in Photoshop: Space held (or the Hand tool) drags the view,
  // the Zoom tool clicks in (Alt: out) at the pointer, Ctrl+wheel zooms
  // towards the pointer. Everything else goes to the current tool.
  let navigation = null; // 'hand' | 'zoom' | null: the current tool navigates
  let spaceHeld = false;
  let pan = null; // { x, y, left, top } of a pan in progress
  const typing = (event) => event.target instanceof HTMLElement && event.target.matches('input, select, textarea, [contenteditable]');
  window.addEventListener('keydown', (event) => {
    if (event.code !== 'Space' || typing(event) || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    spaceHeld = true;
    stage.classList.add('panning');
  });
  window.addEventListener('keyup', (event) => {
    if (event.code !== 'Space') return;
    spaceHeld = false;
    stage.classList.toggle('panning', navigation === 'hand');
  });

  let active = null; // pointer id of the gesture in progress
  // Gestures may start beside the image too (the pasteboard, as in Photoshop):
  // a crop box that grows the canvas, a transform handle past the edge.
  stage.addEventListener('pointerdown', (event) => {
    if (!size || event.button !== 0 || active !== null) return;
    const onScrollbar = event.target === stage && (event.offsetX >= stage.clientWidth || event.offsetY >= stage.clientHeight);
    if (onScrollbar) return;
    // preventDefault below keeps focus where it was: let go of a field so shortcuts work again.
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    if (navigation === 'zoom' && !spaceHeld) {
      event.preventDefault();
      step(event.altKey ? -1 : 1, event);
      return;
    }
    stage.setPointerCapture(event.pointerId);
    active = event.pointerId;
    event.preventDefault();
    if (spaceHeld || navigation === 'hand') {
      pan = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop };
      return;
    }
    onPointer?.('down', imagePoint(event.clientX, event.clientY), event);
  });
  stage.addEventListener('pointermove', (event) => {
    if (event.pointerId !== active) return;
    if (pan) {
      stage.scrollLeft = pan.left - (event.clientX - pan.x);
      stage.scrollTop = pan.top - (event.clientY - pan.y);
      return;
    }
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) onPointer?.('move', imagePoint(e.clientX, e.clientY), e);
  });
  const end = (phase) => (event) => {
    if (event.pointerId !== active) return;
    active = null;
    if (pan) {
      pan = null;
      return;
    }
    onPointer?.(phase, imagePoint(event.clientX, event.clientY), event);
  };
  stage.addEventListener('pointerup', end('up'));
  stage.addEventListener('pointercancel', end('cancel'));

  stage.addEventListener(
    'wheel',
    (event) => {
      if (!size || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      step(event.deltaY < 0 ? 1 : -1, event);
    },
    { passive: false },
  );

  /** One zoom step in (1) or out (-1); with a pointer `at`, the image point under it stays put. */
  function step(direction, at) {
    if (!size) return;
    const current = scale;
    const next =
      direction > 0
        ? ZOOM_STEPS.find((s) => s > current * 1.001) ?? ZOOM_STEPS.at(-1)
        : [...ZOOM_STEPS].reverse().find((s) => s < current / 1.001) ?? ZOOM_STEPS[0];
    const anchor = at ? imagePoint(at.clientX, at.clientY) : null;
    mode = next;
    layout();
    if (!anchor) return;
    const box = canvas.getBoundingClientRect();
    stage.scrollLeft += box.left + (anchor.x / size.width) * box.width - at.clientX;
    stage.scrollTop += box.top + (anchor.y / size.height) * box.height - at.clientY;
  }

  function resize(width, height) {
    const resized = !size || size.width !== width || size.height !== height;
    if (!resized) return;
    level = viewLevel(width, height);
    for (const c of [canvas, overlay, ants]) {
      c.width = Math.ceil(width / 2 ** level);
      c.height = Math.ceil(height / 2 ** level);
    }
    detailRect = null;
    detail.hidden = true;
    detailGeneration++;
    holes = [];
    clipHoles();
    shapes.setAttribute('viewBox', `0 0 ${width} ${height}`);
    size = { width, height };
    stage.classList.add('has-image');
    layout();
  }

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  /** The crop box: everything outside it dimmed (even-odd), its edge, and thirds lines. */
  function showCrop({ x, y, width, height, guide }) {
    const reach = 4 * Math.max(size.width, size.height, width, height);
    const outside = svg('path', {
      d: `M${-reach},${-reach}H${reach}V${reach}H${-reach}Z M${x},${y}h${width}v${height}h${-width}Z`,
      'fill-rule': 'evenodd',
    });
    outside.classList.add('crop-shade');
    shapes.append(outside);
    if (guide) {
      for (const t of [1 / 3, 2 / 3]) {
        for (const [x1, y1, x2, y2] of [[x + width * t, y, x + width * t, y + height], [x, y + height * t, x + width, y + height * t]]) {
          const line = svg('line', { x1, y1, x2, y2 });
          line.classList.add('crop-guide');
          shapes.append(line);
        }
      }
    }
    const box = svg('rect', { x, y, width, height });
    box.classList.add('crop-box');
    shapes.append(box);
  }

  /** Text being edited on the canvas: { box, selection, caret } in image coordinates, or null. */
  let textMarks = null;

  /** Draws the text editing marks over whatever shape is shown: the text box, the selected
   * characters' quads and the blinking caret (each a list of points, already turned). */
  function drawTyping() {
    shapes.querySelector('g.typing')?.remove();
    if (!textMarks) return;
    const group = svg('g', {});
    group.classList.add('typing');
    const polygon = (points, kind) => {
      const el = svg('polygon', { points: points.map((p) => p.join(',')).join(' ') });
      el.classList.add(kind);
      group.append(el);
    };
    if (textMarks.box) polygon(textMarks.box, 'type-box');
    for (const quad of textMarks.selection ?? []) polygon(quad, 'type-selection');
    if (textMarks.caret) {
      const [[x1, y1], [x2, y2]] = textMarks.caret;
      const line = svg('line', { x1, y1, x2, y2 });
      line.classList.add('type-caret');
      group.append(line);
    }
    shapes.append(group);
  }

  /** The free-transform preview: the layer's pixels under the matrix, the box, the handles. */
  function showTransform({ matrix, width, height, image, handles }) {
    const transform = `matrix(${matrix.join(' ')})`;
    if (image) {
      const picture = svg('image', { href: image, x: 0, y: 0, width, height, transform, preserveAspectRatio: 'none' });
      picture.classList.add('transform-preview');
      shapes.append(picture);
    }
    const [a, b, c, d, e, f] = matrix;
    const corners = [[0, 0], [width, 0], [width, height], [0, height]].map(([u, v]) => `${a * u + c * v + e},${b * u + d * v + f}`);
    const box = svg('polygon', { points: corners.join(' ') });
    box.classList.add('transform-box');
    shapes.append(box);
    const half = 4 / scale;
    for (const [hx, hy] of handles) {
      const handle = svg('rect', { x: hx - half, y: hy - half, width: 2 * half, height: 2 * half });
      handle.classList.add('transform-handle');
      shapes.append(handle);
    }
  }

  return {
    /** Sets the document size (clears the view when it changes). */
    resize,
    /** The document size shown ({ width, height }), or null. */
    get size() {
      return size;
    },
    /** The level of detail: the canvases hold the document at 1/2^level per side. */
    get level() {
      return level;
    },
    /** The canvas the core presents the composite on from the GPU (its WebGPU context). */
    get presentCanvas() {
      return presentCanvas;
    },
    /** Whether the GPU canvas shows the composite. */
    get presenting() {
      return presenting;
    },
    /** The core presented the composite on the GPU canvas: show it, with the 2D canvas clear over it. */
    presented() {
      if (presenting) return;
      presenting = true;
      holes = [];
      clipHoles();
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      presentCanvas.hidden = false;
      scheduleDetail(); // the GPU canvas is at full resolution: no detail over it
    },
    /** Back to the 2D canvas, drawing the whole composite on it through `read` (as for `drawComposite`). */
    stopPresenting(read) {
      presenting = false;
      holes = [];
      clipHoles();
      presentCanvas.hidden = true;
      if (size) drawOn2d({ x: 0, y: 0, width: size.width, height: size.height }, read);
      scheduleDetail();
    },
    /** Sets how the detail canvas reads composite bytes: `(x, y, width, height) => Promise<Uint8Array>`. */
    setCompositeReader(read) {
      readComposite = read;
    },
    /**
     * Shows a preview's `width`×`height` straight-alpha RGBA bytes at (x, y) of
     * the document (display only; the document's own pixels come back with
     * `drawComposite`).
     */
    putRegion(x, y, width, height, rgba) {
      if (!size) return;
      const image = imageOf(rgba, width, height);
      show(ctx, x, y, image);
      if (presenting) {
        holes.push({ x, y, width, height });
        clipHoles();
      }
      if (detailRect && intersects(detailRect, { x, y, width, height })) detailCtx.putImageData(image, x - detailRect.x, y - detailRect.y);
    },
    /**
     * Shows the composite in document rectangle `rect`, reading it through
     * `read(x, y, width, height)` (synchronous, full-resolution RGBA bytes) in
     * strips that fill whole canvas pixels.
     */
    drawComposite(rect, read) {
      if (!size) return;
      if (presenting) {
        // The GPU canvas shows the composite: uncover it where previews covered it.
        const kept = [];
        for (const h of holes) {
          if (intersects(h, rect)) ctx.clearRect(h.x, h.y, h.width, h.height);
          else kept.push(h);
        }
        holes = kept;
        clipHoles();
        return;
      }
      drawOn2d(rect, read);
    },
    /**
     * Draws the selection overlay in document rectangle `rect` from coverage
     * bytes `read(x, y, width, height)` (null clears the whole overlay): red
     * where selected, clear elsewhere.
     */
    drawSelection(rect, read) {
      if (!size) return;
      if (read === null) {
        overlayCtx.clearRect(0, 0, overlay.width, overlay.height);
        return;
      }
      forStrips(rect, (x, y, width, height) => show(overlayCtx, x, y, overlayImage(read(x, y, width, height), width, height)));
    },
    /**
     * Draws the marching ants from the core's outline of the selection, read
     * as `read(x, y, width, height)` (255 on edge pixels; null clears them):
     * black and white dashes along the edge, one canvas pixel per edge cell.
     */
    drawAnts(read) {
      if (!size) return;
      antsCtx.clearRect(0, 0, ants.width, ants.height);
      if (read === null) return;
      const rgba = new Uint8ClampedArray(ants.width * ants.height * 4);
      forStrips({ x: 0, y: 0, ...size }, (x0, y0, width, height) => {
        const edge = read(x0, y0, width, height);
        for (let i = 0; i < edge.length; i++) {
          if (edge[i] === 0) continue;
          const x = (x0 + (i % width)) >> level;
          const y = (y0 + Math.floor(i / width)) >> level;
          const o = (y * ants.width + x) * 4;
          rgba[o] = rgba[o + 1] = rgba[o + 2] = (((x + y) >> 2) & 1) * 255;
          rgba[o + 3] = 255;
        }
      });
      antsCtx.putImageData(new ImageData(rgba, ants.width, ants.height), 0, 0);
    },
    /** Shows or hides the marching ants (hidden after a fill is accepted, until the selection changes). */
    showAnts(flag) {
      antsShown = flag;
      ants.hidden = !antsShown || antsCovered;
    },
    /** Hides the ants while something is previewed on the canvas, without changing whether they are shown. */
    coverAnts(flag) {
      antsCovered = flag;
      ants.hidden = !antsShown || antsCovered;
    },
    /** Shows or hides the quick-mask overlay. */
    showOverlay(flag) {
      overlay.hidden = !flag;
    },
    /**
     * Shows the tool's gesture: { kind: 'rect'|'ellipse', x, y, width, height }
     * | { kind: 'path', points, closed, width?, erase?, color?, source? } | { kind: 'outline', x, y, width, height }
     * | { kind: 'crop', x, y, width, height, guide } (the outside dimmed, thirds lines)
     * | { kind: 'transform', matrix, width, height, image?, handles } (the layer's pixels
     *   under the matrix as a preview, its box and handles) | null.
     * A brush path is drawn `width` wide, in `color` when given; `source` marks the clone source.
     */
    showShape(shape) {
      shapes.replaceChildren();
      drawTyping();
      if (!shape) return;
      const ants = (el) => {
        el.classList.add('ants');
        const under = el.cloneNode();
        under.setAttribute('class', 'ants-under');
        shapes.append(under, el);
      };
      if (shape.kind === 'rect' || shape.kind === 'outline') {
        ants(svg('rect', { x: shape.x, y: shape.y, width: shape.width, height: shape.height }));
      } else if (shape.kind === 'ellipse') {
        ants(svg('ellipse', {
          cx: shape.x + shape.width / 2,
          cy: shape.y + shape.height / 2,
          rx: shape.width / 2,
          ry: shape.height / 2,
        }));
      } else if (shape.kind === 'crop') {
        showCrop(shape);
      } else if (shape.kind === 'transform') {
        showTransform(shape);
      } else if (shape.kind === 'path') {
        const points = [];
        for (let i = 0; i < shape.points.length; i += 2) points.push(`${shape.points[i]},${shape.points[i + 1]}`);
        if (shape.width) {
          // A brush path: the dab's width, round ends, in the overlay colour.
          const path = svg('polyline', { points: points.join(' '), 'stroke-width': shape.width });
          path.classList.add('brush-path');
          if (shape.erase) path.classList.add('erase');
          if (shape.color) path.style.stroke = shape.color;
          shapes.append(path);
          if (shape.source) {
            const mark = svg('circle', { cx: shape.source.x, cy: shape.source.y, r: shape.width / 2 });
            mark.classList.add('clone-source');
            shapes.append(mark);
          }
        } else {
          ants(svg(shape.closed ? 'polygon' : 'polyline', { points: points.join(' ') }));
        }
      }
    },
    /** Shows the marks of text being edited on the canvas ({ box, selection, caret }, image
     * coordinates), or hides them (null); kept while other shapes come and go. */
    showTyping(marks) {
      textMarks = marks;
      drawTyping();
    },
    clear() {
      size = null;
      textMarks = null;
      detailRect = null;
      detail.hidden = true;
      detailGeneration++;
      for (const c of [canvas, overlay, ants]) {
        c.width = 0;
        c.height = 0;
      }
      holes = [];
      clipHoles();
      presenting = false;
      presentCanvas.hidden = true;
      shapes.replaceChildren();
      stage.classList.remove('has-image');
      layout();
    },
    fit() {
      mode = 'fit';
      layout();
    },
    actualSize() {
      mode = 1;
      layout();
    },
    zoomIn: () => step(1),
    zoomOut: () => step(-1),
    /** The current tool navigates: 'hand' drags the view, 'zoom' clicks in and out; null: it edits. */
    setNavigation(kind) {
      navigation = kind;
      stage.classList.toggle('panning', kind === 'hand' || spaceHeld);
      stage.classList.toggle('zooming', kind === 'zoom');
    },
    imagePoint,
    /** Image coordinates → client coordinates (for tests and hosts). */
    clientPoint(x, y) {
      const box = canvas.getBoundingClientRect();
      if (!size) return { x: 0, y: 0 };
      return { x: box.left + (x / size.width) * box.width, y: box.top + (y / size.height) * box.height };
    },
    /** Screen pixels per image pixel. */
    get scale() {
      return scale;
    },
    canvas,
    overlay,
    ants,
  };
}

const within = (inner, outer) =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
const intersects = (a, b) => intersection(a, b) !== null;

/** The overlap of two rectangles, or null. */
function intersection(a, b) {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const width = Math.min(a.x + a.width, b.x + b.width) - x;
  const height = Math.min(a.y + a.height, b.y + b.height) - y;
  return width > 0 && height > 0 ? { x, y, width, height } : null;
}

function formatPercent(s) {
  const p = s * 100;
  return `${p >= 10 ? Math.round(p) : p.toFixed(1)} %`;
}
