// Runs one third-party filter plugin off the page's thread: its WebAssembly module in
// the browser's own engine, or, when the page runs on WebGPU and the plugin has a WGSL
// shader, the shader on this worker's own WebGPU device. The core (../pkg/retouch.js)
// checks the bundle, chooses the implementation, drives the plugin ABI and does the
// tiling, halo and checks (`PluginRun`, `PluginBundle.runShader`); this file only
// instantiates the module with the three `retouch` imports and passes messages. The
// page terminates this worker at the plugin's time limit or on Cancel, so an endless
// loop (or a runaway shader) never blocks the editor. Messages:
//   { type: 'prepare', bundle: Uint8Array, key, values, backend } → { halo, implementation }
//   { type: 'run', crop, area } → { progress } … then { pixels: Uint8Array, implementation }
import init, { PluginBundle, PluginRun, createEngine } from '../pkg/retouch.js';

const ready = init();
/** The last bundle's checked form and compiled module (made on first use), by its bytes' identity. */
let cached = null;
/** The prepared run: a fresh module instance per run, so no state leaks between runs. */
let run = null;
/** This worker's engines by backend ("gpu" | "cpu"), made on first use. */
const engines = new Map();

function engine(backend) {
  if (!engines.has(backend)) {
    // No WebGPU in this worker: the CPU engine, so the core asks for the module (or says a
    // shader-only plugin needs WebGPU).
    engines.set(backend, createEngine(backend).catch(() => createEngine('cpu')));
  }
  return engines.get(backend);
}

async function prepareModule(values) {
  cached.module ??= await WebAssembly.compile(cached.bundle.module());
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
  return { implementation: 'wasm', module: new PluginRun(cached.bundle, values, instance.exports, log) };
}

async function prepare({ bundle: bytes, key, values, backend = 'cpu' }) {
  if (cached?.key !== key) {
    cached?.bundle.free();
    cached = { key, bundle: PluginBundle.fromBytes(bytes), module: null };
  }
  run?.module?.free();
  run = null;
  const chosen = await engine(backend === 'gpu' && cached.bundle.hasShader ? 'gpu' : 'cpu');
  if (cached.bundle.implementationFor(chosen) === 'wgsl') {
    run = { implementation: 'wgsl', engine: chosen, values, halo: cached.bundle.shaderHalo(values) };
  } else {
    run = await prepareModule(values);
    run.halo = run.module.halo;
  }
  return { halo: run.halo, implementation: run.implementation };
}

async function filter({ crop, area }) {
  const onTile = (done, total) => self.postMessage({ progress: done / total });
  const current = run;
  run = null;
  try {
    const pixels = current.implementation === 'wgsl'
      ? await cached.bundle.runShader(current.engine, current.values, crop, area, onTile)
      : current.module.run(crop, area, onTile);
    return { pixels, implementation: current.implementation };
  } finally {
    current.module?.free();
  }
}

self.onmessage = async ({ data }) => {
  try {
    await ready;
    if (data.type === 'ready') {
      if (data.backend === 'gpu') await engine('gpu');
      return self.postMessage({ ready: true });
    }
    const answer = data.type === 'prepare' ? await prepare(data) : await filter(data);
    self.postMessage(answer, answer.pixels ? [answer.pixels.buffer] : []);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
