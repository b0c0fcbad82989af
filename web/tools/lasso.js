// Freehand lasso: the path closes itself; too short a drag deselects.

export const lasso = {
  id: 'lasso',
  manifest: 'retouch.mask.lasso',
  label: 'Lasso',
  shortcut: 'L',
  hint: 'Drag around the area; the path closes itself. Shift adds, Alt subtracts.',
  collectsPoints: true,
  shape: (ctx, drag) => ({ kind: 'path', points: drag.points, closed: false }),
  finish(ctx, drag) {
    const params = { points: drag.points, mode: drag.mode };
    ctx.recordGesture({ tool: 'lasso', points: drag.points, params });
    if (drag.points.length < 6) return drag.mode === 'replace' ? ctx.run('select.none') : null;
    return ctx.run('select.lasso', params);
  },
};
