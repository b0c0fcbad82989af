// View, tool and engine commands: zoom, the quick-mask overlay, picking a
// canvas tool, the brush size, and which engine runs the kernels.

import { TOOLS } from '../tools/gesture.js';

const BACKENDS = ['auto', 'gpu', 'cpu'];
const hasDocument = (ctx) => Boolean(ctx.session.state.project);

export const VIEW_COMMANDS = [
  { id: 'view.zoom-in', label: 'Zoom in', shortcut: ['+', '=', 'Mod+=', 'Mod++'], repeat: true, enabled: hasDocument, run: (ctx) => ctx.viewer.zoomIn() },
  { id: 'view.zoom-out', label: 'Zoom out', shortcut: ['-', 'Mod+-'], repeat: true, enabled: hasDocument, run: (ctx) => ctx.viewer.zoomOut() },
  { id: 'view.fit', label: 'Fit to view', shortcut: ['0', 'Mod+0'], enabled: hasDocument, run: (ctx) => ctx.viewer.fit() },
  { id: 'view.actual-size', label: 'Actual pixels', shortcut: ['1', 'Mod+1'], enabled: hasDocument, run: (ctx) => ctx.viewer.actualSize() },
  {
    id: 'view.quick-mask',
    label: 'Show the quick-mask overlay',
    shortcut: 'Q',
    /** `{ show }`: true or false; without it, toggles. */
    run: (ctx, { show }) => ctx.setOverlay(show ?? !ctx.overlayShown()),
  },
  ...TOOLS.map((tool) => ({
    id: `tool.${tool.id}`,
    label: tool.label,
    shortcut: tool.shortcut,
    enabled: tool.enabled,
    run: (ctx) => ctx.tools.set(tool.id),
  })),
  {
    id: 'tool.set-params',
    label: 'Tool options',
    /** `{ tool?, params }`: sets the current (or named) tool's manifest parameters. */
    run: (ctx, { tool, params }) => ctx.tools.setParams(params, tool),
  },
  {
    id: 'brush.smaller',
    label: 'Smaller brush',
    shortcut: '[',
    repeat: true,
    enabled: (ctx) => Boolean(ctx.tools.tool()?.sized),
    run: (ctx) => ctx.tools.scaleBrush(1 / 1.25),
  },
  {
    id: 'brush.bigger',
    label: 'Bigger brush',
    shortcut: ']',
    repeat: true,
    enabled: (ctx) => Boolean(ctx.tools.tool()?.sized),
    run: (ctx) => ctx.tools.scaleBrush(1.25),
  },
  {
    id: 'engine.use',
    label: 'Choose the engine',
    /** `{ choice }`: auto, gpu or cpu. */
    run(ctx, { choice }) {
      if (!BACKENDS.includes(choice)) throw new Error(`unknown backend “${choice}” (use auto, gpu or cpu)`);
      return ctx.useBackend(choice);
    },
  },
];
