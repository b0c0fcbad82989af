// Autosave: the open project (OpenRaster bytes from the core) and the
// selection go to IndexedDB shortly after each change, and come back on
// reload. A save starts at most `delay` ms after the last change and at most
// `maxWait` ms after the first unsaved one, so a reload loses at most the
// last second or two of work.

const DB_NAME = 'retouch';
const STORE = 'autosave';
const KEY = 'current';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is unavailable'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function transact(mode, run) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request?.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/**
 * @param {{ snapshot: () => Promise<object | null>, onSaved?: (record: object) => void,
 *   onError?: (error: Error) => void, delay?: number, maxWait?: number }} options
 *   `snapshot` returns the record to store ({ ora, name, ... }) or null when there is nothing to keep.
 */
export function createAutosave({ snapshot, onSaved, onError, delay = 300, maxWait = 1000 }) {
  let timer = null;
  let firstPending = 0;
  let saving = Promise.resolve();
  let pending = false;
  let enabled = true;

  function schedule() {
    if (!enabled) return;
    pending = true;
    const now = performance.now();
    if (!timer) firstPending = now;
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(delay, firstPending + maxWait - now));
    timer = setTimeout(() => {
      timer = null;
      save();
    }, wait);
  }

  function save() {
    clearTimeout(timer);
    timer = null;
    if (!pending) return saving;
    pending = false;
    saving = saving
      .then(async () => {
        const record = await snapshot();
        if (record === null) await transact('readwrite', (store) => store.delete(KEY));
        else {
          record.savedAt = Date.now();
          await transact('readwrite', (store) => store.put(record, KEY));
          onSaved?.(record);
        }
      })
      .catch((error) => onError?.(error instanceof Error ? error : new Error(String(error))));
    return saving;
  }

  return {
    schedule,
    /** Saves now if anything is pending; resolves when stored. */
    flush: save,
    /** Whether a change waits to be saved. */
    get pending() {
      return pending;
    },
    /** The stored record, or null. */
    async load() {
      return (await transact('readonly', (store) => store.get(KEY))) ?? null;
    },
    /** Forgets the stored project (and anything pending). */
    async clear() {
      clearTimeout(timer);
      timer = null;
      pending = false;
      await saving;
      await transact('readwrite', (store) => store.delete(KEY));
    },
    /** Pauses saving (e.g. while a recovered project is being opened). */
    set enabled(flag) {
      enabled = flag;
    },
  };
}
