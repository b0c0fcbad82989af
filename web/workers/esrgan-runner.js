// Runs AI upscales in esrgan-worker.js and keeps the page in charge: Cancel
// terminates the worker between (or during) tiles, so the document is never
// touched by a cancelled run; a fresh worker starts for the next run. The
// worker stays up between runs, keeping the networks it has read.
import { Cancelled } from './plugin-runner.js';

export function createEsrganRunner() {
  let worker = null;
  /** The run in flight: { resolve, reject, onProgress }. */
  let current = null;

  function stop(error) {
    worker?.terminate();
    worker = null;
    const run = current;
    current = null;
    run?.reject(error);
  }

  function start() {
    worker = new Worker(new URL('./esrgan-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (!current) return;
      if (data.progress !== undefined) return current.onProgress?.(data.progress);
      const run = current;
      current = null;
      if (data.error !== undefined) run.reject(new Error(data.error));
      else run.resolve(data);
    };
    worker.onerror = (event) => stop(new Error(`the AI upscaler's worker failed: ${event.message ?? 'could not start'}`));
  }

  return {
    /**
     * Upscales `rgba` (`width`×`height`) by the network `model` ("slim", "medium" or "thick") at
     * `scale` (2, 3 or 4); `onProgress({ done, total })` hears of each tile. `backend` is the
     * page engine's: on "gpu" the network runs on the worker's WebGPU device, else on the
     * CPU. Resolves to `{ width, height, pixels, device }` (device: where it ran, "gpu" or
     * "cpu"); rejects with `Cancelled` after `cancel()`.
     */
    run({ model, scale, width, height, rgba, backend = 'cpu', onProgress }) {
      if (current) return Promise.reject(new Error('an AI upscale is already running'));
      if (!worker) start();
      return new Promise((resolve, reject) => {
        current = { resolve, reject, onProgress };
        worker.postMessage({ model, scale, width, height, rgba, backend }, [rgba.buffer]);
      });
    },

    /** Whether a run is in flight. */
    get running() {
      return current !== null;
    },

    /** Ends the run in flight (its promise rejects with `Cancelled`). */
    cancel() {
      if (current) stop(new Cancelled());
    },
  };
}
