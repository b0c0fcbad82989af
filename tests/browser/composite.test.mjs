// End-to-end: the editor page in headless Chromium, once with WebGPU
// (SwiftShader adapter, asked for with ?backend=gpu since auto skips a
// software adapter; the page must run on the GPU) and once without (the
// page must fall back to the CPU). A document of a backdrop and a layer (with
// its mask) is composited by the core's Project; the result is read back as
// pixels and compared with the CPU engine's two-image composite in the same
// page. (A layer has mode, opacity and offset; the engine's linear-light and
// dissolve-seed options are not layer properties, so they are not set here.)
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
  // The 2D canvas draws the view (read back from the GPU), so its pixels can be read; present.test.mjs checks the WebGPU canvas.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu&present=2d', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
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
      const visible = (rgba) => {
        const out = Uint8Array.from(rgba);
        for (let i = 0; i < out.length; i += 4) if (out[i + 3] === 0) out[i] = out[i + 1] = out[i + 2] = 0;
        return out;
      };
      const baseRgba = randomRgba(base.w, base.h, base.seed, base.alpha);
      const layerRgba = randomRgba(layer.w, layer.h, layer.seed, 'varied');
      const maskValues = mask ? randomValues(layer.w, layer.h, mask.seed) : null;
      await window.testKit.loadImages(
        pngOf(base.w, base.h, baseRgba),
        pngOf(layer.w, layer.h, layerRgba),
        maskValues ? maskPngOf(layer.w, layer.h, maskValues) : undefined,
      );
      const cpu = await wasm.createEngine('cpu');
      const baseImage = wasm.Image.fromRgba(base.w, base.h, baseRgba);
      const layerImage = wasm.Image.fromRgba(layer.w, layer.h, layerRgba);
      const rows = [];
      for (const params of cases) {
        await window.testKit.setParams(params);
        const got = await window.retouchApp.resultRgba();
        const full = window.testKit.params();
        for (const [key, value] of Object.entries(params)) {
          if (Math.abs(full[key] - value) > 1e-6 && full[key] !== value) throw new Error(`${key}: set ${value}, the layer has ${full[key]}`);
        }
        const reference = maskValues
          ? await cpu.compositeMasked(baseImage, layerImage, wasm.Mask.fromValues(layer.w, layer.h, maskValues), full)
          : await cpu.composite(baseImage, layerImage, full);
        const want = reference.rgba();
        reference.free();
        // Fully transparent pixels are equal whatever colour they carry: the
        // document stores its layers as PNG (OpenRaster), which need not keep
        // the colour of a pixel with alpha 0.
        const cmp = compare(visible(got.data), visible(want));
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
      app = await openApp(browser, server.url, { query: config.query });
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
      const modeOptions = await page.locator('#layer-props [data-param=mode] select option').count();
      assert.equal(modeOptions, 27, 'the layer mode select is built from the composite manifest');
      assert.equal(await page.locator('#layer-props [data-param=opacity] input[type=range]').count(), 1);
      // The tools' controls come from their manifests too.
      assert.equal(await page.locator('#tool-params [data-tool=brush] [data-param=hardness] input[type=range]').count(), 1);
      assert.equal(await page.locator('#tool-params [data-tool=wand] [data-param=contiguous] input[type=checkbox]').count(), 1);
      assert.equal(await page.locator('#tool-params [data-tool=lasso] [data-param=mode] select option').count(), 4);
      assert.equal(await page.locator('#modify [data-op=feather] [data-param=radius] input[type=number]').count(), 1);
    });

    test('every mode, with a mask and an offset, matches the CPU engine within 1', async (t) => {
      const cases = MODES.map((mode, i) => ({
        mode,
        opacity: [1, 0.8, 0.55][i % 3],
        offsetX: [7, -5, 0, 21][i % 4],
        offsetY: [3, 11, -4, 0][i % 4],
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

    test('without a mask, large offsets and a bigger image', async (t) => {
      const rows = await compareWithCpu(app.page, {
        base: { w: 700, h: 530, seed: 11, alpha: 'opaque' },
        layer: { w: 513, h: 389, seed: 12 },
        mask: null,
        cases: [
          { mode: 'normal', opacity: 1, offsetX: 0, offsetY: 0 },
          { mode: 'screen', opacity: 0.5, offsetX: 300, offsetY: 250 },
          { mode: 'overlay', opacity: 1, offsetX: -200, offsetY: -100 },
          { mode: 'luminosity', opacity: 0.9, offsetX: 400, offsetY: -300 },
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
      const layerNames = () => page.evaluate(() => [...document.querySelectorAll('#layers .layer-name')].map((e) => e.textContent));
      await page.setInputFiles('#file-open', file('photo.png', basePng));
      await page.waitForFunction(() => document.querySelector('#doc-title').textContent === 'photo.png');
      await page.setInputFiles('#file-add-layer', file('patch.png', layerPng));
      await page.waitForFunction(() => document.querySelectorAll('#layers .layer').length === 2);
      await page.click('#mask-load');
      await page.setInputFiles('#file-layer-mask', file('mask.png', maskPng));
      await page.waitForFunction(() => document.querySelector('#layers .layer.active .layer-mask-badge') !== null);
      await page.selectOption('#layer-props [data-param=mode] select', 'hard-light');
      await page.fill('#layer-x', '17');
      await page.locator('#layer-x').dispatchEvent('change');
      await page.fill('#layer-y', '9');
      await page.locator('#layer-y').dispatchEvent('change');
      await page.evaluate(() => window.retouchApp.settled());
      assert.deepEqual(await layerNames(), ['patch', 'Background'], 'the layers panel lists the stack, top first');

      const check = await page.evaluate(async () => {
        const { wasm, compare } = window.testKit;
        const got = await window.retouchApp.resultRgba();
        const params = window.testKit.params();
        // What the canvas shows (opaque result, so putImageData round-trips exactly).
        const canvas = document.querySelector('#result');
        const shown = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return {
          params,
          size: [got.width, got.height, canvas.width, canvas.height],
          canvasVsResult: compare(shown, got.data),
          status: document.querySelector('#status').textContent,
          history: window.retouchApp.history().entries.map((e) => e.name),
          exportEnabled: !document.querySelector('#export').disabled,
          resultRgba: Array.from(got.data),
          wasmVersion: wasm.version(),
        };
      });
      assert.deepEqual(check.size, [90, 60, 90, 60]);
      assert.equal(check.params.mode, 'hard-light');
      assert.equal(check.params.offsetX, 17);
      assert.equal(check.params.offsetY, 9);
      assert.deepEqual(check.history, ['Add Layer', 'Add Layer Mask', 'Blend Mode', 'Move Layer Position', 'Move Layer Position'], 'each UI edit is one named history entry');
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
          if (params.offsetX !== 17 || params.offsetY !== 9 || params.mode !== 'hard-light') throw new Error(`params ${JSON.stringify(params)}`);
          const got = await window.retouchApp.resultRgba();
          return compare(got.data, out.rgba());
        },
        { basePng, layerPng, maskPng, params: check.params },
      );
      assert.ok(reference.max <= 1, `UI result vs CPU engine: max |diff| ${reference.max}`);

      // Export: the download is a PNG of exactly the result.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
      assert.match(download.suggestedFilename(), /^photo-retouched\.png$/);
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

    test('drag and drop onto the view and the layers panel, and click-to-open', async () => {
      const { page } = app;
      const state = await page.evaluate(async () => {
        const { randomRgba, pngOf } = window.testKit;
        const file = (name, w, h, seed, alpha) => new File([pngOf(w, h, randomRgba(w, h, seed, alpha))], name, { type: 'image/png' });
        const names = () => [...document.querySelectorAll('#layers .layer-name')].map((e) => e.textContent);
        const drop = async (target, files, until) => {
          const dt = new DataTransfer();
          for (const f of files) dt.items.add(f);
          for (const type of ['dragenter', 'dragover', 'drop']) {
            target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
          }
          // The page reads dropped files asynchronously: wait until they show.
          const deadline = performance.now() + 5000;
          while (!until()) {
            if (performance.now() > deadline) throw new Error(`dropped files not opened: ${names().join(', ')}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await window.retouchApp.settled();
        };
        // No document: two files dropped on the view open the first and add the second.
        await window.retouchApp.run('file.start-fresh');
        await drop(document.querySelector('#stage'), [file('view-base.png', 33, 22, 41, 'opaque'), file('view-layer.png', 12, 10, 42, 'varied')],
          () => names().length === 2);
        const afterView = { names: names(), title: document.querySelector('#doc-title').textContent, result: await window.retouchApp.resultRgba() };
        // On an open document, a file dropped on the view or the layers panel becomes a layer.
        await drop(document.querySelector('#stage'), [file('dropped-on-view.png', 20, 20, 31, 'varied')], () => names().length === 3);
        await drop(document.querySelector('.layers-panel'), [file('dropped-on-panel.png', 40, 30, 32, 'varied')], () => names().length === 4);
        const after = { names: names(), result: await window.retouchApp.resultRgba() };
        return {
          view: { names: afterView.names, title: afterView.title, size: [afterView.result.width, afterView.result.height] },
          after: { names: after.names, size: [after.result.width, after.result.height] },
          stillDragging: document.querySelectorAll('.dragover').length,
        };
      });
      assert.deepEqual(state.view.names, ['view-layer', 'Background']);
      assert.equal(state.view.title, 'view-base.png');
      assert.deepEqual(state.view.size, [33, 22]);
      assert.deepEqual(state.after.names, ['dropped-on-panel', 'dropped-on-view', 'view-layer', 'Background']);
      assert.deepEqual(state.after.size, [33, 22], 'layers do not change the canvas size');
      assert.equal(state.stillDragging, 0, 'drop highlights are cleared');

      // The Open button opens the file picker.
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#open-image')]);
      assert.equal(chooser.isMultiple(), false);
      await chooser.setFiles([]);
    });

    test('a bad file gives a visible error and the page keeps working', async () => {
      const { page, errors } = app;
      const before = await page.evaluate(async () => {
        const { randomRgba, pngOf } = window.testKit;
        await window.testKit.loadImages(pngOf(90, 60, randomRgba(90, 60, 51, 'opaque')), pngOf(50, 40, randomRgba(50, 40, 52, 'varied')));
        await window.testKit.setParams({ mode: 'overlay', opacity: 0.7, offsetX: 5, offsetY: 5 });
        const r = await window.retouchApp.resultRgba();
        return { rgba: Array.from(r.data), layers: window.retouchApp.layers().length, history: window.retouchApp.history().entries.length };
      });

      await page.setInputFiles('#file-add-layer', {
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

      // A truncated PNG is refused too (decoder error, not a crash), and the document stays open.
      await page.setInputFiles('#file-open', {
        name: 'truncated.png',
        mimeType: 'image/png',
        buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]),
      });
      // Opening shows "Opening truncated.png…" first (the decode runs in a worker): wait for the error.
      await page.waitForFunction(() => {
        const bar = document.querySelector('#status');
        return bar.classList.contains('error') && /truncated\.png/.test(bar.textContent);
      });

      // A corrupt project is refused with the core's message.
      await page.setInputFiles('#file-project', { name: 'broken.ora', mimeType: 'application/zip', buffer: Buffer.from('PK not really a zip') });
      await page.waitForFunction(() => /broken\.ora/.test(document.querySelector('#status').textContent));
      assert.ok(await status.evaluate((e) => e.classList.contains('error')));

      // The hook rejects with the same kind of message.
      const hookError = await page.evaluate(() =>
        window.testKit.loadImages(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])).then(
          () => null,
          (e) => e.message,
        ),
      );
      assert.match(hookError ?? '', /cannot decode|not a PNG/i);

      // A mask that does not fit the layer: the core's message is shown, nothing changes.
      await page.click('#mask-load');
      await page.setInputFiles('#file-layer-mask', {
        name: 'small-mask.png',
        mimeType: 'image/png',
        buffer: Buffer.from(await page.evaluate(() => Array.from(window.testKit.maskPngOf(3, 3, new Uint8Array(9).fill(200))))),
      });
      await page.waitForFunction(() => /3×3/.test(document.querySelector('#status').textContent));
      assert.match(await status.textContent(), /the mask is 3×3 but the layer is 50×40/);
      assert.ok(await status.evaluate((e) => e.classList.contains('error')));

      // A file far larger than its header's size makes plausible (a 4×4 PNG followed by
      // 20 MB) is refused from its first bytes and its length, before it is read whole.
      const tinyPng = await page.evaluate(() => Array.from(window.testKit.maskPngOf(4, 4, new Uint8Array(16).fill(9))));
      await page.setInputFiles('#file-add-layer', {
        name: 'padded.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([Buffer.from(tinyPng), Buffer.alloc(20 << 20)]),
      });
      await page.waitForFunction(() => /padded\.png/.test(document.querySelector('#status').textContent));
      assert.match(await status.textContent(), /padded\.png: .*plausibly/, 'the error names the file and says why');
      assert.ok(await status.evaluate((e) => e.classList.contains('error')));

      // The document is untouched and the engine still composites.
      const after = await page.evaluate(async () => {
        const r = await window.retouchApp.resultRgba();
        return { rgba: Array.from(r.data), layers: window.retouchApp.layers().length, history: window.retouchApp.history().entries.length };
      });
      assert.deepEqual(after, before, 'refused files leave the document as it was');
      await page.evaluate(() => window.testKit.setParams({ mode: 'multiply' }));
      const again = await page.evaluate(async () => (await window.retouchApp.resultRgba()).width);
      assert.equal(again, 90);
      assert.ok(!(await status.evaluate((e) => e.classList.contains('error'))), 'the error clears on the next edit');
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
