// Photoshop (UXP) as a host, seen from the editor inside the panel's <webview>.
// The panel (plugin-manifest/hosts/photoshop/panel.js) owns the document: it
// answers calls over the webview's message bridge (window.uxpHost.postMessage
// out, `message` events in) with tiles from imaging.getPixels / getSelection
// exactly as Photoshop gives them (8 or 16 bits, 16-bit white = 32768), and
// writes the staged result as a new layer in one executeAsModal. The core
// assembles and converts the tiles (HostCanvas, HostMask, toDepth16): no
// pixel is computed here.

import { createChannel } from './channel.js';

/** Tile side for reads and writes: bounded bridge messages and memory on both sides. */
const TILE = 1024;
/** Photoshop's 16-bit white (imaging.getData without fullRange). */
const WHITE_16 = 32768;

/** [{ x, y, width, height }] covering a rectangle clipped to the canvas, from the core's grid. */
function tiles(wasm, rect, canvas) {
  const flat = wasm.hostTiles(rect.x, rect.y, rect.width, rect.height, canvas.width, canvas.height, TILE);
  const out = [];
  for (let i = 0; i < flat.length; i += 4) out.push({ x: flat[i], y: flat[i + 1], width: flat[i + 2], height: flat[i + 3] });
  return out;
}

export function createPhotoshopHost(wasm) {
  const channel = createChannel({
    post: (message) => window.uxpHost.postMessage(message),
    listen: (handler) => window.addEventListener('message', (event) => handler(event.data)),
  });
  /** The document the image came from: results go back to it, at its bit depth. */
  let source = null;
  let status = null;

  async function readImage(doc, from) {
    const canvas = new wasm.HostCanvas(doc.width, doc.height);
    try {
      for (const tile of tiles(wasm, { x: 0, y: 0, width: doc.width, height: doc.height }, doc)) {
        // A layer's read is trimmed to its pixels: the tile lands where Photoshop says it came from.
        const got = await channel.call('readPixels', { ...tile, from });
        if (!got) continue;
        const { bounds, components, componentSize, data } = got;
        const rect = [bounds.left, bounds.top, bounds.right - bounds.left, bounds.bottom - bounds.top];
        if (componentSize === 16) canvas.putTile16(...rect, components, data, WHITE_16);
        else if (componentSize === 8) canvas.putTile8(...rect, components, data);
        else throw new Error(`${componentSize}-bit documents are not supported (8 and 16 are)`);
      }
      return canvas.finish();
    } finally {
      canvas.free();
    }
  }

  async function readSelection(doc) {
    if (!doc.selection) return null;
    const { left, top, right, bottom } = doc.selection;
    const mask = new wasm.HostMask(doc.width, doc.height);
    try {
      for (const tile of tiles(wasm, { x: left, y: top, width: right - left, height: bottom - top }, doc)) {
        const { bounds, componentSize, data } = await channel.call('readSelection', tile);
        const rect = [bounds.left, bounds.top, bounds.right - bounds.left, bounds.bottom - bounds.top];
        if (componentSize === 16) mask.putTile16(...rect, data, WHITE_16);
        else mask.putTile8(...rect, data);
      }
      return mask.finish();
    } finally {
      mask.free();
    }
  }

  return {
    id: 'photoshop',
    label: 'Photoshop',
    embedded: true,
    autosave: false,
    maxImageSide: null,
    sendOptions: [],
    startEngine: (wasm) => wasm.default(),
    connect(editor) {
      status = editor.status;
      channel.onCommand((id, args) => editor.run(id, args));
      channel.call('ready').catch(() => {});
    },
    /** `{ from: 'document' | 'layer' }`: the composite or the active layer (default: the document). */
    async getImage({ from = 'document' } = {}) {
      const doc = await channel.call('document');
      const image = await readImage(doc, from);
      let selection;
      try {
        selection = await readSelection(doc);
      } catch (error) {
        image.free();
        throw error;
      }
      source = { id: doc.id, depth: doc.depth, width: doc.width, height: doc.height };
      return { name: doc.name, image, selection };
    },
    /** The fix layer, tile by tile at the document's depth, then one new named layer. */
    async putResult(result) {
      if (!source) throw new Error('get the image from Photoshop first');
      const box = result.layerBox;
      for (const tile of tiles(wasm, box, source)) {
        const rgba = await result.layerRegion(tile.x - box.x, tile.y - box.y, tile.width, tile.height);
        const data = source.depth === 16 ? wasm.toDepth16(rgba, WHITE_16) : rgba;
        await channel.call('stagePixels', { documentId: source.id, ...tile, depth: source.depth, data });
      }
      await channel.call('commitLayer', { documentId: source.id, name: result.name });
      return `Added “${result.name}” to Photoshop as a new layer`;
    },
    /** The status bar, and the panel's own line (it stays in view when the webview is busy). */
    notify(text, kind) {
      status?.set(text, kind);
      channel.call('notify', { text, kind }).catch(() => {});
    },
    settings: {
      get: (key) => channel.call('getSetting', { key }),
      set: (key, value) => channel.call('setSetting', { key, value }),
    },
  };
}
