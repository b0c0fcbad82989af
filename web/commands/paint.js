// Painting commands: a brush, eraser or clone stamp stroke on the active
// layer (one history step each, painted by the core inside the selection),
// either at once or live (begin, points as the pointer moves, end: the core
// repaints only the new dabs' rectangle), and the clone stamp's source.

import { hasLayer, onStroke, sourceCommand, sourceParams, strokeCommand } from './stroke.js';

const stroke = strokeCommand('paintStroke');
const cloneSource = sourceParams((ctx) => ctx.cloneSource(), 'clone');

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
    /** `{ points: [x0, y0, …] }` (paint or Healing brush): resolves to the rectangle painted, or null. */
    run: (ctx, { points }) => onStroke(ctx, (p) => p.addStrokePoints(new Float32Array(points))),
  },
  {
    id: 'paint.stroke-end',
    label: 'End the live stroke',
    /** Records the stroke (paint or Healing brush) as one history step. */
    run: (ctx) => ctx.session.edit((p) => p.endStroke()),
  },
  sourceCommand('paint.clone-source', 'clone', (ctx, point) => ctx.setCloneSource(point)),
];
