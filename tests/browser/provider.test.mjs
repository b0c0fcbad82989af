// "Generate fill" end to end, in headless Chromium with WebGPU (SwiftShader) and without:
// a marquee selection, the panel filled in as a user does, the bridge talking to the local mock
// servers (tests/providers/mock-servers.mjs, which check every field of every request) or to the
// offline mock; the variants are staged, one is accepted as a new layer, and
//   - every pixel of the composite outside the feathered mask is bit-identical to before,
//   - undo removes the layer and the composite is the original bytes again;
// failures (401, moderation blocks) show the provider's message and leave the document
// untouched; cancel stops a slow provider and the offline mock; the key stays out of the
// project, the URL and storage unless the user opts in. No test touches the internet.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { startOpenAI, startGemini, startStability } from '../providers/mock-servers.mjs';
import { openTexturedPicture, fillRequest, generate } from './generate-panel.mjs';

const CONFIGS = [
  // The 2D canvas draws the view (read back from the GPU), so its pixels can be read; present.test.mjs checks the WebGPU canvas.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu&present=2d', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const W = 240;
const H = 160;
const SELECT = { x: 90, y: 50, width: 64, height: 48 };
const FEATHER = 4;
const OPENAI_KEY = 'sk-test-browser-0123456789abcdef';
const GEMINI_KEY = 'AIza-test-browser-0123456789';
const GEMINI_MODEL = 'gemini-2.5-flash-image';
const STABILITY_KEY = 'sk-test-stability-0123456789';
const IDS = {
  fill: 'retouch.fill.content-aware',
  mock: 'retouch.provider.mock',
  openai: 'retouch.provider.openai',
  gemini: 'retouch.provider.gemini',
  stability: 'retouch.provider.stability',
};

requireBuiltPackage();

async function selectRegion(page) {
  await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), SELECT);
}

/** What the document looks like: layers, history length and the composite's bytes (kept in the page). */
async function snapshot(page, slot) {
  return page.evaluate(async (slot) => {
    const app = window.retouchApp;
    const { data } = await app.resultRgba();
    window.testSnap = window.testSnap ?? {};
    window.testSnap[slot] = data;
    return { layers: app.layers().map((l) => l.name), history: app.history().entries.length, position: app.history().position };
  }, slot);
}

/** Compares the composite now with a stored one: all differences, and those outside the feathered selection. */
async function compareWith(page, slot) {
  return page.evaluate(
    async ({ slot, W, H, feather }) => {
      const { wasm } = window.testKit;
      const { data } = await window.retouchApp.resultRgba();
      const before = window.testSnap[slot];
      const selection = wasm.Mask.fromValues(W, H, await window.retouchApp.selectionValues());
      window.testCpu = window.testCpu ?? (await wasm.createEngine('cpu'));
      const feathered = await window.testCpu.feather(selection, feather);
      const coverage = feathered.values();
      selection.free();
      feathered.free();
      let differing = 0;
      let outside = 0;
      let firstOutside = null;
      for (let i = 0; i < W * H; i++) {
        let same = true;
        for (let c = 0; c < 4; c++) if (data[i * 4 + c] !== before[i * 4 + c]) same = false;
        if (same) continue;
        differing++;
        if (coverage[i] === 0) {
          outside++;
          firstOutside ??= { x: i % W, y: Math.floor(i / W), now: [...data.slice(i * 4, i * 4 + 4)], was: [...before.slice(i * 4, i * 4 + 4)] };
        }
      }
      return { differing, outside, firstOutside };
    },
    { slot, W, H, feather: FEATHER },
  );
}

/** The plan the page will make for a provider (to tell the mock server what to expect). */
async function planFor(page, providerId, prompt, variants) {
  return page.evaluate(
    async ({ providerId, prompt, variants, feather, W, H }) => {
      const { wasm } = window.testKit;
      const { data } = await window.retouchApp.resultRgba();
      const image = wasm.Image.fromRgba(W, H, data);
      const mask = wasm.Mask.fromValues(W, H, await window.retouchApp.selectionValues());
      try {
        const job = wasm.planProviderJob(providerId, image, mask, { prompt, feather, variants });
        return job.plan;
      } finally {
        image.free();
        mask.free();
      }
    },
    { providerId, prompt, variants, feather: FEATHER, W, H },
  );
}

