// The Upscale panel in headless Chromium, with WebGPU (SwiftShader; the page
// must run on the GPU) and without (CPU fallback):
//   - "Selection → new file": the box enlarged and downloaded, the document unchanged;
//   - "Selection → layer": the selection's box of the composite,
//     upscaled by the edge filter into a new top layer at the box's corner,
//     equal to the same resize made directly with a CPU engine; the
//     before/after view opens with both crops, saves the layer as PNG, and
//     its Undo removes the layer;
//   - "Image": Image Size ×2 with Lanczos3 doubles the canvas, the viewer and
//     the selection follow, the composite equals a CPU resize, one undo
//     restores size, pixels and the selection as it was;
//   - a bad parameter is refused with a message and changes nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu', tolerance: 2 },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu', tolerance: 0 },
];
const W = 120;
const H = 90;

requireBuiltPackage();

/** The composite on screen, with plain arrays (typed arrays do not cross evaluate). */
async function composite(page) {
  return page.evaluate(async () => {
    const { width, height, data } = await window.retouchApp.resultRgba();
    return { width, height, data: Array.from(data) };
  });
}

/** The selection's coverage bytes as an array (or null). */
function selectionValues(page) {
  return page.evaluate(async () => {
    const values = await window.retouchApp.selectionValues();
    return values ? Array.from(values) : null;
  });
}

/** The resize the page should have made, computed with a CPU engine in the page. */
function cpuResize(page, rgba, width, height, params) {
  return page.evaluate(
    async ({ rgba, width, height, params }) => {
      const { wasm } = window.testKit;
      window.testCpu = window.testCpu ?? (await wasm.createEngine('cpu'));
      const image = wasm.Image.fromRgba(width, height, Uint8Array.from(rgba));
      const out = await window.testCpu.resize(image, params);
      image.free();
      const result = { width: out.width, height: out.height, data: Array.from(out.rgba()) };
      out.free();
      return result;
    },
    { rgba: Array.from(rgba), width, height, params },
  );
}

