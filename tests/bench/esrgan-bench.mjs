// Benchmark (not a test): the AI upscaler (ESRGAN) in the wasm build, as the
// page's worker runs it: the release package loaded in Node (V8, as in
// Chromium) with initSync, one `EsrganJob` stepped tile by tile on one
// thread. The input is a photograph repeated to SIZE×SIZE (a dense network's
// time does not depend on the content). Prints the whole run's seconds and
// the median tile and the wasm memory's high-water mark; one run per model
// (each takes tens of seconds).
//
//   (cd tests && node bench/esrgan-bench.mjs [--size 512] [--scale 4] [--models slim,medium])
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { option } from './options.mjs';

const SIZE = option('--size', 512);
const SCALE = option('--scale', 4);
const MODELS = option('--models', 'slim').split(',');

const pkg = new URL('../../web/pkg/', import.meta.url);
const wasm = await import(new URL('retouch.js', pkg).href);
const { memory } = wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });

const photo = wasm.Image.decode(readFileSync(new URL('../../crate/tests/photos/astronaut.png', import.meta.url)));
const [pw, ph, pixels] = [photo.width, photo.height, photo.rgba()];
photo.free();
const rgba = new Uint8Array(SIZE * SIZE * 4);
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const from = (((y % ph) * pw) + (x % pw)) * 4;
    rgba.set(pixels.subarray(from, from + 4), (y * SIZE + x) * 4);
  }
}

console.log(`ESRGAN in wasm (Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, one thread), ${SIZE}×${SIZE} ×${SCALE}`);
for (const model of MODELS) {
  const file = wasm.esrganModelFile(model, SCALE);
  const network = wasm.EsrganModel.fromBytes(readFileSync(new URL(`models/${file}`, pkg)), file);
  const image = wasm.Image.fromRgba(SIZE, SIZE, rgba);
  const start = performance.now();
  const job = new wasm.EsrganJob(network, image);
  const tiles = [];
  let more = true;
  while (more) {
    const from = performance.now();
    more = job.step();
    tiles.push(performance.now() - from);
  }
  const out = job.finish();
  const seconds = (performance.now() - start) / 1000;
  tiles.sort((a, b) => a - b);
  const median = tiles[Math.floor(tiles.length / 2)] / 1000;
  // Linear memory only grows: its size is the high-water mark so far (source and output included).
  const mib = memory.buffer.byteLength / 2 ** 20;
  console.log(`${model}: ${seconds.toFixed(1)} s → ${out.width}×${out.height} (${tiles.length} tiles, median tile ${median.toFixed(2)} s), wasm memory ${mib.toFixed(0)} MiB`);
  out.free();
  job.free();
  image.free();
  network.free();
}