/** A point of the selection's centre and one of the crop's corner, in the sent image's pixels. */
function probePoints(plan) {
  const sx = plan.width / plan.crop.width;
  const sy = plan.height / plan.crop.height;
  const cx = SELECT.x + SELECT.width / 2 - plan.crop.x;
  const cy = SELECT.y + SELECT.height / 2 - plan.crop.y;
  return { editPoint: [Math.floor(cx * sx), Math.floor(cy * sy)], keepPoint: [1, 1] };
}

/** Fills the panel in as a user does. */
async function fillPanel(page, request) {
  await fillRequest(page, request);
  await page.fill('#gen-feather', String(FEATHER));
}

/** Accepts variant `index` through its button, checks the layer, the pixels and undo. */
async function acceptAndUndo(page, index, state, label) {
  const before = await snapshot(page, 'before');
  await page.click(`#gen-variants-list button[data-variant="${index}"]`);
  await page.evaluate(() => window.retouchApp.settled());
  const after = await snapshot(page, 'after');
  assert.equal(after.layers.length, before.layers.length + 1, `${label}: one new layer`);
  assert.equal(after.layers.at(-1), state.variants[index].name, `${label}: the layer is on top, named after the prompt`);
  assert.equal(after.history, after.position);
  assert.equal(after.position, before.position + 1, `${label}: one history step`);
  const active = await page.evaluate(() => window.retouchApp.layers().at(-1));
  assert.equal(active.x, state.variants[index].offsetX);
  assert.equal(active.y, state.variants[index].offsetY);

  const diff = await compareWith(page, 'before');
  assert.equal(diff.outside, 0, `${label}: pixels changed outside the feathered mask: ${JSON.stringify(diff.firstOutside)}`);
  assert.ok(diff.differing > 0, `${label}: the fill changed nothing`);

  await page.click('#undo');
  await page.evaluate(() => window.retouchApp.settled());
  const undone = await snapshot(page, 'undone');
  assert.deepEqual(undone.layers, before.layers, `${label}: undo removes the layer`);
  const back = await compareWith(page, 'before');
  assert.equal(back.differing, 0, `${label}: after undo the composite is the original bytes`);
  return after;
}

async function assertUntouched(page, before, label) {
  const now = await page.evaluate(() => ({
    layers: window.retouchApp.layers().map((l) => l.name),
    history: window.retouchApp.history().entries.length,
    position: window.retouchApp.history().position,
  }));
  assert.deepEqual(now, before, `${label}: the document's layers and history are unchanged`);
  const diff = await compareWith(page, 'untouched');
  assert.equal(diff.differing, 0, `${label}: the composite is unchanged`);
}

