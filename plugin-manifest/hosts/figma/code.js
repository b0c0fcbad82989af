// @ts-check
// The Figma half of Retouch: the plugin's main-thread sandbox (no browser
// APIs). The editor runs in the UI iframe (ui.html); this script answers its
// calls (see web/hosts/channel.js): the selected node's image as an encoded
// file (the image fill's bytes, or a PNG render of the node), and the result
// back as a new image fill of that node or a new rectangle beside it.

const PROTOCOL = 1;
/** Figma's image limit (figma.createImage throws past it). */
const MAX_SIDE = 4096;
/** The gap between the node and a result placed beside it. */
const BESIDE_GAP = 24;

figma.showUI(__html__, { width: 1180, height: 800, title: 'Retouch' });

/** The node the image came from: results go back to it. */
let sourceId = /** @type {string | null} */ (null);
/** Whether its image was an image fill (then the result replaces that fill). */
let sourceHadFill = false;

/** @param {SceneNode} node */
function imageFill(node) {
  if (!('fills' in node) || !Array.isArray(node.fills)) return null;
  return /** @type {ImagePaint | undefined} */ (node.fills.find((paint) => paint.type === 'IMAGE' && paint.visible !== false && paint.imageHash)) ?? null;
}

/** @param {SceneNode} node */
async function renderOf(node) {
  // A node larger than Figma's image limit is rendered at the limit (the result must fit it too).
  const longSide = Math.max(node.width, node.height);
  if (longSide <= MAX_SIDE) return node.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: 1 } });
  figma.notify(`“${node.name}” is larger than ${MAX_SIDE} px: Retouch edits it downscaled to ${MAX_SIDE} px on its long side`);
  const constraint = node.width >= node.height ? { type: /** @type {const} */ ('WIDTH'), value: MAX_SIDE } : { type: /** @type {const} */ ('HEIGHT'), value: MAX_SIDE };
  return node.exportAsync({ format: 'PNG', constraint });
}

const calls = {
  ready: () => true,

  /** The selected node's image: its image fill's file, else a PNG render of the node. */
  async selectedImage() {
    const [node] = figma.currentPage.selection;
    if (!node) throw new Error('select a layer with an image in Figma first');
    const fill = imageFill(node);
    let bytes;
    if (fill && fill.imageHash) {
      const image = figma.getImageByHash(fill.imageHash);
      if (!image) throw new Error('Figma has no image for this fill');
      bytes = await image.getBytesAsync();
    } else {
      bytes = await renderOf(node);
    }
    sourceId = node.id;
    sourceHadFill = Boolean(fill);
    return { name: node.name, bytes };
  },

  /** The result (PNG bytes) as a new image fill of the node, or in a new rectangle beside it. */
  async putImage(/** @type {{ bytes: Uint8Array, placement: string, name: string }} */ { bytes, placement, name }) {
    if (!sourceId) throw new Error('get an image from Figma first');
    const node = await figma.getNodeByIdAsync(sourceId);
    if (!node || node.removed || !('fills' in node)) throw new Error('the node the image came from is gone');
    const image = figma.createImage(bytes);
    /** @type {ImagePaint} */
    const paint = { type: 'IMAGE', imageHash: image.hash, scaleMode: 'FILL' };
    if (placement === 'rectangle') {
      const rectangle = figma.createRectangle();
      rectangle.name = name;
      rectangle.resize(node.width, node.height);
      rectangle.x = node.x + node.width + BESIDE_GAP;
      rectangle.y = node.y;
      rectangle.fills = [paint];
      const parent = node.parent;
      if (parent && 'appendChild' in parent) parent.appendChild(rectangle);
      figma.currentPage.selection = [rectangle];
      return rectangle.id;
    }
    // Fills are immutable arrays: a new array, the edited fill in place of the old one
    // (keeping its scale mode and crop), or on top when the image was a render of the node.
    const fills = Array.isArray(node.fills) ? node.fills : [];
    const old = sourceHadFill ? fills.findIndex((p) => p.type === 'IMAGE' && p.visible !== false && /** @type {ImagePaint} */ (p).imageHash) : -1;
    node.fills = old >= 0 ? fills.map((p, i) => (i === old ? { ...p, imageHash: image.hash } : p)) : [...fills, paint];
    return node.id;
  },

  notify(/** @type {{ text: string, error?: boolean }} */ { text, error }) {
    figma.notify(text, { error: Boolean(error) });
    return true;
  },

  getSetting: (/** @type {{ key: string }} */ { key }) => figma.clientStorage.getAsync(key),
  setSetting: (/** @type {{ key: string, value: unknown }} */ { key, value }) => figma.clientStorage.setAsync(key, value),
};

figma.ui.onmessage = async (message) => {
  if (!message || message.retouch !== PROTOCOL || typeof message.call !== 'string') return;
  try {
    const handler = /** @type {Record<string, (args: any) => unknown>} */ (calls)[message.call];
    if (!handler) throw new Error(`unknown call “${message.call}”`);
    figma.ui.postMessage({ retouch: PROTOCOL, reply: message.id, result: await handler(message.args ?? {}) });
  } catch (error) {
    figma.ui.postMessage({ retouch: PROTOCOL, reply: message.id, error: error instanceof Error ? error.message : String(error) });
  }
};
