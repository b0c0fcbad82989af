// The canvas gesture: pointer down / move / up on the view, handed to the
// current tool. Click tools act on "down"; drag tools collect the drag,
// preview its shape, and run their command on "up" (a tool with
// `interrupt` hears of a drag cut short). Modifier keys pick the
// selection mode as in Photoshop: Shift adds, Alt subtracts, both intersect;
// a tool with an Alt+click action (the clone stamp's and the healing
// brush's source) takes Alt+down.

import { move } from './move.js';
import { rectangle, ellipse } from './marquee.js';
import { lasso } from './lasso.js';
import { wand, colorRange } from './pick.js';
import { brush } from './brush.js';
import { paintBrush, eraser, cloneStamp } from './paint.js';
import { spotHeal, remove, healing } from './heal.js';
import { hand, zoom } from './navigate.js';
import { crop } from './crop.js';
import { transform } from './transform.js';
import { type } from './type.js';

/** Every canvas tool, in toolbox order. Navigation tools' gestures are the view's own. */
export const TOOLS = [move, rectangle, ellipse, lasso, wand, colorRange, brush, paintBrush, eraser, cloneStamp, spotHeal, remove, healing, type, crop, transform, hand, zoom];

function combineMode(event, values) {
  if (event?.shiftKey && event?.altKey) return 'intersect';
  if (event?.shiftKey) return 'add';
  if (event?.altKey) return 'subtract';
  return values.mode ?? 'replace';
}

/**
 * @param {{ ctx: object, viewer: object, tool: () => object, values: (id: string) => object,
 *   onError: (label: string, error: Error) => void }} deps
 *   `ctx` is what tools use: { run(id, args), activeLayer(), recordGesture(g), wasm }.
 */
export function createGesture({ ctx, viewer, tool, values, onError }) {
  let drag = null;

  function preview() {
    if (!drag) return;
    viewer.showShape(drag.tool.shape(ctx, drag));
  }

  function settle(label, result) {
    Promise.resolve(result).catch((error) => onError(label, error));
  }

  return {
    /** Handles a pointer phase ('down' | 'move' | 'up' | 'cancel') at an image point. */
    handle(phase, point, event) {
      if (phase === 'down') {
        const current = tool();
        const toolValues = values(current.id);
        const mode = combineMode(event, toolValues);
        if (current.altClick && event?.altKey) {
          settle(current.label, current.altClick(ctx, point));
          return;
        }
        if (current.click) {
          settle(current.label, current.click(ctx, point, { values: toolValues, mode, event }));
          return;
        }
        drag = { tool: current, start: point, last: point, points: [point.x, point.y], mode, values: toolValues };
        if (current.begin) drag = current.begin(ctx, drag, event);
        preview();
        return;
      }
      if (!drag) return;
      if (phase === 'move') {
        drag.last = point;
        if (drag.tool.collectsPoints) {
          const n = drag.points.length;
          if (drag.points[n - 2] !== point.x || drag.points[n - 1] !== point.y) drag.points.push(point.x, point.y);
        }
        preview();
        return;
      }
      const done = drag;
      drag = null;
      viewer.showShape(null);
      if (phase === 'cancel') {
        if (done.tool.interrupt) settle(done.tool.label, done.tool.interrupt(ctx, done));
        return;
      }
      done.last = point;
      settle(done.tool.label, done.tool.finish(ctx, done));
    },
    /** Drops a drag in progress (the tool changed). */
    cancel() {
      if (drag?.tool.interrupt) settle(drag.tool.label, drag.tool.interrupt(ctx, drag));
      drag = null;
      viewer.showShape(null);
    },
  };
}
