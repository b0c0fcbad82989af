// The Brand kit panel end to end, in headless Chromium (CPU fallback): the user types a style,
// adds a palette colour and a reference image through the panel; each is an undoable step; the
// kit survives a reload through the autosave; a fill through the mock OpenAI server carries the
// reference image (byte for byte, as the second image[] part) and the style and palette in the
// prompt, and the page says how many references were sent; the offline mock takes none; with
// "attach" off nothing of the kit is sent. No test touches the internet.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { startOpenAI } from '../providers/mock-servers.mjs';
import { fillRequest, generate } from './generate-panel.mjs';
import { picture } from '../providers/png.mjs';

const W = 240;
const H = 160;
const SELECT = { x: 90, y: 50, width: 64, height: 48 };
const OPENAI_KEY = 'sk-test-brand-browser-0123456789';
const OPENAI = 'retouch.provider.openai';
const MOCK = 'retouch.provider.mock';
const STYLE = 'ink wash, muted greens';
const COLOUR = '#123456';

requireBuiltPackage();

async function openPicture(page) {
  await page.evaluate(async ({ W, H }) => {
    const { randomRgba, pngOf } = window.testKit;
    await window.retouchApp.run('file.open', { bytes: pngOf(W, H, randomRgba(W, H, 11, 'opaque')), name: 'picture.png' });
  }, { W, H });
}

const kit = (page) => page.evaluate(() => window.retouchApp.brandKit());
const historyNames = (page) => page.evaluate(() => window.retouchApp.history().entries.filter((e) => e.applied).map((e) => e.name));

/** The reference images the project holds, as arrays (comparable across the page boundary). */
const storedReferences = (page) =>
  page.evaluate(async () => {
    const bytes = await window.retouchApp.projectBytes();
    const project = window.testKit.wasm.Project.fromOra(bytes);
    try {
      return project.brandReferences().map((png) => Array.from(png));
    } finally {
      project.free();
    }
  });

/** Selects the region and runs one variant of `request` through the panel; returns its state. */
async function fillAndGenerate(page, request) {
  await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), SELECT);
  await fillRequest(page, { ...request, variants: 1 });
  return generate(page);
}