for (const config of CONFIGS) {
  describe(`upscale, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      // A textured opaque picture: gradients with a pattern, so every filter differs.
      await app.page.evaluate(
        async ({ W, H }) => {
          const rgba = new Uint8Array(W * H * 4);
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              const o = (y * W + x) * 4;
              const stripe = (x + 2 * y) % 11 < 4 ? 60 : 0;
              rgba.set([(x * 2 + stripe) & 255, (y * 3) & 255, (x * y) % 256, 255], o);
            }
          }
          await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(W, H, rgba), name: 'picture.png' });
        },
        { W, H },
      );
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    test('the selection’s box becomes a new upscaled layer, with a before/after view', async () => {
      const { page } = app;
      const original = await composite(page);
      await page.evaluate(() => window.retouchApp.run('select.rectangle', { x: 20, y: 10, width: 40, height: 30 }));
      assert.equal(await page.locator('#upscale-selection').isDisabled(), false);
      const entries = (await page.evaluate(() => window.retouchApp.history())).position;
      const params = { filter: 'edge', scale: 2, sharpness: 0.1 };
      const last = await page.evaluate((params) => window.retouchApp.run('upscale.selection', params), params);
      assert.deepEqual(last.before, { width: 40, height: 30 });
      assert.deepEqual(last.after, { width: 80, height: 60 });
      assert.ok(await page.locator('#compare').evaluate((d) => d.open), 'the before/after view is open');
      const sizes = await page.evaluate(() => ['#compare-before', '#compare-after'].map((s) => {
        const c = document.querySelector(s);
        return [c.width, c.height];
      }));
      assert.deepEqual(sizes, [[40, 30], [80, 60]]);

      const layers = await page.evaluate(() => window.retouchApp.layers());
      const layer = layers.at(-1);
      assert.equal(layer.id, last.layerId);
      assert.deepEqual([layer.x, layer.y, layer.width, layer.height], [20, 10, 80, 60]);
      assert.match(layer.name, /^Upscaled 40×30 → 80×60$/);
      const history = await page.evaluate(() => window.retouchApp.history());
      assert.equal(history.position, entries + 1);
      assert.equal(history.entries[history.position - 1].name, 'Upscale Region');

      // The layer's pixels are the CPU engine's resize of the composite's box.
      const crop = new Uint8Array(40 * 30 * 4);
      for (let y = 0; y < 30; y++) {
        const from = ((10 + y) * W + 20) * 4;
        crop.set(original.data.slice(from, from + 40 * 4), y * 40 * 4);
      }
      const want = await cpuResize(page, crop, 40, 30, params);
      const got = await page.evaluate(async (id) => Array.from((await window.retouchApp.layerPixels(id)).data), layer.id);
      const stats = await page.evaluate(([a, b]) => window.testKit.compare(a, b), [got, want.data]);
      assert.ok(stats.max <= config.tolerance, `layer differs from the CPU resize by ${stats.max}`);

      // "Save layer as PNG" downloads the whole upscaled region.
      assert.equal(await page.locator('#compare-save').isVisible(), true);
      const [file] = await Promise.all([page.waitForEvent('download'), page.click('#compare-save')]);
      assert.match(file.suggestedFilename(), /^picture-Upscaled-40-30-80-60\.png$/);
      const png = await readFile(await file.path());
      const saved = await page.evaluate((bytes) => {
        const image = window.testKit.wasm.Image.decode(Uint8Array.from(bytes));
        const result = { width: image.width, height: image.height, data: Array.from(image.rgba()) };
        image.free();
        return result;
      }, Array.from(png));
      assert.deepEqual([saved.width, saved.height], [80, 60]);
      assert.deepEqual(saved.data, got, 'the PNG holds the layer’s pixels');

      // Undo from the view takes the layer back.
      await page.click('#compare-undo');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal(await page.locator('#compare').evaluate((d) => d.open), false);
      assert.equal((await page.evaluate(() => window.retouchApp.layers())).length, layers.length - 1);
      assert.equal((await page.evaluate(() => window.retouchApp.history())).position, entries);
      const restored = await composite(page);
      assert.deepEqual(restored.data, original.data);
    });

    test('“Selection → new file” downloads the box enlarged and leaves the document alone', async () => {
      const { page } = app;
      const original = await composite(page);
      const history = await page.evaluate(() => window.retouchApp.history().position);
      const params = { filter: 'lanczos3', scale: 3 };
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.evaluate((params) => window.retouchApp.run('upscale.file', params), params),
      ]);
      assert.equal(file.suggestedFilename(), 'picture-selection-120x90.png');
      const png = await readFile(await file.path());
      const got = await page.evaluate((bytes) => {
        const image = window.testKit.wasm.Image.decode(new Uint8Array(bytes));
        return { width: image.width, height: image.height, data: Array.from(image.rgba()) };
      }, Array.from(png));
      const crop = new Uint8Array(40 * 30 * 4);
      for (let y = 0; y < 30; y++) {
        const from = ((10 + y) * W + 20) * 4;
        crop.set(original.data.slice(from, from + 40 * 4), y * 40 * 4);
      }
      const want = await cpuResize(page, crop, 40, 30, params);
      assert.deepEqual([got.width, got.height], [120, 90]);
      const stats = await page.evaluate(([a, b]) => window.testKit.compare(a, b), [got.data, want.data]);
      assert.ok(stats.max <= config.tolerance, `the file differs from the CPU resize by ${stats.max}`);
      assert.ok(await page.locator('#compare').evaluate((d) => d.open), 'the before/after view shows it');
      assert.equal(await page.locator('#compare-undo').isHidden(), true, 'nothing to undo');
      await page.evaluate(() => window.retouchApp.run('upscale.close-compare'));
      assert.equal(await page.evaluate(() => window.retouchApp.history().position), history, 'no history step');
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });
      assert.deepEqual((await composite(page)).data, original.data, 'the document is unchanged');
    });

    test('Image Size doubles the canvas, the selection follows, one undo restores it', async () => {
      const { page } = app;
      const original = await composite(page);
      const selectionBefore = await selectionValues(page);
      const params = { filter: 'lanczos3', scale: 2 };
      const last = await page.evaluate((params) => window.retouchApp.run('upscale.image', params), params);
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: 2 * W, height: 2 * H });
      assert.deepEqual(last.before, { width: W, height: H });
      assert.deepEqual(last.after, { width: 2 * W, height: 2 * H });
      const canvas = await page.evaluate(() => [document.querySelector('#result').width, document.querySelector('#result').height]);
      assert.deepEqual(canvas, [2 * W, 2 * H]);
      await page.evaluate(() => window.retouchApp.run('upscale.close-compare'));

      const result = await composite(page);
      const want = await cpuResize(page, original.data, W, H, { filter: 'lanczos3', scale: 2 });
      const stats = await page.evaluate(([a, b]) => window.testKit.compare(a, b), [result.data, want.data]);
      assert.ok(stats.max <= config.tolerance, `composite differs from the CPU resize by ${stats.max}`);

      // The marquee made in the first test, resized with the canvas.
      const values = await selectionValues(page);
      assert.equal(values.length, 4 * W * H);
      const at = (x, y) => values[y * 2 * W + x];
      assert.equal(at(80, 50), 255, 'inside the doubled marquee');
      assert.equal(at(10, 10), 0, 'outside it');

      const name = await page.evaluate(() => window.retouchApp.history().entries.at(-1).name);
      assert.equal(name, 'Image Size');
      await page.evaluate(() => window.retouchApp.run('edit.undo'));
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });
      const undone = await composite(page);
      assert.deepEqual(undone.data, original.data);
      // The selection is part of the document: the undo brings back the one from before.
      assert.deepEqual(await selectionValues(page), selectionBefore, 'the undo restores the selection as it was');
    });

    test('a bad scale is refused with a message and changes nothing', async () => {
      const { page } = app;
      const before = await page.evaluate(() => window.retouchApp.history().position);
      const error = await page.evaluate(() =>
        window.retouchApp.run('upscale.image', { filter: 'edge', scale: 0.5 }).then(() => null, (e) => e.message),
      );
      assert.match(error ?? '', /only enlarges/);
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });
      assert.equal(await page.evaluate(() => window.retouchApp.history().position), before);
      assert.equal(await page.evaluate(() => window.retouchApp.upscale.state().busy), false);
    });
  });
}
