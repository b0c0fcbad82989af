// The autosave's storage, off the page's thread: it stores the changed pieces
// the page hands over (the core's `autosaveChanges`: tiles of layers, masks
// and the selection, metadata blobs) by key in IndexedDB, with the document
// state, in one transaction, so the store is always one whole save, and
// counts what each save wrote. On recovery it reads the store back. No pixel
// logic: bytes in, bytes out. Pieces are stored raw: deflating them here
// (CompressionStream) made the first save of a 12 MP photo take ~15 s, during
// which a reload would lose the document; a tile is at most 256 KiB.
//
// Store "autosave": the record "state" ({ state, name, origin, activeId,
// savedAt, keys }) and one record per piece (tiles, and history steps
// "history/<stamp>" that the core keeps within its budget), "piece:<key>" → its bytes. The
// record "current" is the older format (a whole .ora), read for recovery only.

const DB_NAME = 'retouch';
const STORE = 'autosave';
const STATE_KEY = 'state';
const LEGACY_KEY = 'current';
const PIECE = 'piece:';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openDb() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB is unavailable'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

/** Runs `fn(store)` in one transaction; resolves with its result once committed. */
async function transact(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result;
      Promise.resolve(fn(tx.objectStore(STORE))).then((value) => (result = value), (error) => {
        reject(error);
        tx.abort();
      });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/** Stores one save; resolves to { written, pieces, savedAt }. */
async function save({ state, name, origin, activeId, keys, pieces, bytes }) {
  const all = new Uint8Array(bytes);
  // Each piece its own buffer, so a record holds only its bytes.
  const records = pieces.map(({ key, offset, length }) => [PIECE + key, all.slice(offset, offset + length)]);
  const savedAt = Date.now();
  const record = { state, name, origin, activeId, savedAt, keys };
  const live = new Set(keys.map((key) => PIECE + key));
  let written = new TextEncoder().encode(JSON.stringify(record)).length;
  for (const [, value] of records) written += value.length;
  const stored = await transact('readonly', (store) => request(store.getAllKeys()));
  await transact('readwrite', (store) => {
    for (const [key, value] of records) store.put(value, key);
    store.put(record, STATE_KEY);
    for (const key of stored) if (key !== STATE_KEY && !live.has(key)) store.delete(key);
  });
  return { written, pieces: pieces.length, savedAt };
}

/** The stored save: { record, pieces: [{ key, offset, length }], bytes } (one buffer), a legacy { legacy }, or null. */
async function load() {
  const [keys, values] = await transact('readonly', (store) => Promise.all([request(store.getAllKeys()), request(store.getAll())]));
  const byKey = new Map(keys.map((key, i) => [key, values[i]]));
  const record = byKey.get(STATE_KEY);
  if (!record) return byKey.has(LEGACY_KEY) ? { legacy: byKey.get(LEGACY_KEY) } : null;
  const loaded = record.keys.map((key) => {
    const stored = byKey.get(PIECE + key);
    if (!stored) throw new Error(`the autosaved project is damaged: '${key}' is missing`);
    return [key, stored];
  });
  const total = loaded.reduce((sum, [, b]) => sum + b.length, 0);
  const bytes = new Uint8Array(total);
  const pieces = [];
  let offset = 0;
  for (const [key, b] of loaded) {
    bytes.set(b, offset);
    pieces.push({ key, offset, length: b.length });
    offset += b.length;
  }
  return { record, pieces, bytes: bytes.buffer };
}

const clear = () =>
  transact('readwrite', (store) => {
    store.clear();
  });

self.onmessage = async ({ data: { id, type, ...args } }) => {
  try {
    if (type === 'save') self.postMessage({ id, result: await save(args) });
    else if (type === 'load') {
      const result = await load();
      self.postMessage({ id, result }, result?.bytes ? [result.bytes] : []);
    } else if (type === 'clear') self.postMessage({ id, result: await clear() });
    else throw new Error(`unknown autosave request “${type}”`);
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
