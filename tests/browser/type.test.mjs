// Text layers in the page through the Type commands (issue 18), with WebGPU
// (SwiftShader; the page must run on the GPU) and without (CPU fallback), on
// a real photograph: a headline is added (one step, the native CLI's
// `render-text` pixels bit for bit), its style changed (rendered again, one
// step), moved, the move undone, the page reloaded from the autosave (still
// a text layer with the same source and pixels), and the export equals what
// the CLI exports for the same project (bit for bit on the CPU page, within
// ±1 on the GPU page, whose composite is blended on the GPU). A WOFF2 font
// the user opens sets the same pixels as its TrueType file in the CLI.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, clientPoint } from './harness.mjs';
import { cli, run, buildCli } from '../cli.mjs';

const CONFIGS = [
  // The GPU page composites on the GPU: the blend is within ±1 of the CPU's.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu', tolerance: 1 },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu', tolerance: 0 },
];
const PHOTO_PATH = fileURLToPath(new URL('../../crate/tests/photos/chelsea.png', import.meta.url));
const out = fileURLToPath(new URL('../out/type/', import.meta.url));
const HEADLINE = 'Summer Sale — AV fi';

requireBuiltPackage();

/** The CLI's files for the edited headline: render-text's PNG and the exported project. */
function cliReferences() {
  buildCli();
  mkdirSync(out, { recursive: true });
  const style = ['--text', HEADLINE, '--size', '36', '--color', '#1060c0'];
  run(cli, ['render-text', ...style, '-o', `${out}text.png`]);
  run(cli, ['render-text', '--text', HEADLINE, '--size', '28', '--color', '#c81e28', '-o', `${out}first.png`]);
  run(cli, ['project', 'new', `${out}p.ora`, '--from', PHOTO_PATH]);
  run(cli, ['project', 'add-text', `${out}p.ora`, ...style, '--at', '10,20']);
  run(cli, ['export', `${out}p.ora`, '-o', `${out}export.png`]);
  return {
    first: [...readFileSync(`${out}first.png`)],
    edited: [...readFileSync(`${out}text.png`)],
    exported: [...readFileSync(`${out}export.png`)],
  };
}

/** How many bytes of the active layer's pixels differ from a PNG (decoded by the core); -1: another size. */
const layerDiffers = (page, png) =>
  page.evaluate(async (png) => {
    const app = window.retouchApp;
    await app.settled();
    const layer = await app.layerPixels(app.activeLayerId());
    const decoded = window.testKit.wasm.decodeImageFile(new Uint8Array(png));
    if (decoded.width !== layer.width || decoded.height !== layer.height) return -1;
    const want = decoded.takeRgba();
    return want.reduce((n, v, i) => n + (v !== layer.data[i]), 0);
  }, png);

const source = (page) => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.run('type.source')));
const lastStep = (page) => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.history().entries.at(-1).name));

