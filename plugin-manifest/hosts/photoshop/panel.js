// @ts-check
// The Photoshop half of Retouch: the panel around the editor's <webview>.
// It answers the editor's calls over the message bridge (see
// web/hosts/channel.js) with what only Photoshop has: the active document,
// its pixels and selection tile by tile as the Imaging API gives them (8 or
// 16 bits, the editor's core converts), and it writes the result back as a
// new pixel layer inside executeAsModal, as one history step named after the
// operation. Its buttons run the editor's commands.

const { app, core, imaging, constants } = require('photoshop');

const PROTOCOL = 1;
/** The UXP webview element: postMessage out, `message` events (event.message) in. */
const webview = /** @type {HTMLElement & { postMessage(message: object): void }} */ (document.getElementById('editor'));
const statusLine = /** @type {HTMLElement} */ (document.getElementById('status'));
const source = /** @type {HTMLSelectElement} */ (document.getElementById('source'));
const getButton = /** @type {HTMLButtonElement} */ (document.getElementById('get-image'));
const sendButton = /** @type {HTMLButtonElement} */ (document.getElementById('send-result'));

/** @typedef {{ documentId: number, x: number, y: number, width: number, height: number, data: Uint8Array | Uint16Array }} Tile */
/** Result tiles waiting for commitLayer. @type {Tile[]} */
let staged = [];

/** @param {string} text @param {string} [kind] */
function showStatus(text, kind = 'info') {
  statusLine.textContent = text;
  statusLine.className = kind === 'error' ? 'error' : '';
}

function activeDocument() {
  const doc = app.activeDocument;
  if (!doc) throw new Error('open a document in Photoshop first');
  return doc;
}

/** @param {number} documentId */
function documentById(documentId) {
  const doc = activeDocument();
  if (doc.id !== documentId) throw new Error('the active document changed: bring back the one the image came from');
  return doc;
}

/** @param {{ left: number, top: number, right: number, bottom: number }} b */
const bounds = (b) => ({ left: b.left, top: b.top, right: b.right, bottom: b.bottom });

/** What the editor calls. */
const calls = {
  ready() {
    getButton.disabled = false;
    sendButton.disabled = false;
    showStatus('Ready');
    return true;
  },

  document() {
    const doc = activeDocument();
    const selection = doc.selection.bounds;
    return {
      id: doc.id,
      name: doc.name,
      width: doc.width,
      height: doc.height,
      depth: doc.bitsPerChannel === constants.BitsPerChannelType.SIXTEEN ? 16 : 8,
      selection: selection ? bounds(selection) : null,
    };
  },

  /** One tile of the composite or the active layer; null where the layer has no pixels. */
  async readPixels(/** @type {{ x: number, y: number, width: number, height: number, from: string }} */ { x, y, width, height, from }) {
    const doc = activeDocument();
    const layer = from === 'layer' ? doc.activeLayers[0] : undefined;
    if (from === 'layer' && !layer) throw new Error('select a pixel layer in Photoshop first');
    if (layer) {
      const b = layer.bounds;
      if (b.right <= x || b.left >= x + width || b.bottom <= y || b.top >= y + height) return null;
    }
    const { imageData, sourceBounds } = await imaging.getPixels({
      documentID: doc.id,
      layerID: layer?.id,
      sourceBounds: { left: x, top: y, right: x + width, bottom: y + height },
    });
    try {
      const data = await imageData.getData({ chunky: true });
      return { bounds: bounds(sourceBounds), components: imageData.components, componentSize: imageData.componentSize, data };
    } finally {
      imageData.dispose();
    }
  },

  /** One tile of the selection's coverage (single channel). */
  async readSelection(/** @type {{ x: number, y: number, width: number, height: number }} */ { x, y, width, height }) {
    const doc = activeDocument();
    const { imageData, sourceBounds } = await imaging.getSelection({
      documentID: doc.id,
      sourceBounds: { left: x, top: y, right: x + width, bottom: y + height },
    });
    try {
      const data = await imageData.getData({ chunky: true });
      return { bounds: bounds(sourceBounds), componentSize: imageData.componentSize, data };
    } finally {
      imageData.dispose();
    }
  },

  /** Keeps one RGBA tile of the result (at the document's depth) until commitLayer. */
  stagePixels(/** @type {Tile} */ tile) {
    documentById(tile.documentId);
    staged.push(tile);
    return staged.length;
  },

  /** Writes the staged tiles into a new pixel layer named `name`: one modal operation, one history step. */
  async commitLayer(/** @type {{ documentId: number, name: string }} */ { documentId, name }) {
    const tiles = staged;
    staged = [];
    const doc = documentById(documentId);
    await core.executeAsModal(
      async (context) => {
        const suspension = await context.hostControl.suspendHistory({ documentID: doc.id, name });
        try {
          const layer = await doc.createPixelLayer({ name });
          if (!layer) throw new Error('Photoshop did not create the layer');
          for (const tile of tiles) {
            const imageData = await imaging.createImageDataFromBuffer(tile.data, {
              width: tile.width,
              height: tile.height,
              components: 4,
              chunky: true,
              colorSpace: 'RGB',
            });
            try {
              const targetBounds = { left: tile.x, top: tile.y, right: tile.x + tile.width, bottom: tile.y + tile.height };
              await imaging.putPixels({ documentID: doc.id, layerID: layer.id, imageData, targetBounds, commandName: name });
            } finally {
              imageData.dispose();
            }
          }
          await context.hostControl.resumeHistory(suspension, true);
        } catch (error) {
          await context.hostControl.resumeHistory(suspension, false);
          throw error;
        }
      },
      { commandName: name },
    );
    return true;
  },

  notify(/** @type {{ text: string, kind?: string }} */ { text, kind }) {
    showStatus(text, kind);
    return true;
  },

  getSetting(/** @type {{ key: string }} */ { key }) {
    const text = localStorage.getItem(`retouch.${key}`);
    return text === null ? undefined : JSON.parse(text);
  },

  setSetting(/** @type {{ key: string, value: unknown }} */ { key, value }) {
    localStorage.setItem(`retouch.${key}`, JSON.stringify(value));
    return true;
  },
};

webview.addEventListener('message', async (event) => {
  const message = /** @type {any} */ (event).message;
  if (!message || message.retouch !== PROTOCOL || typeof message.call !== 'string') return;
  try {
    const handler = /** @type {Record<string, (args: any) => unknown>} */ (calls)[message.call];
    if (!handler) throw new Error(`unknown call “${message.call}”`);
    const result = await handler(message.args ?? {});
    webview.postMessage({ retouch: PROTOCOL, reply: message.id, result });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    showStatus(text, 'error');
    webview.postMessage({ retouch: PROTOCOL, reply: message.id, error: text });
  }
});

/** The panel's buttons run the editor's commands (its registry), like its own buttons do. */
getButton.addEventListener('click', () => webview.postMessage({ retouch: PROTOCOL, command: 'host.get-image', args: { from: source.value } }));
sendButton.addEventListener('click', () => webview.postMessage({ retouch: PROTOCOL, command: 'host.send-result', args: {} }));
