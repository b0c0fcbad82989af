// Runs the core's AI upscaler (ESRGAN) off the page's thread, one tile per
// `EsrganJob.step`, posting progress after each. The networks are fetched
// from the app's own pkg/models/ on first use and kept for the next run (the
// service worker caches the file as it passes, so it also works offline
// afterwards); the page terminates this worker on Cancel. Messages:
//   { model, scale, width, height, rgba } → { progress: { done, total } } … then
//   { width, height, pixels: Uint8Array }
import init, { EsrganJob, EsrganModel, Image, esrganModelFile } from '../pkg/retouch.js';

const ready = init();
/** Networks read so far, by file name. */
const networks = new Map();

async function network(file) {
  if (!networks.has(file)) {
    const response = await fetch(new URL(`../pkg/models/${file}`, import.meta.url));
    if (!response.ok) throw new Error(`the AI model ${file} could not be loaded (HTTP ${response.status}); ./build.sh build converts it into web/pkg/models`);
    networks.set(file, EsrganModel.fromBytes(new Uint8Array(await response.arrayBuffer()), file));
  }
  return networks.get(file);
}

async function upscale({ model, scale, width, height, rgba }) {
  const net = await network(esrganModelFile(model, scale));
  const image = Image.fromRgba(width, height, rgba);
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
      return { width: out.width, height: out.height, pixels: out.rgba() };
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
