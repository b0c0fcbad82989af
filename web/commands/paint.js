// Painting commands: a brush, eraser or clone stamp stroke on the active
// layer (one history step each, painted by the core inside the selection),
// and the clone stamp's source.

const hasLayer = (ctx) => Boolean(ctx.activeLayer());

/** A stroke command: `{ points: [x0, y0, …], ...the tool's manifest parameters }`. */
const stroke = (id, label, tool, extra = () => ({})) => ({
  id,
  label,
  enabled: hasLayer,
  run(ctx, { points, ...params }) {
    const layerId = ctx.session.state.activeId;
    const args = { ...params, ...extra(ctx), tool };
    return ctx.session.edit((project, engine) => project.paintStroke(engine, layerId, new Float32Array(points), args));
  },
});

export const PAINT_COMMANDS = [
  stroke('paint.brush', 'Brush', 'brush'),
  stroke('paint.eraser', 'Eraser', 'eraser'),
  stroke('paint.clone', 'Clone stamp', 'clone', (ctx) => {
    const source = ctx.cloneSource();
    if (!source) throw new Error('Alt+click to set the clone source first');
    return { sourceX: source.x, sourceY: source.y };
  }),
  {
    id: 'paint.clone-source',
    label: 'Set the clone source',
    /** `{ x, y }`: a canvas point. */
    run(ctx, { x, y }) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error('the clone source needs a point x, y');
      ctx.setCloneSource({ x, y });
      ctx.status.set(`Clone source set at ${Math.round(x)}, ${Math.round(y)}`, 'info');
    },
  },
];
