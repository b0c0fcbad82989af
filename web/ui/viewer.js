// The document view: shows RGBA pixels the core produced on a <canvas>
// (putImageData, display only), with fit/100 %/zoom, and turns pointer drags
// into layer moves in image pixels. No pixel is computed here.

const ZOOM_STEPS = [0.05, 0.1, 0.125, 0.25, 1 / 3, 0.5, 2 / 3, 1, 1.5, 2, 3, 4, 6, 8, 12, 16];

/**
 * @param {{ stage: HTMLElement, canvas: HTMLCanvasElement, zoomLabel: HTMLElement,
 *   onDrag?: (dx: number, dy: number, phase: 'start'|'move'|'end') => void }} parts
 */
export function createViewer({ stage, canvas, zoomLabel, onDrag }) {
  const ctx = canvas.getContext('2d', { willReadFrequently: false });
  let size = null; // { width, height } of what is shown
  let mode = 'fit'; // 'fit' or a fixed scale
  let scale = 1;

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
    canvas.style.width = `${Math.round(size.width * scale)}px`;
    canvas.style.height = `${Math.round(size.height * scale)}px`;
    canvas.classList.toggle('pixelated', scale >= 2);
    stage.classList.toggle('scrolls', mode !== 'fit');
    zoomLabel.textContent = `${formatPercent(scale)}${mode === 'fit' ? ' (fit)' : ''}`;
  }

  new ResizeObserver(() => {
    if (mode === 'fit') layout();
  }).observe(stage);

  // Drag to move the layer.
  let drag = null;
  canvas.addEventListener('pointerdown', (event) => {
    if (!size || !onDrag || event.button !== 0) return;
    canvas.setPointerCapture(event.pointerId);
    drag = { x: event.clientX, y: event.clientY, id: event.pointerId };
    canvas.classList.add('dragging');
    onDrag(0, 0, 'start');
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    onDrag(Math.round((event.clientX - drag.x) / scale), Math.round((event.clientY - drag.y) / scale), 'move');
  });
  const end = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    onDrag(Math.round((event.clientX - drag.x) / scale), Math.round((event.clientY - drag.y) / scale), 'end');
    drag = null;
    canvas.classList.remove('dragging');
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  stage.addEventListener(
    'wheel',
    (event) => {
      if (!size || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      step(event.deltaY < 0 ? 1 : -1);
    },
    { passive: false },
  );

  function step(direction) {
    if (!size) return;
    const current = scale;
    const next =
      direction > 0
        ? ZOOM_STEPS.find((s) => s > current * 1.001) ?? ZOOM_STEPS.at(-1)
        : [...ZOOM_STEPS].reverse().find((s) => s < current / 1.001) ?? ZOOM_STEPS[0];
    mode = next;
    layout();
  }

  return {
    /** Shows `width`×`height` straight-alpha RGBA bytes. */
    show(width, height, rgba) {
      const data = new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), width, height);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      ctx.putImageData(data, 0, 0);
      const resized = !size || size.width !== width || size.height !== height;
      size = { width, height };
      stage.classList.add('has-image');
      if (resized) layout();
    },
    clear() {
      size = null;
      canvas.width = 0;
      canvas.height = 0;
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
    get scale() {
      return scale;
    },
  };
}

function formatPercent(s) {
  const p = s * 100;
  return `${p >= 10 ? Math.round(p) : p.toFixed(1)} %`;
}
