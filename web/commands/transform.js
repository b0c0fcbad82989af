// Geometry commands: crop (from the crop tool's box, or to the selection),
// free transform (Ctrl+T enters it, tool.apply / tool.cancel finish it),
// and Enter / Esc for whichever tool holds something waiting.

const hasDocument = (ctx) => Boolean(ctx.session.state.project);
const waiting = (ctx) => Boolean(ctx.tools?.tool()?.isPending?.());

/** After the free transform: back to the tool used before it. */
function leaveTransform(ctx) {
  if (ctx.tools.current === 'transform') ctx.tools.set(ctx.tools.previous ?? 'move');
}

export const TRANSFORM_COMMANDS = [
  {
    id: 'image.crop',
    label: 'Crop',
    enabled: hasDocument,
    /** `{ x, y, width, height }` on the canvas; past its edges the canvas grows (transparent). */
    async run(ctx, { x, y, width, height }) {
      if (![x, y, width, height].every(Number.isInteger) || width < 1 || height < 1) {
        throw new Error('crop: x, y, width and height must be whole numbers, the size at least 1×1');
      }
      await ctx.session.edit((p) => p.crop(x, y, width, height));
      ctx.status.set(`Cropped to ${width} × ${height} px`, 'ok');
    },
  },
  {
    id: 'image.crop-to-selection',
    label: 'Crop to selection',
    enabled: (ctx) => hasDocument(ctx) && Boolean(ctx.selection.mask),
    async run(ctx) {
      const rect = await ctx.session.read((p) => p.selectionBounds());
      if (!rect) throw new Error('nothing is selected');
      return ctx.run('image.crop', rect);
    },
  },
  {
    id: 'transform.set-matrix',
    label: 'Set the transform',
    enabled: (ctx) => ctx.tools?.current === 'transform' && waiting(ctx),
    /** `{ matrix: [a, b, c, d, e, f] }` from the layer's pixels to the canvas (as SVG's matrix()). */
    run: (ctx, { matrix }) => ctx.tools.tool().setMatrix(ctx, matrix),
  },
  {
    id: 'tool.apply',
    label: 'Apply (crop or transform)',
    shortcut: 'Enter',
    enabled: waiting,
    async run(ctx) {
      await ctx.tools.tool().apply(ctx);
      leaveTransform(ctx);
    },
  },
  {
    id: 'tool.cancel',
    label: 'Cancel (crop or transform)',
    shortcut: 'Escape',
    enabled: waiting,
    run(ctx) {
      ctx.tools.tool().leave(ctx);
      leaveTransform(ctx);
      ctx.commandsChanged();
    },
  },
];
