// The Generate fill and Upscale panels' actions as commands, so that keys,
// host panels and tests reach them the same way as the panels' buttons.

const hasDocument = (ctx) => Boolean(ctx.session.state.project);

export const PANEL_COMMANDS = [
  {
    id: 'generate.focus',
    label: 'Generate fill…',
    shortcut: 'G',
    enabled: (ctx) => ctx.panels.generate.ready(),
    run: (ctx) => ctx.panels.generate.focus(),
  },
  {
    id: 'generate.run',
    label: 'Generate',
    enabled: hasDocument,
    /** Runs the panel as it is filled in; resolves when the run ended (staged, failed, cancelled). */
    run: (ctx) => ctx.panels.generate.run(),
  },
  { id: 'generate.cancel', label: 'Cancel generation', run: (ctx) => ctx.panels.generate.cancel() },
  {
    id: 'generate.accept',
    label: 'Accept variant',
    /** `{ index }`: the variant; resolves to the new layer's id. */
    run: (ctx, { index = 0 }) => ctx.panels.generate.accept(index),
  },
  { id: 'generate.discard', label: 'Discard variants', run: (ctx) => ctx.panels.generate.discard() },
  {
    id: 'generate.set-options',
    label: 'Generation options',
    /** `{ mockLatencyMs, policy }` (the bridge's retry policy). */
    run: (ctx, patch) => ctx.panels.generate.setOptions(patch),
  },
  ...[
    ['image', 'Upscale the image'],
    ['selection', 'Upscale the selection into a new layer'],
    ['file', 'Upscale the selection into a new file'],
  ].map(([kind, label]) => ({
    id: `upscale.${kind}`,
    label,
    enabled: (ctx) => hasDocument(ctx) && (kind === 'image' || Boolean(ctx.selection.mask)),
    /** The panel's parameters by manifest id (filter, scale, sharpness, linear_light, model). */
    async run(ctx, params) {
      const unknown = ctx.panels.upscale.set(params);
      if (unknown?.length) throw new Error(`unknown parameter(s): ${unknown.join(', ')}`);
      return ctx.panels.upscale.run(kind);
    },
  })),
  {
    id: 'upscale.cancel',
    label: 'Cancel the AI upscale',
    enabled: (ctx) => Boolean(ctx.panels.upscale.state().progress),
    run: (ctx) => ctx.panels.upscale.cancel(),
  },
  { id: 'upscale.close-compare', label: 'Close the before/after view', run: (ctx) => ctx.panels.upscale.closeCompare() },
];
