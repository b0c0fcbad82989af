// Image → Adjustments: one command per adjustment opens its dialog (built from
// its manifest, with a live preview); the dialog's own actions are commands too,
// so keys, buttons and tests drive it the same way.

/** [kind (the manifest's kernel after `adjust.`), label, Photoshop's shortcut]. */
export const ADJUSTMENTS = [
  ['levels', 'Levels…', 'Mod+L'],
  ['curves', 'Curves…', 'Mod+M'],
  ['brightness_contrast', 'Brightness/Contrast…'],
  ['hue_saturation', 'Hue/Saturation…', 'Mod+U'],
  ['color_balance', 'Color Balance…', 'Mod+B'],
  ['gaussian_blur', 'Gaussian Blur…'],
  ['unsharp_mask', 'Unsharp Mask…'],
];

const canAdjust = (ctx) => Boolean(ctx.session.state.project && ctx.activeLayer() && !ctx.adjust?.isOpen());
const dialogOpen = (ctx) => Boolean(ctx.adjust?.isOpen());

export const ADJUST_COMMANDS = [
  ...ADJUSTMENTS.map(([kind, label, shortcut]) => ({
    id: `adjust.${kind}`,
    label,
    shortcut,
    enabled: canAdjust,
    /** Opens the dialog on the active layer; `values` (manifest ids) preset its controls. */
    run: (ctx, values) => ctx.adjust.open(kind, values),
  })),
  {
    id: 'adjust.set',
    label: 'Set adjustment parameters',
    enabled: dialogOpen,
    /** Sets the open dialog's values (manifest ids); resolves when their preview is shown. */
    run: (ctx, values) => ctx.adjust.set(values),
  },
  { id: 'adjust.ok', label: 'Apply the adjustment', enabled: dialogOpen, run: (ctx) => ctx.adjust.ok() },
  { id: 'adjust.cancel', label: 'Cancel the adjustment', enabled: dialogOpen, run: (ctx) => ctx.adjust.cancel() },
];
