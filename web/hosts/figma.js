// Figma as a host, seen from the editor in the plugin's UI iframe (ui.html,
// everything inlined: Figma ships no sibling files, and the iframe has a null
// origin, so no IndexedDB and no workers from files). The sandbox half
// (plugin-manifest/hosts/figma/code.js) owns the document: it hands over the
// selected node's image fill as the encoded file (getBytesAsync) or a PNG
// render of the node (exportAsync), and puts the result back as a new image
// fill or a new rectangle beside the node. Messages go through
// parent.postMessage({ pluginMessage }) and come back as `message` events.

import { createChannel } from './channel.js';
import { base64ToBytes } from '../bridge/base64.js';

/** Figma refuses images larger than this on either side (figma.createImage). */
export const FIGMA_MAX_SIDE = 4096;

export function createFigmaHost(wasm) {
  const channel = createChannel({
    post: (message) => parent.postMessage({ pluginMessage: message }, '*'),
    listen: (handler) => window.addEventListener('message', (event) => handler(event.data?.pluginMessage)),
  });
  let status = null;
  return {
    id: 'figma',
    label: 'Figma',
    embedded: true,
    autosave: false,
    maxImageSide: FIGMA_MAX_SIDE,
    sendOptions: [
      {
        id: 'placement',
        label: 'Put the result',
        values: [
          { value: 'fill', label: 'as a new image fill of the node' },
          { value: 'rectangle', label: 'in a new rectangle beside it' },
        ],
      },
    ],
    /** The wasm travels inside ui.html as base64 (see ./build.sh package). */
    startEngine(wasm) {
      const inlined = document.getElementById('retouch-wasm');
      if (!inlined) throw new Error('this page has no inlined engine (build it with ./build.sh package)');
      return wasm.default({ module_or_path: base64ToBytes(inlined.textContent.trim()) });
    },
    connect(editor) {
      status = editor.status;
      channel.onCommand((id, args) => editor.run(id, args));
      channel.call('ready').catch(() => {});
    },
    /** The selected node's image: the core decodes it here (no worker in a null-origin frame). */
    async getImage() {
      const { name, bytes } = await channel.call('selectedImage');
      return { name, image: wasm.Image.decode(bytes), selection: null };
    },
    /**
     * `{ placement: 'fill' | 'rectangle', downscale }`: a result larger than Figma takes is
     * refused with the offer to send it downscaled (to 4096 px on the long side).
     */
    async putResult(result, { placement = 'fill', downscale = false } = {}) {
      const longSide = Math.max(result.width, result.height);
      if (longSide > FIGMA_MAX_SIDE && !downscale) {
        const error = new Error(
          `the result is ${result.width}×${result.height} px and Figma takes images up to ${FIGMA_MAX_SIDE}×${FIGMA_MAX_SIDE}: send it downscaled to ${FIGMA_MAX_SIDE} px on the long side`,
        );
        error.downscaleTo = FIGMA_MAX_SIDE;
        throw error;
      }
      const bytes = await result.png(longSide > FIGMA_MAX_SIDE ? FIGMA_MAX_SIDE : undefined);
      await channel.call('putImage', { bytes, placement, name: result.name });
      return placement === 'rectangle' ? `Added “${result.name}” to Figma beside the node` : `Gave the node a new image fill: “${result.name}”`;
    },
    notify(text, kind) {
      status?.set(text, kind);
      channel.call('notify', { text, error: kind === 'error' }).catch(() => {});
    },
    settings: {
      get: (key) => channel.call('getSetting', { key }),
      set: (key, value) => channel.call('setSetting', { key, value }),
    },
  };
}
