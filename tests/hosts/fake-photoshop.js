// A simulated Photoshop for the UXP panel, in Chromium: installed before the
// packaged panel's script runs (an init script in every frame). In the panel
// frame it provides `require('photoshop')` / `require('uxp')` with only the
// calls the panel uses, and makes the <webview> an iframe of the plugin's
// own web/ folder with UXP's message bridge (webview.postMessage in,
// window.uxpHost.postMessage out, `message` events carrying `.message`).
// The semantics that bite are Photoshop's: 16-bit samples run 0..32768,
// pixel writes and new layers throw outside core.executeAsModal, a layer's
// read is trimmed to the layer's pixels, and reads are tiled (a read larger
// than MAX_READ a side is refused here, standing in for Photoshop's memory
// limits), the composite of a document with a background has no alpha.
(() => {
  const MAX_READ = 1024;
  const WHITE_16 = 32768;
  const inEditor = location.pathname.endsWith('/web/index.html');

  if (inEditor) {
    // Inside the webview: UXP's bridge back to the panel.
    window.uxpHost = {
      postMessage(message) {
        const webview = window.parent.document.querySelector('webview');
        const event = new Event('message');
        // Cloned into the panel's realm, as a bridge between two processes would deliver it.
        event.message = window.parent.structuredClone(message);
        webview.dispatchEvent(event);
      },
    };
    return;
  }
  if (!location.pathname.endsWith('/photoshop/index.html')) return;

  const record = { reads: [], selectionReads: [], writes: [], history: [], modalCalls: 0 };
  let modal = false;
  let doc = null;
  let nextLayerId = 100;

  const requireModal = (what) => {
    if (!modal) throw new Error(`${what}: this operation requires a modal scope (core.executeAsModal)`);
  };
  const intersect = (a, b) => ({ left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) });

  /** PhotoshopImageData over `data` (chunky). */
  function imageData(data, width, height, components, componentSize) {
    let disposed = false;
    return {
      width,
      height,
      components,
      componentSize,
      hasAlpha: components === 4 || components === 2,
      chunky: true,
      colorSpace: components >= 3 ? 'RGB' : 'Grayscale',
      async getData(options) {
        if (disposed) throw new Error('the image data was disposed');
        if (options?.chunky === false) throw new Error('the simulation serves chunky data only');
        return data.slice();
      },
      async dispose() {
        disposed = true;
      },
      _data: data,
    };
  }

  /** Copies the `rect` of a canvas-sized chunky buffer (`components` per pixel). */
  function crop(buffer, components, rect) {
    const w = rect.right - rect.left;
    const h = rect.bottom - rect.top;
    const out = new buffer.constructor(w * h * components);
    for (let y = 0; y < h; y++) {
      const from = ((rect.top + y) * doc.width + rect.left) * components;
      out.set(buffer.subarray(from, from + w * components), y * w * components);
    }
    return out;
  }

  function checkRead(rect) {
    const w = rect.right - rect.left;
    const h = rect.bottom - rect.top;
    if (w > MAX_READ || h > MAX_READ) throw new Error(`a ${w}×${h} read is too large for the simulation: read in tiles`);
    if (w <= 0 || h <= 0) throw new Error('empty bounds');
  }

  const imaging = {
    async getPixels({ documentID, layerID, sourceBounds }) {
      if (documentID !== doc.id) throw new Error('no such document');
      const canvas = { left: 0, top: 0, right: doc.width, bottom: doc.height };
      let rect = intersect(sourceBounds ?? canvas, canvas);
      let buffer = doc.composite;
      let components = 3;
      if (layerID !== undefined) {
        const layer = doc.layers.find((l) => l.id === layerID);
        if (!layer) throw new Error('no such layer');
        rect = intersect(rect, layer.bounds);
        buffer = layer.pixels;
        components = 4;
      }
      checkRead(rect);
      record.reads.push({ layerID, ...rect });
      return { imageData: imageData(crop(buffer, components, rect), rect.right - rect.left, rect.bottom - rect.top, components, doc.depth), sourceBounds: rect, level: 0 };
    },
    async getSelection({ documentID, sourceBounds }) {
      if (documentID !== doc.id || !doc.selection) throw new Error('no selection');
      const rect = intersect(sourceBounds ?? doc.selection.bounds, { left: 0, top: 0, right: doc.width, bottom: doc.height });
      checkRead(rect);
      record.selectionReads.push(rect);
      return { imageData: imageData(crop(doc.selection.values, 1, rect), rect.right - rect.left, rect.bottom - rect.top, 1, 8), sourceBounds: rect };
    },
    async createImageDataFromBuffer(data, { width, height, components, chunky }) {
      if (chunky === false) throw new Error('the simulation takes chunky data only');
      if (data.length !== width * height * components) throw new Error(`${data.length} samples are not ${width}×${height}×${components}`);
      const componentSize = data instanceof Uint16Array ? 16 : data instanceof Uint8Array ? 8 : 32;
      if (componentSize === 16 && data.some((v) => v > WHITE_16)) throw new Error('16-bit samples run 0..32768');
      return imageData(data, width, height, components, componentSize);
    },
    async putPixels({ documentID, layerID, imageData: image, targetBounds }) {
      requireModal('putPixels');
      if (documentID !== doc.id) throw new Error('no such document');
      const layer = doc.layers.find((l) => l.id === layerID);
      if (!layer) throw new Error('no such layer');
      if (image.componentSize !== doc.depth) throw new Error(`${image.componentSize}-bit data into a ${doc.depth}-bit document`);
      if (image.components !== 4) throw new Error('a pixel layer takes RGBA');
      const { left, top, right, bottom } = targetBounds;
      if (right - left !== image.width || bottom - top !== image.height) throw new Error('the target bounds are not the image’s size');
      if (left < 0 || top < 0 || left + image.width > doc.width || top + image.height > doc.height) throw new Error('outside the document');
      for (let y = 0; y < image.height; y++) {
        layer.pixels.set(image._data.subarray(y * image.width * 4, (y + 1) * image.width * 4), ((top + y) * doc.width + left) * 4);
      }
      record.writes.push({ layerID, left, top, width: image.width, height: image.height });
    },
  };

  function layerView(layer) {
    return { id: layer.id, name: layer.name, bounds: { ...layer.bounds } };
  }

  function documentView() {
    if (!doc) return null;
    return {
      id: doc.id,
      name: doc.name,
      width: doc.width,
      height: doc.height,
      bitsPerChannel: doc.depth === 16 ? 'bitDepth16' : 'bitDepth8',
      selection: { bounds: doc.selection ? { ...doc.selection.bounds } : null },
      activeLayers: doc.layers.filter((l) => l.id === doc.activeLayerId).map(layerView),
      async createPixelLayer({ name }) {
        requireModal('createPixelLayer');
        const pixels = new (doc.depth === 16 ? Uint16Array : Uint8Array)(doc.width * doc.height * 4);
        const layer = { id: nextLayerId++, name, pixels, bounds: { left: 0, top: 0, right: doc.width, bottom: doc.height } };
        doc.layers.push(layer);
        return layerView(layer);
      },
    };
  }

  const photoshop = {
    app: {
      get activeDocument() {
        return documentView();
      },
    },
    constants: { BitsPerChannelType: { EIGHT: 'bitDepth8', SIXTEEN: 'bitDepth16' } },
    imaging,
    core: {
      async executeAsModal(fn, { commandName }) {
        if (modal) throw new Error('already in a modal scope');
        record.modalCalls++;
        modal = true;
        const suspended = [];
        const context = {
          isCancelled: false,
          hostControl: {
            async suspendHistory({ name }) {
              suspended.push(name);
              return { historySuspensionID: suspended.length };
            },
            async resumeHistory({ historySuspensionID }, commit = true) {
              if (commit) record.history.push(suspended[historySuspensionID - 1]);
            },
          },
        };
        try {
          return await fn(context);
        } finally {
          modal = false;
          if (!suspended.length) record.history.push(commandName);
        }
      },
    },
  };

  window.require = (name) => {
    if (name === 'photoshop') return photoshop;
    if (name === 'uxp') return { entrypoints: { setup() {} } };
    throw new Error(`no module “${name}” in the simulation`);
  };

  // The <webview>: an iframe of the plugin's files, with UXP's postMessage.
  // (Set up when the document is parsed: the panel only posts from events, after that.)
  document.addEventListener('DOMContentLoaded', () => {
    for (const webview of document.querySelectorAll('webview')) {
      webview.postMessage = (message) => frame.contentWindow.postMessage(structuredClone(message), '*');
      const frame = document.createElement('iframe');
      frame.src = new URL(webview.getAttribute('src').replace(/^plugin:\//, ''), location.href).href;
      frame.style.cssText = 'width:100%;height:100%;border:0';
      webview.style.cssText += ';display:block;min-height:700px';
      webview.append(frame);
    }
  });

  window.fakePhotoshop = {
    record,
    /** Opens a document: { name, width, height, depth, composite (RGB chunky), layers: [{ id, name, bounds, pixels (RGBA) }], activeLayerId, selection: { bounds, values (canvas-sized) } | null }. */
    open(spec) {
      doc = { id: 7, ...spec };
    },
    document: () => doc,
  };
})();
