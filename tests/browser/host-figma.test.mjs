// The packaged Figma plugin (dist/figma: code.js + one ui.html) in a simulated
// Figma (tests/hosts/fake-figma.js): code.js runs against the fake `figma`
// global, ui.html in a null-origin iframe. A full edit on the WebGPU and the
// CPU path: the selected node's image fill comes in, a region is filled by
// Content-Aware Fill, the result goes back as a new image fill (a new fills
// array) whose pixels outside the region equal the original, and in a new
// rectangle beside the node. Figma's 4096 px limit: an upscale past it is
// refused before any work; a larger result is refused with the offer to
// send it downscaled, which then fits; a node larger than the limit comes in
// rendered at the limit.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './harness.mjs';
import { requirePackagedHosts, startDistServer, openHostPage, editorFrame, useEngine, contentAwareFill } from './host-harness.mjs';

requirePackagedHosts();

const W = 120;
const H = 90;
const REGION = { x: 40, y: 30, width: 30, height: 24 };
const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, engine: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, engine: 'cpu' },
];

// The host page: the core (for making and reading PNGs, as a test kit) and the fake Figma.
const HOST_PAGE = `<script type="module">
  import { createFakeFigma } from './fake-figma.js';
  import * as wasm from '/web/pkg/retouch.js';
  await wasm.default();
  const [code, ui] = await Promise.all(['/figma/code.js', '/figma/ui.html'].map((u) => fetch(u).then((r) => r.text())));
  const fake = createFakeFigma({ uiHtml: ui });
  const png = (w, h, rgba) => { const image = wasm.Image.fromRgba(w, h, rgba); try { return image.encodePng(); } finally { image.free(); } };
  const decode = (bytes) => { const image = wasm.Image.decode(bytes); try { return { width: image.width, height: image.height, rgba: image.rgba() }; } finally { image.free(); } };
  /** A textured picture the fill can learn from. */
  function picture(w, h) {
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      rgba.set([(x * 2 + ((x * 7 + y * 13) % 17)) & 255, (y * 3 + 40) & 255, 120 + ((x ^ y) & 31), 255], o);
    }
    return rgba;
  }
  window.host = { wasm, fake, code, png, decode, picture };
</script>`;

async function openFigma(browser, server) {
  const opened = await openHostPage(browser, server.url, { name: 'figma', body: HOST_PAGE });
  await opened.page.waitForFunction(() => window.host !== undefined);
  return opened;
}

