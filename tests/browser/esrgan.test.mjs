// The Upscale panel's AI upscaler (ESRGAN) in headless Chromium, with WebGPU
// (SwiftShader; the page must run on the GPU engine, and the network runs on
// the worker's WebGPU device) and without (CPU fallback: the core's CPU
// interpreter in the worker). Both are held to the native CLI's CPU run: a
// 48×48 crop of a photograph upscaled ×2 by the "fast" network into a new
// layer equals `retouch resize --filter esrgan` bit for bit on the CPU (the
// interpreter multiplies then adds, never fused, in the same order on every
// target, so wasm and native agree exactly) and within one level (mean ≤ 0.05,
// the GPU may fuse a multiply-add) on WebGPU; the tiles are reported, Cancel leaves the
// document bit-exact with no history step, one undo removes the layer, and
// a scale the networks do not have is refused with a message. With the
// service worker on, the network is fetched from the page's own origin only,
// kept in the app's cache, and the AI upscale runs again offline.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, WEB_ROOT } from './harness.mjs';
import { cli, run, buildCli } from '../cli.mjs';
import { decodePng } from '../providers/png.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
const PHOTO_PATH = fileURLToPath(new URL('../../crate/tests/photos/grass.png', import.meta.url));
const PHOTO = readFileSync(PHOTO_PATH);
// 192×144.
const W = 192;
const H = 144;
const BOX = { x: 100, y: 40, width: 48, height: 48 };
const out = fileURLToPath(new URL('../out/esrgan-page/', import.meta.url));

requireBuiltPackage();

// Thick (the RRDN network, ten times medium's work per pixel) on a smaller box.
const THICK_BOX = { x: 120, y: 60, width: 20, height: 16 };

/** The CLI's upscale of `box` by `model` ×`scale`, RGBA. */
function cliReference(model = 'slim', scale = 2, box = BOX) {
  buildCli();
  mkdirSync(out, { recursive: true });
  const file = `${out}${model}-x${scale}.png`;
  run(cli, ['resize', PHOTO_PATH, '-o', file, '--region', `${box.x},${box.y},${box.width},${box.height}`,
    '--filter', 'esrgan', '--scale', String(scale), '--model', model, '--models', `${WEB_ROOT}pkg/models`]);
  const png = decodePng(readFileSync(file));
  const rgba = [];
  for (let y = 0; y < png.height; y++) for (let x = 0; x < png.width; x++) rgba.push(...png.at(x, y).slice(0, 3), 255);
  return { width: png.width, height: png.height, rgba };
}

const composite = (page) => page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
const historyPosition = (page) => page.evaluate(() => window.retouchApp.history().position);

/** Records the panel's progress while `command` runs; resolves to { result | error, seen }. */
function runRecording(page, command, params) {
  return page.evaluate(
    async ({ command, params }) => {
      const seen = [];
      const timer = setInterval(() => {
        const p = window.retouchApp.upscale.state().progress;
        const last = seen.at(-1);
        if (p && (!last || last.done !== p.done || last.total !== p.total)) seen.push({ ...p });
      }, 5);
      try {
        return { result: await window.retouchApp.run(command, params), seen };
      } catch (error) {
        return { error: { name: error.name, message: error.message }, seen };
      } finally {
        clearInterval(timer);
      }
    },
    { command, params },
  );
}