for (const config of CONFIGS) {
  describe(`type layers, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let references;

    before(async () => {
      references = cliReferences();
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    test('type, restyle, move, undo, reload from the autosave, export: the CLI\'s pixels throughout', async () => {
      const { page } = app;
      const bytes = [...readFileSync(PHOTO_PATH)];
      await page.evaluate(async (bytes) => {
        await window.retouchApp.run('file.start-fresh');
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' });
      }, bytes);

      await page.evaluate((text) => window.retouchApp.run('type.add', { x: 10, y: 20, text, size: 28, color: '#c81e28' }), HEADLINE);
      assert.equal(await lastStep(page), 'Add Text');
      assert.equal(await layerDiffers(page, references.first), 0, 'the page renders what render-text does');

      await page.evaluate(() => window.retouchApp.run('type.edit', { size: 36, color: '#1060c0' }));
      assert.equal(await lastStep(page), 'Edit Text');
      assert.equal(await layerDiffers(page, references.edited), 0, 'restyled: rendered again');
      const edited = await source(page);
      assert.deepEqual([edited.text, edited.size, edited.color, edited.x, edited.y], [HEADLINE, 36, '#1060c0ff', 10, 20]);

      const layer = await page.evaluate(() => window.retouchApp.layers().find((l) => l.id === window.retouchApp.activeLayerId()));
      assert.equal(layer.isText, true);
      await page.evaluate(({ x, y }) => window.retouchApp.run('layer.set-properties', { x: x + 15, y: y + 5 }), layer);
      assert.deepEqual([(await source(page)).x, (await source(page)).y], [25, 25], 'the text moves with its layer');
      await page.keyboard.press('Control+z');
      assert.deepEqual(await source(page), edited, 'undo puts it back');

      await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
      await page.reload();
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await page.waitForFunction(() => window.retouchApp.recovered() !== null);
      await installTestKit(page);
      const recovered = await page.evaluate(() => window.retouchApp.layers().at(-1));
      assert.equal(recovered.isText, true);
      await page.evaluate((id) => window.retouchApp.run('layer.select', { id }), recovered.id);
      assert.deepEqual(await source(page), edited, 'the autosave kept the source');
      assert.equal(await layerDiffers(page, references.edited), 0);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.evaluate(() => window.retouchApp.run('file.export', { format: 'png' })),
      ]);
      const exported = [...readFileSync(await download.path())];
      const { largest, count } = await page.evaluate(({ exported, reference }) => {
        const decode = (b) => window.testKit.wasm.decodeImageFile(new Uint8Array(b));
        const [a, b] = [decode(exported), decode(reference)];
        if (a.width !== b.width || a.height !== b.height) return { largest: 256, count: -1 };
        const [x, y] = [a.takeRgba(), b.takeRgba()];
        let [largest, count] = [0, 0];
        for (let i = 0; i < x.length; i++) {
          const d = Math.abs(x[i] - y[i]);
          largest = Math.max(largest, d);
          count += d > 0;
        }
        return { largest, count };
      }, { exported, reference: references.exported });
      assert.ok(largest <= config.tolerance, `the export is the CLI's export of the same project (${count} values differ, by up to ${largest})`);
    });

    test('a WOFF2 font the user opens sets the text its TrueType file sets in the CLI', async () => {
      const { page } = app;
      // The same Noto Sans cut as TTF and WOFF2, both written by fontTools.
      const fixtures = fileURLToPath(new URL('../../crate/src/text/fixtures/', import.meta.url));
      const [text, size, color] = ['Web fonts: AV Wa fi', 40, '#202020'];
      const reference = `${out}woff2-as-ttf.png`;
      run(cli, ['render-text', '--text', text, '--size', `${size}`, '--color', color, '--font', `${fixtures}NotoSans-Latin.ttf`, '-o', reference]);
      const woff2 = [...readFileSync(`${fixtures}NotoSans-Latin.woff2`)];
      const name = await page.evaluate((bytes) => window.retouchApp.run('type.openFont', { name: 'NotoSans-Latin.woff2', bytes: new Uint8Array(bytes) }), woff2);
      assert.match(name, /Noto|woff2/i);
      await page.evaluate((t) => window.retouchApp.run('type.add', { x: 5, y: 5, ...t }), { text, size, color });
      assert.equal(await lastStep(page), 'Add Text');
      assert.equal(await layerDiffers(page, [...readFileSync(reference)]), 0, 'the page sets what render-text sets with the TTF');
    });

    test('the Type tool: click to set the text from its options, change an option to restyle it', async () => {
      const { page } = app;
      const bytes = [...readFileSync(PHOTO_PATH)];
      await page.evaluate(async (bytes) => {
        await window.retouchApp.run('file.start-fresh');
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' });
      }, bytes);
      await page.keyboard.press('t');
      const options = page.locator('#tool-params [data-tool="type"]');
      await options.locator('textarea[name="text"]').fill('Brand headline');
      await options.locator('input[name="size"]').fill('30');
      const at = await clientPoint(page, 40, 50);
      await page.mouse.click(at.x, at.y);
      // The first text loads the shipped fonts before its edit is queued.
      await page.waitForFunction(() => window.retouchApp.history()?.entries.at(-1)?.name === 'Add Text');
      const placed = await source(page);
      assert.deepEqual([placed.text, placed.size], ['Brand headline', 30]);
      assert.ok(Math.abs(placed.x - 40) <= 1 && Math.abs(placed.y - 50) <= 1, `placed at ${placed.x}, ${placed.y}`);

      await options.locator('input[name="color"]').fill('#ff0000');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal(await lastStep(page), 'Edit Text');
      assert.equal((await source(page)).color, '#ff0000ff');
      await options.locator('textarea[name="text"]').fill('Brand headline, edited');
      await options.locator('input[name="size"]').focus();
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal((await source(page)).text, 'Brand headline, edited');
      const steps = (await page.evaluate(() => window.retouchApp.history())).entries.length;
      await page.keyboard.press('Escape');
      await page.evaluate(() => document.activeElement.blur());
      await page.keyboard.press('Control+z');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal((await page.evaluate(() => window.retouchApp.history())).position, steps - 1);
      assert.equal((await source(page)).text, 'Brand headline', 'one undo step per edit');
    });
  });
}
