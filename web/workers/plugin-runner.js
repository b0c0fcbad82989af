// Runs filter plugins in plugin-worker.js and keeps the page in charge: the
// worker is terminated when the plugin passes its time limit or the user
// cancels, and a fresh one starts for the next run. The clock runs only while
// the worker computes (not while the page reads the document between the two
// steps), so a busy page never eats into a plugin's time.

/** An error that says the user cancelled (the dialog stays quiet about it). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export function createPluginRunner() {
  let worker = null;
  let started = null;
  /** The step in flight: { resolve, reject, onProgress, timer }. */
  let step = null;
  /** Whether a run is in flight (also between its steps). */
  let busy = false;

  function fail(error) {
    const current = step;
    step = null;
    clearTimeout(current?.timer);
    current?.reject(error);
  }

  function stop(error) {
    worker?.terminate();
    worker = null;
    started = null;
    fail(error);
  }

  function start(backend) {
    if (started) return started;
    worker = new Worker(new URL('./plugin-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (!step) return;
      if (data.progress !== undefined) return step.onProgress?.(data.progress);
      const current = step;
      step = null;
      clearTimeout(current.timer);
      if (data.error !== undefined) current.reject(new Error(data.error));
      else current.resolve(data);
    };
    worker.onerror = (event) => stop(new Error(`the plugin worker failed: ${event.message ?? 'could not start'}`));
    const mine = worker;
    // Untimed: the worker loads the core and, for the WebGPU page, opens its own device.
    started = send({ type: 'ready', backend }, { budget: null }).catch((error) => {
      if (worker === mine) stop(error);
      throw error;
    });
    return started;
  }

  /** Posts one message and resolves with the worker's answer; past `budget` ms the worker is ended. */
  function send(message, { budget, onProgress, onTimeout, transfer = [] }) {
    return new Promise((resolve, reject) => {
      step = { resolve, reject, onProgress, timer: null };
      if (budget !== null) step.timer = setTimeout(() => stop(onTimeout()), Math.max(0, budget));
      worker.postMessage(message, transfer);
    });
  }

  return {
    /**
     * Runs a plugin: `bundle` (its bytes; `key` names them for the worker's cache) with
     * `values`; `readSource(halo)` resolves to `{ crop, area }` (what `Project.filterCrop`
     * gives, or a preview proxy); resolves to `{ pixels, area, implementation }`: the area's
     * RGBA bytes and "wgsl" or "wasm". `backend` is the page engine's: on "gpu" a plugin's
     * WGSL shader runs on WebGPU, else its module on the CPU. `timeoutMs` covers the plugin's
     * own work; past it the worker is terminated and the promise rejects with a message
     * naming the plugin and the limit.
     */
    async run({ name, bundle, key, values, backend = 'cpu', timeoutMs, readSource, onProgress }) {
      if (busy) throw new Error('a plugin is already running');
      busy = true;
      try {
        return await runSteps({ name, bundle, key, values, backend, timeoutMs, readSource, onProgress });
      } finally {
        busy = false;
      }
    },

    /** Whether a run is in flight. */
    get running() {
      return busy;
    },

    /** Ends the run in flight (its promise rejects with `Cancelled`); the next run starts a fresh worker. */
    cancel() {
      if (busy && worker) stop(new Cancelled());
    },
  };

  async function runSteps({ name, bundle, key, values, backend, timeoutMs, readSource, onProgress }) {
    await start(backend);
    const mine = worker;
    let left = timeoutMs;
    const onTimeout = () =>
      new Error(`“${name}” was stopped at its time limit of ${timeoutMs} ms: it ran too long. Nothing was changed.`);
    const timed = async (message, options) => {
      const from = performance.now();
      try {
        return await send(message, { budget: left, onTimeout, ...options });
      } finally {
        left -= performance.now() - from;
      }
    };
    const { halo } = await timed({ type: 'prepare', bundle, key, values, backend });
    const { crop, area } = await readSource(halo);
    // Cancelled while the page read the document: the worker is gone.
    if (worker !== mine) throw new Cancelled();
    const { pixels, implementation } = await timed({ type: 'run', crop, area }, { onProgress, transfer: [crop.pixels.buffer] });
    return { pixels, area, implementation };
  }
}
