// The healing tools driven with the mouse and their shortcuts (J, Shift+J
// cycles Spot Healing → Remove → Healing brush; Alt+click sets the healing
// source) in headless Chromium, with WebGPU (SwiftShader; the page must run
// on the GPU) and without (CPU fallback), on a real photograph with a white
// blemish painted on it: each stroke is one history step named after its
// tool that changes pixels only in the stroke grown by the tool's margin,
// the blemish is gone, the result is what an engine of the page's backend
// made from the wasm API heals for the same points (bit for bit on the CPU;
// within ±1 on the GPU, where the content-aware fill draws its own field, so
// a CPU engine's result differs) and one Ctrl+Z restores the layer
// bit-exactly. The Healing brush heals while the mouse moves (the layer has
// changed before the release, with no history step yet) and ends with what
// the wasm API's live stroke gives for the same points.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, dragMouse, clientPoint } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu', tolerance: 1 },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu', tolerance: 0 },
];
// 192×144 (crate/tests/photos).
const PHOTO = readFileSync(new URL('../../crate/tests/photos/grass.png', import.meta.url));
const W = 192;
// The blemish: one white dab.
const BLEMISH = { points: [120, 60], diameter: 10, hardness: 100, opacity: 100, flow: 100, color: '#ffffff' };
// How far past the brush's radius a tool may change pixels: the blend's
// growth (2 px), the Remove tool's 4 px more, and a pixel of dab rounding.
const REACH = { spot_heal: 3, remove: 7, healing: 1 };
// The Healing brush heals on the CPU on either backend (dab by dab), so its
// reference is exact; the others are held to the page backend's tolerance.
const EXACT_TOOLS = ['healing'];

requireBuiltPackage();

const layerPixels = (page) =>
  page.evaluate(async () => Array.from((await window.retouchApp.layerPixels(window.retouchApp.activeLayerId())).data));
const history = (page) => page.evaluate(() => window.retouchApp.history());

/** Pixels changed outside the last gesture's box grown by the radius and `reach`, and how many inside. */
async function changes(page, before, after, reach) {
  const { points, params } = await page.evaluate(() => window.retouchApp.lastGesture());
  const r = params.diameter / 2 + reach;
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs) - r, Math.max(...xs) + r, Math.min(...ys) - r, Math.max(...ys) + r];
  let outside = 0;
  let inside = 0;
  for (let i = 0; i < before.length; i += 4) {
    if (![0, 1, 2, 3].some((c) => before[i + c] !== after[i + c])) continue;
    const [x, y] = [(i / 4) % W, Math.floor(i / 4 / W)];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inside++;
    else outside++;
  }
  return { outside, inside };
}

/** The photograph with the blemish, healed by the last gesture on an engine of its own for `backend`. */
function reference(page, backend, extra = {}) {
  return page.evaluate(
    async ({ backend, extra, BLEMISH }) => {
      const { wasm } = window.testKit;
      window.testEngine = window.testEngine ?? (await wasm.createEngine(backend));
      if (window.testEngine.backend !== backend) throw new Error(`no ${backend} engine for the reference`);
      const { tool, points, params } = window.retouchApp.lastGesture();
      const project = wasm.Project.fromImageFile(window.testPhoto);
      const id = project.layers()[0].id;
      const { points: blemish, ...paint } = BLEMISH;
      await project.paintStroke(window.testEngine, id, new Float32Array(blemish), { ...paint, tool: 'brush' });
      const { points: _, ...values } = params;
      const kind = { spot_heal: 'spot', remove: 'remove', healing: 'healing' }[tool];
      const stroke = { ...values, ...extra, tool: kind };
      if (kind === 'healing') {
        // Live, as the page strokes it: the same pixels however the points are batched.
        project.beginHealStroke(id, new Float32Array(points), stroke);
        project.endStroke();
      } else {
        await project.healStroke(window.testEngine, id, new Float32Array(points), stroke);
      }
      const image = project.layerPixels(id);
      const out = Array.from(image.rgba());
      image.free();
      project.free();
      return out;
    },
    { backend, extra, BLEMISH },
  );
}

/** The largest channel difference. */
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** The mean RGB distance from `clean` over the blemish's fully painted core (radius 4). */
function blemishError(pixels, clean) {
  let sum = 0;
  let n = 0;
  for (let y = 56; y <= 64; y++) {
    for (let x = 116; x <= 124; x++) {
      if ((x - 120) ** 2 + (y - 60) ** 2 > 16) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(pixels[(y * W + x) * 4 + c] - clean[(y * W + x) * 4 + c]);
      n += 3;
    }
  }
  return sum / n;
}

