// Healing commands: a Spot Healing, Remove or Healing brush stroke on the
// active layer (one history step each, healed by the core inside the
// selection), a live Healing brush stroke (healed dab by dab while the
// pointer moves; continued and ended by the paint.stroke-* commands), the
// Healing brush's source, and Shift+J, which cycles the healing tools.

import { HEAL_TOOL_IDS } from '../tools/heal.js';
import { hasLayer, onStroke, sourceCommand, sourceParams, strokeCommand } from './stroke.js';

const stroke = strokeCommand('healStroke');
const healSource = sourceParams((ctx) => ctx.healSource(), 'healing');

export const HEAL_COMMANDS = [
  stroke('heal.spot', 'Spot healing brush', 'spot'),
  stroke('heal.remove', 'Remove tool', 'remove'),
  stroke('heal.healing', 'Healing brush', 'healing', healSource),
  {
    id: 'heal.stroke-begin',
    label: 'Begin a live Healing brush stroke',
    enabled: hasLayer,
    /** `{ points: [x0, y0, …], ...the Healing brush's manifest parameters }`: resolves to the rectangle healed, or null. */
    run(ctx, { points, ...params }) {
      const layerId = ctx.session.state.activeId;
      const args = { ...params, ...healSource(ctx), tool: 'healing' };
      return onStroke(ctx, (p) => p.beginHealStroke(layerId, new Float32Array(points), args));
    },
  },
  sourceCommand('heal.source', 'healing', (ctx, point) => ctx.setHealSource(point)),
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
