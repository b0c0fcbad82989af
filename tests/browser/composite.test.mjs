// End-to-end: the editor page in headless Chromium, once with WebGPU
// (SwiftShader adapter; the page must run on the GPU) and once without (the
// page must fall back to the CPU). Results are read back as pixels and
// compared with the CPU engine run in the same page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

const MODES = [
  'normal', 'dissolve', 'darken', 'multiply', 'color-burn', 'linear-burn', 'darker-color',
  'lighten', 'screen', 'color-dodge', 'linear-dodge', 'lighter-color', 'overlay', 'soft-light',
  'hard-light', 'vivid-light', 'linear-light', 'pin-light', 'hard-mix', 'difference', 'exclusion',
  'subtract', 'divide', 'hue', 'saturation', 'color', 'luminosity',
];

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, expect: 'cpu' },
];

requireBuiltPackage();

/**
 * In the page: builds base/layer/mask, loads them through the app hook, and
 * for each case compares the app's result with the CPU engine's. Returns one
 * row per case.
 */
async function compareWithCpu(page, { base, layer, mask, cases }) {
  return page.evaluate(
    async ({ base, layer, mask, cases }) => {
      const { wasm, randomRgba, randomValues, compare, pngOf, maskPngOf } = window.testKit;
      const baseRgba = randomRgba(base.w, base.h, base.seed, base.alpha);
      const layerRgba = randomRgba(layer.w, layer.h, layer.seed, 'varied');
      const maskValues = mask ? randomValues(layer.w, layer.h, mask.seed) : null;
      await window.retouchApp.loadImages(
        pngOf(base.w, base.h, baseRgba),
        pngOf(layer.w, layer.h, layerRgba),
        maskValues ? maskPngOf(layer.w, layer.h, maskValues) : undefined,
      );
      const cpu = await wasm.createEngine('cpu');
      const baseImage = wasm.Image.fromRgba(base.w, base.h, baseRgba);
      const layerImage = wasm.Image.fromRgba(layer.w, layer.h, layerRgba);
      const rows = [];
      for (const params of cases) {
        await window.retouchApp.setParams(params);
        const got = await window.retouchApp.resultRgba();
        const full = window.retouchApp.params();
        const reference = maskValues
          ? await cpu.compositeMasked(baseImage, layerImage, wasm.Mask.fromValues(layer.w, layer.h, maskValues), full)
          : await cpu.composite(baseImage, layerImage, full);
        const want = reference.rgba();
        reference.free();
        const cmp = compare(got.data, want);
        // How much the composite changed the backdrop: guards against a no-op.
        const changed = compare(got.data, baseRgba).differing;
        rows.push({ params: full, width: got.width, height: got.height, ...cmp, changed });
      }
      baseImage.free();
      layerImage.free();
      cpu.free();
      return rows;
    },
    { base, layer, mask, cases },
  );
}

