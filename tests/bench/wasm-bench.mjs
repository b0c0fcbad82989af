// Benchmark (not a test): the wasm build's CPU compositing speed in Node.
// Loads web/pkg (wasm-bindgen --target web) with initSync, creates a CPU
// engine (Node has no WebGPU) and composites a 4096×4096 layer over a
// 4096×4096 backdrop with a full-size mask, then the selection kernels of
// crate/examples/bench_masks.rs on the same inputs, then the edge upscaler.
// Prints medians of 5 runs.
//
//   ./build.sh build && (cd tests && node bench/wasm-bench.mjs [--size N] [--runs N])
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { option } from './options.mjs';

const SIZE = option('--size', 4096);
const RUNS = option('--runs', 5);

// RETOUCH_WEB_ROOT benchmarks another copy of web/ (e.g. a package built elsewhere).
const pkg = process.env.RETOUCH_WEB_ROOT
  ? pathToFileURL(`${process.env.RETOUCH_WEB_ROOT.replace(/\/$/, '')}/pkg/`)
  : new URL('../../web/pkg/', import.meta.url);
let wasm;
try {
  wasm = await import(new URL('retouch.js', pkg).href);
  wasm.initSync({ module: readFileSync(new URL('retouch_bg.wasm', pkg)) });
} catch (error) {
  console.error(`cannot load web/pkg (run ./build.sh build first): ${error.message}`);
  process.exit(1);
}

let engine;
try {
  engine = await wasm.createEngine('cpu');
} catch (error) {
  console.error(`createEngine("cpu") failed in Node: ${error.message}`);
  process.exit(1);
}
if (engine.backend !== 'cpu') {
  console.error(`expected the CPU backend, got ${engine.backend}`);
  process.exit(1);
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for 64 MiB. */
function noise(length, seed) {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

const pixels = SIZE * SIZE;
const backdropRgba = noise(pixels * 4, 1);
for (let i = 3; i < backdropRgba.length; i += 4) backdropRgba[i] = 255;
const layerRgba = noise(pixels * 4, 2); // varied alpha
const maskValues = noise(pixels, 3);

const base = wasm.Image.fromRgba(SIZE, SIZE, backdropRgba);
// A cleared backdrop: where the first layer of every recomposition lands.
const cleared = wasm.Image.fromRgba(SIZE, SIZE, new Uint8Array(pixels * 4));
const layer = wasm.Image.fromRgba(SIZE, SIZE, layerRgba);

console.log(`wasm ${wasm.version()} · Node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown CPU'} · engine: ${engine.adapter}`);

for (const [mode, backdrop, over] of [
  ['normal', base, ''],
  ['multiply', base, ''],
  ['normal', cleared, ' over a cleared backdrop'],
  ['multiply', cleared, ' over a cleared backdrop'],
]) {
  const times = [];
  // One warm-up run, then RUNS timed ones; the mask is borrowed by each call.
  const mask = wasm.Mask.fromValues(SIZE, SIZE, maskValues);
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now();
    const out = await engine.compositeMasked(backdrop, layer, mask, { mode, opacity: 0.8 });
    const ms = performance.now() - start;
    out.free();
    if (run > 0) times.push(ms);
  }
  mask.free();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const mps = pixels / 1e6 / (median / 1000);
  console.log(
    `wasm cpu ${mode}+mask ${SIZE}x${SIZE}${over}: ${mps.toFixed(1)} MP/s (median of ${RUNS}; ${median.toFixed(1)} ms, includes copying the backdrop for the result)`,
  );
}

base.free();
cleared.free();
layer.free();

// The selection kernels, on the same inputs as crate/examples/bench_masks.rs:
// a 4096×4096 ellipse inscribed in (10 %, 15 %, 80 %, 70 %).
/** Median milliseconds of RUNS calls of `run` after one warm-up call. */
async function medianMs(run) {
  await run();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const report = (label, megapixels, ms) =>
  console.log(`wasm cpu ${label}: ${(megapixels / (ms / 1000)).toFixed(1)} MP/s (median of ${RUNS}; ${ms.toFixed(2)} ms)`);

const selection = wasm.Mask.ellipse(SIZE, SIZE, SIZE * 0.1, SIZE * 0.15, SIZE * 0.8, SIZE * 0.7);
const mp = pixels / 1e6;
for (const radius of [2, 20, 200]) {
  report(`feather r=${radius} ${SIZE}x${SIZE}`, mp, await medianMs(async () => (await engine.feather(selection, radius)).free()));
}
for (const distance of [5, 30, 100]) {
  report(`grow ${distance} ${SIZE}x${SIZE}`, mp, await medianMs(async () => (await engine.grow(selection, distance)).free()));
  report(`shrink ${distance} ${SIZE}x${SIZE}`, mp, await medianMs(async () => (await engine.shrink(selection, distance)).free()));
}
// The wand floods the background around a differently coloured ellipse.
const inside = selection.values();
const wandRgba = new Uint8Array(pixels * 4);
for (let i = 0; i < pixels; i++) {
  const x = i % SIZE;
  wandRgba.set(inside[i] >= 128 ? [200, 40, 40, 255] : [30, 90, 160 + (x % 7), 255], i * 4);
}
const wandImage = wasm.Image.fromRgba(SIZE, SIZE, wandRgba);
for (const antiAlias of [false, true]) {
  report(`wand fill (anti-alias ${antiAlias}) ${SIZE}x${SIZE}`, mp, await medianMs(() => wasm.Mask.magicWand(wandImage, 0, 0, 16, true, antiAlias).free()));
}
for (const diameter of [50, 300]) {
  const ms = await medianMs(() => selection.paintStroke([2000, 2000], { diameter, hardness: 0.5 }));
  console.log(`wasm cpu one brush dab, ${diameter} px on ${SIZE}x${SIZE}: ${ms.toFixed(3)} ms (median of ${RUNS})`);
}
wandImage.free();
selection.free();

// The edge upscaler ×2 to SIZE² of the photo-like pattern of
// crate/examples/bench_resample.rs (its ×2 of 2048² at the default size).
const half = SIZE / 2;
const photoRgba = new Uint8Array(half * half * 4);
for (let y = 0; y < half; y++) {
  for (let x = 0; x < half; x++) {
    const t = (x * 7 + y * 13) % 17;
    photoRgba.set([((x >> 3) & 255) ^ t, (y >> 3) & 255, (((x + y) >> 4) & 255) ^ t, 255], (y * half + x) * 4);
  }
}
const photo = wasm.Image.fromRgba(half, half, photoRgba);
const enlarge = { width: SIZE, height: SIZE, filter: 'edge' };
report(`edge ×2 of ${half}x${half}`, mp, await medianMs(async () => (await engine.resize(photo, enlarge)).free()));
photo.free();
engine.free();
