// Crop (C): drag the part to keep — its ratio fixed by the tool's preset,
// past the canvas edge to grow it — with the outside dimmed and a
// rule-of-thirds guide. Enter crops (one history step), Esc cancels,
// another drag replaces the box.

/** The crop box waiting for Enter: { x, y, width, height } or null. */
let pending = null;

/** The preset as width / height (undefined: free). */
function ratioOf(ctx, preset) {
  if (preset === 'original') {
    const { width, height } = ctx.session.state.project ?? {};
    return width && height ? width / height : undefined;
  }
  const m = /^(\d+):(\d+)$/.exec(preset ?? '');
  return m ? Number(m[1]) / Number(m[2]) : undefined;
}

export const crop = {
  id: 'crop',
  manifest: 'retouch.transform.crop',
  label: 'Crop',
  shortcut: 'C',
  hint: 'Drag the area to keep (past the edges grows the canvas). Enter crops, Esc cancels.',
  pending: () => (pending ? { ...pending } : null),
  isPending: () => Boolean(pending),
  rect(ctx, drag) {
    return ctx.wasm.marqueeRect(drag.start.x, drag.start.y, drag.last.x, drag.last.y, ratioOf(ctx, drag.values.ratio));
  },
  shape(ctx, drag) {
    return { kind: 'crop', ...this.rect(ctx, drag), guide: drag.values.guide };
  },
  finish(ctx, drag) {
    const rect = this.rect(ctx, drag);
    ctx.recordGesture({ tool: 'crop', points: [drag.start.x, drag.start.y, drag.last.x, drag.last.y], params: rect });
    pending = rect.width >= 1 && rect.height >= 1 ? rect : null;
    ctx.viewer.showShape(pending && { kind: 'crop', ...pending, guide: drag.values.guide });
    ctx.commandsChanged();
  },
  apply(ctx) {
    if (!pending) throw new Error('drag the area to keep first');
    const rect = pending;
    pending = null;
    ctx.viewer.showShape(null);
    return ctx.run('image.crop', rect);
  },
  leave(ctx) {
    pending = null;
    ctx.viewer.showShape(null);
  },
};
