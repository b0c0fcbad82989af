// Move: drags the active layer; the outline follows the pointer and the
// offset is one history step when the button is released.

export const move = {
  id: 'move',
  label: 'Move',
  description: 'Moves the active layer.',
  shortcut: 'V',
  hint: 'Drag on the image to move the active layer.',
  begin(ctx, drag) {
    const layer = ctx.activeLayer();
    if (!layer) return null;
    drag.layer = layer;
    return drag;
  },
  offset: (drag) => ({ dx: Math.round(drag.last.x - drag.start.x), dy: Math.round(drag.last.y - drag.start.y) }),
  shape(ctx, drag) {
    const { dx, dy } = this.offset(drag);
    const { layer } = drag;
    return { kind: 'outline', x: layer.x + dx, y: layer.y + dy, width: layer.width, height: layer.height };
  },
  finish(ctx, drag) {
    const { dx, dy } = this.offset(drag);
    ctx.recordGesture({ tool: 'move', points: [drag.start.x, drag.start.y, drag.last.x, drag.last.y], params: { dx, dy } });
    if (dx === 0 && dy === 0) return null;
    return ctx.run('layer.set-properties', { id: drag.layer.id, x: drag.layer.x + dx, y: drag.layer.y + dy });
  },
};
