// The Generate panel's "Extend canvas" mode: the user picks how many pixels to add on each
// side; the core plans the outpaint (crop, mask, Stability's side amounts) and ingests the
// answer into a layer for the new area, and the document grows the canvas and adds the layer
// in one history step. This module only owns the mode switch and the four side fields.

const SIDES = ['left', 'top', 'right', 'bottom'];

/**
 * `root` holds `input[name=gen-mode]` radios (`fill`, `extend`), `#gen-extend` with one number
 * input per side (`#gen-extend-left`, ...) and the prompt (`#gen-prompt`, whose hint follows
 * the mode). `onChange()` runs when the mode or an amount
 * changes. Returns `{active(), sides(), any(), setDisabled(off)}`.
 */
export function createExtendMode(root, onChange) {
  const radios = [...root.querySelectorAll('input[name="gen-mode"]')];
  const fields = root.querySelector('#gen-extend');
  const inputs = Object.fromEntries(SIDES.map((side) => [side, root.querySelector(`#gen-extend-${side}`)]));
  const prompt = root.querySelector('#gen-prompt');
  const fillPlaceholder = prompt.placeholder;

  const active = () => radios.find((r) => r.checked)?.value === 'extend';
  /** Whole, non-negative pixel amounts (the core checks the limits). */
  const sides = () => Object.fromEntries(SIDES.map((side) => [side, Math.max(0, Math.trunc(Number(inputs[side].value) || 0))]));

  function show() {
    fields.hidden = !active();
    root.dataset.mode = active() ? 'extend' : 'fill';
    prompt.placeholder = active() ? 'What should the new area show? Empty: continue the picture (Ctrl+Enter runs)' : fillPlaceholder;
  }

  for (const radio of radios) {
    radio.addEventListener('change', () => {
      show();
      onChange();
    });
  }
  for (const input of Object.values(inputs)) input.addEventListener('input', onChange);
  show();

  return {
    active,
    sides,
    /** True when at least one side adds pixels. */
    any: () => Object.values(sides()).some((v) => v > 0),
    setDisabled(off) {
      for (const el of [...radios, ...Object.values(inputs)]) el.disabled = off;
    },
  };
}
