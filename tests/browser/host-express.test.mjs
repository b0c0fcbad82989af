// The packaged Adobe Express add-on (dist/express) with a simulated add-on UI
// SDK (tests/hosts/fake-express-sdk.js, served in place of Adobe's): a full
// edit on the WebGPU and the CPU path: the page comes in as a PNG rendition
// (a Blob), a region is filled by Content-Aware Fill, and the result is
// inserted with addImage as a PNG Blob whose pixels outside the region equal
// the page's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, startServer, installTestKit } from './harness.mjs';
import { requirePackagedHosts, DIST, useEngine, contentAwareFill } from './host-harness.mjs';

requirePackagedHosts();

const SDK_URL = 'https://new.express.adobe.com/static/add-on-sdk/sdk.js';
const FAKE_SDK = await readFile(new URL('../hosts/fake-express-sdk.js', import.meta.url), 'utf8');
const W = 120;
const H = 90;
const REGION = { x: 30, y: 20, width: 28, height: 22 };
const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, engine: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, engine: 'cpu' },
];

for (const config of CONFIGS) {
  describe(`Adobe Express add-on with a simulated SDK, ${config.name}`, () => {
    let server;
    let browser;
    let page;
    const errors = [];

    before(async () => {
      server = await startServer(path.join(DIST, 'express') + path.sep);
      browser = await launchBrowser({ webgpu: config.webgpu });
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
      await context.route(SDK_URL, (route) => route.fulfill({ contentType: 'text/javascript', body: FAKE_SDK, headers: { 'access-control-allow-origin': '*' } }));
      page = await context.newPage();
      page.on('pageerror', (error) => errors.push(error));
      await page.goto(`${server.url}index.html`);
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await installTestKit(page);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test('the page as a rendition in, Content-Aware Fill, addImage back: outside the region unchanged', async () => {
      assert.equal(await useEngine(page, config.engine), config.engine);
      assert.equal(await page.evaluate(() => window.retouchApp.autosaveStats()), null, 'Express keeps the document: no page autosave');
      await page.evaluate(({ W, H }) => {
        const rgba = new Uint8Array(W * H * 4);
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgba.set([(x * 2 + ((x * 7 + y * 13) % 17)) & 255, (y * 3 + 40) & 255, 120 + ((x ^ y) & 31), 255], (y * W + x) * 4);
        window.original = rgba;
        window.fakeExpress.setPage(window.testKit.pngOf(W, H, rgba));
      }, { W, H });
      assert.equal(await page.evaluate(() => window.retouchApp.run('host.get-image')), 'Express page.png');
      assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });

      const filled = await contentAwareFill(page, REGION);
      assert.equal(filled.state.error, null, JSON.stringify(filled.state.error));
      const message = await page.evaluate(() => window.retouchApp.run('host.send-result'));
      assert.equal(message, 'Added “Content-Aware Fill” to the Adobe Express page');

      const check = await page.evaluate(({ REGION }) => {
        const { inserted, renditionRequests } = window.fakeExpress.state;
        const [{ bytes, type, attributes }] = inserted;
        const image = window.testKit.wasm.Image.decode(bytes);
        const rgba = image.rgba();
        const size = [image.width, image.height];
        image.free();
        let outside = 0;
        let inside = 0;
        for (let y = 0; y < size[1]; y++) {
          for (let x = 0; x < size[0]; x++) {
            const o = (y * size[0] + x) * 4;
            const same = [0, 1, 2, 3].every((c) => rgba[o + c] === window.original[o + c]);
            const within = x >= REGION.x && x < REGION.x + REGION.width && y >= REGION.y && y < REGION.y + REGION.height;
            if (!same) within ? inside++ : outside++;
          }
        }
        return { count: inserted.length, type, title: attributes?.title, size, outside, inside, renditionRequests };
      }, { REGION });
      assert.equal(check.count, 1);
      assert.equal(check.type, 'image/png');
      assert.equal(check.title, 'Content-Aware Fill');
      assert.deepEqual(check.size, [W, H]);
      assert.equal(check.outside, 0, 'every pixel outside the region is the page’s');
      assert.ok(check.inside > REGION.width * REGION.height * 0.5, `the region was filled (${check.inside} pixels changed)`);
      assert.deepEqual(check.renditionRequests, [{ options: { range: 'currentPage', format: 'image/png' }, intent: 'export' }]);
      assert.deepEqual(errors, []);
    });
  });
}