for (const config of CONFIGS) {
  describe(`generate fill, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let openai;
    let gemini;
    let stability;
    const openaiExpect = { apiKey: OPENAI_KEY, imageSize: [0, 0], model: 'gpt-image-1' };
    const geminiExpect = { apiKey: GEMINI_KEY, model: GEMINI_MODEL, imageSize: [0, 0], answerSize: [1024, 1024] };
    const stabilityExpect = { apiKey: STABILITY_KEY, imageSize: [0, 0] };

    before(async () => {
      server = await startServer();
      openai = await startOpenAI(openaiExpect, { slowMs: 6000 });
      gemini = await startGemini(geminiExpect);
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
      await gemini?.close();
      await stability?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      const backend = await app.page.evaluate(() => window.retouchApp.backend());
      assert.equal(backend, config.expect, `backend ${backend}: ${await app.page.evaluate(() => window.retouchApp.adapter())}`);
      assert.equal(await app.page.locator('#backend').getAttribute('data-backend'), config.expect);
    });

    test('the panel lists the offline Content-Aware Fill first and chosen, then the mock and the providers; Generate needs a selection', async () => {
      const { page } = app;
      const options = await page.$$eval('#gen-provider option', (list) => list.map((o) => [o.value, o.textContent]));
      assert.deepEqual(options.map(([v]) => v), [IDS.fill, IDS.mock, IDS.openai, IDS.gemini, 'retouch.provider.stability']);
      assert.equal(await page.inputValue('#gen-provider'), IDS.fill);
      assert.ok(await page.locator('#gen-key-row').isHidden(), 'the offline fill needs no key');
      await page.selectOption('#gen-provider', IDS.mock);
      assert.ok(await page.locator('#gen-key-row').isHidden(), 'the offline mock needs no key');
      await page.selectOption('#gen-provider', IDS.openai);
      const models = await page.$$eval('#gen-model option', (list) => list.map((o) => o.value));
      assert.ok(models.includes('gpt-image-1'), `models ${models}`);
      assert.ok(await page.locator('#gen-key-row').isVisible());
      await page.selectOption('#gen-provider', IDS.mock);
      await page.evaluate(() => window.retouchApp.run('select.none'));
      assert.ok(await page.locator('#gen-run').isDisabled(), 'nothing selected: Generate is off');
      assert.ok(await page.locator('#goto-generate').isDisabled());
      await selectRegion(page);
      assert.ok(await page.locator('#gen-run').isEnabled());
      await page.click('#goto-generate');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'gen-prompt', 'the toolbar button leads to the prompt');
      await page.evaluate(() => document.activeElement?.blur());
    });

    test('offline mock: two variants side by side, accept one as a layer, undo', async () => {
      const { page, errors } = app;
      await selectRegion(page);
      await fillPanel(page, { provider: IDS.mock, prompt: 'a calm blue pond', variants: 2 });
      const state = await generate(page);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(state.variants.length, 2);
      assert.equal(await page.locator('#gen-variants-list .gen-variant').count(), 2);
      assert.equal(await page.locator('#gen-variants-list canvas').count(), 2);
      for (const v of state.variants) {
        assert.equal(v.metrics.changedOutside, 0);
        assert.ok(Number.isFinite(v.metrics.edgeDeltaE) && Number.isFinite(v.metrics.insideDeltaE));
        assert.equal(v.provenance.harmonised, true, 'harmonised by default');
        assert.equal(v.provenance.provider, IDS.mock);
      }
      const metric = await page.locator('#gen-variants-list .gen-metric').first().textContent();
      assert.match(metric, /Seam ΔE \d+\.\d\d .*Outside mask: 0 px/);
      // Tabbing to (or pointing at) a variant previews it on the canvas (display only);
      // leaving restores it. Focus drives it here: a pointer resting where the list
      // appears makes hover timing-dependent, focus is not.
      const centre = { x: SELECT.x + SELECT.width / 2, y: SELECT.y + SELECT.height / 2 };
      const pixel = () => page.evaluate(({ x, y }) => [...document.querySelector('#result').getContext('2d').getImageData(x, y, 1, 1).data].join(), centre);
      await page.mouse.move(1, 1);
      await page.evaluate(() => window.retouchApp.settled());
      const plain = await pixel();
      await page.focus('#gen-variants-list .gen-variant[data-variant="0"] button');
      await page.waitForFunction(({ x, y, plain }) => [...document.querySelector('#result').getContext('2d').getImageData(x, y, 1, 1).data].join() !== plain, { ...centre, plain });
      assert.equal((await snapshot(page, 'hovered')).layers.length, 1, 'a preview is not an edit');
      await page.evaluate(() => document.activeElement?.blur());
      await page.waitForFunction(({ x, y, plain }) => [...document.querySelector('#result').getContext('2d').getImageData(x, y, 1, 1).data].join() === plain, { ...centre, plain });
      assert.equal(await pixel(), plain);
      await acceptAndUndo(page, 1, state, 'offline mock');
      assert.equal(await page.locator('#gen-staging').isHidden(), true, 'accepting clears the staging');
      assert.deepEqual(errors, []);
    });

    test('OpenAI through the mock server: well-formed request, new layer, only masked pixels change, undo', async () => {
      const { page, errors } = app;
      await selectRegion(page);
      const prompt = 'a red kite in the sky';
      const plan = await planFor(page, IDS.openai, prompt, 2);
      Object.assign(openaiExpect, { imageSize: [plan.width, plan.height], prompt: plan.prompt, ...probePoints(plan) });
      const requests = openai.requests.length;
      await fillPanel(page, { provider: IDS.openai, prompt, variants: 2, key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
      const state = await generate(page);
      assert.deepEqual(openai.violations, []);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(openai.requests.length - requests, 1, 'two variants in one call');
      assert.equal(state.variants.length, 2);
      assert.equal(state.plan.size, `${plan.width}x${plan.height}`);
      const after = await acceptAndUndo(page, 0, state, 'OpenAI');
      assert.equal(after.layers.at(-1), state.variants[0].name);
      assert.deepEqual(errors, []);
    });

    test('provenance of the accepted layer downloads as a JSON sidecar', async () => {
      const { page } = app;
      await selectRegion(page);
      await fillPanel(page, { provider: IDS.mock, prompt: 'moss on the stones', variants: 1 });
      const state = await generate(page);
      await page.click('#gen-variants-list button[data-variant="0"]');
      await page.evaluate(() => window.retouchApp.settled());
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#gen-provenance')]);
      assert.match(download.suggestedFilename(), /\.provenance\.json$/);
      const json = JSON.parse(await readFile(await download.path(), 'utf8'));
      assert.equal(json.provider, IDS.mock);
      assert.equal(json.prompt, state.plan.prompt);
      assert.deepEqual(json.crop, state.variants[0].provenance.crop);
      // The provenance is part of the project: a saved .ora carries it.
      const saved = await page.evaluate(async () => {
        const bytes = await window.retouchApp.projectBytes();
        const project = window.testKit.wasm.Project.fromOra(bytes);
        const layer = project.layers().at(-1);
        const text = project.provenance(layer.id) ?? null;
        project.free();
        return text;
      });
      assert.ok(saved, 'the saved project has the layer’s provenance');
      assert.equal(JSON.parse(saved).prompt, state.plan.prompt);
      await page.click('#undo');
      await page.evaluate(() => window.retouchApp.settled());
      assert.ok(await page.locator('#gen-provenance').isDisabled(), 'an undone layer has no provenance to download');
    });

    test('Gemini through the mock server: crop with aspect ratio, no mask, new layer, undo', async () => {
      const { page, errors } = app;
      await selectRegion(page);
      const prompt = 'a wooden bench';
      const plan = await planFor(page, IDS.gemini, prompt, 2);
      Object.assign(geminiExpect, { imageSize: [plan.width, plan.height], aspectRatio: plan.aspectRatio, prompt: plan.prompt });
      const requests = gemini.requests.length;
      await fillPanel(page, { provider: IDS.gemini, prompt, variants: 2, key: GEMINI_KEY, baseUrl: `${gemini.origin}/v1beta` });
      await page.selectOption('#gen-model', GEMINI_MODEL);
      const state = await generate(page);
      assert.deepEqual(gemini.violations, []);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(gemini.requests.length - requests, 2, 'Gemini answers one image per call');
      assert.equal(state.variants.length, 2);
      await acceptAndUndo(page, 1, state, 'Gemini');
      assert.deepEqual(errors, []);
    });

    test('Stability through the mock server: white-is-edit mask, one call per variant, new layer, undo', async () => {
      const { page, errors } = app;
      await selectRegion(page);
      const prompt = 'tall grass';
      const plan = await planFor(page, IDS.stability, prompt, 2);
      Object.assign(stabilityExpect, { imageSize: [plan.width, plan.height], prompt: plan.prompt, ...probePoints(plan) });
      const requests = stability.requests.length;
      await fillPanel(page, { provider: IDS.stability, prompt, variants: 2, key: STABILITY_KEY, baseUrl: stability.origin });
      const state = await generate(page);
      assert.deepEqual(stability.violations, []);
      assert.equal(state.error, null, JSON.stringify(state.error));
      assert.equal(stability.requests.length - requests, 2);
      assert.equal(state.variants.length, 2);
      await acceptAndUndo(page, 0, state, 'Stability');
      assert.deepEqual(errors, []);
    });

    test('a rate limit is retried, then shown with the time to wait; the document is untouched', async () => {
      const { page } = app;
      await selectRegion(page);
      const before = await snapshot(page, 'untouched');
      await page.evaluate(() => window.retouchApp.run('generate.set-options', { policy: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 20000 } }));
      try {
        openai.script.push('rate_limit', 'rate_limit');
        const requests = openai.requests.length;
        await fillPanel(page, { provider: IDS.openai, prompt: 'a red kite in the sky', variants: 1, key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
        const state = await generate(page);
        assert.equal(openai.requests.length - requests, 2, 'one automatic retry after Retry-After');
        assert.equal(state.error?.kind, 'rate_limit', JSON.stringify(state.error));
        assert.equal(state.error.retryAfterMs, 1000);
        assert.match(await page.locator('#gen-error').textContent(), /Rate limited: Rate limit exceeded .* Try again in 1\.0 s\./);
        await assertUntouched(page, before, 'rate limit');

        // One 429, then the answer: the retry makes it work.
        openai.script.push('rate_limit');
        const retried = await generate(page);
        assert.equal(retried.error, null, JSON.stringify(retried.error));
        assert.equal(retried.variants.length, 1);
        await page.click('#gen-discard');
        assert.ok(await page.locator('#gen-staging').isHidden());
        await assertUntouched(page, before, 'discarded');
        assert.deepEqual(openai.violations, []);
      } finally {
        await page.evaluate(() => window.retouchApp.run('generate.set-options', { policy: undefined }));
      }
    });

    test('a 401 and moderation blocks show the provider’s message and leave the document untouched', async () => {
      const { page } = app;
      await selectRegion(page);
      const before = await snapshot(page, 'untouched');

      openai.script.push('auth');
      await fillPanel(page, { provider: IDS.openai, prompt: 'a red kite in the sky', variants: 1, key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
      let state = await generate(page);
      assert.equal(state.error?.kind, 'auth', JSON.stringify(state.error));
      assert.equal(state.error.status, 401);
      const shown = await page.locator('#gen-error').textContent();
      assert.match(shown, /Authentication failed: Incorrect API key provided/);
      assert.equal(await page.locator('#gen-error').getAttribute('data-kind'), 'auth');
      assert.equal(state.variants.length, 0);
      await assertUntouched(page, before, '401');

      openai.script.push('blocked');
      state = await generate(page);
      assert.equal(state.error?.kind, 'content_blocked');
      assert.match(await page.locator('#gen-error').textContent(), /content policy: Your request was rejected by the safety system/);
      await assertUntouched(page, before, 'OpenAI moderation');

      gemini.script.push('image_safety');
      await fillPanel(page, { provider: IDS.gemini, prompt: 'a wooden bench', variants: 1, key: GEMINI_KEY, baseUrl: `${gemini.origin}/v1beta` });
      state = await generate(page);
      assert.equal(state.error?.kind, 'content_blocked');
      assert.match(await page.locator('#gen-error').textContent(), /IMAGE_SAFETY/);
      await assertUntouched(page, before, 'Gemini IMAGE_SAFETY');
      assert.deepEqual(openai.violations, []);
      assert.deepEqual(gemini.violations, []);
    });

    test('cancel stops a slow provider and the offline mock; the document is untouched', async () => {
      const { page } = app;
      await selectRegion(page);
      const before = await snapshot(page, 'untouched');

      openai.script.push('slow');
      await fillPanel(page, { provider: IDS.openai, prompt: 'a red kite in the sky', variants: 1, key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
      const requests = openai.requests.length;
      await page.click('#gen-run');
      assert.ok(await page.locator('#gen-progress').isVisible(), 'a progress indicator while running');
      const deadline = Date.now() + 10_000;
      while (openai.requests.length === requests && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(openai.requests.length, requests + 1, 'the request reached the server');
      const started = Date.now();
      await page.click('#gen-cancel');
      await page.evaluate(() => window.retouchApp.generation.settled());
      assert.ok(Date.now() - started < 3000, 'cancel does not wait for the slow answer');
      let state = await page.evaluate(() => window.retouchApp.generation.state());
      assert.equal(state.error?.kind, 'cancelled');
      assert.equal(state.running, false);
      assert.ok(await page.locator('#gen-progress').isHidden());
      await assertUntouched(page, before, 'cancelled OpenAI');

      await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 5000 }));
      await fillPanel(page, { provider: IDS.mock, prompt: 'a calm blue pond', variants: 2 });
      await page.click('#gen-run');
      await page.click('#gen-cancel');
      await page.evaluate(() => window.retouchApp.generation.settled());
      state = await page.evaluate(() => window.retouchApp.generation.state());
      assert.equal(state.error?.kind, 'cancelled');
      assert.equal(state.variants.length, 0);
      await assertUntouched(page, before, 'cancelled mock');
      await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 20 }));
    });

    test('the API key stays in memory: not in the project, the autosave, the URL or storage without the opt-in', async () => {
      const { page } = app;
      await page.selectOption('#gen-provider', IDS.openai);
      await page.fill('#gen-key', OPENAI_KEY);
      const seen = await page.evaluate(async (key) => {
        const bytes = await window.retouchApp.projectBytes();
        await window.retouchApp.run('file.autosave-now');
        const text = new TextDecoder('latin1').decode(bytes);
        const stored = Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`).join('\n');
        return { project: text.includes(key), url: location.href.includes(key), stored: stored.includes(key) };
      }, OPENAI_KEY);
      assert.deepEqual(seen, { project: false, url: false, stored: false });

      await page.check('#gen-remember');
      assert.equal(await page.evaluate(() => localStorage.getItem('retouch.apiKey.retouch.provider.openai')), OPENAI_KEY);
      await page.uncheck('#gen-remember');
      assert.equal(await page.evaluate(() => localStorage.getItem('retouch.apiKey.retouch.provider.openai')), null);
      // Nothing the page logged (errors included: 401s, blocks, cancels above) carries a key.
      for (const line of app.consoleErrors) {
        for (const key of [OPENAI_KEY, GEMINI_KEY, STABILITY_KEY]) assert.ok(!line.includes(key), `a console error carries a key: ${line}`);
      }
    });
  });
}