for (const config of CONFIGS) {
  describe(`Figma plugin in a simulated Figma, ${config.name}`, () => {
    let server;
    let browser;
    let opened;
    let frame;

    before(async () => {
      server = await startDistServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      opened = await openFigma(browser, server);
      await opened.page.evaluate(({ W, H }) => {
        const { fake, png, picture } = window.host;
        const node = fake.addImageNode(png(W, H, picture(W, H)), { name: 'Hero shot', x: 10, y: 20, width: W, height: H });
        fake.figma.currentPage.selection = [node];
        window.node = node;
        window.originalHash = node.fills[0].imageHash;
        fake.run(window.host.code);
      }, { W, H });
      frame = await editorFrame(opened.page);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`the editor runs in the null-origin UI frame on the ${config.engine.toUpperCase()}`, async () => {
      assert.equal(await useEngine(frame, config.engine), config.engine);
      assert.equal(await frame.evaluate(() => window.origin), 'null', 'a null origin, as in Figma');
      assert.equal(await frame.evaluate(() => document.querySelector('#host-bar').hidden), false, 'the host bar shows');
    });

    test('image fill in, Content-Aware Fill, new image fill back: outside the region unchanged', async () => {
      const { page, errors } = opened;
      const name = await frame.evaluate(() => window.retouchApp.run('host.get-image'));
      assert.equal(name, 'Hero shot');
      assert.deepEqual(await frame.evaluate(() => window.retouchApp.size()), { width: W, height: H });

      const filled = await contentAwareFill(frame, REGION);
      assert.equal(filled.state.error, null, JSON.stringify(filled.state.error));
      assert.equal(filled.layers.length, 2, 'the fill is a new layer');

      const fillsBefore = await page.evaluate(() => window.node.fills);
      await frame.evaluate(() => window.retouchApp.run('host.send-result', { placement: 'fill' }));
      const check = await page.evaluate(
        async ({ REGION }) => {
          const { fake, decode } = window.host;
          const fills = window.node.fills;
          const [paint] = fills;
          const before = decode(await fake.figma.getImageByHash(window.originalHash).getBytesAsync());
          const after = decode(await fake.figma.getImageByHash(paint.imageHash).getBytesAsync());
          let outsideDiffer = 0;
          let insideDiffer = 0;
          for (let y = 0; y < after.height; y++) {
            for (let x = 0; x < after.width; x++) {
              const inside = x >= REGION.x && x < REGION.x + REGION.width && y >= REGION.y && y < REGION.y + REGION.height;
              const o = (y * after.width + x) * 4;
              const same = [0, 1, 2, 3].every((c) => after.rgba[o + c] === before.rgba[o + c]);
              if (!same && inside) insideDiffer++;
              if (!same && !inside) outsideDiffer++;
            }
          }
          return { count: fills.length, frozen: Object.isFrozen(fills), paint, size: [after.width, after.height], outsideDiffer, insideDiffer };
        },
        { REGION },
      );
      assert.equal(check.count, 1, 'the image fill was replaced, not added');
      assert.ok(check.frozen);
      assert.notEqual(check.paint.imageHash, await page.evaluate(() => window.originalHash));
      assert.equal(check.paint.scaleMode, 'FILL', 'the old paint’s scale mode is kept');
      assert.deepEqual(check.size, [W, H]);
      assert.equal(check.outsideDiffer, 0, 'every pixel outside the region is the original');
      assert.ok(check.insideDiffer > REGION.width * REGION.height * 0.5, `the region was filled (${check.insideDiffer} pixels changed)`);
      assert.notDeepEqual(fillsBefore, await page.evaluate(() => window.node.fills));
      assert.deepEqual(errors, []);
    });

    test('a new rectangle beside the node; the choice is remembered in clientStorage', async () => {
      const { page } = opened;
      await frame.evaluate(() => window.retouchApp.run('host.send-result', { placement: 'rectangle' }));
      const placed = await page.evaluate(() => {
        const [rect] = window.host.fake.record.created;
        return { count: window.host.fake.record.created.length, x: rect.x, y: rect.y, width: rect.width, height: rect.height, hash: rect.fills[0].imageHash, name: rect.name, stored: window.host.fake.storage.get('send.placement') };
      });
      assert.equal(placed.count, 1);
      assert.deepEqual([placed.x, placed.y, placed.width, placed.height], [10 + W + 24, 20, W, H], 'beside the node, its size');
      assert.equal(placed.name, 'Content-Aware Fill', 'named after the operation');
      assert.equal(placed.stored, 'rectangle');
      // Without arguments the send takes the remembered choice.
      assert.equal(await frame.evaluate(() => window.retouchApp.run('host.send-result')), 'Added “Content-Aware Fill” to Figma beside the node');
    });
  });
}

describe('Figma’s 4096 px limit', () => {
  let server;
  let browser;
  let opened;
  let frame;

  before(async () => {
    server = await startDistServer();
    browser = await launchBrowser();
    opened = await openFigma(browser, server);
    await opened.page.evaluate(() => {
      const { fake, png, picture } = window.host;
      const node = fake.addImageNode(png(1100, 8, picture(1100, 8)), { name: 'Banner', width: 1100, height: 8 });
      fake.figma.currentPage.selection = [node];
      window.node = node;
      fake.run(window.host.code);
    });
    frame = await editorFrame(opened.page);
    await frame.evaluate(() => window.retouchApp.run('host.get-image'));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('an upscale past 4096 px is refused before any work', async () => {
    const before = await frame.evaluate(() => ({ size: window.retouchApp.size(), steps: window.retouchApp.history().entries.length }));
    await assert.rejects(
      frame.evaluate(() => window.retouchApp.run('upscale.image', { scale: 4 })),
      /4400×32 px, and Figma takes images up to 4096×4096/,
    );
    const after = await frame.evaluate(() => ({ size: window.retouchApp.size(), steps: window.retouchApp.history().entries.length }));
    assert.deepEqual(after, before, 'nothing changed');
    // Within the limit it runs.
    await frame.evaluate(() => window.retouchApp.run('upscale.image', { scale: 3 }));
    assert.deepEqual(await frame.evaluate(() => window.retouchApp.size()), { width: 3300, height: 24 });
    await frame.evaluate(() => window.retouchApp.run('upscale.close-compare'));
  });

  test('a result larger than 4096 px is refused with the offer to send it downscaled', async () => {
    const { page } = opened;
    // A 4200 px wide project (projects open without a worker, as in Figma's frame).
    const ora = await page.evaluate(() => {
      const { wasm, picture } = window.host;
      const project = new wasm.Project(4200, 6);
      const image = wasm.Image.fromRgba(4200, 6, picture(4200, 6));
      project.addLayer(image, { name: 'wide' });
      const bytes = project.toOra();
      image.free();
      project.free();
      return [...bytes];
    });
    await frame.evaluate((ora) => window.retouchApp.run('file.open-project', { bytes: new Uint8Array(ora), name: 'wide.ora' }), ora);
    const hashBefore = await page.evaluate(() => window.node.fills[0].imageHash);
    await assert.rejects(frame.evaluate(() => window.retouchApp.run('host.send-result', { placement: 'fill' })), /4200×6 px and Figma takes images up to 4096×4096/);
    assert.equal(await page.evaluate(() => window.node.fills[0].imageHash), hashBefore, 'nothing was sent');
    assert.equal(await frame.isVisible('#host-send-downscaled'), true, 'the downscaled send is offered');
    await frame.click('#host-send-downscaled');
    await page.waitForFunction((hash) => window.node.fills[0].imageHash !== hash, hashBefore);
    const size = await page.evaluate(async () => (await window.host.fake.figma.getImageByHash(window.node.fills[0].imageHash).getSizeAsync()));
    assert.deepEqual(size, { width: 4096, height: 6 });
    assert.equal(await frame.isVisible('#host-send-downscaled'), false, 'the offer is gone after the send');
  });

  test('a node larger than 4096 px comes in rendered at the limit, with a notice', async () => {
    const { page } = opened;
    await page.evaluate(() => {
      const { fake, png, picture } = window.host;
      const frameNode = fake.addFrame({
        name: 'Poster',
        width: 5000,
        height: 100,
        render: (settings) => (settings.constraint?.type === 'WIDTH' ? png(settings.constraint.value, 82, picture(settings.constraint.value, 82)) : png(5000, 100, picture(5000, 100))),
      });
      fake.figma.currentPage.selection = [frameNode];
    });
    await frame.evaluate(() => window.retouchApp.run('host.get-image'));
    assert.deepEqual(await frame.evaluate(() => window.retouchApp.size()), { width: 4096, height: 82 });
    const record = await page.evaluate(() => ({ exports: window.host.fake.record.exports, notes: window.host.fake.record.notifications }));
    assert.deepEqual(record.exports.at(-1), { format: 'PNG', constraint: { type: 'WIDTH', value: 4096 } });
    assert.ok(record.notes.some((n) => /larger than 4096 px/.test(n.text)));
  });
});
