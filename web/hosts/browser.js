// The browser as a host: images come from files the user picks (../ui/files.js),
// results leave as downloads, the document is kept by the page's autosave in
// IndexedDB (../ui/autosave.js), settings in localStorage.

import { chooseFile, download, readChecked, stem } from '../ui/files.js';

const SETTINGS_PREFIX = 'retouch.setting.';

export function createBrowserHost() {
  let status = null;
  return {
    id: 'browser',
    label: 'this computer',
    embedded: false,
    autosave: true,
    maxImageSide: null,
    sendOptions: [],
    startEngine: (wasm) => wasm.default(),
    connect(editor) {
      status = editor.status;
    },
    async getImage() {
      const file = await chooseFile('image/png,image/jpeg,image/webp,.png,.jpg,.jpeg,.webp');
      if (!file) return null;
      return { name: file.name, bytes: await readChecked(file) };
    },
    async putResult(result) {
      const name = `${stem(result.documentName)}-${stem(result.name).replace(/[^\w.-]+/g, '-')}.png`;
      download(await result.png(), name, 'image/png');
      return `Downloaded ${name}`;
    },
    notify: (text, kind) => status?.set(text, kind),
    settings: {
      get: async (key) => {
        const text = localStorage.getItem(SETTINGS_PREFIX + key);
        return text === null ? undefined : JSON.parse(text);
      },
      set: async (key, value) => localStorage.setItem(SETTINGS_PREFIX + key, JSON.stringify(value)),
    },
  };
}
