// The healing tools on the active layer: the Spot Healing brush (J), the
// Remove tool and the Healing brush (Alt+click sets its source); Shift+J
// cycles through them. Spot Healing and Remove paint a translucent stroke
// on the overlay and on release the core heals the whole stroke at once
// (content-aware fill, blended in the gradient domain). The Healing brush
// heals while the pointer moves: each dab takes the source's texture and is
// blended in with the tone around it; release heals the whole stroke at
// once and records it. Each stroke is one history step. [ and ] change the
// size.

import { liveStrokeTool } from './paint.js';

/** The order Shift+J cycles in. */
export const HEAL_TOOL_IDS = ['spot_heal', 'remove', 'healing'];

/** A healing tool that heals on release: the drag's points and the tool's manifest values go to the `heal.<tool>` command. */
function healTool({ id, manifest, label, shortcut, hint, tool }) {
  return {
    id,
    manifest,
    label,
    shortcut,
    hint,
    collectsPoints: true,
    sized: true,
    shape: (ctx, drag) => ({ kind: 'path', points: drag.points, width: drag.values.diameter, color: 'rgba(40, 40, 40, 0.45)' }),
    finish(ctx, drag) {
      ctx.recordGesture({ tool: id, points: drag.points, params: { ...drag.values, points: drag.points } });
      return ctx.run(`heal.${tool}`, { ...drag.values, points: drag.points });
    },
  };
}

export const spotHeal = healTool({
  id: 'spot_heal',
  manifest: 'retouch.heal.spot',
  label: 'Spot healing brush',
  shortcut: 'J',
  hint: 'Paint over a blemish: it is rebuilt from around it and blended in. Shift+J: Remove tool, Healing brush. [ and ] change the size.',
  tool: 'spot',
});

export const remove = healTool({
  id: 'remove',
  manifest: 'retouch.heal.remove',
  label: 'Remove tool',
  hint: 'Paint over an object, edge included: it is filled from around it and blended in. Shift+J cycles the healing tools. [ and ] change the size.',
  tool: 'remove',
});

export const healing = {
  ...liveStrokeTool({
    id: 'healing',
    manifest: 'retouch.heal.healing',
    label: 'Healing brush',
    hint: 'Alt+click to set the source, then paint: its texture is blended in with the tone around the stroke. Shift+J cycles the healing tools. [ and ] change the size.',
    tool: 'healing',
    begin: 'heal.stroke-begin',
    command: 'heal.healing',
    // The source moves with the pointer, at the stroke's fixed offset.
    preview(ctx, drag) {
      const source = ctx.healSource();
      return { source: source && { x: source.x + drag.last.x - drag.start.x, y: source.y + drag.last.y - drag.start.y } };
    },
  }),
  /** Alt+click: the source for the next strokes. */
  altClick: (ctx, point) => ctx.run('heal.source', point),
};
