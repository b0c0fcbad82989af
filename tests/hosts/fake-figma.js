// A simulated Figma for the plugin's two halves, in a Chromium page: the
// `figma` global that code.js (the main-thread sandbox) runs against, with
// only the calls the plugin uses, and the UI iframe it shows. The semantics
// that bite are Figma's: images are encoded files (PNG/JPEG/GIF) and at most
// 4096×4096 (createImage throws past it), fills are frozen arrays (only a
// new array can be assigned), and the UI is a null-origin frame that talks
// through { pluginMessage } messages.
import { encodedImageSize } from './image-size.js';

export const FIGMA_MAX_SIDE = 4096;

/**
 * @param {{ uiHtml: string }} options
 * @returns {{ figma: object, record: object, addImageNode: Function, addFrame: Function, run: (code: string) => void }}
 */
export function createFakeFigma({ uiHtml }) {
  const images = new Map();
  const storage = new Map();
  const record = { notifications: [], exports: [], created: [], uiOptions: null };
  let nextHash = 1;
  let nextId = 1;
  let frame = null;
  let onmessage = null;

  const page = {
    type: 'PAGE',
    children: [],
    selection: [],
    appendChild(node) {
      node.parent?.children && (node.parent.children = node.parent.children.filter((n) => n !== node));
      node.parent = page;
      page.children.push(node);
    },
  };

  function createImage(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('createImage takes a Uint8Array');
    const size = encodedImageSize(bytes);
    if (size.width > FIGMA_MAX_SIDE || size.height > FIGMA_MAX_SIDE) {
      throw new Error(`Image is too large: ${size.width}×${size.height} (Figma takes up to ${FIGMA_MAX_SIDE}×${FIGMA_MAX_SIDE})`);
    }
    const hash = `image-${nextHash++}`;
    const copy = bytes.slice();
    const image = { hash, getBytesAsync: async () => copy.slice(), getSizeAsync: async () => size };
    images.set(hash, image);
    return image;
  }

  /** A scene node with frozen fills; `render(settings)` makes its exportAsync bytes. */
  function makeNode(type, { name, x = 0, y = 0, width = 100, height = 100, render } = {}) {
    let fills = Object.freeze([]);
    const node = {
      id: `${nextId++}:1`,
      type,
      name: name ?? type,
      x,
      y,
      width,
      height,
      removed: false,
      parent: null,
      get fills() {
        return fills;
      },
      set fills(value) {
        if (!Array.isArray(value)) throw new TypeError('fills must be an array of paints');
        for (const paint of value) {
          if (paint.type === 'IMAGE' && !images.has(paint.imageHash)) throw new Error(`no image with hash ${paint.imageHash}`);
        }
        fills = Object.freeze(value.map((paint) => Object.freeze({ ...paint })));
      },
      resize(w, h) {
        node.width = w;
        node.height = h;
      },
      async exportAsync(settings) {
        if (!render) throw new Error('this node cannot be exported in the simulation');
        record.exports.push(settings);
        return render(settings);
      },
    };
    return node;
  }

  const figma = {
    currentPage: page,
    createImage,
    getImageByHash: (hash) => images.get(hash) ?? null,
    async getNodeByIdAsync(id) {
      return page.children.find((n) => n.id === id) ?? null;
    },
    createRectangle() {
      const node = makeNode('RECTANGLE');
      page.appendChild(node);
      record.created.push(node);
      return node;
    },
    notify(text, options) {
      record.notifications.push({ text, error: Boolean(options?.error) });
    },
    clientStorage: {
      getAsync: async (key) => structuredClone(storage.get(key)),
      setAsync: async (key, value) => void storage.set(key, structuredClone(value)),
    },
    showUI(html, options) {
      record.uiOptions = options;
      frame = document.createElement('iframe');
      // Figma's UI frame has a null origin: no storage, no same-origin files.
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.style.cssText = `width:${options?.width ?? 300}px;height:${options?.height ?? 200}px;border:0`;
      frame.srcdoc = html;
      document.body.append(frame);
    },
    ui: {
      postMessage(message) {
        frame.contentWindow.postMessage({ pluginMessage: message }, '*');
      },
      set onmessage(handler) {
        onmessage = handler;
      },
      get onmessage() {
        return onmessage;
      },
    },
  };

  window.addEventListener('message', (event) => {
    if (frame && event.source === frame.contentWindow && event.data && 'pluginMessage' in event.data) onmessage?.(event.data.pluginMessage);
  });

  return {
    figma,
    record,
    storage,
    /** A rectangle with an image fill of `bytes` (encoded), on the page. */
    addImageNode(bytes, props) {
      const node = makeNode('RECTANGLE', props);
      node.fills = [{ type: 'IMAGE', imageHash: createImage(bytes).hash, scaleMode: 'FILL', visible: true }];
      page.appendChild(node);
      return node;
    },
    /** A frame without an image fill whose render is `render(settings)`. */
    addFrame(props) {
      const node = makeNode('FRAME', props);
      page.appendChild(node);
      return node;
    },
    /** Runs the plugin's code.js as Figma does: `figma` and `__html__` in scope. */
    run(code) {
      new Function('figma', '__html__', code)(figma, uiHtml);
    },
  };
}
