// History and layer commands: undo/redo/jump, and everything the layers
// panel does to the stack, the active layer's properties and its mask.

import { toBytes } from '../ui/files.js';

const hasDocument = (ctx) => Boolean(ctx.session.state.project);
const hasLayer = (ctx) => Boolean(ctx.activeLayer());
const activeIndex = (ctx) => ctx.layers().findIndex((l) => l.id === ctx.session.state.activeId);

/** A history move: the selection and brand kit are read back, the status says what was undone. */
async function historyMove(ctx, fn, done) {
  const name = await ctx.session.edit(fn, { kind: 'history' });
  if (done) ctx.status.set(name ? `${done} ${name}` : `Nothing to ${done.toLowerCase().slice(0, -1)}`, 'info');
  return name;
}

/** A command on the active layer; a returned id becomes the active layer. */
function onActive(id, label, fn, extra = {}) {
  return {
    id,
    label,
    enabled: hasLayer,
    async run(ctx) {
      const layerId = ctx.session.state.activeId;
      const result = await ctx.session.edit((p) => fn(p, layerId));
      if (typeof result === 'number') ctx.setActiveLayer(result);
      return result;
    },
    ...extra,
  };
}

/**
 * Gives the active layer a mask: white (reveal all), or the selection mapped
 * onto the layer (parts of the layer off the canvas stay hidden).
 */
async function addMask(ctx, { fromSelection }) {
  const layer = ctx.activeLayer();
  if (!layer) throw new Error('no active layer');
  const sel = ctx.selection.mask;
  if (fromSelection && !sel) throw new Error('nothing is selected');
  const { Mask } = ctx.wasm;
  await ctx.session.edit((p) => {
    if (!fromSelection) return p.addLayerMask(layer.id);
    const inside = layer.x >= 0 && layer.y >= 0 && layer.x + layer.width <= p.width && layer.y + layer.height <= p.height;
    if (inside && !layer.hasMask) {
      // One history entry: the selection's part under the layer becomes its mask.
      return p.addLayerMask(layer.id, Mask.fromValues(layer.width, layer.height, sel.regionValues(layer.x, layer.y, layer.width, layer.height)));
    }
    if (!layer.hasMask) p.addLayerMask(layer.id, Mask.none(layer.width, layer.height));
    return p.paintMask(layer.id, 0, 0, sel, 'Selection to Layer Mask');
  });
  ctx.status.set(fromSelection ? `The selection is now the mask of “${layer.name}”` : `Added a mask to “${layer.name}”`, 'ok');
}

