// Content-Aware Fill from the Generate panel, in headless Chromium with WebGPU (SwiftShader) and
// without: a real photograph, a marquee selection, the panel's default choice (the offline fill:
// no key, no network, no prompt), Generate. The fill lands as one new layer in one history step;
// every composite pixel outside the selection is bit-identical to before, the selected ones
// changed; the layer is the core's fill for the same seed made from the wasm API directly on the
// same backend (on WebGPU the GPU's own fill: the CPU's differs); undo restores the original bytes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { generate } from './generate-panel.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const FILL = 'retouch.fill.content-aware';
const SELECT = { x: 70, y: 40, width: 36, height: 28 };
const PHOTO = new URL('../../crate/tests/photos/chelsea.png', import.meta.url);

requireBuiltPackage();

/** The fill of SELECT in a fresh project of the photo, from the wasm API on an engine of its own. */
async function direct(page, backend, { patch = 7, seed = 0, adaptation } = {}) {
  return page.evaluate(
    async ({ bytes, rect, backend, patch, seed, adaptation }) => {
      const { wasm } = window.testKit;
      const project = wasm.Project.fromImageFile(new Uint8Array(bytes));
      const engine = await wasm.createEngine(backend);
      try {
        const values = new Uint8Array(project.width * project.height);
        for (let y = rect.y; y < rect.y + rect.height; y++) values.fill(255, y * project.width + rect.x, y * project.width + rect.x + rect.width);
        const mask = wasm.Mask.fromValues(project.width, project.height, values);
        project.setSelection(mask, 'Select');
        mask.free();
        const id = await project.contentAwareFill(engine, undefined, patch, seed, adaptation);
        const image = project.layerPixels(id);
        try {
          return { backend: engine.backend, rgba: [...image.rgba()] };
        } finally {
          image.free();
        }
      } finally {
        engine.free();
        project.free();
      }
    },
    { bytes: [...(await readFile(PHOTO))], rect: SELECT, backend, patch, seed, adaptation },
  );
}