for (const config of CONFIGS) {
  describe(`editor page, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url);
      await installTestKit(app.page);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()} and shows it`, async () => {
      const { page } = app;
      const backend = await page.evaluate(() => window.retouchApp.backend());
      const adapter = await page.evaluate(() => window.retouchApp.adapter());
      assert.equal(backend, config.expect, `backend is ${backend} (adapter: ${adapter})`);
      const badge = page.locator('#backend');
      assert.equal(await badge.getAttribute('data-backend'), config.expect);
      assert.equal((await badge.textContent()).trim(), config.expect.toUpperCase());
      assert.ok(await badge.isVisible(), 'the backend badge is visible');
      assert.ok((await page.locator('#adapter').textContent()).trim().length > 0, 'the adapter is shown');
      const modeOptions = await page.locator('[data-param=mode] select option').count();
      assert.equal(modeOptions, 27, 'the mode select is built from the manifest');
      assert.equal(await page.locator('[data-param=opacity] input[type=range]').count(), 1);
      assert.equal(await page.locator('[data-param=linear_light] input[type=checkbox]').count(), 1);
    });

    test('every mode, with a mask and an offset, matches the CPU engine within 1', async (t) => {
      const cases = MODES.map((mode, i) => ({
        mode,
        opacity: [1, 0.8, 0.55][i % 3],
        offsetX: [7, -5, 0, 21][i % 4],
        offsetY: [3, 11, -4, 0][i % 4],
        linearLight: i % 5 === 4,
        seed: i,
      }));
      const rows = await compareWithCpu(app.page, {
        base: { w: 67, h: 45, seed: 1, alpha: 'varied' },
        layer: { w: 41, h: 29, seed: 2 },
        mask: { seed: 3 },
        cases,
      });
      t.diagnostic(`max |diff| per mode: ${rows.map((r) => `${r.params.mode} ${r.max}`).join(', ')}`);
      for (const row of rows) {
        assert.equal(row.width, 67);
        assert.equal(row.height, 45);
        assert.ok(row.changed > 0, `${row.params.mode}: the composite changed nothing`);
        assert.ok(row.max <= 1, `${row.params.mode}: max |diff| ${row.max} > 1 (${JSON.stringify(row)})`);
      }
    });

    test('without a mask, linear light on, large offsets and a bigger image', async (t) => {
      const rows = await compareWithCpu(app.page, {
        base: { w: 700, h: 530, seed: 11, alpha: 'opaque' },
        layer: { w: 513, h: 389, seed: 12 },
        mask: null,
        cases: [
          { mode: 'normal', opacity: 1, offsetX: 0, offsetY: 0, linearLight: false },
          { mode: 'screen', opacity: 0.5, offsetX: 300, offsetY: 250, linearLight: true },
          { mode: 'overlay', opacity: 1, offsetX: -200, offsetY: -100, linearLight: false },
          { mode: 'luminosity', opacity: 0.9, offsetX: 400, offsetY: -300, linearLight: true },
        ],
      });
      t.diagnostic(`max |diff|: ${rows.map((r) => `${r.params.mode} ${r.max}`).join(', ')}`);
      for (const row of rows) {
        assert.ok(row.changed > 0, `${row.params.mode}: the composite changed nothing`);
        assert.ok(row.max <= 1, `${row.params.mode}: max |diff| ${row.max} > 1 (${JSON.stringify(row)})`);
      }
    });

    test('the file pickers, the canvas and PNG export work through the UI', async () => {
      const { page } = app;
      const [basePng, layerPng, maskPng] = await page.evaluate(() => {
        const { randomRgba, randomValues, pngOf, maskPngOf } = window.testKit;
        return [
          Array.from(pngOf(90, 60, randomRgba(90, 60, 21, 'opaque'))),
          Array.from(pngOf(50, 40, randomRgba(50, 40, 22, 'varied'))),
          Array.from(maskPngOf(50, 40, randomValues(50, 40, 23))),
        ];
      });
      const file = (name, bytes) => ({ name, mimeType: 'image/png', buffer: Buffer.from(bytes) });
      await page.setInputFiles('#file-base', file('photo.png', basePng));
      await page.setInputFiles('#file-layer', file('patch.png', layerPng));
      await page.setInputFiles('#file-mask', file('mask.png', maskPng));
      await page.selectOption('[data-param=mode] select', 'hard-light');
      await page.fill('#offset-x', '17');
      await page.locator('#offset-x').dispatchEvent('change');
      await page.fill('#offset-y', '9');
      await page.locator('#offset-y').dispatchEvent('change');

      const check = await page.evaluate(async () => {
        const { wasm, compare } = window.testKit;
        const got = await window.retouchApp.resultRgba();
        const params = window.retouchApp.params();
        // What the canvas shows (opaque result, so putImageData round-trips exactly).
        const canvas = document.querySelector('#result');
        const shown = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return {
          params,
          size: [got.width, got.height, canvas.width, canvas.height],
          canvasVsResult: compare(shown, got.data),
          status: document.querySelector('#status').textContent,
          slots: [...document.querySelectorAll('.slot .slot-name')].map((e) => e.textContent),
          exportEnabled: !document.querySelector('#export').disabled,
          resultRgba: Array.from(got.data),
          wasmVersion: wasm.version(),
        };
      });
      assert.deepEqual(check.size, [90, 60, 90, 60]);
      assert.equal(check.params.mode, 'hard-light');
      assert.equal(check.params.offsetX, 17);
      assert.equal(check.params.offsetY, 9);
      assert.deepEqual(check.slots, ['photo.png', 'patch.png', 'mask.png']);
      assert.equal(check.canvasVsResult.max, 0, 'the canvas shows the result unchanged');
      assert.ok(check.exportEnabled, 'export is enabled once there is a result');

      // The reference, computed from the same files by the CPU engine.
      const reference = await page.evaluate(
        async ({ basePng, layerPng, maskPng, params }) => {
          const { wasm, compare } = window.testKit;
          const cpu = await wasm.createEngine('cpu');
          const out = await cpu.compositeMasked(
            wasm.Image.decode(new Uint8Array(basePng)),
            wasm.Image.decode(new Uint8Array(layerPng)),
            wasm.Mask.decode(new Uint8Array(maskPng)),
            params,
          );
          const got = await window.retouchApp.resultRgba();
          return compare(got.data, out.rgba());
        },
        { basePng, layerPng, maskPng, params: check.params },
      );
      assert.ok(reference.max <= 1, `UI result vs CPU engine: max |diff| ${reference.max}`);

      // Export: the download is a PNG of exactly the result.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
      assert.match(download.suggestedFilename(), /^photo-composite\.png$/);
      const chunks = [];
      for await (const chunk of await download.createReadStream()) chunks.push(chunk);
      const png = Buffer.concat(chunks);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
      const decoded = await page.evaluate((bytes) => {
        const image = window.testKit.wasm.Image.decode(new Uint8Array(bytes));
        return { width: image.width, height: image.height, rgba: Array.from(image.rgba()) };
      }, Array.from(png));
      assert.equal(decoded.width, 90);
      assert.equal(decoded.height, 60);
      assert.deepEqual(decoded.rgba, check.resultRgba, 'the exported PNG holds the result');
    });

    test('drag and drop onto the drop zones and the view, and click-to-open', async () => {
      const { page } = app;
      const state = await page.evaluate(async () => {
        const { randomRgba, pngOf } = window.testKit;
        const file = (name, w, h, seed, alpha) => new File([pngOf(w, h, randomRgba(w, h, seed, alpha))], name, { type: 'image/png' });
        const names = () => [...document.querySelectorAll('.slot .slot-name')].map((e) => e.textContent);
        const drop = async (target, files) => {
          const dt = new DataTransfer();
          for (const f of files) dt.items.add(f);
          for (const type of ['dragenter', 'dragover', 'drop']) {
            target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
          }
          // The page reads dropped files asynchronously: wait until every one shows in a slot.
          const deadline = performance.now() + 5000;
          while (!files.every((f) => names().includes(f.name))) {
            if (performance.now() > deadline) throw new Error(`dropped files not opened: ${names().join(', ')}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await window.retouchApp.settled();
        };
        const { randomValues, maskPngOf } = window.testKit;
        // Start with a 50×40 layer and its mask; the dropped 40×30 layer must drop that mask.
        await window.retouchApp.loadImages(
          pngOf(60, 50, randomRgba(60, 50, 33, 'opaque')),
          pngOf(50, 40, randomRgba(50, 40, 34, 'varied')),
          maskPngOf(50, 40, randomValues(50, 40, 35)),
        );
        await window.retouchApp.setParams({ mode: 'normal', opacity: 1, offsetX: 0, offsetY: 0 });
        await drop(document.querySelector('[data-slot=base] .slot-drop'), [file('dropped-base.png', 40, 30, 31, 'opaque')]);
        await drop(document.querySelector('[data-slot=layer] .slot-drop'), [file('dropped-layer.png', 40, 30, 32, 'varied')]);
        const afterZones = {
          names: names(),
          result: await window.retouchApp.resultRgba(),
          status: document.querySelector('#status').textContent,
          maskFilled: document.querySelector('[data-slot=mask]').classList.contains('filled'),
        };
        // Two files dropped on the view: backdrop then layer.
        await drop(document.querySelector('#stage'), [
          file('view-base.png', 33, 22, 41, 'opaque'),
          file('view-layer.png', 12, 10, 42, 'varied'),
        ]);
        const afterView = { names: names(), result: await window.retouchApp.resultRgba() };
        return {
          zones: {
            names: afterZones.names,
            size: [afterZones.result.width, afterZones.result.height],
            status: afterZones.status,
            maskFilled: afterZones.maskFilled,
          },
          view: { names: afterView.names, size: [afterView.result.width, afterView.result.height] },
          stillDragging: document.querySelectorAll('.dragover').length,
        };
      });
      assert.deepEqual(state.zones.names.slice(0, 2), ['dropped-base.png', 'dropped-layer.png']);
      assert.deepEqual(state.zones.size, [40, 30]);
      assert.equal(state.zones.maskFilled, false, 'a mask of the old layer size is dropped');
      assert.match(state.zones.status, /mask removed \(50×40 px; the new layer is 40×30 px\)/);
      assert.deepEqual(state.view.names.slice(0, 2), ['view-base.png', 'view-layer.png']);
      assert.deepEqual(state.view.size, [33, 22]);
      assert.equal(state.stillDragging, 0, 'drop highlights are cleared');

      // Clicking a drop zone opens the file picker.
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-slot=base] .slot-drop')]);
      assert.equal(chooser.isMultiple(), false);
      await chooser.setFiles([]);
    });

    test('a bad file gives a visible error and the page keeps working', async () => {
      const { page, errors } = app;
      const before = await page.evaluate(async () => {
        const { randomRgba, pngOf } = window.testKit;
        await window.retouchApp.loadImages(pngOf(90, 60, randomRgba(90, 60, 51, 'opaque')), pngOf(50, 40, randomRgba(50, 40, 52, 'varied')));
        await window.retouchApp.setParams({ mode: 'overlay', opacity: 0.7, offsetX: 5, offsetY: 5 });
        const r = await window.retouchApp.resultRgba();
        return Array.from(r.data);
      });

      await page.setInputFiles('#file-layer', {
        name: 'broken.png',
        mimeType: 'image/png',
        buffer: Buffer.from('this is not an image at all'),
      });
      const status = page.locator('#status');
      await page.waitForFunction(() => document.querySelector('#status').classList.contains('error'));
      const text = await status.textContent();
      assert.match(text, /broken\.png/, `the error names the file: "${text}"`);
      assert.match(text, /cannot decode|not a PNG/i, `the error says why: "${text}"`);
      assert.ok(await status.isVisible(), 'the status area is visible');
      assert.equal(await status.getAttribute('role'), 'alert');
      assert.ok(await page.locator('[data-slot=layer]').evaluate((e) => e.classList.contains('invalid')));

      // A truncated PNG is refused too (decoder error, not a crash).
      await page.setInputFiles('#file-base', {
        name: 'truncated.png',
        mimeType: 'image/png',
        buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]),
      });
      await page.waitForFunction(() => /truncated\.png/.test(document.querySelector('#status').textContent));
      assert.ok(await status.evaluate((e) => e.classList.contains('error')));

      // The hook rejects with the same kind of message.
      const hookError = await page.evaluate(() =>
        window.retouchApp.loadImages(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])).then(
          () => null,
          (e) => e.message,
        ),
      );
      assert.match(hookError ?? '', /cannot decode|not a PNG/i);

      // The document is untouched and the engine still composites.
      const after = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
      assert.deepEqual(after, before, 'a refused file leaves the document as it was');
      await page.evaluate(() => window.retouchApp.setParams({ mode: 'multiply' }));
      const again = await page.evaluate(async () => (await window.retouchApp.resultRgba()).width);
      assert.equal(again, 90);
      assert.ok(!(await status.evaluate((e) => e.classList.contains('error'))), 'the error clears on the next composite');

      // A mask that does not fit the layer: the core's message is shown.
      await page.setInputFiles('#file-mask', {
        name: 'small-mask.png',
        mimeType: 'image/png',
        buffer: Buffer.from(await page.evaluate(() => Array.from(window.testKit.maskPngOf(3, 3, new Uint8Array(9).fill(200))))),
      });
      await page.waitForFunction(() => document.querySelector('#status').classList.contains('error'));
      assert.match(await status.textContent(), /mask is 3×3 but the layer is 50×40/);
      const rejected = await page.evaluate(() => window.retouchApp.resultRgba().then(() => 'resolved', (e) => e.message));
      assert.match(rejected, /mask is 3×3/);
      await page.click('[data-slot=mask] .slot-clear');
      await page.evaluate(() => window.retouchApp.settled());
      assert.ok(!(await status.evaluate((e) => e.classList.contains('error'))));

      assert.deepEqual(errors.map(String), [], 'no uncaught page errors');
    });

    if (config.webgpu) {
      test('the engine select and ?backend= switch the backend', async () => {
        const { page } = app;
        await page.selectOption('#backend-select', 'cpu');
        await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'cpu');
        assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'cpu');
        assert.match(page.url(), /backend=cpu/);
        await page.selectOption('#backend-select', 'gpu');
        await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'gpu');
        assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu');

        const forced = await openApp(browser, server.url, { query: '?backend=cpu' });
        assert.equal(await forced.page.evaluate(() => window.retouchApp.backend()), 'cpu');
        assert.equal(await forced.page.locator('#backend-select').inputValue(), 'cpu');
        await forced.context.close();
      });
    } else {
      test('?backend=gpu without WebGPU says so and runs on the CPU', async () => {
        const forced = await openApp(browser, server.url, { query: '?backend=gpu' });
        const { page } = forced;
        assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'cpu');
        const status = page.locator('#status');
        assert.ok(await status.evaluate((e) => e.classList.contains('error')));
        assert.match(await status.textContent(), /WebGPU/);
        assert.equal(await page.locator('#backend').getAttribute('data-backend'), 'cpu');
        await forced.context.close();
      });
    }
  });
}
