// Adobe Express as a host: the editor runs in the add-on's panel iframe, where
// the add-on UI SDK (loaded by the packaged index.html as window.addOnUISdk)
// gives a rendition of the current page (createRenditions, a PNG blob) and
// inserts the result into the page (addImage). No document sandbox script is
// needed: both calls belong to the UI SDK.

/** @typedef {typeof import('https://new.express.adobe.com/static/add-on-sdk/sdk.js').default} AddOnUISdk */

/** The SDK, once ready. */
async function sdk() {
  /** @type {AddOnUISdk | undefined} */
  const addOnUISdk = /** @type {any} */ (window).addOnUISdk;
  if (!addOnUISdk) throw new Error('the Adobe Express add-on SDK did not load');
  await addOnUISdk.ready;
  return addOnUISdk;
}

export function createExpressHost() {
  let status = null;
  return {
    id: 'express',
    label: 'Adobe Express',
    embedded: true,
    autosave: false,
    maxImageSide: null,
    sendOptions: [],
    /** @param {{ default: () => Promise<unknown> }} wasm */
    startEngine: (wasm) => wasm.default(),
    /** @param {{ run: (id: string, args?: object) => Promise<unknown>, status: { set: (text: string, kind?: string) => void } }} editor */
    connect(editor) {
      status = editor.status;
    },
    /** The current page as a PNG rendition. */
    async getImage() {
      const { app, constants } = await sdk();
      const [rendition] = await app.document.createRenditions(
        { range: constants.Range.currentPage, format: constants.RenditionFormat.png },
        constants.RenditionIntent.export,
      );
      if (!rendition) throw new Error('Adobe Express gave no rendition of the page');
      return { name: 'Express page.png', bytes: new Uint8Array(await rendition.blob.arrayBuffer()) };
    },
    /** @param {{ name: string, png: (longEdge?: number) => Promise<Uint8Array<ArrayBuffer>> }} result */
    async putResult(result) {
      const { app } = await sdk();
      await app.document.addImage(new Blob([await result.png()], { type: 'image/png' }), { title: result.name });
      return `Added “${result.name}” to the Adobe Express page`;
    },
    /** @param {string} text @param {string} [kind] */
    notify: (text, kind) => status?.set(text, kind),
    settings: {
      /** @param {string} key */
      get: async (key) => (await sdk()).instance.clientStorage.getItem(key),
      /** @param {string} key @param {unknown} value */
      set: async (key, value) => (await sdk()).instance.clientStorage.setItem(key, value),
    },
  };
}
