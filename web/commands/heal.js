// Healing commands: a Spot Healing, Remove or Healing brush stroke on the
// active layer (one history step each, healed by the core inside the
// selection), the Healing brush's source, and Shift+J, which cycles the
// healing tools.

import { HEAL_TOOL_IDS } from '../tools/heal.js';

const hasLayer = (ctx) => Boolean(ctx.activeLayer());

/** A stroke command: `{ points: [x0, y0, …], ...the tool's manifest parameters }`. */
const stroke = (id, label, tool, extra = () => ({})) => ({
  id,
  label,
  enabled: hasLayer,
  run(ctx, { points, ...params }) {
    const layerId = ctx.session.state.activeId;
    const args = { ...params, ...extra(ctx), tool };
    return ctx.session.edit((project, engine) => project.healStroke(engine, layerId, new Float32Array(points), args));
  },
});

/** The Healing brush's source as stroke parameters. */
function healSource(ctx) {
  const source = ctx.healSource();
  if (!source) throw new Error('Alt+click to set the healing source first');
  return { sourceX: source.x, sourceY: source.y };
}

export const HEAL_COMMANDS = [
  stroke('heal.spot', 'Spot healing brush', 'spot'),
  stroke('heal.remove', 'Remove tool', 'remove'),
  stroke('heal.healing', 'Healing brush', 'healing', healSource),
  {
    id: 'heal.source',
    label: 'Set the healing source',
    /** `{ x, y }`: a canvas point. */
    run(ctx, { x, y }) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error('the healing source needs a point x, y');
      ctx.setHealSource({ x, y });
      ctx.status.set(`Healing source set at ${Math.round(x)}, ${Math.round(y)}`, 'info');
    },
  },
  {
    id: 'heal.cycle-tool',
    label: 'Next healing tool',
    shortcut: 'Shift+J',
    /** Spot healing → Remove → Healing brush → Spot healing; from any other tool, Spot healing. */
    run(ctx) {
      const at = HEAL_TOOL_IDS.indexOf(ctx.tools.current);
      ctx.tools.set(HEAL_TOOL_IDS[(at + 1) % HEAL_TOOL_IDS.length]);
    },
  },
];
