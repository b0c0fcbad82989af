// Painting tools on the active layer's pixels: the brush, the eraser and the
// clone stamp (Alt+click sets its source). Each drag previews its path and
// runs one `paint.*` command on release: one stroke, one history step; the
// core paints only the stroke's rectangle and the canvas redraws only that.
// [ and ] change the size.

/** A painting tool: the drag's points and the tool's manifest values go to `command`. */
function paintTool({ id, manifest, label, shortcut, hint, command, preview }) {
  return {
    id,
    manifest,
    label,
    shortcut,
    hint,
    collectsPoints: true,
    sized: true,
    shape: (ctx, drag) => ({ kind: 'path', points: drag.points, width: drag.values.diameter, ...preview(ctx, drag) }),
    finish(ctx, drag) {
      const params = { ...drag.values, points: drag.points };
      ctx.recordGesture({ tool: id, points: drag.points, params });
      return ctx.run(command, params);
    },
  };
}

export const paintBrush = paintTool({
  id: 'paint',
  manifest: 'retouch.paint.brush',
  label: 'Brush',
  shortcut: 'B',
  hint: 'Paint the colour on the active layer (inside the selection, if any). Opacity caps one stroke; flow builds up. [ and ] change the size.',
  command: 'paint.brush',
  preview: (ctx, drag) => ({ color: drag.values.color }),
});

export const eraser = paintTool({
  id: 'eraser',
  manifest: 'retouch.paint.eraser',
  label: 'Eraser',
  shortcut: 'E',
  hint: 'Erase the active layer towards transparency (inside the selection, if any). [ and ] change the size.',
  command: 'paint.eraser',
  preview: () => ({ erase: true }),
});

export const cloneStamp = {
  ...paintTool({
    id: 'clone',
    manifest: 'retouch.paint.clone',
    label: 'Clone stamp',
    shortcut: 'S',
    hint: 'Alt+click to set the source, then paint: the source follows the stroke at a fixed offset. [ and ] change the size.',
    command: 'paint.clone',
    // The source moves with the pointer, at the stroke's fixed offset.
    preview(ctx, drag) {
      const source = ctx.cloneSource();
      return { color: '#7fd4ff', source: source && { x: source.x + drag.last.x - drag.start.x, y: source.y + drag.last.y - drag.start.y } };
    },
  }),
  /** Alt+click: the source for the next strokes. */
  altClick: (ctx, point) => ctx.run('paint.clone-source', point),
};