for (const config of CONFIGS) {
  describe(`AI upscale (ESRGAN), ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let reference;

    before(async () => {
      reference = cliReference();
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      await app.page.evaluate(async (bytes) => {
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'grass.png' });
        await window.retouchApp.settled();
      }, Array.from(PHOTO));
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    test('the selection’s box upscaled ×2 by AI becomes a layer equal to the CLI’s; one undo removes it', async () => {
      const { page } = app;
      const original = await composite(page);
      await page.evaluate((box) => window.retouchApp.run('select.rectangle', box), BOX);
      const position = await historyPosition(page);
      const layers = await page.evaluate(() => window.retouchApp.layers().length);
      const { result, error, seen } = await runRecording(page, 'upscale.selection', { filter: 'esrgan', scale: 2, model: 'slim' });
      assert.equal(error, undefined, JSON.stringify(error));
      assert.deepEqual(result.after, { width: 96, height: 96 });
      assert.equal(result.device, config.expect, 'the network ran where the page\'s engine runs');
      assert.ok(seen.some((p) => p.total === 1), `the tiles were reported: ${JSON.stringify(seen)}`);
      assert.equal(await page.evaluate(() => window.retouchApp.upscale.state().progress), null, 'the progress bar is gone');
      await page.evaluate(() => window.retouchApp.run('upscale.close-compare'));

      const steps = await page.evaluate(() => window.retouchApp.history());
      assert.equal(steps.position, position + 1, 'one history step');
      const layer = (await page.evaluate(() => window.retouchApp.layers())).at(-1);
      assert.equal(layer.id, result.layerId);
      assert.deepEqual([layer.x, layer.y, layer.width, layer.height], [BOX.x, BOX.y, 96, 96]);
      assert.match(layer.name, /^AI upscaled \(slim\) 48×48 → 96×96$/);
      const got = await page.evaluate(async (id) => Array.from((await window.retouchApp.layerPixels(id)).data), layer.id);
      assert.deepEqual([reference.width, reference.height], [96, 96]);
      const stats = await page.evaluate(([a, b]) => window.testKit.compare(a, b), [got, reference.rgba]);
      if (config.expect === 'gpu') {
        // Within one level, so the mean difference is the share of values that differ.
        assert.ok(stats.max <= 1 && stats.differing / got.length <= 0.05, `WebGPU is within one level of the CLI's CPU upscale: ${JSON.stringify(stats)}`);
      } else {
        assert.equal(stats.max, 0, `the layer differs from the CLI's upscale: ${JSON.stringify(stats)}`);
      }

      await page.evaluate(() => window.retouchApp.run('edit.undo'));
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal(await page.evaluate(() => window.retouchApp.layers().length), layers);
      assert.equal(await historyPosition(page), position);
      assert.deepEqual(await composite(page), original, 'undo restores the composite bit-exactly');
    });

    test('the thick network runs in the page like the CLI', { skip: config.webgpu && 'thick on SwiftShader (a CPU-emulated adapter) takes minutes; the WGSL kernels of its layers are checked natively against the CPU' }, async () => {
      const { page } = app;
      const thick = cliReference('thick', 2, THICK_BOX);
      await page.evaluate((box) => window.retouchApp.run('select.rectangle', box), THICK_BOX);
      const { result, error } = await runRecording(page, 'upscale.selection', { filter: 'esrgan', scale: 2, model: 'thick' });
      assert.equal(error, undefined, JSON.stringify(error));
      assert.deepEqual(result.after, { width: 40, height: 32 });
      await page.evaluate(() => window.retouchApp.run('upscale.close-compare'));
      const layer = (await page.evaluate(() => window.retouchApp.layers())).at(-1);
      assert.match(layer.name, /^AI upscaled \(thick\) 20×16 → 40×32$/);
      const got = await page.evaluate(async (id) => Array.from((await window.retouchApp.layerPixels(id)).data), layer.id);
      const stats = await page.evaluate(([a, b]) => window.testKit.compare(a, b), [got, thick.rgba]);
      assert.equal(stats.max, 0, `the layer differs from the CLI's upscale: ${JSON.stringify(stats)}`);
      await page.evaluate(() => window.retouchApp.run('edit.undo'));
      await page.evaluate(() => window.retouchApp.settled());
    });

    test('Cancel stops the AI upscale between tiles and leaves the document bit-exact', async () => {
      const { page } = app;
      const original = await composite(page);
      const position = await historyPosition(page);
      const layers = await page.evaluate(() => window.retouchApp.layers().length);
      // The whole 192×144 image ×4 is 2 × 2 tiles of 128 px (more where a GPU's binding
      // limit halves them): Cancel as soon as the job reports them.
      const outcome = page.evaluate(async () => {
        const app = window.retouchApp;
        const running = app.run('upscale.image', { filter: 'esrgan', scale: 4, model: 'slim' }).then(
          () => ({ finished: true }),
          (error) => ({ name: error.name, message: error.message }),
        );
        while (!(app.upscale.state().progress?.total > 0)) await new Promise((r) => setTimeout(r, 5));
        const progress = { ...app.upscale.state().progress };
        await app.run('upscale.cancel');
        return { progress, ended: await running };
      });
      const { progress, ended } = await outcome;
      assert.ok(progress.total >= 4, JSON.stringify(progress));
      assert.ok(progress.done < progress.total, `cancelled before the last tile: ${JSON.stringify(progress)}`);
      assert.equal(ended.name, 'Cancelled');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal(await historyPosition(page), position, 'no history step');
      assert.equal(await page.evaluate(() => window.retouchApp.layers().length), layers);
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });
      assert.deepEqual(await composite(page), original, 'the document is bit-exact');
      const state = await page.evaluate(() => window.retouchApp.upscale.state());
      assert.equal(state.busy, false);
      assert.equal(state.progress, null);
    });

    test('a scale the networks do not have is refused with a message and changes nothing', async () => {
      const { page } = app;
      const position = await historyPosition(page);
      const error = await page.evaluate(() =>
        window.retouchApp.run('upscale.image', { filter: 'esrgan', scale: 2.5, model: 'slim' }).then(() => null, (e) => e.message),
      );
      assert.match(error ?? '', /2\.5 is not available for esrgan; the networks enlarge ×2, ×3 or ×4/);
      assert.equal(await historyPosition(page), position);
      assert.equal(await page.evaluate(() => window.retouchApp.upscale.state().busy), false);
    });
  });
}

test('the network comes from the page’s own origin, is cached by the service worker and works offline', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { context, page, errors } = await openApp(browser, server.url, { serviceWorkers: 'allow' });
    const origins = new Set();
    context.on('request', (request) => origins.add(new URL(request.url()).origin));
    assert.equal(await page.evaluate(() => window.retouchApp.offlineReady()), true, 'the service worker installed');
    const upscale = () =>
      page.evaluate(async ({ bytes, box }) => {
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'grass.png' });
        await window.retouchApp.run('select.rectangle', box);
        const last = await window.retouchApp.run('upscale.selection', { filter: 'esrgan', scale: 2, model: 'slim' });
        await window.retouchApp.run('upscale.close-compare');
        return last.after;
      }, { bytes: Array.from(PHOTO), box: BOX });
    assert.deepEqual(await upscale(), { width: 96, height: 96 });
    const cached = await page.evaluate(async () => Boolean(await (await caches.open('retouch-app')).match('pkg/models/esrgan-slim-x2.rtnet')));
    assert.equal(cached, true, 'the network is in the app’s cache after its first use');
    assert.deepEqual([...origins], [new URL(server.url).origin], 'no request left the page’s origin');

    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.retouchApp !== undefined);
    await page.evaluate(() => window.retouchApp.ready);
    assert.deepEqual(await upscale(), { width: 96, height: 96 }, 'offline, the AI upscale runs from the cache');
    assert.deepEqual(errors.map(String), []);
  } finally {
    await browser.close();
    await server.close().catch(() => {});
  }
});
