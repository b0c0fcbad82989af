// Painting commands: a brush, eraser or clone stamp stroke on the active
// layer (one history step each, painted by the core inside the selection),
// either at once or live (begin, points as the pointer moves, end: the core
// repaints only the new dabs' rectangle), and the clone stamp's source.

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

/** The clone stamp's source as stroke parameters. */
function cloneSource(ctx) {
  const source = ctx.cloneSource();
  if (!source) throw new Error('Alt+click to set the clone source first');
  return { sourceX: source.x, sourceY: source.y };
}

/** Runs `fn(project)` on the open stroke in the session's queue and shows the rectangle it repainted. */
function onStroke(ctx, fn) {
  const { session } = ctx;
  return session.run(() => {
    const rect = fn(session.requireProject());
    // Asked from inside the job, so the session is not idle until the render is done.
    if (rect) session.requestRender();
    return rect;
  });
}

export const PAINT_COMMANDS = [
  stroke('paint.brush', 'Brush', 'brush'),
  stroke('paint.eraser', 'Eraser', 'eraser'),
  stroke('paint.clone', 'Clone stamp', 'clone', cloneSource),
  {
    id: 'paint.stroke-begin',
    label: 'Begin a live stroke',
    enabled: hasLayer,
    /** `{ tool: 'brush' | 'eraser' | 'clone', points: [x0, y0, …], ...the tool's manifest parameters }`: resolves to the rectangle painted, or null. */
    run(ctx, { points, tool, ...params }) {
      const layerId = ctx.session.state.activeId;
      const args = { ...params, ...(tool === 'clone' ? cloneSource(ctx) : {}), tool };
      return onStroke(ctx, (p) => p.beginStroke(layerId, new Float32Array(points), args));
    },
  },
  {
    id: 'paint.stroke-points',
    label: 'Continue the live stroke',
    /** `{ points: [x0, y0, …] }`: resolves to the rectangle painted, or null. */
    run: (ctx, { points }) => onStroke(ctx, (p) => p.addStrokePoints(new Float32Array(points))),
  },
  {
    id: 'paint.stroke-end',
    label: 'End the live stroke',
    /** Records the stroke as one history step. */
    run: (ctx) => ctx.session.edit((p) => p.endStroke()),
  },
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