export const LAYER_COMMANDS = [
  {
    id: 'edit.undo',
    label: 'Undo',
    shortcut: 'Mod+Z',
    repeat: true,
    enabled: (ctx) => ctx.history()?.position > 0,
    run: (ctx) => historyMove(ctx, (p) => p.undo(), 'Undid'),
  },
  {
    id: 'edit.redo',
    label: 'Redo',
    shortcut: ['Mod+Shift+Z', 'Mod+Y'],
    repeat: true,
    enabled: (ctx) => ctx.history() && ctx.history().position < ctx.history().entries.length,
    run: (ctx) => historyMove(ctx, (p) => p.redo(), 'Redid'),
  },
  {
    id: 'history.jump',
    label: 'Go to history step',
    enabled: hasDocument,
    run: (ctx, { position }) => historyMove(ctx, (p) => p.jumpTo(position)),
  },
  {
    id: 'layer.select',
    label: 'Select layer',
    enabled: hasDocument,
    run(ctx, { id }) {
      if (!ctx.layers().some((l) => l.id === id)) throw new Error(`there is no layer ${id}`);
      ctx.setActiveLayer(id);
    },
  },
  {
    id: 'layer.new',
    label: 'New layer',
    shortcut: 'Mod+Shift+N',
    enabled: hasDocument,
    async run(ctx) {
      const id = await ctx.session.edit((p) => p.newLayer(`Layer ${p.layers().length + 1}`));
      ctx.setActiveLayer(id);
      return id;
    },
  },
  onActive('layer.duplicate', 'Duplicate layer', (p, id) => p.duplicateLayer(id), { shortcut: 'Mod+J' }),
  onActive(
    'layer.delete',
    'Delete layer',
    (p, id) => {
      p.deleteLayer(id);
      return p.layers().at(-1)?.id;
    },
    { enabled: (ctx) => hasLayer(ctx) && ctx.layers().length > 1 },
  ),
  onActive('layer.raise', 'Move layer up', (p, id) => p.moveLayer(id, p.layers().findIndex((l) => l.id === id) + 1), {
    shortcut: 'Mod+]',
    enabled: (ctx) => hasLayer(ctx) && activeIndex(ctx) < ctx.layers().length - 1,
  }),
  onActive('layer.lower', 'Move layer down', (p, id) => p.moveLayer(id, p.layers().findIndex((l) => l.id === id) - 1), {
    shortcut: 'Mod+[',
    enabled: (ctx) => hasLayer(ctx) && activeIndex(ctx) > 0,
  }),
  onActive('layer.merge-down', 'Merge down', (p, id) => p.mergeDown(id), {
    shortcut: 'Mod+E',
    enabled: (ctx) => hasLayer(ctx) && activeIndex(ctx) > 0,
  }),
  onActive('layer.clear', 'Clear the selection on the layer', (p, id) => p.clearSelected(id), {
    shortcut: ['Delete', 'Backspace'],
    enabled: (ctx) => hasLayer(ctx) && Boolean(ctx.selection.mask),
  }),
  {
    id: 'layer.set-properties',
    label: 'Layer properties',
    enabled: hasDocument,
    /** `{ id?, mode, opacity (percent, 0–100), x, y, visible }`, one history step; `id` defaults to the active layer. */
    run(ctx, { id = ctx.session.state.activeId, opacity, ...rest }) {
      if (id === null || id === undefined) throw new Error('no active layer');
      const patch = { ...rest };
      if (opacity !== undefined) {
        const percent = Number(opacity);
        if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new Error(`opacity ${opacity} is not a percentage from 0 to 100`);
        patch.opacity = percent / 100;
      }
      return ctx.session.edit((p) => p.setLayerProperties(id, patch));
    },
  },
  {
    id: 'layer.rename',
    label: 'Rename layer',
    enabled: hasDocument,
    run: (ctx, { id = ctx.session.state.activeId, name }) => ctx.session.edit((p) => p.renameLayer(id, name)),
  },
  {
    id: 'layer.move-to',
    label: 'Move layer in the stack',
    enabled: hasDocument,
    run: (ctx, { id = ctx.session.state.activeId, index }) => ctx.session.edit((p) => p.moveLayer(id, index)),
  },
  {
    id: 'layer.mask.add',
    label: 'Add layer mask',
    enabled: (ctx) => hasLayer(ctx) && !ctx.activeLayer().hasMask,
    run: (ctx) => addMask(ctx, { fromSelection: Boolean(ctx.selection.mask) }),
  },
  {
    id: 'layer.mask.from-selection',
    label: 'Selection → layer mask',
    enabled: (ctx) => hasLayer(ctx) && Boolean(ctx.selection.mask),
    run: (ctx) => addMask(ctx, { fromSelection: true }),
  },
  {
    id: 'layer.mask.load',
    label: 'Load layer mask…',
    enabled: (ctx) => hasLayer(ctx) && !ctx.activeLayer().hasMask,
    async run(ctx, { bytes, name = 'mask.png' }) {
      if (!bytes) return ctx.pick('layer-mask');
      const layer = ctx.activeLayer();
      let mask;
      try {
        mask = ctx.wasm.Mask.decode(toBytes(bytes));
      } catch (error) {
        throw new Error(`Cannot open “${name}”: ${error instanceof Error ? error.message : error}`);
      }
      await ctx.session.edit((p) => p.addLayerMask(layer.id, mask));
      ctx.status.set(`Loaded ${name} as the mask of “${layer.name}”`, 'ok');
    },
  },
  onActive('layer.mask.apply', 'Apply layer mask', (p, id) => p.applyLayerMask(id), {
    enabled: (ctx) => Boolean(ctx.activeLayer()?.hasMask),
  }),
  onActive('layer.mask.delete', 'Delete layer mask', (p, id) => p.deleteLayerMask(id), {
    enabled: (ctx) => Boolean(ctx.activeLayer()?.hasMask),
  }),
];
