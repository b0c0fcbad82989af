// "Extend canvas" end to end, in headless Chromium with WebGPU (SwiftShader) and without: the
// Generate panel in its extend mode, filled in as a user does, the offline mock and the OpenAI
// and Stability bridges against the local mock servers (which check every request field: the
// mask's alpha in the new area, Stability's side amounts); a variant is accepted and
//   - the canvas grows by the sides asked for, in one history step,
//   - the old picture's pixels are byte-identical (away from the feathered overlap),
//   - the new area is filled (opaque),
//   - undo restores the old canvas size and the original bytes;
// cancel stops a slow extension and leaves the document as it was.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { startOpenAI, startStability } from '../providers/mock-servers.mjs';
import { openTexturedPicture, fillRequest, generate } from './generate-panel.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const W = 240;
const H = 160;
const OPENAI_KEY = 'sk-test-browser-outpaint-0123456789';
const MOCK = 'retouch.provider.mock';
const OPENAI = 'retouch.provider.openai';
const STABILITY = 'retouch.provider.stability';
const STABILITY_KEY = 'sk-test-stability-outpaint-browser';
/** How far into the old picture an outpaint may blend: the overlap and its feather. */
const BLEND = 32;

requireBuiltPackage();

/** Keeps the composite in the page under `slot`; returns the size, layers and history position. */
async function snapshot(page, slot) {
  return page.evaluate(async (slot) => {
    const app = window.retouchApp;
    const { data } = await app.resultRgba();
    window.testSnap = window.testSnap ?? {};
    window.testSnap[slot] = data;
    return { size: app.size(), layers: app.layers().map((l) => l.name), position: app.history().position };
  }, slot);
}

/** Fills the panel in extend mode, as a user does. */
async function fillExtend(page, { sides, ...request }) {
  await page.check('input[name="gen-mode"][value="extend"]');
  assert.ok(await page.locator('#gen-extend').isVisible(), 'the side fields show in extend mode');
  for (const side of ['left', 'top', 'right', 'bottom']) await page.fill(`#gen-extend-${side}`, String(sides[side] ?? 0));
  await fillRequest(page, request);
}

/** The plan the page will make for an extension and the size of the image it sends. */
async function planFor(page, providerId, prompt, sides) {
  return page.evaluate(
    async ({ providerId, prompt, sides }) => {
      const { wasm } = window.testKit;
      const { width, height, data } = await window.retouchApp.resultRgba();
      const image = wasm.Image.fromRgba(width, height, data);
      try {
        const job = wasm.planOutpaintJob(providerId, image, { prompt, variants: 1, ...sides });
        const sent = wasm.Image.decode(job.imagePng);
        const sentSize = [sent.width, sent.height];
        sent.free();
        return { plan: job.plan, sentSize };
      } finally {
        image.free();
      }
    },
    { providerId, prompt, sides },
  );
}

/** Accepts variant `index`, checks the grown canvas and its pixels, undoes and checks again. */
async function acceptAndUndo(page, index, state, sides, label) {
  const before = await snapshot(page, 'before');
  await page.click(`#gen-variants-list button[data-variant="${index}"]`);
  await page.evaluate(() => window.retouchApp.settled());
  const after = await snapshot(page, 'after');
  const width = W + sides.left + sides.right;
  const height = H + sides.top + sides.bottom;
  assert.deepEqual(after.size, { width, height }, `${label}: the canvas grew`);
  assert.equal(after.layers.length, before.layers.length + 1, `${label}: one new layer`);
  assert.equal(after.position, before.position + 1, `${label}: one history step`);
  assert.equal(await page.evaluate(() => document.querySelector('#result').width), width, `${label}: the view follows`);
  const check = await page.evaluate(
    ({ W, H, sides, width, BLEND }) => {
      const now = window.testSnap.after;
      const was = window.testSnap.before;
      let changedOld = 0;
      let unfilled = 0;
      let first = null;
      for (let y = 0; y < height(); y++) {
        for (let x = 0; x < width; x++) {
          const o = (y * width + x) * 4;
          const ox = x - sides.left;
          const oy = y - sides.top;
          const old = ox >= 0 && oy >= 0 && ox < W && oy < H;
          if (!old) {
            if (now[o + 3] !== 255) unfilled++;
            continue;
          }
          const near = (sides.left && ox < BLEND) || (sides.right && ox >= W - BLEND) || (sides.top && oy < BLEND) || (sides.bottom && oy >= H - BLEND);
          if (near) continue;
          const p = (oy * W + ox) * 4;
          for (let c = 0; c < 4; c++) {
            if (now[o + c] !== was[p + c]) {
              changedOld++;
              first ??= { x, y };
              break;
            }
          }
        }
      }
      function height() {
        return now.length / 4 / width;
      }
      return { changedOld, unfilled, first };
    },
    { W, H, sides, width, BLEND },
  );
  assert.equal(check.changedOld, 0, `${label}: old pixels changed, first at ${JSON.stringify(check.first)}`);
  assert.equal(check.unfilled, 0, `${label}: the new area is filled`);
  const layer = await page.evaluate(() => window.retouchApp.layers().at(-1));
  assert.equal(layer.name, state.variants[index].name);
  assert.deepEqual([layer.x, layer.y], [state.variants[index].offsetX, state.variants[index].offsetY]);

  await page.click('#undo');
  await page.evaluate(() => window.retouchApp.settled());
  const undone = await snapshot(page, 'undone');
  assert.deepEqual(undone.size, { width: W, height: H }, `${label}: undo restores the canvas size`);
  assert.deepEqual(undone.layers, before.layers);
  const same = await page.evaluate(() => window.testSnap.undone.every((v, i) => v === window.testSnap.before[i]) && window.testSnap.undone.length === window.testSnap.before.length);
  assert.ok(same, `${label}: after undo the composite is the original bytes`);
  assert.equal(await page.evaluate(() => document.querySelector('#result').width), W, `${label}: the view follows the undo`);
}

