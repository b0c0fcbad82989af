// Benchmark (not a test): a filter plugin's host path in the browser, as the page runs it. In
// headless Chromium (playwright-core, /usr/bin/chromium), the page's plugin Worker
// (web/workers/plugin-worker.js) gets the identity test plugin (one `memory.copy` per tile, so
// the time is the host's) and a SIZE×SIZE crop; timed from posting the run to receiving the
// filtered pixels: the crop's transfer into the Worker, the core's tiling and halo (wasm), the
// copies into and out of the plugin's memory, the canary checks and the result's transfer back.
// Start-up (checking the bundle, instantiating the module, the ABI handshake) is timed apart.
// Prints medians of RUNS runs after a warm-up.
//
//   ./build.sh build && (cd tests && node bench/plugin-browser-bench.mjs [--size N] [--runs N])
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, requireBuiltPackage } from '../browser/harness.mjs';
import { run } from '../cli.mjs';
import { option } from './options.mjs';

const SIZE = option('--size', 4096);
const RUNS = option('--runs', 5);

requireBuiltPackage();
const scratch = mkdtempSync(path.join(tmpdir(), 'retouch-plugin-bench-'));
run('cargo', ['run', '--quiet', '-p', 'retouch', '--example', 'plugin_test_bundles', '--', scratch]);
const identity = Array.from(readFileSync(path.join(scratch, 'identity.retouchplugin')));
rmSync(scratch, { recursive: true, force: true });

const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  // Any page of the app's origin can start its Worker (this one is the server's "not found"):
  // the editor itself is not needed.
  await page.goto(new URL('plugin-bench', server.url).href);
  const result = await page.evaluate(
    async ({ bundle, size, runs }) => {
      const worker = new Worker('/workers/plugin-worker.js', { type: 'module' });
      const ask = (message, transfer = []) =>
        new Promise((resolve, reject) => {
          worker.onmessage = ({ data }) => {
            if (data.progress !== undefined) return;
            if (data.error) reject(new Error(data.error));
            else resolve(data);
          };
          worker.postMessage(message, transfer);
        });
      await ask({ type: 'ready' });
      const bytes = new Uint8Array(bundle);
      // A photo-like gradient with noise: the identity does not care, the copies are real.
      const pixels = new Uint8Array(size * size * 4);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      const area = { x: 0, y: 0, width: size, height: size };
      const startups = [];
      const times = [];
      for (let i = 0; i <= runs; i++) {
        let start = performance.now();
        await ask({ type: 'prepare', bundle: bytes, key: 'identity', values: { shift: 0 } });
        startups.push(performance.now() - start);
        const crop = { pixels: pixels.slice(), x: 0, y: 0, width: size, height: size, layerWidth: size, layerHeight: size };
        start = performance.now();
        const answer = await ask({ type: 'run', crop, area }, [crop.pixels.buffer]);
        times.push(performance.now() - start);
        if (answer.pixels.length !== pixels.length || answer.pixels[12345] !== pixels[12345]) {
          throw new Error('the identity plugin did not return its input');
        }
      }
      worker.terminate();
      const median = (values) => values.slice(1).sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
      return { startup: median(startups), run: median(times), userAgent: navigator.userAgent };
    },
    { bundle: identity, size: SIZE, runs: RUNS },
  );
  const megapixels = (SIZE * SIZE) / 1e6;
  console.log(`${result.userAgent}`);
  console.log(
    `identity plugin, page Worker host path, ${SIZE}×${SIZE}: ${result.run.toFixed(1)} ms, ` +
      `${(megapixels / (result.run / 1000)).toFixed(0)} MP/s (median of ${RUNS})`,
  );
  console.log(`start-up per run (check bundle, instantiate, ABI handshake): ${result.startup.toFixed(2)} ms`);
} finally {
  await browser.close();
  await server.close();
}
