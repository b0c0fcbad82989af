// Healing commands: a Spot Healing, Remove or Healing brush stroke on the
// active layer (one history step each, healed by the core inside the
// selection), the Healing brush's source, and Shift+J, which cycles the
// healing tools.

import { HEAL_TOOL_IDS } from '../tools/heal.js';
import { sourceCommand, sourceParams, strokeCommand } from './stroke.js';

const stroke = strokeCommand('healStroke');
const healSource = sourceParams((ctx) => ctx.healSource(), 'healing');

export const HEAL_COMMANDS = [
  stroke('heal.spot', 'Spot healing brush', 'spot'),
  stroke('heal.remove', 'Remove tool', 'remove'),
  stroke('heal.healing', 'Healing brush', 'healing', healSource),
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