for (const config of CONFIGS) {
  describe(`healing tools, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let clean;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      clean = await app.page.evaluate(async (bytes) => {
        window.testPhoto = new Uint8Array(bytes);
        await window.retouchApp.run('file.open', { bytes: window.testPhoto, name: 'grass.png' });
        await window.retouchApp.run('view.actual-size');
        return Array.from((await window.retouchApp.layerPixels(window.retouchApp.activeLayerId())).data);
      }, Array.from(PHOTO));
      await app.page.evaluate(async (blemish) => {
        await window.retouchApp.run('paint.brush', blemish);
        await window.retouchApp.settled();
      }, BLEMISH);
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    /** Picks `tool` (J, then Shift+J `cycles` times), strokes, and checks the common promises. */
    async function heal({ tool, cycles, params, points, name, extra, beforeRelease }) {
      const { page } = app;
      await page.locator('#stage').focus().catch(() => {});
      await page.keyboard.press('j');
      for (let i = 0; i < cycles; i++) await page.keyboard.press('Shift+J');
      assert.equal(await page.evaluate(() => window.retouchApp.tool()), tool, `J and ${cycles} × Shift+J pick ${tool}`);
      await page.evaluate(({ tool, params }) => window.retouchApp.run('tool.set-params', { tool, params }), { tool, params });
      const before = await layerPixels(page);
      const position = (await history(page)).position;
      await dragMouse(page, points, { beforeRelease: beforeRelease && (() => beforeRelease({ before, position })) });
      await page.evaluate(() => window.retouchApp.settled());
      const after = await layerPixels(page);
      const steps = await history(page);
      assert.equal(steps.position, position + 1, 'one history step per stroke');
      assert.equal(steps.entries[steps.position - 1].name, name);
      const { outside, inside } = await changes(page, before, after, REACH[tool]);
      assert.equal(outside, 0, 'no pixel outside the grown stroke changed');
      assert.ok(inside > 50, `the stroke changed ${inside} pixels`);
      const expected = await reference(page, config.expect, extra);
      const tolerance = EXACT_TOOLS.includes(tool) ? 0 : config.tolerance;
      assert.ok(maxDiff(after, expected) <= tolerance, `within ${tolerance} of a ${config.expect} engine: ${maxDiff(after, expected)}`);
      await page.keyboard.press('Control+z');
      await page.evaluate(() => window.retouchApp.settled());
      assert.deepEqual(await layerPixels(page), before, 'Ctrl+Z restores the layer bit-exactly');
      return { before, after };
    }

    test('J heals the blemish from around it; Ctrl+Z restores', async () => {
      const { before, after } = await heal({
        tool: 'spot_heal',
        cycles: 0,
        params: { diameter: 16, hardness: 100 },
        points: [[118, 60], [122, 60]],
        name: 'Spot Healing Brush',
      });
      const [was, now] = [blemishError(before, clean), blemishError(after, clean)];
      assert.ok(now < was / 3, `the blemish is gone: error ${now.toFixed(1)} (was ${was.toFixed(1)})`);
    });

    test('Shift+J picks the Remove tool, which takes the blemish out with a wider margin', async () => {
      const { before, after } = await heal({
        tool: 'remove',
        cycles: 1,
        params: { diameter: 14, hardness: 100 },
        points: [[120, 60]],
        name: 'Remove Tool',
      });
      const [was, now] = [blemishError(before, clean), blemishError(after, clean)];
      assert.ok(now < was / 3, `the blemish is gone: error ${now.toFixed(1)} (was ${was.toFixed(1)})`);
    });

    test('the Healing brush heals from its Alt+click source; Shift+J cycles back', async () => {
      const { page } = app;
      await page.locator('#stage').focus().catch(() => {});
      await page.keyboard.press('j');
      await page.keyboard.press('Shift+J');
      await page.keyboard.press('Shift+J');
      const source = await clientPoint(page, 60, 100);
      const position = (await history(page)).position;
      await page.keyboard.down('Alt');
      await page.mouse.click(source.x, source.y);
      await page.keyboard.up('Alt');
      await page.evaluate(() => window.retouchApp.settled());
      const set = await page.evaluate(() => window.retouchApp.healSource());
      assert.ok(Math.abs(set.x - 60) < 1 && Math.abs(set.y - 100) < 1, `source at ${JSON.stringify(set)}`);
      assert.equal((await history(page)).position, position, 'setting the source is not a step');
      const { before, after } = await heal({
        tool: 'healing',
        cycles: 2,
        params: { diameter: 16, hardness: 100 },
        points: [[114, 60], [120, 60], [126, 60]],
        name: 'Healing Brush',
        extra: { sourceX: set.x, sourceY: set.y },
        // Healed while painting: the layer has changed before the release,
        // and history has no step for the stroke yet.
        async beforeRelease({ before, position }) {
          await page.evaluate(() => window.retouchApp.settled());
          const during = await layerPixels(page);
          const changed = during.filter((v, i) => v !== before[i]).length;
          assert.ok(changed > 100, `the stroke so far is healed before the release: ${changed} values changed`);
          assert.equal((await history(page)).position, position, 'no step before the release');
        },
      });
      const [was, now] = [blemishError(before, clean), blemishError(after, clean)];
      assert.ok(now < was / 2, `the blemish is covered: error ${now.toFixed(1)} (was ${was.toFixed(1)})`);
      await page.keyboard.press('Shift+J');
      assert.equal(await page.evaluate(() => window.retouchApp.tool()), 'spot_heal');
    });
  });
}
