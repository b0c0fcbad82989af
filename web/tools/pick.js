// Click tools that sample the composite: the magic wand (contiguous or global
// colour within a tolerance) and colour range (every pixel like the clicked one).

export const wand = {
  id: 'wand',
  manifest: 'retouch.mask.wand',
  label: 'Magic wand',
  shortcut: 'W',
  hint: 'Click a colour to select it (sampled from the composite). Shift adds, Alt subtracts.',
  click(ctx, point, { values, mode }) {
    const params = { ...values, x: point.x, y: point.y, mode };
    ctx.recordGesture({ tool: 'wand', points: [point.x, point.y], params });
    return ctx.run('select.wand', params);
  },
};

export const colorRange = {
  id: 'color_range',
  manifest: 'retouch.mask.color_range',
  label: 'Colour range',
  shortcut: 'R',
  hint: 'Click the image to select every pixel of that colour, or use the colour above.',
  click(ctx, point, { values, mode }) {
    const params = { ...values, x: point.x, y: point.y, mode };
    ctx.recordGesture({ tool: 'color_range', points: [point.x, point.y], params });
    return ctx.run('select.color-range', { fuzziness: values.fuzziness, mode, color: null, samples: [point.x, point.y] });
  },
};
