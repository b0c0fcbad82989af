// Image → Adjustments in headless Chromium, with WebGPU (SwiftShader; the page must run on the GPU)
// and without (CPU fallback): the dialog is built from the adjustment's manifest, previews live
// on the canvas inside the selection only, OK makes one history step equal to the CPU engine's
// result (within ±1 on the GPU; the unsharp mask within 1 + amount/100), undo restores the
// picture exactly, and Cancel leaves the document and the canvas as they were.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { compare } from '../test-kit.mjs';

const CONFIGS = [
  // The 2D canvas draws the view (read back from the GPU), so its pixels can be read; present.test.mjs checks the WebGPU canvas.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu&present=2d', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
const W = 120;
const H = 90;
const BOX = { x: 20, y: 10, width: 40, height: 30 };
const CASES = [
  ['levels', { input_black: 20, gamma: 1.8, output_white: 230 }, 1],
  ['hue_saturation', { hue: 90, saturation: 20 }, 1],
  ['unsharp_mask', { amount: 150, radius: 2, threshold: 0 }, 3],
];

requireBuiltPackage();

const inBox = (i) => {
  const x = (i / 4) % W;
  const y = Math.floor(i / 4 / W);
  return x >= BOX.x && x < BOX.x + BOX.width && y >= BOX.y && y < BOX.y + BOX.height;
};

/** The composite as the core rendered it, as a plain array. */
async function composite(page) {
  return page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
}

/** What the canvas shows (the preview is drawn there, not into the document). */
function canvasPixels(page) {
  return page.evaluate(() => {
    const c = document.querySelector('canvas.composite');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });
}

/** The same adjustment made by a CPU engine on a fresh project of the same picture and selection. */
function cpuReference(page, kind, params) {
  return page.evaluate(
    async ({ kind, params, W, H, BOX }) => {
      const { wasm } = window.testKit;
      window.testCpu = window.testCpu ?? (await wasm.createEngine('cpu'));
      const project = wasm.Project.fromImageFile(window.testPicture);
      const mask = wasm.Mask.rectangle(W, H, BOX.x, BOX.y, BOX.width, BOX.height);
      project.setSelection(mask, '');
      await project.adjustLayer(window.testCpu, project.layers()[0].id, { kind, ...params });
      project.renderCpu();
      const out = Array.from(project.compositeRegion(0, 0, W, H));
      project.free();
      return out;
    },
    { kind, params, W, H, BOX },
  );
}

/** The largest difference of the bytes whose index passes `where`. */
const maxDiff = (a, b, where) => compare(a, b, where).max;

for (const config of CONFIGS) {
  describe(`adjustments, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      await app.page.evaluate(
        async ({ W, H, BOX }) => {
          const rgba = new Uint8Array(W * H * 4);
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              const stripe = (x + 2 * y) % 11 < 4 ? 60 : 0;
              rgba.set([(x * 2 + stripe) & 255, (y * 3) & 255, (x * y) % 256, 255], (y * W + x) * 4);
            }
          }
          window.testPicture = window.testKit.pngOf(W, H, rgba);
          await window.retouchApp.run('file.open', { bytes: window.testPicture, name: 'picture.png' });
          await window.retouchApp.run('select.rectangle', BOX);
        },
        { W, H, BOX },
      );
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    for (const [kind, params, tolerance] of CASES) {
      test(`${kind}: the dialog previews inside the selection, OK is one step, undo restores`, async () => {
        const { page } = app;
        const original = await composite(page);
        const entries = (await page.evaluate(() => window.retouchApp.history())).position;
        const want = await cpuReference(page, kind, params);

        await page.evaluate((kind) => window.retouchApp.run(`adjust.${kind}`), kind);
        assert.ok(await page.locator('#adjust-dialog').evaluate((d) => d.open), 'the dialog is open');
        for (const id of Object.keys(params)) {
          assert.equal(await page.locator(`#adjust-dialog [data-param="${id}"]`).count(), 1, `a control for ${id}`);
        }
        await page.evaluate((params) => window.retouchApp.run('adjust.set', params), params);
        const shown = await canvasPixels(page);
        assert.ok(maxDiff(shown, want, inBox) <= tolerance, `the preview differs from the CPU result by ${maxDiff(shown, want, inBox)}`);
        assert.equal(maxDiff(shown, original, (i) => !inBox(i)), 0, 'outside the selection the canvas is unchanged');
        assert.ok(maxDiff(shown, original, inBox) > 5, 'the preview shows a change');
        assert.equal((await page.evaluate(() => window.retouchApp.history())).position, entries, 'previews make no step');

        await page.click('#adjust-ok');
        await page.waitForFunction(() => !document.querySelector('#adjust-dialog').open);
        await page.evaluate(() => window.retouchApp.settled());
        assert.equal(await page.locator('#adjust-dialog').evaluate((d) => d.open), false);
        const history = await page.evaluate(() => window.retouchApp.history());
        assert.equal(history.position, entries + 1);
        assert.match(history.entries[history.position - 1].name, /^(Levels|Hue\/Saturation|Unsharp Mask)$/);
        const got = await composite(page);
        assert.ok(maxDiff(got, want, () => true) <= tolerance, `the result differs from the CPU engine by ${maxDiff(got, want, () => true)}`);
        assert.equal(maxDiff(got, original, (i) => !inBox(i)), 0, 'pixels outside the selection are bit-exact');
        if (config.expect === 'cpu') assert.deepEqual(got, want, 'the CPU page equals the CPU engine exactly');

        await page.evaluate(() => window.retouchApp.run('edit.undo'));
        assert.deepEqual(await composite(page), original, 'undo restores the picture');
      });
    }

    test('Cancel restores the canvas and records nothing; a bad curve is refused with its name', async () => {
      const { page } = app;
      const original = await composite(page);
      const entries = (await page.evaluate(() => window.retouchApp.history())).position;
      await page.evaluate(() => window.retouchApp.run('adjust.gaussian_blur', { sigma: 4 }));
      assert.ok(maxDiff(await canvasPixels(page), original, inBox) > 5, 'the blur is previewed');
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('#adjust-dialog').open);
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal(await page.locator('#adjust-dialog').evaluate((d) => d.open), false);
      assert.deepEqual(await canvasPixels(page), original, 'the canvas shows the document again');
      assert.deepEqual(await composite(page), original);
      assert.equal((await page.evaluate(() => window.retouchApp.history())).position, entries);

      await page.evaluate(() => window.retouchApp.run('adjust.curves'));
      await page.evaluate(() => window.retouchApp.run('adjust.set', { red: '0:0,0:90' }));
      assert.match(await page.locator('#adjust-dialog .adjust-error').textContent(), /red/);
      const refused = await page.evaluate(() => window.retouchApp.run('adjust.ok').then(() => null, (e) => String(e)));
      assert.match(refused, /red/);
      await page.evaluate(() => window.retouchApp.run('adjust.cancel'));
      assert.equal((await page.evaluate(() => window.retouchApp.history())).position, entries);
      assert.deepEqual(await composite(page), original);
    });
  });
}
