// Cross-implementation check: for every W3C blend mode the core (CPU engine)
// must agree with Chromium's own canvas 2D globalCompositeOperation (Skia), an
// implementation nobody here wrote, within ±2 per 8-bit channel, on an opaque
// backdrop with a layer of varied alpha and random-ish colours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

// Core mode name -> canvas globalCompositeOperation.
const W3C_MODES = {
  normal: 'source-over',
  multiply: 'multiply',
  screen: 'screen',
  overlay: 'overlay',
  darken: 'darken',
  lighten: 'lighten',
  'color-dodge': 'color-dodge',
  'color-burn': 'color-burn',
  'hard-light': 'hard-light',
  'soft-light': 'soft-light',
  difference: 'difference',
  exclusion: 'exclusion',
  hue: 'hue',
  saturation: 'saturation',
  color: 'color',
  luminosity: 'luminosity',
};
const TOLERANCE = 2;
const W = 128;
const H = 96;

requireBuiltPackage();

let server;
let browser;
let app;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ webgpu: false });
  app = await openApp(browser, server.url, { query: '?backend=cpu' });
  await installTestKit(app.page);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('every W3C blend mode matches Chromium canvas 2D within ±2', async (t) => {
  const rows = await app.page.evaluate(
    async ({ modes, W, H }) => {
      const { wasm, randomRgba, compare } = window.testKit;
      const engine = await wasm.createEngine('cpu');
      if (engine.backend !== 'cpu') throw new Error(`expected the CPU engine, got ${engine.backend}`);
      const backdrop = randomRgba(W, H, 101, 'opaque');
      const layer = randomRgba(W, H, 202, 'varied');
      // Smooth ramps in the lower half, under an opaque layer: every value
      // pair shows up, not just noise.
      for (let y = H / 2; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const o = (y * W + x) * 4;
          backdrop[o] = (x * 2) & 255;
          backdrop[o + 1] = (y * 5) & 255;
          backdrop[o + 2] = 255 - ((x * 2) & 255);
          layer[o] = (y * 5 + x) & 255;
          layer[o + 1] = (x * 2) & 255;
          layer[o + 2] = (x * y) & 255;
          layer[o + 3] = 255;
        }
      }
      // A canvas keeps its pixels premultiplied in 8 bits, so a layer colour C
      // with alpha a reaches Skia as round(C·a/255)/a, not C/255. Colour dodge,
      // colour burn and hue amplify that rounding many times over (up to 30
      // levels with arbitrary colours). To compare the blend modes rather than
      // the storage, each translucent layer colour is snapped to the nearest
      // value the canvas stores exactly: C·a/255 an integer, i.e. C a multiple
      // of 255/gcd(a, 255). Alphas stay arbitrary; opaque pixels keep every colour.
      const gcd = (a, b) => (b ? gcd(b, a % b) : a);
      let snapped = 0;
      for (let o = 0; o < layer.length; o += 4) {
        const a = layer[o + 3];
        if (a === 0 || a === 255) continue;
        const g = gcd(a, 255);
        for (let c = 0; c < 3; c++) {
          const exact = (Math.round((layer[o + c] * g) / 255) * 255) / g;
          if (exact !== layer[o + c]) snapped++;
          layer[o + c] = exact;
        }
      }
      if (snapped === 0) throw new Error('expected translucent layer pixels');
      const baseImage = wasm.Image.fromRgba(W, H, backdrop);
      const layerImage = wasm.Image.fromRgba(W, H, layer);

      const canvas = (rgba) => {
        const c = document.createElement('canvas');
        c.width = W;
        c.height = H;
        const ctx = c.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
        ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), W, H, { colorSpace: 'srgb' }), 0, 0);
        return { c, ctx };
      };
      // putImageData ignores composite operations, so the layer goes to its own
      // canvas first and is drawn onto the backdrop with drawImage.
      const layerCanvas = canvas(layer).c;

      const rows = [];
      for (const [mode, op] of Object.entries(modes)) {
        const { ctx } = canvas(backdrop);
        ctx.globalCompositeOperation = op;
        if (ctx.globalCompositeOperation !== op) throw new Error(`canvas does not support "${op}"`);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(layerCanvas, 0, 0);
        const browserResult = ctx.getImageData(0, 0, W, H, { colorSpace: 'srgb' }).data;

        const out = await engine.composite(baseImage, layerImage, { mode, opacity: 1 });
        const coreResult = out.rgba();
        out.free();

        const cmp = compare(coreResult, browserResult);
        let worst = null;
        if (cmp.at >= 0) {
          const p = cmp.at - (cmp.at % 4);
          worst = {
            pixel: [(p / 4) % W, Math.floor(p / 4 / W)],
            backdrop: Array.from(backdrop.subarray(p, p + 4)),
            layer: Array.from(layer.subarray(p, p + 4)),
            core: Array.from(coreResult.subarray(p, p + 4)),
            canvas: Array.from(browserResult.subarray(p, p + 4)),
          };
        }
        // Sanity: the mode did something to the backdrop.
        const changed = compare(coreResult, backdrop).differing;
        let opaque = true;
        for (let i = 3; i < coreResult.length; i += 4) if (coreResult[i] !== 255) opaque = false;
        rows.push({ mode, op, max: cmp.max, differing: cmp.differing, changed, opaque, worst });
      }
      baseImage.free();
      layerImage.free();
      engine.free();
      return rows;
    },
    { modes: W3C_MODES, W, H },
  );

  assert.equal(rows.length, 16);
  t.diagnostic(`max |diff| per mode (core vs canvas): ${rows.map((r) => `${r.mode} ${r.max}`).join(', ')}`);
  const failures = [];
  for (const row of rows) {
    assert.ok(row.changed > W * H, `${row.mode}: the core's result is nearly the backdrop`);
    assert.ok(row.opaque, `${row.mode}: the result over an opaque backdrop is opaque`);
    if (row.max > TOLERANCE) failures.push(`${row.mode} (${row.op}): max |diff| ${row.max}, worst ${JSON.stringify(row.worst)}`);
  }
  assert.deepEqual(failures, [], `modes beyond ±${TOLERANCE}:\n${failures.join('\n')}`);
});
