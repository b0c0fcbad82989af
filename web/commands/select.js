// Selection commands: each change of the selection is one history step in
// the document (undo brings a deselected selection back, and never skips
// over a selection change to undo something else).

const hasDocument = (ctx) => Boolean(ctx.session.state.project);
const hasSelection = (ctx) => Boolean(ctx.selection.mask);

/** The selection modifiers: their manifests give the panel's parameter; value in pixels. */
export const MODIFIERS = [
  { op: 'feather', manifest: 'retouch.mask.feather', param: 'radius', button: 'Feather' },
  { op: 'grow', manifest: 'retouch.mask.grow', param: 'distance', button: 'Expand' },
  { op: 'shrink', manifest: 'retouch.mask.shrink', param: 'distance', button: 'Contract' },
  { op: 'border', manifest: 'retouch.mask.border', param: 'width', button: 'Border' },
  { op: 'smooth', manifest: 'retouch.mask.smooth', param: 'radius', button: 'Smooth' },
];

/** A selection tool's command: its arguments are the tool's parameters. */
const shape = (id, label, method) => ({ id, label, enabled: hasDocument, run: (ctx, args) => ctx.selection[method](args) });

export const SELECT_COMMANDS = [
  { id: 'select.all', label: 'Select all', shortcut: 'Mod+A', enabled: hasDocument, run: (ctx) => ctx.selection.all() },
  { id: 'select.none', label: 'Deselect', shortcut: 'Mod+D', enabled: hasDocument, run: (ctx) => ctx.selection.none() },
  {
    id: 'select.reselect',
    label: 'Reselect',
    shortcut: 'Mod+Shift+D',
    enabled: (ctx) => hasDocument(ctx) && ctx.selection.canReselect,
    run: (ctx) => ctx.selection.reselect(),
  },
  { id: 'select.invert', label: 'Invert selection', shortcut: 'Mod+Shift+I', enabled: hasDocument, run: (ctx) => ctx.selection.invert() },
  {
    id: 'select.layer-pixels',
    label: 'Select layer pixels',
    enabled: (ctx) => Boolean(ctx.activeLayer()),
    run: (ctx) => ctx.selection.layerAlpha(ctx.session.state.activeId),
  },
  shape('select.rectangle', 'Rectangular marquee', 'rectangle'),
  shape('select.ellipse', 'Elliptical marquee', 'ellipse'),
  shape('select.lasso', 'Lasso', 'lasso'),
  shape('select.wand', 'Magic wand', 'wand'),
  shape('select.color-range', 'Colour range', 'colorRange'),
  shape('select.brush', 'Selection brush', 'brush'),
  ...MODIFIERS.map(({ op, button }) => ({
    id: `select.${op}`,
    label: `${button} selection`,
    enabled: hasSelection,
    /** `{ value }` in pixels; without it, the panel's value. */
    run: (ctx, { value }) => ctx.selection.modify(op, value ?? ctx.modifierValue(op)),
  })),
];
