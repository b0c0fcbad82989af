// Benchmark (not a test): the editor's AI upscale (ESRGAN) end to end in headless Chromium,
// on the WebGPU page (SwiftShader, the CPU-emulated adapter: report only, it says nothing about a
// real GPU) and on the CPU page, side by side: a SIZE×SIZE crop of a photograph opened in the
// editor, `upscale.image` with the slim network at ×SCALE into a new layer, timed in the page
// from the command to its result (reading the composite, the worker's run, adding the layer).
// The first run also loads the network (and on WebGPU opens the worker's device and uploads the
// weights); the median of the runs after it is printed with it.
//
//   ./build.sh build && (cd tests && node bench/esrgan-page-bench.mjs [--size 128] [--scale 2] [--runs 3])
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from '../browser/harness.mjs';
import { option } from './options.mjs';

const SIZE = option('--size', 128);
const SCALE = option('--scale', 2);
const RUNS = option('--runs', 3);
const PHOTO = readFileSync(new URL('../../crate/tests/photos/astronaut.png', import.meta.url));

requireBuiltPackage();
const server = await startServer();
try {
  for (const config of [
    { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu' },
    { name: 'CPU (wasm worker)', webgpu: false, query: '?backend=cpu' },
  ]) {
    const browser = await launchBrowser({ webgpu: config.webgpu });
    try {
      const app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      const result = await app.page.evaluate(
        async ({ png, size, scale, runs }) => {
          const app = window.retouchApp;
          // The photograph's top-left SIZE×SIZE, as a PNG the editor opens.
          const photo = window.testKit.wasm.Image.decode(new Uint8Array(png));
          const crop = new Uint8Array(size * size * 4);
          const rgba = photo.rgba();
          for (let y = 0; y < size; y++) crop.set(rgba.subarray(y * photo.width * 4, (y * photo.width + size) * 4), y * size * 4);
          photo.free();
          await app.run('file.open', { bytes: window.testKit.pngOf(size, size, crop), name: 'crop.png' });
          await app.settled();
          const times = [];
          let device = null;
          for (let i = 0; i <= runs; i++) {
            const start = performance.now();
            const last = await app.run('upscale.image', { filter: 'esrgan', scale, model: 'slim' });
            times.push(performance.now() - start);
            device = last.device;
            await app.run('upscale.close-compare');
            await app.run('edit.undo');
            await app.settled();
          }
          const [first, ...rest] = times;
          rest.sort((a, b) => a - b);
          return { first, median: rest[Math.floor(rest.length / 2)], device };
        },
        { png: Array.from(PHOTO), size: SIZE, scale: SCALE, runs: RUNS },
      );
      console.log(`${config.name}: ${SIZE}×${SIZE} ×${SCALE} slim, ran on ${result.device}: first ${(result.first / 1000).toFixed(2)} s, then median ${(result.median / 1000).toFixed(2)} s of ${RUNS}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
