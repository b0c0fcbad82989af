// Painting tools on the active layer's pixels: the brush, the eraser and the
// clone stamp (Alt+click sets its source). Each drag is a live stroke: the
// core paints the first point on "down" and the new dabs of every move
// (only their rectangle, which the canvas redraws), and records the stroke
// as one history step on release — the same pixels as the whole stroke at
// once. A live stroke holds a copy of the layer: where the core refuses it
// (a 16384² layer in the page would pass the memory budget), the stroke is
// painted at once on release, as one step all the same. [ and ] change the size.

/**
 * A tool that strokes live: the drag's first points and the tool's manifest
 * values go to the `begin` command (by default `paint.stroke-begin`, as a
 * `tool` stroke), the rest to the `paint.stroke-*` commands; without a live
 * stroke the whole drag goes to `command` (by default `paint.<tool>`) on
 * release. The Healing brush strokes this way too.
 */
export function liveStrokeTool({ id, manifest, label, shortcut, hint, tool, preview, begin = 'paint.stroke-begin', command = `paint.${tool}` }) {
  return {
    id,
    manifest,
    label,
    shortcut,
    hint,
    collectsPoints: true,
    sized: true,
    begin(ctx, drag) {
      drag.sent = drag.points.length;
      drag.inFlight = 0;
      drag.command = command;
      drag.begun = ctx.run(begin, { ...drag.values, tool, points: drag.points }).then(
        () => (drag.live = true),
        () => (drag.live = false),
      );
      return drag;
    },
    // The dabs themselves show: the overlay only marks the clone source.
    shape(ctx, drag) {
      if (drag.inFlight < MAX_IN_FLIGHT && drag.live !== false) sendPoints(ctx, drag);
      return { kind: 'path', points: [], width: drag.values.diameter, ...preview(ctx, drag) };
    },
    finish(ctx, drag) {
      ctx.recordGesture({ tool: id, points: drag.points, params: { ...drag.values, points: drag.points } });
      return endStroke(ctx, drag);
    },
    /** A drag cut short (pointer lost, tool changed): what was painted stays, as one step. */
    interrupt: endStroke,
  };
}

/** Point batches queued at once during a drag; more moves wait and go together. */
const MAX_IN_FLIGHT = 2;

/**
 * Queues the drag's points not sent yet. The session runs jobs in order, so
 * the points go to the core in stroke order; a core slower than the pointer
 * gets the moves in fewer, larger batches.
 */
function sendPoints(ctx, drag) {
  if (drag.sent >= drag.points.length) return;
  const points = drag.points.slice(drag.sent);
  drag.sent = drag.points.length;
  drag.inFlight++;
  const sent = ctx.run('paint.stroke-points', { points });
  sent
    .catch(() => {})
    .finally(() => {
      drag.inFlight--;
      if (drag.inFlight < MAX_IN_FLIGHT && !drag.ended) sendPoints(ctx, drag);
    });
}

/**
 * Queues the last points and the stroke's end at once (so nothing slips
 * between them). Without a live stroke the whole stroke is painted at once
 * (its error, if any, is the one reported).
 */
async function endStroke(ctx, drag) {
  drag.ended = true;
  if (drag.live !== false) {
    sendPoints(ctx, drag);
    const ended = ctx.run('paint.stroke-end');
    if (await drag.begun) return ended;
    await ended.catch(() => {});
  }
  return ctx.run(drag.command, { ...drag.values, points: drag.points });
}

export const paintBrush = liveStrokeTool({
  id: 'paint',
  manifest: 'retouch.paint.brush',
  label: 'Brush',
  shortcut: 'B',
  hint: 'Paint the colour on the active layer (inside the selection, if any). Opacity caps one stroke; flow builds up. [ and ] change the size.',
  tool: 'brush',
  preview: () => ({}),
});

export const eraser = liveStrokeTool({
  id: 'eraser',
  manifest: 'retouch.paint.eraser',
  label: 'Eraser',
  shortcut: 'E',
  hint: 'Erase the active layer towards transparency (inside the selection, if any). [ and ] change the size.',
  tool: 'eraser',
  preview: () => ({ erase: true }),
});

export const cloneStamp = {
  ...liveStrokeTool({
    id: 'clone',
    manifest: 'retouch.paint.clone',
    label: 'Clone stamp',
    shortcut: 'S',
    hint: 'Alt+click to set the source, then paint: the source follows the stroke at a fixed offset. [ and ] change the size.',
    tool: 'clone',
    // The source moves with the pointer, at the stroke's fixed offset.
    preview(ctx, drag) {
      const source = ctx.cloneSource();
      return { color: '#7fd4ff', source: source && { x: source.x + drag.last.x - drag.start.x, y: source.y + drag.last.y - drag.start.y } };
    },
  }),
  /** Alt+click: the source for the next strokes. */
  altClick: (ctx, point) => ctx.run('paint.clone-source', point),
};
