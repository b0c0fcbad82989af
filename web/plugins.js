// The plugin library: built-in operations (the core's manifests) and the
// third-party filter bundles the user installed, kept in IndexedDB so they
// survive a reload. Every bundle is checked by the core (`PluginBundle`: zip,
// manifest, SHA-256 of each file, the module's imports and memory maximum)
// before it is offered for install and again when it is read back.

const DB_NAME = 'retouch-plugins';
const STORE = 'bundles';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb() {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
  return request(req);
}

async function transact(mode, fn) {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await fn(tx.objectStore(STORE));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the plugin store was not written'));
    });
    return result;
  } finally {
    db.close();
  }
}

/**
 * What the manager shows of a checked bundle before and after install: its manifest, limits,
 * icon (`{ bytes, type }` or null; the core checked it is a PNG or an SVG document) and README
 * text (or null).
 */
function describe(wasm, bytes) {
  const bundle = wasm.PluginBundle.fromBytes(bytes);
  try {
    const manifest = bundle.manifest();
    const icon = bundle.icon();
    return {
      manifest,
      limits: bundle.limits(),
      icon: icon ? { bytes: icon, type: bundle.iconType } : null,
      readme: bundle.readme() ?? null,
    };
  } finally {
    bundle.free();
  }
}

/**
 * @param {{ wasm: object, onChange?: () => void }} options
 */
export function createPluginLibrary({ wasm, onChange }) {
  /** Installed plugins by id: { id, bytes: Uint8Array, enabled, installedAt, manifest, limits, icon, readme, key }. */
  const installed = new Map();
  let generation = 0;

  function remember(record) {
    const described = describe(wasm, record.bytes);
    installed.set(record.id, { ...record, ...described, key: `${record.id}@${described.manifest.version}#${++generation}` });
  }

  async function readAll() {
    const records = await transact('readonly', (store) => request(store.getAll()));
    const problems = [];
    installed.clear();
    for (const record of records) {
      try {
        remember({ ...record, bytes: new Uint8Array(record.bytes) });
      } catch (error) {
        problems.push(`${record.id}: ${error.message ?? error}`);
      }
    }
    onChange?.();
    return problems;
  }

  const library = {
    /** Reads the installed plugins back (start-up); a bundle that no longer passes is left out and reported. */
    load() {
      library.loaded = readAll();
      return library.loaded;
    },

    /** Resolves when `load()` finished (to its list of problems). */
    loaded: null,

    /** Checks a bundle's bytes; resolves to { manifest, limits, icon, readme, replaces } to show before install. Throws naming what is wrong. */
    inspect(bytes, fileName = 'the bundle') {
      let described;
      try {
        described = describe(wasm, bytes);
      } catch (error) {
        throw new Error(`${fileName} cannot be installed: ${error.message ?? error}`);
      }
      if (wasm.manifests().some((m) => m.id === described.manifest.id)) {
        throw new Error(`${fileName} cannot be installed: its id “${described.manifest.id}” is a built-in operation's`);
      }
      return { ...described, replaces: installed.get(described.manifest.id)?.manifest.version ?? null };
    },

    /** Installs (or replaces) a checked bundle, enabled, and stores it. */
    async install(bytes, fileName) {
      const { manifest } = library.inspect(bytes, fileName);
      const record = { id: manifest.id, bytes: new Uint8Array(bytes), enabled: true, installedAt: Date.now() };
      await transact('readwrite', (store) => request(store.put({ ...record, bytes: record.bytes.slice().buffer })));
      remember(record);
      onChange?.();
      return installed.get(manifest.id);
    },

    async setEnabled(id, enabled) {
      const plugin = library.get(id);
      await transact('readwrite', async (store) => {
        const record = await request(store.get(id));
        await request(store.put({ ...record, enabled }));
      });
      plugin.enabled = enabled;
      onChange?.();
    },

    async remove(id) {
      library.get(id);
      await transact('readwrite', (store) => request(store.delete(id)));
      installed.delete(id);
      onChange?.();
    },

    /** An installed plugin; throws naming the id when there is none. */
    get(id) {
      const plugin = installed.get(id);
      if (!plugin) throw new Error(`no plugin “${id}” is installed`);
      return plugin;
    },

    /** Installed plugins, by name. */
    installed: () => [...installed.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name)),

    /** The filters the Filter menu offers: installed and enabled, by name. */
    filters: () => library.installed().filter((p) => p.enabled && p.manifest.kind === 'filter'),

    /** The built-in operations (the core's manifests). */
    builtIn: () => wasm.manifests(),
  };
  return library;
}