for (const config of CONFIGS) {
  describe(`extend canvas, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let openai;
    let stability;
    const stabilityExpect = { apiKey: STABILITY_KEY, imageSize: [0, 0] };
    const openaiExpect = { apiKey: OPENAI_KEY, imageSize: [0, 0], model: 'gpt-image-1' };

    before(async () => {
      server = await startServer();
      openai = await startOpenAI(openaiExpect);
      stability = await startStability(stabilityExpect);
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      await app.page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 20 }));
      await openTexturedPicture(app.page, W, H);
    });

    after(async () => {
      await browser?.close();
      await openai?.close();
      await stability?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
    });

    test('extend mode needs no selection, but at least one side', async () => {
      const { page } = app;
      await page.evaluate(() => window.retouchApp.run('select.none'));
      await page.check('input[name="gen-mode"][value="extend"]');
      for (const side of ['left', 'top', 'right', 'bottom']) await page.fill(`#gen-extend-${side}`, '0');
      assert.ok(await page.locator('#gen-run').isDisabled(), 'no side: Generate is off');
      await page.fill('#gen-extend-right', '40');
      assert.ok(await page.locator('#gen-run').isEnabled(), 'no selection needed to extend');
      await page.check('input[name="gen-mode"][value="fill"]');
      assert.ok(await page.locator('#gen-extend').isHidden());
      assert.ok(await page.locator('#gen-run').isDisabled(), 'a fill needs a selection');
    });

    test('offline mock: two variants, accept one, the canvas grows, undo restores it', async () => {
      const { page, errors } = app;
      const sides = { left: 48, top: 0, right: 0, bottom: 32 };
      await fillExtend(page, { provider: MOCK, prompt: 'more garden', sides, variants: 2 });
      const state = await generate(page);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(state.variants.length, 2);
      assert.equal(state.plan.operation, 'outpaint');
      for (const v of state.variants) {
        assert.equal(v.metrics.changedOutside, 0);
        assert.deepEqual(v.extend && [v.extend.left, v.extend.top, v.extend.right, v.extend.bottom], [48, 0, 0, 32]);
      }
      await acceptAndUndo(page, 1, state, sides, 'offline mock');
      assert.deepEqual(errors, []);
    });

    test('cancel stops an extension and leaves the canvas as it was', async () => {
      const { page } = app;
      const before = await snapshot(page, 'cancel');
      await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 5000 }));
      try {
        await fillExtend(page, { provider: MOCK, prompt: 'slow', sides: { top: 40 } });
        await page.click('#gen-run');
        await page.waitForFunction(() => window.retouchApp.generation.state().running);
        assert.ok(await page.locator('#gen-progress').isVisible(), 'progress shows while it runs');
        await page.click('#gen-cancel');
        await page.evaluate(() => window.retouchApp.generation.settled());
      } finally {
        await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 20 }));
      }
      const state = await page.evaluate(() => window.retouchApp.generation.state());
      assert.equal(state.error?.kind, 'cancelled');
      assert.equal(state.variants.length, 0);
      const now = await snapshot(page, 'cancelled');
      assert.deepEqual(now, before, 'size, layers and history are unchanged');
    });

    test('OpenAI through the mock server: transparent new area masked, canvas grows, undo', async () => {
      const { page, errors } = app;
      const sides = { left: 0, top: 0, right: 64, bottom: 0 };
      const prompt = 'the rest of the lake';
      const { plan } = await planFor(page, OPENAI, prompt, sides);
      const sx = plan.width / plan.crop.width;
      const sy = plan.height / plan.crop.height;
      Object.assign(openaiExpect, {
        imageSize: [plan.width, plan.height],
        prompt: plan.prompt,
        editPoint: [Math.floor((W + 60 - plan.crop.x) * sx), Math.floor((H / 2 - plan.crop.y) * sy)],
        keepPoint: [1, Math.floor((H / 2 - plan.crop.y) * sy)],
      });
      const requests = openai.requests.length;
      await fillExtend(page, { provider: OPENAI, prompt, sides, key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
      const state = await generate(page);
      assert.deepEqual(openai.violations, []);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(openai.requests.length - requests, 1);
      assert.equal(state.plan.size, `${plan.width}x${plan.height}`);
      await acceptAndUndo(page, 0, state, sides, 'OpenAI');
      assert.deepEqual(errors, []);
    });

    test('Stability through the mock server: its outpaint endpoint with the plan’s sides, canvas grows, undo', async () => {
      const { page, errors } = app;
      const sides = { left: 0, top: 0, right: 0, bottom: 48 };
      const prompt = 'the shore below';
      const { plan, sentSize } = await planFor(page, STABILITY, prompt, sides);
      const { left, right, up, down } = plan.outpaint.native;
      Object.assign(stabilityExpect, { imageSize: sentSize, prompt: plan.prompt, outpaint: [left, right, up, down] });
      const requests = stability.requests.length;
      await fillExtend(page, { provider: STABILITY, prompt, sides, key: STABILITY_KEY, baseUrl: stability.origin });
      const state = await generate(page);
      assert.deepEqual(stability.violations, []);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.deepEqual(stability.requests.slice(requests).map((r) => r.path), ['/v2beta/stable-image/edit/outpaint']);
      await acceptAndUndo(page, 0, state, sides, 'Stability');
      assert.deepEqual(errors, []);
    });
  });
}
