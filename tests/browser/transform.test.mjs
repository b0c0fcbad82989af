// Crop and Free Transform driven as a user would, with the keyboard and the
// mouse, on both engines: a ratio-locked crop box from a drag, Enter crops in
// one step and the kept pixels are the original's; a crop past the edge grows
// the canvas with transparency; Ctrl+T shows the layer's box, a drag inside
// moves it, a corner handle scales it, a drag outside turns it, Esc cancels
// without a trace, Enter resamples in the core as one step that Ctrl+Z takes
// back bit-exactly; while transforming, the preview stands in for the layer
// (the original is not drawn under it); a quarter turn is an exact copy of
// the rotated pixels. With a (feathered) selection, Ctrl+T floats only the
// selected pixels: the canvas shows the hole meanwhile, Esc leaves every
// pixel as it was, Enter moves them as one step that leaves every pixel
// outside the selection and the moved float as it was.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, dragMouse } from './harness.mjs';

const CONFIGS = [
  // The 2D canvas draws the view (read back from the GPU), so its pixels can be read; present.test.mjs checks the WebGPU canvas.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu&present=2d', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const PHOTO = new URL('../../crate/tests/photos/chelsea.png', import.meta.url);
const [W, H] = [192, 144];

requireBuiltPackage();

for (const config of CONFIGS) {
  describe(`Crop and Free Transform, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    const state = (page) =>
      page.evaluate(async () => {
        const app = window.retouchApp;
        await app.settled();
        const layers = app.layers();
        const history = app.history();
        return { size: app.size(), tool: app.tool(), layers, steps: history.position, last: history.entries[history.position - 1]?.name };
      });

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      const bytes = [...(await readFile(PHOTO))];
      await app.page.evaluate(async (bytes) => {
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' });
        window.testOriginal = (await window.retouchApp.resultRgba()).data;
      }, bytes);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
    });

    test('C, a 1:1 drag, Enter: the canvas is the square box and keeps the original pixels; undo restores', async () => {
      const { page } = app;
      await page.keyboard.press('c');
      await page.evaluate(() => window.retouchApp.run('tool.set-params', { params: { ratio: '1:1', guide: true } }));
      const before = await state(page);
      assert.equal(before.tool, 'crop');
      await dragMouse(page, [[20, 20], [60, 40], [110, 70]]);
      const box = await page.evaluate(() => window.retouchApp.lastGesture().params);
      assert.equal(box.width, box.height, `the 1:1 preset keeps the box square: ${JSON.stringify(box)}`);
      assert.ok(box.width >= 50, JSON.stringify(box));
      assert.equal(await page.locator('svg.shapes .crop-box').count(), 1, 'the crop box is shown');
      assert.equal(await page.locator('svg.shapes .crop-guide').count(), 4, 'with the rule-of-thirds guide');
      assert.equal((await state(page)).steps, before.steps, 'nothing happens before Enter');
      await page.keyboard.press('Enter');
      const cropped = await state(page);
      assert.deepEqual(cropped.size, { width: box.width, height: box.height });
      assert.equal(cropped.steps, before.steps + 1);
      assert.equal(cropped.last, 'Crop');
      assert.equal(await page.locator('svg.shapes .crop-box').count(), 0, 'the box is gone');
      const mismatches = await page.evaluate(async (box) => {
        const { width, data } = await window.retouchApp.resultRgba();
        let bad = 0;
        for (let y = 0; y < box.height; y++) {
          for (let x = 0; x < width; x++) {
            for (let c = 0; c < 4; c++) {
              if (data[(y * width + x) * 4 + c] !== window.testOriginal[((y + box.y) * 192 + x + box.x) * 4 + c]) bad++;
            }
          }
        }
        return bad;
      }, box);
      assert.equal(mismatches, 0, 'the kept pixels are the original ones');
      await page.keyboard.press('Control+z');
      assert.deepEqual((await state(page)).size, { width: W, height: H });
    });

    test('Esc drops a crop box; a crop past the left edge grows the canvas with transparency', async () => {
      const { page } = app;
      await dragMouse(page, [[10, 10], [50, 50]]);
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('svg.shapes .crop-box').count(), 0);
      const steps = (await state(page)).steps;
      await page.keyboard.press('Enter');
      assert.equal((await state(page)).steps, steps, 'Enter without a box does nothing');
      await page.evaluate(({ W, H }) => window.retouchApp.run('image.crop', { x: -10, y: 0, width: W + 10, height: H }), { W, H });
      const grown = await page.evaluate(async () => {
        const { width, data } = await window.retouchApp.resultRgba();
        const px = (x, y) => [...data.slice((y * width + x) * 4, (y * width + x) * 4 + 4)];
        const orig = (x, y) => [...window.testOriginal.slice((y * 192 + x) * 4, (y * 192 + x) * 4 + 4)];
        return { width, added: px(3, 50), moved: px(10, 50), was: orig(0, 50) };
      });
      assert.equal(grown.width, W + 10);
      assert.equal(grown.added[3], 0, 'the added strip is transparent');
      assert.deepEqual(grown.moved, grown.was);
      await page.keyboard.press('Control+z');
      assert.deepEqual((await state(page)).size, { width: W, height: H });
    });

    test('Ctrl+T: move, scale and turn with the mouse; Esc leaves no trace; Enter is one step undo takes back exactly', async () => {
      const { page } = app;
      await page.keyboard.press('v');
      // Zoomed out, so the box's handles stay in view when it moves past the canvas' corner.
      await page.keyboard.press('-');
      await page.keyboard.press('-');
      await page.keyboard.press('Control+t');
      let now = await state(page);
      assert.equal(now.tool, 'transform');
      const layer = now.layers.at(-1);
      const original = await page.evaluate((id) => window.retouchApp.layerPixels(id).then((p) => Array.from(p.data)), layer.id);
      await page.waitForSelector('svg.shapes image.transform-preview', { state: 'attached' });
      assert.equal(await page.locator('svg.shapes .transform-handle').count(), 8);
      const pending = () => page.evaluate(() => window.retouchApp.toolPending().matrix);
      // Move: a drag inside the box.
      await dragMouse(page, [[96, 72], [110, 80], [126, 92]]);
      let m = await pending();
      assert.ok(Math.abs(m[4] - 30) <= 1.5 && Math.abs(m[5] - 20) <= 1.5, `moved by ${m}`);
      assert.deepEqual([m[0], m[1], m[2], m[3]], [1, 0, 0, 1]);
      // Scale: the bottom-right handle, now at (222, 164), dragged to half size.
      await dragMouse(page, [[W + 30, H + 20], [150, 120], [30 + W / 2, 20 + H / 2]]);
      m = await pending();
      assert.ok(Math.abs(m[0] - 0.5) < 0.03 && Math.abs(m[3] - 0.5) < 0.03, `scaled to ${m}`);
      // Turn: a drag outside the box.
      await dragMouse(page, [[180, 20], [180, 60], [170, 100]]);
      m = await pending();
      assert.ok(Math.abs(m[1]) > 0.05, `turned: ${m}`);
      assert.equal((await state(page)).steps, now.steps, 'nothing is applied while transforming');
      // Esc: back to Move, the layer untouched, no step.
      await page.keyboard.press('Escape');
      now = await state(page);
      assert.equal(now.tool, 'move');
      assert.equal(await page.locator('svg.shapes .transform-box').count(), 0);
      assert.deepEqual(now.layers.at(-1), layer);
      // Again, and apply: a half-size turned layer, one step.
      await page.keyboard.press('Control+t');
      await dragMouse(page, [[W, H], [120, 100], [W / 2, H / 2]]);
      await dragMouse(page, [[180, 130], [170, 140], [150, 140]]);
      await page.keyboard.press('Enter');
      now = await state(page);
      assert.equal(now.tool, 'move', 'back to the tool used before');
      assert.equal(now.last, 'Free Transform');
      const moved = now.layers.at(-1);
      assert.ok(moved.width < W * 0.75 && moved.height < H * 0.8, `smaller: ${JSON.stringify(moved)}`);
      await page.keyboard.press('Control+z');
      now = await state(page);
      assert.deepEqual(now.layers.at(-1), layer);
      const restored = await page.evaluate((id) => window.retouchApp.layerPixels(id).then((p) => Array.from(p.data)), layer.id);
      assert.deepEqual(restored, original, 'undo restores the layer bit-exactly');
    });

    test('while transforming, the preview stands in for the layer: the original is not drawn under it', async () => {
      const { page } = app;
      const canvasAlpha = () =>
        page.evaluate(async () => {
          const app = window.retouchApp;
          await app.settled();
          const rendered = (await app.resultRgba()).data;
          const c = document.querySelector('canvas.composite');
          const shown = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let renderedOpaque = 0;
          let shownOpaque = 0;
          for (let i = 3; i < rendered.length; i += 4) renderedOpaque += rendered[i] > 0;
          for (let i = 3; i < shown.length; i += 4) shownOpaque += shown[i] > 0;
          return { renderedOpaque, shownOpaque };
        });
      const whole = await canvasAlpha();
      assert.equal(whole.renderedOpaque, W * H, 'the photo covers the canvas');
      await page.keyboard.press('Control+t');
      await page.waitForSelector('svg.shapes image.transform-preview', { state: 'attached' });
      // Moved right by 60 px: the preview covers the rest; under it, the canvas is empty.
      await page.evaluate(() => window.retouchApp.run('transform.set-matrix', { matrix: [1, 0, 0, 1, 60, 0] }));
      await page.waitForFunction(async () => {
        await window.retouchApp.settled();
        return (await window.retouchApp.resultRgba()).data[3] === 0;
      });
      const during = await canvasAlpha();
      assert.deepEqual(during, { renderedOpaque: 0, shownOpaque: 0 }, 'the only layer is left out of the composite while the preview shows it');
      // Esc: the layer is drawn again, exactly as before.
      await page.keyboard.press('Escape');
      assert.deepEqual(await canvasAlpha(), whole);
      assert.deepEqual(Array.from((await page.evaluate(() => window.retouchApp.resultRgba())).data), Array.from(await page.evaluate(() => window.testOriginal)));
      // Enter: the transformed layer is drawn (60 columns on the left are empty), no flash of an empty canvas left behind.
      await page.keyboard.press('Control+t');
      await page.waitForSelector('svg.shapes image.transform-preview', { state: 'attached' });
      await page.evaluate(() => window.retouchApp.run('transform.set-matrix', { matrix: [1, 0, 0, 1, 60, 0] }));
      await page.keyboard.press('Enter');
      const applied = await canvasAlpha();
      assert.deepEqual(applied, { renderedOpaque: (W - 60) * H, shownOpaque: (W - 60) * H }, 'after Enter the moved layer is drawn');
      await page.keyboard.press('Control+z');
      assert.deepEqual(await canvasAlpha(), whole);
    });

    test('a quarter turn by matrix is an exact copy of the turned pixels, clipped to the canvas', async () => {
      const { page } = app;
      const layerId = (await state(page)).layers.at(-1).id;
      await page.keyboard.press('Control+t');
      // x' = H − y, y' = x: a quarter turn clockwise, its left edge at the canvas' left.
      await page.evaluate(() => window.retouchApp.run('transform.set-matrix', { matrix: [0, 1, -1, 0, 144, 0] }));
      await page.keyboard.press('Enter');
      const result = await page.evaluate(async (id) => {
        const app = window.retouchApp;
        await app.settled();
        const layer = app.layers().find((l) => l.id === id);
        const { width, height, data } = await app.layerPixels(id);
        let bad = 0;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            // Destination (x, y) shows source (y, H − 1 − x).
            const s = ((143 - x) * 192 + y) * 4;
            for (let c = 0; c < 4; c++) if (data[(y * width + x) * 4 + c] !== window.testOriginal[s + c]) bad++;
          }
        }
        return { x: layer.x, y: layer.y, width, height, bad };
      }, layerId);
      assert.deepEqual({ ...result, bad: undefined }, { x: 0, y: 0, width: 144, height: 144, bad: undefined });
      assert.equal(result.bad, 0, 'every kept pixel is the turned original');
      await page.keyboard.press('Control+z');
    });

    test('Ctrl+T with a feathered selection floats only the selected pixels; Esc leaves no trace; Enter is one step', async () => {
      const { page } = app;
      const composite = () =>
        page.evaluate(async () => {
          await window.retouchApp.settled();
          return Array.from((await window.retouchApp.resultRgba()).data);
        });
      await page.evaluate(async () => {
        await window.retouchApp.run('select.rectangle', { x: 40, y: 30, width: 50, height: 40, mode: 'replace' });
        await window.retouchApp.run('select.feather', { value: 3 });
      });
      const selection = await page.evaluate(() => window.retouchApp.selectionValues().then((v) => Array.from(v)));
      const start = await state(page);
      const original = await composite();
      assert.deepEqual(original, Array.from(await page.evaluate(() => window.testOriginal)));
      const sel = (x, y) => selection[y * W + x];
      assert.ok(sel(65, 50) === 255 && sel(40, 50) > 0 && sel(40, 50) < 255, 'a soft edge');

      await page.keyboard.press('Control+t');
      await page.waitForFunction(() => window.retouchApp.toolPending()?.ready);
      const pending = await page.evaluate(() => window.retouchApp.toolPending());
      assert.equal(pending.floating, true);
      const box = pending.box;
      assert.ok(box.x <= 40 && box.x > 25 && box.width >= 50 && box.width < 80, JSON.stringify(box));
      assert.deepEqual(pending.matrix, [1, 0, 0, 1, box.x, box.y]);
      let during = await composite();
      const px = (data, x, y) => data.slice((y * W + x) * 4, (y * W + x) * 4 + 4);
      assert.equal(px(during, 65, 50)[3], 0, 'the hole shows while the float is previewed');
      assert.deepEqual(px(during, 150, 100), px(original, 150, 100), 'outside the selection, the canvas is as it was');
      await page.keyboard.press('Escape');
      assert.deepEqual(await composite(), original, 'Esc: every pixel as it was');
      assert.equal((await state(page)).steps, start.steps, 'and no step');

      // A whole-pixel move right and down: the float is an exact copy where it is opaque.
      await page.keyboard.press('Control+t');
      await page.waitForFunction(() => window.retouchApp.toolPending()?.ready);
      const [dx, dy] = [70, 40];
      await page.evaluate((m) => window.retouchApp.run('transform.set-matrix', { matrix: m }), [1, 0, 0, 1, box.x + dx, box.y + dy]);
      await page.keyboard.press('Enter');
      const now = await state(page);
      assert.equal(now.steps, start.steps + 1, 'one step');
      assert.equal(now.last, 'Free Transform');
      const after = await composite();
      let outsideChanged = 0;
      let copied = 0;
      let holes = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const from = [x - dx, y - dy];
          const fromSel = from[0] >= 0 && from[1] >= 0 ? sel(...from) : 0;
          const underFloat = fromSel > 0;
          const got = px(after, x, y);
          if (sel(x, y) === 0 && !underFloat) outsideChanged += got.some((v, c) => v !== px(original, x, y)[c]);
          if (fromSel === 255) {
            assert.deepEqual(got, px(original, ...from), `(${x}, ${y}) is the moved pixel`);
            copied++;
          }
          if (sel(x, y) === 255 && !underFloat) {
            assert.equal(got[3], 0, `(${x}, ${y}) is in the transparent hole`);
            holes++;
          }
        }
      }
      assert.equal(outsideChanged, 0, 'pixels outside the selection and the moved float are as they were');
      assert.ok(copied > 1000 && holes > 1000, `${copied} copied, ${holes} in the hole`);
      // The canvas on screen shows it.
      const shown = await page.evaluate(() => {
        const c = document.querySelector('canvas.composite');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
      });
      assert.deepEqual(px(shown, 65 + dx, 50 + dy), px(original, 65, 50));
      assert.equal(px(shown, 65, 50)[3], 0);
      // The selection moved with the float.
      const moved = await page.evaluate(() => window.retouchApp.selectionValues().then((v) => Array.from(v)));
      assert.equal(moved[(50 + dy) * W + 65 + dx], 255);
      assert.equal(moved[50 * W + 65], 0);
      await page.keyboard.press('Control+z');
      assert.deepEqual(await composite(), original, 'one undo restores every pixel');
      await page.evaluate(() => window.retouchApp.run('select.none'));
    });
  });
}
