// Autosave: shortly after each change, what changed since the last save goes
// to IndexedDB, and comes back on reload. The core says what changed
// (`Project.autosaveChanges`: the changed tiles and the small document
// state; everything on a document's first save); a worker
// (../workers/autosave-worker.js) stores it by key, so the page's
// thread only copies the changed bytes out of the core and hands them over.
// A save starts at most `delay` ms after the last change and at most
// `maxWait` ms after the first unsaved one, so a reload loses at most the
// last second or two of work.

/** A promise-based channel to the autosave worker. */
function connect() {
  const worker = new Worker(new URL('../workers/autosave-worker.js', import.meta.url), { type: 'module' });
  let next = 0;
  const waiting = new Map();
  worker.onmessage = ({ data: { id, result, error } }) => {
    const { resolve, reject } = waiting.get(id);
    waiting.delete(id);
    if (error === undefined) resolve(result);
    else reject(new Error(error));
  };
  worker.onerror = (event) => {
    const error = new Error(`the autosave worker failed: ${event.message ?? 'could not start'}`);
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  return (type, args = {}, transfer = []) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, type, ...args }, transfer);
    });
}

/**
 * @param {{ capture: () => Promise<object | null>, confirm: (capture: object) => Promise<void>,
 *   onSaved?: (save: object) => void, onError?: (error: Error) => void, delay?: number, maxWait?: number }} options
 *   `capture` returns the changes to store ({ state, keys, pieces, bytes: Uint8Array, full, name, origin, activeId,
 *   history: { first, leftOut } (the steps the save keeps) })
 *   or null when there is no document to keep; `confirm(capture)` tells the core they are stored.
 */
export function createAutosave({ capture, confirm, onSaved, onError, delay = 300, maxWait = 1000 }) {
  const call = connect();
  let timer = null;
  let firstPending = 0;
  let saving = Promise.resolve();
  let pending = false;
  let enabled = true;
  /** What the saves wrote: { saves, written, last: { written, pieces, full, savedAt } }. */
  const stats = { saves: 0, written: 0, last: null };

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

  async function store() {
    const changes = await capture();
    if (changes === null) return call('clear');
    const { state, keys, pieces, bytes, full, name, origin, activeId, history } = changes;
    // The bytes move to the worker (transferred, not copied).
    const result = await call('save', { state, keys, pieces, bytes: bytes.buffer, name, origin, activeId }, [bytes.buffer]);
    await confirm(changes);
    const last = { ...result, full, history };
    stats.saves++;
    stats.written += result.written;
    stats.last = last;
    onSaved?.(last);
  }

  function save() {
    clearTimeout(timer);
    timer = null;
    if (!pending) return saving;
    pending = false;
    saving = saving.then(store).catch((error) => onError?.(error instanceof Error ? error : new Error(String(error))));
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
    /** What the saves wrote to IndexedDB (bytes); `last.history`: { first, leftOut } history steps. */
    get stats() {
      return structuredClone(stats);
    },
    /**
     * The stored save, or null: { record: { state, name, activeId, savedAt }, pieces: [{ key, offset, length }],
     * bytes: ArrayBuffer }, or { legacy: { ora, name, activeId, savedAt } } from an older version.
     */
    load: () => call('load'),
    /** Forgets the stored project (and anything pending). */
    async clear() {
      clearTimeout(timer);
      timer = null;
      pending = false;
      await saving;
      await call('clear');
    },
    /** Pauses saving (e.g. while a recovered project is being opened). */
    set enabled(flag) {
      enabled = flag;
    },
  };
}
