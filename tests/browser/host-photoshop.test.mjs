// The packaged Photoshop plugin (dist/photoshop: the UXP panel, its
// <webview> of the plugin's own web/ files) in a simulated Photoshop
// (tests/hosts/fake-photoshop.js). A full edit through the panel's buttons on
// the WebGPU and the CPU path: the document and Photoshop's selection come in
// tile by tile, Content-Aware Fill fills the selection, and the result goes
// back as one new layer named after the operation, written inside
// executeAsModal as one history step, transparent outside the selection (so
// Photoshop's image there is the original). A 16-bit document (0..32768)
// wider than a tile comes in converted and tiled and goes back at 16 bits;
// the active layer comes in trimmed to its pixels.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchBrowser } from './harness.mjs';
import { requirePackagedHosts, startDistServer, editorFrame, useEngine } from './host-harness.mjs';

requirePackagedHosts();

const FAKE = await readFile(new URL('../hosts/fake-photoshop.js', import.meta.url), 'utf8');
const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, engine: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, engine: 'cpu' },
];

/** Opens the packaged panel with the fake Photoshop and a document made by `makeDocument` (run in the panel). */
async function openPanel(browser, server, makeDocument, arg) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, serviceWorkers: 'block' });
  await context.addInitScript(FAKE);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${server.url}photoshop/index.html`);
  await page.evaluate(makeDocument, arg);
  const frame = await editorFrame(page);
  await page.waitForFunction(() => !document.querySelector('#get-image').disabled);
  return { context, page, frame, errors };
}

/** A textured RGB composite and its background layer; a rectangular selection. */
function eightBitDocument({ W, H, SELECTION }) {
  const composite = new Uint8Array(W * H * 3);
  const background = new Uint8Array(W * H * 4);
  const values = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const rgb = [(x * 3 + ((x * 7 + y * 13) % 19)) & 255, (y * 2 + 30) & 255, 90 + ((x ^ y) & 63)];
      composite.set(rgb, i * 3);
      background.set([...rgb, 255], i * 4);
      const s = SELECTION;
      if (x >= s.left && x < s.right && y >= s.top && y < s.bottom) values[i] = 255;
    }
  }
  window.fakePhotoshop.open({
    name: 'portrait.psd',
    width: W,
    height: H,
    depth: 8,
    composite,
    layers: [{ id: 1, name: 'Background', bounds: { left: 0, top: 0, right: W, bottom: H }, pixels: background }],
    activeLayerId: 1,
    selection: { bounds: SELECTION, values },
  });
}

/** Runs the fill on the host's selection; resolves once the panel's send finished. */
async function fillAndSend(page, frame) {
  const state = await frame.evaluate(async () => {
    await window.retouchApp.run('generate.run');
    await window.retouchApp.generation.settled();
    await window.retouchApp.settled();
    return window.retouchApp.generation.state();
  });
  assert.equal(state.error, null, JSON.stringify(state.error));
  await page.click('#send-result');
  await page.waitForFunction(() => window.fakePhotoshop.record.history.length > 0 || document.querySelector('#status').className === 'error');
}

for (const config of CONFIGS) {
  describe(`Photoshop panel in a simulated Photoshop, 8-bit, ${config.name}`, () => {
    const W = 200;
    const H = 120;
    const SELECTION = { left: 60, top: 40, right: 100, bottom: 70 };
    let server;
    let browser;
    let opened;

    before(async () => {
      server = await startDistServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      opened = await openPanel(browser, server, eightBitDocument, { W, H, SELECTION });
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test('document and selection in, Content-Aware Fill, a new layer back: outside the selection untouched', async () => {
      const { page, frame, errors } = opened;
      assert.equal(await useEngine(frame, config.engine), config.engine);
      await page.click('#get-image');
      await frame.waitForFunction((W) => window.retouchApp.size()?.width === W && window.retouchApp.history().entries.length > 0, W);
      const selected = await frame.evaluate(async () => [...(await window.retouchApp.selectionValues())]);
      const expected = await page.evaluate(() => [...window.fakePhotoshop.document().selection.values]);
      assert.deepEqual(selected, expected, 'Photoshop’s selection is the document’s');
      assert.deepEqual(await frame.evaluate(() => window.retouchApp.history().entries.map((e) => e.name)), ['Selection from Photoshop'], 'one undoable step');

      await fillAndSend(page, frame);
      const result = await page.evaluate(({ W, H, SELECTION }) => {
        const doc = window.fakePhotoshop.document();
        const layer = doc.layers.at(-1);
        let outsideVisible = 0;
        let insideOpaque = 0;
        let insideChanged = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const i = y * W + x;
            const inside = x >= SELECTION.left && x < SELECTION.right && y >= SELECTION.top && y < SELECTION.bottom;
            const alpha = layer.pixels[i * 4 + 3];
            if (!inside && alpha !== 0) outsideVisible++;
            if (inside && alpha === 255) insideOpaque++;
            if (inside && [0, 1, 2].some((c) => layer.pixels[i * 4 + c] !== doc.composite[i * 3 + c])) insideChanged++;
          }
        }
        const { record } = window.fakePhotoshop;
        return { layers: doc.layers.map((l) => l.name), outsideVisible, insideOpaque, insideChanged, history: record.history, modalCalls: record.modalCalls, status: document.querySelector('#status').textContent };
      }, { W, H, SELECTION });
      assert.deepEqual(result.layers, ['Background', 'Content-Aware Fill'], 'one new layer named after the operation');
      assert.equal(result.outsideVisible, 0, 'transparent outside the selection: Photoshop’s image there is the original');
      assert.equal(result.insideOpaque, 40 * 30, 'the selection is covered');
      assert.ok(result.insideChanged > 40 * 30 * 0.5, `the hole was filled (${result.insideChanged} pixels differ)`);
      assert.deepEqual(result.history, ['Content-Aware Fill'], 'one history step in Photoshop');
      assert.equal(result.modalCalls, 1);
      assert.match(result.status, /Added “Content-Aware Fill” to Photoshop as a new layer/);
      assert.deepEqual(errors, []);
    });
  });
}

describe('Photoshop panel: 16-bit documents and layers', () => {
  let server;
  let browser;

  before(async () => {
    server = await startDistServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a 16-bit document wider than a tile: read in tiles, 0..32768 to 8 bits, the result back at 16 bits', async () => {
    const W = 1100;
    const H = 40;
    const SELECTION = { left: 1000, top: 10, right: 1060, bottom: 30 };
    const { page, frame, errors } = await openPanel(
      browser,
      server,
      ({ W, H, SELECTION }) => {
        const composite = new Uint16Array(W * H * 3);
        const background = new Uint16Array(W * H * 4);
        const values = new Uint8Array(W * H);
        for (let i = 0; i < W * H; i++) {
          const x = i % W;
          const y = Math.floor(i / W);
          // Every value of the range appears, the ends included.
          const rgb = [(i * 37) % 32769, (x * 29 + y * 1000) % 32769, i % 2 ? 32768 : 16384];
          composite.set(rgb, i * 3);
          background.set([...rgb, 32768], i * 4);
          if (x >= SELECTION.left && x < SELECTION.right && y >= SELECTION.top && y < SELECTION.bottom) values[i] = 255;
        }
        window.fakePhotoshop.open({ name: 'deep.psd', width: W, height: H, depth: 16, composite, layers: [{ id: 1, name: 'Background', bounds: { left: 0, top: 0, right: W, bottom: H }, pixels: background }], activeLayerId: 1, selection: { bounds: SELECTION, values } });
      },
      { W, H, SELECTION },
    );
    await page.click('#get-image');
    await frame.waitForFunction((W) => window.retouchApp.size()?.width === W && window.retouchApp.history().entries.length > 0, W);
    const reads = await page.evaluate(() => window.fakePhotoshop.record.reads);
    assert.deepEqual(reads.map((r) => [r.left, r.right]), [[0, 1024], [1024, 1100]], 'two tiles across');

    // The editor's pixels are Photoshop's, rounded from 0..32768 to 0..255.
    const mismatches = await page.evaluate(async () => {
      const frame = document.querySelector('webview iframe').contentWindow;
      const [background] = frame.retouchApp.layers();
      const { data } = await frame.retouchApp.layerPixels(background.id);
      const { composite, width, height } = window.fakePhotoshop.document();
      let bad = 0;
      for (let i = 0; i < width * height; i++) {
        for (let c = 0; c < 3; c++) if (data[i * 4 + c] !== Math.round((composite[i * 3 + c] * 255) / 32768)) bad++;
        if (data[i * 4 + 3] !== 255) bad++;
      }
      return bad;
    });
    assert.equal(mismatches, 0);

    await fillAndSend(page, frame);
    const back = await page.evaluate(async (SELECTION) => {
      const doc = window.fakePhotoshop.document();
      const layer = doc.layers.at(-1);
      const frame = document.querySelector('webview iframe').contentWindow;
      const fill = frame.retouchApp.layers().at(-1);
      const eight = (await frame.retouchApp.layerPixels(fill.id)).data;
      let max = 0;
      let wrong = 0;
      let outsideVisible = 0;
      for (let y = 0; y < doc.height; y++) {
        for (let x = 0; x < doc.width; x++) {
          const i = y * doc.width + x;
          for (let c = 0; c < 4; c++) max = Math.max(max, layer.pixels[i * 4 + c]);
          const inside = x >= SELECTION.left && x < SELECTION.right && y >= SELECTION.top && y < SELECTION.bottom;
          if (!inside) {
            if (layer.pixels[i * 4 + 3] !== 0) outsideVisible++;
            continue;
          }
          // The fill layer covers the selection's box: its pixel (x - fill.x, y - fill.y).
          const j = ((y - fill.y) * fill.width + (x - fill.x)) * 4;
          for (let c = 0; c < 4; c++) if (layer.pixels[i * 4 + c] !== Math.round((eight[j + c] * 32768) / 255)) wrong++;
        }
      }
      return { isSixteen: layer.pixels instanceof Uint16Array, max, wrong, outsideVisible, history: window.fakePhotoshop.record.history };
    }, SELECTION);
    assert.ok(back.isSixteen);
    assert.equal(back.max, 32768, 'white is 32768');
    assert.equal(back.wrong, 0, 'each 8-bit value becomes its nearest 16-bit one');
    assert.equal(back.outsideVisible, 0);
    assert.deepEqual(back.history, ['Content-Aware Fill']);
    assert.deepEqual(errors, []);
  });

  test('the active layer comes in trimmed to its pixels, placed where it is', async () => {
    const W = 120;
    const H = 80;
    const BOUNDS = { left: 30, top: 20, right: 80, bottom: 60 };
    const { page, frame, errors } = await openPanel(
      browser,
      server,
      ({ W, H, BOUNDS }) => {
        const composite = new Uint8Array(W * H * 3).fill(200);
        const background = new Uint8Array(W * H * 4).fill(200);
        const patch = new Uint8Array(W * H * 4);
        for (let y = BOUNDS.top; y < BOUNDS.bottom; y++) for (let x = BOUNDS.left; x < BOUNDS.right; x++) patch.set([x * 2, y * 3, 77, 128 + (x % 100)], (y * W + x) * 4);
        window.fakePhotoshop.open({
          name: 'layers.psd',
          width: W,
          height: H,
          depth: 8,
          composite,
          layers: [
            { id: 1, name: 'Background', bounds: { left: 0, top: 0, right: W, bottom: H }, pixels: background },
            { id: 2, name: 'Patch', bounds: BOUNDS, pixels: patch },
          ],
          activeLayerId: 2,
          selection: null,
        });
      },
      { W, H, BOUNDS },
    );
    await page.selectOption('#source', 'layer');
    await page.click('#get-image');
    await frame.waitForFunction((W) => window.retouchApp.size()?.width === W, W);
    const reads = await page.evaluate(() => window.fakePhotoshop.record.reads);
    assert.deepEqual(reads, [{ layerID: 2, ...BOUNDS }], 'one read, trimmed to the layer');
    const wrong = await page.evaluate(async ({ W, H }) => {
      const frame = document.querySelector('webview iframe').contentWindow;
      const [layer] = frame.retouchApp.layers();
      const { data } = await frame.retouchApp.layerPixels(layer.id);
      const patch = window.fakePhotoshop.document().layers[1].pixels;
      let bad = 0;
      for (let i = 0; i < W * H * 4; i++) if (data[i] !== patch[i]) bad++;
      return bad;
    }, { W, H });
    assert.equal(wrong, 0, 'the layer’s pixels where they are, transparent elsewhere');
    assert.equal(await frame.evaluate(async () => (await window.retouchApp.selectionValues()) === null), true, 'no selection in Photoshop: none here');
    assert.deepEqual(errors, []);
  });
});
