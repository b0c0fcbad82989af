// The host commands: get the image to edit from the host the editor runs in
// (../hosts/: the browser, Photoshop, Figma, Adobe Express) and send the
// result back. The host's own panel (e.g. the Photoshop panel's buttons)
// runs them through the registry like any button or key.

import { openImage, openHostImage } from './file.js';

const hasDocument = (ctx) => Boolean(ctx.session.state.project);

/** The send options as last chosen (kept in the host's settings), overridden by `args`. */
async function sendOptions(ctx, args) {
  const saved = {};
  for (const option of ctx.host.sendOptions) {
    const value = await ctx.host.settings.get(`send.${option.id}`);
    if (option.values.some((v) => v.value === value)) saved[option.id] = value;
  }
  return { ...saved, ...args };
}

/**
 * What the host gets back: the canvas size, the active layer (a fix lands as
 * one: its name is the operation's) and readers that run in the session's turn.
 */
async function resultOf(ctx) {
  const { session } = ctx;
  const layerId = session.state.activeId;
  const facts = await session.read((p) => {
    const layer = p.layers().find((l) => l.id === layerId);
    if (!layer) throw new Error('there is no layer to send');
    return { width: p.width, height: p.height, layer };
  });
  const { layer } = facts;
  return {
    name: layer.name,
    documentName: session.state.name,
    width: facts.width,
    height: facts.height,
    /** The layer's rectangle on the canvas. */
    layerBox: { x: layer.x, y: layer.y, width: layer.width, height: layer.height },
    /** RGBA of a rectangle of the layer, in the layer's own coordinates. */
    layerRegion: (x, y, width, height) => session.read((p) => p.layerRegion(layerId, x, y, width, height)),
    /** The composite as PNG, resized to `longEdge` on its long side when given. */
    png: (longEdge) => session.read((p) => p.exportImage('png', undefined, longEdge)),
  };
}

export const HOST_COMMANDS = [
  {
    id: 'host.get-image',
    label: 'Get the image from the host',
    /** Opens the host's image (and its selection, where the host has one) as the document. */
    async run(ctx, args) {
      const got = await ctx.host.getImage(args);
      if (!got) return null;
      if (got.bytes) await openImage(ctx, got.bytes, got.name);
      else await openHostImage(ctx, got, `Selection from ${ctx.host.label}`);
      ctx.host.notify(`Editing “${got.name}” from ${ctx.host.label}`, 'ok');
      return got.name;
    },
  },
  {
    id: 'host.send-result',
    label: 'Send the result to the host',
    enabled: hasDocument,
    /** `{ placement, downscale, ... }`: the host's send options; the chosen ones are remembered. */
    async run(ctx, args) {
      const options = await sendOptions(ctx, args);
      ctx.hostBar?.offerDownscale(null);
      let message;
      try {
        message = await ctx.host.putResult(await resultOf(ctx), options);
      } catch (error) {
        // Too large for the host: say so, and offer the downscaled send.
        if (error.downscaleTo) ctx.hostBar?.offerDownscale(error.message);
        throw error;
      }
      for (const option of ctx.host.sendOptions) {
        if (options[option.id] !== undefined) await ctx.host.settings.set(`send.${option.id}`, options[option.id]);
      }
      ctx.host.notify(message, 'ok');
      return message;
    },
  },
];
