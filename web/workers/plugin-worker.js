// Runs one third-party filter plugin off the page's thread, in the browser's own
// WebAssembly engine. The core (../pkg/retouch.js) checks the bundle, drives the
// plugin ABI and does the tiling, halo and checks (`PluginRun`); this file only
// instantiates the module with the three `retouch` imports and passes messages.
// The page terminates this worker at the plugin's time limit or on Cancel, so an
// endless loop here never blocks the editor. Messages:
//   { type: 'prepare', bundle: Uint8Array, values } → { halo }
//   { type: 'run', crop, area } → { progress } … then { pixels: Uint8Array }
import init, { PluginBundle, PluginRun } from '../pkg/retouch.js';

const ready = init();
/** The last bundle's checked form and compiled module, by its bytes' identity. */
let cached = null;
/** The prepared run: a fresh instance per run, so no state leaks between runs. */
let run = null;

async function prepare({ bundle: bytes, key, values }) {
  if (cached?.key !== key) {
    cached?.bundle.free();
    const bundle = PluginBundle.fromBytes(bytes);
    const code = bundle.module();
    if (!code) {
      bundle.free();
      throw new Error('this plugin has only a WGSL shader: the page runs WebAssembly plugins only');
    }
    cached = { key, bundle, module: await WebAssembly.compile(code) };
  }
  const log = [];
  let memory = null;
  const imports = {
    retouch: {
      log: (ptr, len) => log.push(new TextDecoder().decode(new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0).slice())),
      progress: () => {},
      // Cancel terminates this worker; a running plugin is never asked.
      cancelled: () => 0,
    },
  };
  const instance = await WebAssembly.instantiate(cached.module, imports);
  memory = instance.exports.memory;
  run?.free();
  run = new PluginRun(cached.bundle, values, instance.exports, log);
  return { halo: run.halo };
}

function filter({ crop, area }) {
  const pixels = run.run(crop, area, (done, total) => self.postMessage({ progress: done / total }));
  run.free();
  run = null;
  return { pixels };
}

self.onmessage = async ({ data }) => {
  try {
    await ready;
    if (data.type === 'ready') return self.postMessage({ ready: true });
    const answer = data.type === 'prepare' ? await prepare(data) : filter(data);
    self.postMessage(answer, answer.pixels ? [answer.pixels.buffer] : []);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