for (const config of CONFIGS) {
  describe(`Content-Aware Fill in the page, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      const bytes = [...(await readFile(PHOTO))];
      await app.page.evaluate((bytes) => window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' }), bytes);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
    });

    test('the default offline fill adds one layer, changes only the selection, and undoes', async () => {
      const { page, errors } = app;
      assert.equal(await page.inputValue('#gen-provider'), FILL, 'the offline fill is the default');
      assert.ok(await page.locator('#gen-key-row').isHidden(), 'no key is asked for');
      await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), SELECT);
      const before = await page.evaluate(async () => {
        const app = window.retouchApp;
        window.testBefore = (await app.resultRgba()).data;
        return { layers: app.layers().length, history: app.history().entries.length };
      });
      await page.fill('#gen-prompt', '');
      const state = await generate(page);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(state.variants.length, 0, 'the fill is not staged: it is a layer at once');

      const after = await page.evaluate(async ({ x, y, width, height }) => {
        const app = window.retouchApp;
        const { width: W, data } = await app.resultRgba();
        let outside = 0;
        let inside = 0;
        for (let i = 0; i < data.length; i += 4) {
          const px = (i / 4) % W;
          const py = Math.floor(i / 4 / W);
          const selected = px >= x && px < x + width && py >= y && py < y + height;
          const same = data[i] === window.testBefore[i] && data[i + 1] === window.testBefore[i + 1] && data[i + 2] === window.testBefore[i + 2] && data[i + 3] === window.testBefore[i + 3];
          if (!selected && !same) outside += 1;
          if (selected && !same) inside += 1;
        }
        const layers = app.layers();
        const top = layers[layers.length - 1];
        const history = app.history();
        return { outside, inside, layers: layers.length, top, last: history.entries[history.position - 1].name, entries: history.entries.length, pixels: await app.layerPixels(top.id) };
      }, SELECT);
      assert.equal(after.outside, 0, 'pixels outside the selection are bit-identical');
      assert.ok(after.inside > (SELECT.width * SELECT.height) / 2, `only ${after.inside} selected pixels changed`);
      assert.equal(after.layers, before.layers + 1);
      assert.equal(after.top.name, 'Content-Aware Fill');
      assert.deepEqual([after.top.x, after.top.y, after.top.width, after.top.height], [SELECT.x, SELECT.y, SELECT.width, SELECT.height]);
      assert.equal(after.last, 'Content-Aware Fill');
      assert.equal(after.entries, before.history + 1, 'one history step');

      // The same fill straight from the wasm API, on a fresh project of the same photo.
      const same = await direct(page, config.expect);
      assert.equal(same.backend, config.expect);
      assert.deepEqual([...Object.values(after.pixels.data)], same.rgba, 'the page ran the core’s fill with the manifest’s defaults');
      if (config.expect === 'gpu') {
        const cpu = await direct(page, 'cpu');
        assert.notDeepEqual(same.rgba, cpu.rgba, 'on WebGPU the fill ran on the GPU (its field is drawn differently)');
      }

      await page.evaluate(() => window.retouchApp.run('edit.undo'));
      const undone = await page.evaluate(async () => {
        const { data } = await window.retouchApp.resultRgba();
        return { same: data.every((v, i) => v === window.testBefore[i]), layers: window.retouchApp.layers().length };
      });
      assert.ok(undone.same, 'undo restores the original bytes');
      assert.equal(undone.layers, before.layers);
      assert.deepEqual(errors, []);
    });

    test('the panel’s colour adaptation and patch size reach the core; a bad patch size changes nothing', async () => {
      const { page, errors } = app;
      await page.selectOption('#gen-provider', FILL);
      assert.ok(await page.locator('#gen-adaptation').isVisible(), 'the offline fill shows its options');
      assert.equal(await page.inputValue('#gen-adaptation'), 'off', 'the manifest’s default');
      await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), SELECT);
      await page.selectOption('#gen-adaptation', 'high');
      await page.fill('#gen-patch', '9');
      await page.fill('#gen-prompt', '');
      const state = await generate(page);
      assert.equal(state.error, null, JSON.stringify(state.error));
      const top = await page.evaluate(async () => {
        const app = window.retouchApp;
        await app.settled();
        const layer = app.layers().at(-1);
        return { name: layer.name, provenance: JSON.parse(app.generation.provenanceJson(layer.id)), pixels: Object.values((await app.layerPixels(layer.id)).data) };
      });
      assert.equal(top.name, 'Content-Aware Fill');
      assert.equal(top.provenance.colorAdaptation, 'high');
      assert.equal(top.provenance.patch, 9);
      const want = await direct(page, config.expect, { patch: 9, adaptation: 'high' });
      assert.deepEqual(top.pixels, want.rgba, 'the core’s fill with the panel’s options');
      const plain = await direct(page, config.expect, { patch: 9, adaptation: 'off' });
      assert.notDeepEqual(top.pixels, plain.rgba, 'adaptation changed the fill');
      await page.evaluate(() => window.retouchApp.run('edit.undo'));

      const before = await page.evaluate(() => ({ history: window.retouchApp.history().entries.length, layers: window.retouchApp.layers().length }));
      await page.fill('#gen-patch', '8');
      const bad = await generate(page);
      assert.match(bad.error?.message ?? '', /patch/, JSON.stringify(bad.error));
      assert.deepEqual(await page.evaluate(() => ({ history: window.retouchApp.history().entries.length, layers: window.retouchApp.layers().length })), before, 'nothing changed');
      await page.fill('#gen-patch', '7');
      await page.selectOption('#gen-adaptation', 'off');
      await page.screenshot({ path: `/tmp/fill-panel-${config.expect}.png` });
      assert.deepEqual(errors, []);
    });

    test('without a selection Generate is off; the fill cannot extend the canvas', async () => {
      const { page } = app;
      await page.evaluate(() => window.retouchApp.run('select.none'));
      assert.ok(await page.locator('#gen-run').isDisabled());
      await page.check('input[name="gen-mode"][value="extend"]');
      await page.fill('#gen-extend-right', '20');
      const before = await page.evaluate(() => window.retouchApp.history().entries.length);
      const state = await generate(page);
      await page.check('input[name="gen-mode"][value="fill"]');
      assert.match(state.error?.message ?? '', /extend the canvas/);
      assert.equal(await page.evaluate(() => window.retouchApp.history().entries.length), before, 'nothing changed');
    });
  });
}
