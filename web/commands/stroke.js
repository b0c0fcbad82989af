// What the stroke commands (paint, heal) share: a command that sends one
// stroke to the core as one history step, and the Alt-click source of the
// clone stamp and the healing brush.

/** Whether there is a layer to stroke. */
export const hasLayer = (ctx) => Boolean(ctx.activeLayer());

/**
 * A stroke command: `{ points: [x0, y0, …], ...the tool's manifest parameters }`,
 * run on the active layer by `project[method](engine, layer, points, params)`;
 * `extra(ctx)` adds parameters the page holds (a source point).
 */
export const strokeCommand = (method) => (id, label, tool, extra = () => ({})) => ({
  id,
  label,
  enabled: hasLayer,
  run(ctx, { points, ...params }) {
    const layerId = ctx.session.state.activeId;
    const args = { ...params, ...extra(ctx), tool };
    return ctx.session.edit((project, engine) => project[method](engine, layerId, new Float32Array(points), args));
  },
});

/** Runs `fn(project)` on the open stroke in the session's queue and shows the rectangle it repainted. */
export function onStroke(ctx, fn) {
  const { session } = ctx;
  return session.run(() => {
    const rect = fn(session.requireProject());
    // Asked from inside the job, so the session is not idle until the render is done.
    if (rect) session.requestRender();
    return rect;
  });
}

/** A tool's Alt-click source as stroke parameters, from `get(ctx)`; `name` as the user knows it. */
export const sourceParams = (get, name) => (ctx) => {
  const source = get(ctx);
  if (!source) throw new Error(`Alt+click to set the ${name} source first`);
  return { sourceX: source.x, sourceY: source.y };
};

/** The command that sets a tool's Alt-click source: `{ x, y }`, a canvas point, given to `set(ctx, point)`. */
export const sourceCommand = (id, name, set) => ({
  id,
  label: `Set the ${name} source`,
  run(ctx, { x, y }) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`the ${name} source needs a point x, y`);
    set(ctx, { x, y });
    ctx.status.set(`${name[0].toUpperCase()}${name.slice(1)} source set at ${Math.round(x)}, ${Math.round(y)}`, 'info');
  },
});
