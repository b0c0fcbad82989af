// Selection brush: paints coverage along the stroke (Alt or the Erase option
// removes it); one history step per stroke. [ and ] change the size.
// Shift+B: B is the paint brush, as in Photoshop.

export const brush = {
  id: 'brush',
  manifest: 'retouch.mask.brush',
  label: 'Selection brush',
  shortcut: 'Shift+B',
  hint: 'Paint the selection; turn on Erase (or hold Alt) to remove. [ and ] change the size.',
  collectsPoints: true,
  sized: true,
  begin(ctx, drag, event) {
    drag.erase = Boolean(drag.values.erase) || Boolean(event?.altKey);
    return drag;
  },
  shape: (ctx, drag) => ({ kind: 'path', points: drag.points, width: drag.values.diameter, erase: drag.erase }),
  finish(ctx, drag) {
    const params = { ...drag.values, erase: drag.erase, points: drag.points };
    ctx.recordGesture({ tool: 'brush', points: drag.points, params });
    return ctx.run('select.brush', params);
  },
};
