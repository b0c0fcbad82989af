// A simulated Adobe Express add-on UI SDK, served in place of
// https://new.express.adobe.com/static/add-on-sdk/sdk.js: only the calls the
// add-on uses, with Express's semantics: renditions come as Blobs (PNG for
// RenditionFormat.png), addImage takes a Blob of a supported image type,
// everything waits for `ready`. `window.fakeExpress` lets the test set the
// page and see what was inserted.

const SUPPORTED = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const state = { page: null, inserted: [], renditionRequests: [], storage: new Map() };

const constants = {
  Range: { currentPage: 'currentPage', entireDocument: 'entireDocument' },
  RenditionFormat: { png: 'image/png', jpg: 'image/jpeg' },
  RenditionIntent: { export: 'export', preview: 'preview' },
};

const addOnUISdk = {
  ready: new Promise((resolve) => setTimeout(resolve, 10)),
  constants,
  app: {
    document: {
      async createRenditions(options, intent) {
        state.renditionRequests.push({ options, intent });
        if (options.range !== constants.Range.currentPage) throw new Error('the simulation renders the current page only');
        if (options.format !== constants.RenditionFormat.png) throw new Error('the simulation renders PNG only');
        if (!state.page) throw new Error('the page is empty');
        return [{ type: 'page', title: 'Page 1', blob: new Blob([state.page], { type: 'image/png' }) }];
      },
      async addImage(blob, attributes) {
        if (!(blob instanceof Blob)) throw new TypeError('addImage takes a Blob');
        if (!SUPPORTED.includes(blob.type)) throw new Error(`unsupported image type “${blob.type}”`);
        state.inserted.push({ bytes: new Uint8Array(await blob.arrayBuffer()), type: blob.type, attributes });
      },
    },
  },
  instance: {
    clientStorage: {
      getItem: async (key) => structuredClone(state.storage.get(key)),
      setItem: async (key, value) => void state.storage.set(key, structuredClone(value)),
    },
  },
};

window.fakeExpress = {
  state,
  /** The current page's content, as PNG bytes. */
  setPage(bytes) {
    state.page = bytes;
  },
};

export default addOnUISdk;
