// Rectangular and elliptical marquee: drag a box (its ratio fixed by the
// tool's option); a click without a drag deselects, as in every editor.

function marquee(id, kind, command, name, shortcut) {
  return {
    id,
    manifest: `retouch.mask.${id}`,
    shortcut,
    hint: 'Drag to select. Shift adds, Alt subtracts, both intersect. Click to deselect.',
    /** The drag's rectangle, constrained by the core's marquee rule. */
    rect(ctx, drag) {
      return ctx.wasm.marqueeRect(drag.start.x, drag.start.y, drag.last.x, drag.last.y, drag.values.ratio > 0 ? drag.values.ratio : undefined);
    },
    shape(ctx, drag) {
      return { kind, ...this.rect(ctx, drag) };
    },
    finish(ctx, drag) {
      const rect = this.rect(ctx, drag);
      const params = { ...rect, mode: drag.mode };
      ctx.recordGesture({ tool: id, points: [drag.start.x, drag.start.y, drag.last.x, drag.last.y], params });
      if (rect.width < 1 || rect.height < 1) return drag.mode === 'replace' ? ctx.run('select.none') : null;
      return ctx.run(command, params);
    },
    label: name,
  };
}

export const rectangle = marquee('rectangle', 'rect', 'select.rectangle', 'Rectangular marquee', 'M');
export const ellipse = marquee('ellipse', 'ellipse', 'select.ellipse', 'Elliptical marquee', 'Shift+M');
