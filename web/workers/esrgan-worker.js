// Runs the core's AI upscaler (ESRGAN) off the page's thread, posting progress
// after each tile: when the page runs on WebGPU, on this worker's own WebGPU
// device (`EsrganGpu`: the weights uploaded once per network, a tile's layers
// in one submission), else on the CPU interpreter, one tile per
// `EsrganJob.step`. The networks are fetched
// from the app's own pkg/models/ on first use and kept for the next run (the
// service worker caches the file as it passes, so it also works offline
// afterwards); the page terminates this worker on Cancel. Messages:
//   { model, scale, width, height, rgba, backend } → { progress: { done, total } } … then
//   { width, height, pixels: Uint8Array, device: 'gpu' | 'cpu' }
import init, { EsrganGpu, EsrganJob, EsrganModel, Image, createEngine, esrganModelFile } from '../pkg/retouch.js';

const ready = init();
/** Networks read so far, by file name. */
const networks = new Map();
/** Networks uploaded to this worker's GPU, by file name. */
const uploaded = new Map();
/** This worker's WebGPU engine (null without WebGPU here), made on first use. */
let gpuEngine = null;

async function gpu() {
  gpuEngine ??= createEngine('gpu').then((engine) => (engine.backend === 'gpu' ? engine : null), () => null);
  return gpuEngine;
}

async function upscaleOnGpu(engine, file, net, image) {
  if (!uploaded.has(file)) uploaded.set(file, EsrganGpu.upload(engine, net));
  const out = await uploaded.get(file).upscale(image, (done, total) => self.postMessage({ progress: { done, total } }));
  try {
    return { width: out.width, height: out.height, pixels: out.rgba(), device: 'gpu' };
  } finally {
    out.free();
  }
}

async function network(file) {
  if (!networks.has(file)) {
    const response = await fetch(new URL(`../pkg/models/${file}`, import.meta.url));
    if (!response.ok) throw new Error(`the AI model ${file} could not be loaded (HTTP ${response.status}); ./build.sh build converts it into web/pkg/models`);
    networks.set(file, EsrganModel.fromBytes(new Uint8Array(await response.arrayBuffer()), file));
  }
  return networks.get(file);
}

async function upscale({ model, scale, width, height, rgba, backend = 'cpu' }) {
  const file = esrganModelFile(model, scale);
  const net = await network(file);
  const image = Image.fromRgba(width, height, rgba);
  const engine = backend === 'gpu' ? await gpu() : null;
  if (engine) {
    try {
      return await upscaleOnGpu(engine, file, net, image);
    } finally {
      image.free();
    }
  }
  let job;
  try {
    job = new EsrganJob(net, image);
  } finally {
    image.free();
  }
  try {
    const report = () => self.postMessage({ progress: { done: job.done, total: job.total } });
    report();
    while (job.step()) report();
    report();
    const out = job.finish();
    try {
      return { width: out.width, height: out.height, pixels: out.rgba(), device: 'cpu' };
    } finally {
      out.free();
    }
  } finally {
    job.free();
  }
}

self.onmessage = async ({ data }) => {
  try {
    await ready;
    const answer = await upscale(data);
    self.postMessage(answer, [answer.pixels.buffer]);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