describe('brand kit panel', () => {
  let server;
  let browser;
  let app;
  let openai;
  const openaiExpect = { apiKey: OPENAI_KEY, imageSize: [0, 0], references: 1 };

  before(async () => {
    server = await startServer();
    openai = await startOpenAI(openaiExpect);
    browser = await launchBrowser({ webgpu: false });
    app = await openApp(browser, server.url);
    await installTestKit(app.page);
    await app.page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 10 }));
    await openPicture(app.page);
  });

  after(async () => {
    await browser?.close();
    await openai?.close();
    await server?.close();
  });

  test('style, colour and reference image through the panel, each an undoable step', async () => {
    const { page, errors } = app;
    assert.ok(await page.locator('#brand-attach').isChecked(), 'attach is on by default');
    await page.fill('#brand-style', STYLE);
    await page.locator('#brand-style').blur();
    await page.evaluate((colour) => {
      const input = document.querySelector('#brand-colour');
      input.value = colour;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, COLOUR);
    await page.click('#brand-colour-add');
    await page.setInputFiles('#brand-reference-file', { name: 'reference.png', mimeType: 'image/png', buffer: Buffer.from(picture(1600, 400)) });
    await page.waitForFunction(() => document.querySelectorAll('#brand-references img').length === 1);
    await page.evaluate(() => window.retouchApp.settled());
    assert.deepEqual(await kit(page), { attach: true, style: STYLE, palette: [COLOUR], references: 1, fonts: [], textStyles: [] });
    assert.equal(await page.locator(`#brand-palette [data-colour="${COLOUR}"]`).count(), 1);
    assert.deepEqual((await historyNames(page)).slice(-3), ['Brand style', 'Brand palette', 'Add brand reference']);
    // The core scaled the reference to 1024 px on the long side.
    const size = await page.evaluate(() => {
      const img = document.querySelector('#brand-references img');
      return [img.naturalWidth, img.naturalHeight];
    });
    assert.deepEqual(size, [1024, 256]);

    // A file that is not an image is refused with a message; the kit is unchanged.
    await page.setInputFiles('#brand-reference-file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await page.waitForFunction(() => document.querySelector('#brand-info').dataset.kind === 'error');
    assert.match(await page.textContent('#brand-info'), /Cannot add “notes\.png” as a reference/);
    assert.equal((await kit(page)).references, 1);

    await page.click('#undo');
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(await page.locator('#brand-references img').count(), 0, 'undo removes the reference');
    await page.click('#redo');
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(await page.locator('#brand-references img').count(), 1, 'redo brings it back');
    assert.deepEqual(errors, []);
  });

  test('the kit survives a reload through the autosave', async () => {
    const { page } = app;
    const before = await storedReferences(page);
    assert.equal(before.length, 1);
    await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
    await page.reload();
    await page.waitForFunction(() => window.retouchApp !== undefined);
    await page.evaluate(() => window.retouchApp.ready);
    await installTestKit(page);
    await page.waitForFunction(() => window.retouchApp.recovered() !== null);
    await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 10 }));
    assert.deepEqual(await kit(page), { attach: true, style: STYLE, palette: [COLOUR], references: 1, fonts: [], textStyles: [] });
    assert.equal(await page.inputValue('#brand-style'), STYLE);
    assert.equal(await page.locator('#brand-references img').count(), 1);
    assert.deepEqual(await storedReferences(page), before, 'the same reference bytes');
  });

  test('a fill through the mock OpenAI server carries the reference image, the style and the palette', async () => {
    const { page, errors } = app;
    const [reference] = await storedReferences(page);
    const plan = await page.evaluate(async ({ W, H, rect }) => {
      await window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' });
      const { wasm } = window.testKit;
      const { data } = await window.retouchApp.resultRgba();
      const image = wasm.Image.fromRgba(W, H, data);
      const mask = wasm.Mask.fromValues(W, H, await window.retouchApp.selectionValues());
      try {
        return wasm.planProviderJob('retouch.provider.openai', image, mask, { prompt: 'a lantern', feather: 4 }).plan;
      } finally {
        image.free();
        mask.free();
      }
    }, { W, H, rect: SELECT });
    openaiExpect.imageSize = [plan.width, plan.height];
    const count = openai.requests.length;
    const state = await fillAndGenerate(page, { provider: OPENAI, prompt: 'a lantern', key: OPENAI_KEY, baseUrl: `${openai.origin}/v1` });
    assert.deepEqual(openai.violations, []);
    assert.equal(state.error, null, JSON.stringify(state.error));
    assert.equal(openai.requests.length - count, 1);
    const form = await openai.requests.at(-1).formData();
    const parts = form.getAll('image[]');
    assert.equal(parts.length, 2, 'the crop and one reference');
    assert.deepEqual(Array.from(new Uint8Array(await parts[1].arrayBuffer())), reference, 'the reference arrives byte for byte');
    const prompt = form.get('prompt');
    assert.ok(prompt.startsWith('a lantern'), prompt);
    assert.ok(prompt.includes(`Style: ${STYLE}`), prompt);
    assert.ok(prompt.includes(COLOUR), prompt);
    assert.deepEqual(state.references, { held: 1, sent: 1, text: '1 of 1 reference image sent' });
    assert.match(await page.textContent('#status'), /1 of 1 reference image sent/);
    await page.click('#gen-discard');
    assert.deepEqual(errors, []);
  });

  test('the offline mock takes no references; with attach off nothing of the kit is sent', async () => {
    const { page } = app;
    let state = await fillAndGenerate(page, { provider: MOCK, prompt: 'a lantern' });
    assert.equal(state.error, null, JSON.stringify(state.error));
    assert.equal(state.references.text, '0 of 1 reference image sent; Offline mock takes none');
    assert.ok(state.plan.prompt.includes(`Style: ${STYLE}`));
    await page.click('#gen-discard');

    await page.uncheck('#brand-attach');
    state = await fillAndGenerate(page, { provider: MOCK, prompt: 'a lantern' });
    assert.equal(state.references, null);
    assert.equal(state.plan.prompt, 'a lantern');
    await page.click('#gen-discard');
    await page.check('#brand-attach');
  });
});
