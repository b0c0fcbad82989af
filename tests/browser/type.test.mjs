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
/** What the on-canvas test ends up with after its typing, moves, selection and replacement. */
const TYPED = 'Fresh new Xy, fjord office';

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
  run(cli, ['render-text', '--text', TYPED, '--size', '40', '--color', '#000000', '--width', '520', '-o', `${out}typed.png`]);
  return {
    typed: [...readFileSync(`${out}typed.png`)],
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

/** The photograph opened afresh with the Type tool chosen (T); returns the tool's options. */
async function freshPhotoWithTypeTool(page) {
  const bytes = [...readFileSync(PHOTO_PATH)];
  await page.evaluate(async (bytes) => {
    await window.retouchApp.run('file.start-fresh');
    await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' });
  }, bytes);
  await page.keyboard.press('t');
  return page.locator('#tool-params [data-tool="type"]');
}

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

    test('typing on the canvas: caret, selection, click to place, one undo step, the CLI\'s pixels', async () => {
      const { page } = app;
      const options = await freshPhotoWithTypeTool(page);
      await options.locator('textarea[name="text"]').fill('Placeholder');
      await options.locator('input[name="size"]').fill('40');
      await options.locator('input[name="color"]').fill('#000000');
      await options.locator('input[name="width"]').fill('520');
      const at = await clientPoint(page, 30, 40);
      await page.mouse.click(at.x, at.y);
      await page.waitForFunction(() => window.retouchApp.history()?.entries.at(-1)?.name === 'Add Text');
      await page.waitForSelector('svg.shapes g.typing .type-selection');
      const steps = (await page.evaluate(() => window.retouchApp.history())).entries.length;
      const field = page.locator('textarea.type-input');
      assert.ok(await field.evaluate((el) => el === document.activeElement), 'the keys go to the text');
      assert.deepEqual(await field.evaluate((el) => [el.selectionStart, el.selectionEnd]), [0, 'Placeholder'.length], 'the placeholder is selected');

      // Typing replaces the selected placeholder; the caret follows the text's end.
      await page.keyboard.type('Fresh copy, fjord office');
      await page.evaluate(() => window.retouchApp.settled());
      await page.waitForFunction(() => document.querySelector('textarea.type-input') && !document.querySelector('.type-selection'));
      assert.equal((await source(page)).text, 'Fresh copy, fjord office');
      const caretX = () => page.evaluate(() => Number(document.querySelector('svg.shapes .type-caret')?.getAttribute('x1')));
      const carets = () => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.run('type.carets')));
      let map = await carets();
      assert.ok(Math.abs((await caretX()) - (map.x + map.lines.at(-1).stops.at(-1)[1])) < 0.01, 'the caret stands after the last character');

      // Arrows move the caret, typing inserts there; Shift+arrows select, typing replaces the selection.
      await page.keyboard.press('Control+Home');
      for (let i = 0; i < 'Fresh '.length; i++) await page.keyboard.press('ArrowRight');
      await page.keyboard.type('new ');
      await page.keyboard.down('Shift');
      for (let i = 0; i < 'copy'.length; i++) await page.keyboard.press('ArrowRight');
      await page.keyboard.up('Shift');
      await page.waitForSelector('svg.shapes .type-selection');
      assert.equal(await page.locator('svg.shapes .type-selection').count(), 4, 'one quad per selected character');
      await page.keyboard.type('Xy');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal((await source(page)).text, TYPED);

      // A click in the text puts the caret at the nearest character boundary.
      map = await carets();
      const [index, x] = map.lines[0].stops[3];
      const inText = await clientPoint(page, map.x + x + 1, map.y + map.lines[0].baseline - map.ascent / 2);
      await page.mouse.click(inText.x, inText.y);
      await page.waitForFunction((i) => document.querySelector('textarea.type-input')?.selectionStart === i, index);
      assert.ok(Math.abs((await caretX()) - (map.x + x)) < 0.01);
      await page.screenshot({ path: `${out}typing-${config.expect}.png` });

      // Escape ends editing; everything typed is one step and gives the CLI's pixels.
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('textarea.type-input') && !document.querySelector('svg.shapes g.typing'));
      const history = await page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.history()));
      assert.equal(history.entries.length, steps + 1, 'the typing is one history step');
      assert.equal(history.entries.at(-1).name, 'Edit Text');
      assert.equal(await layerDiffers(page, references.typed), 0, 'the page sets what render-text sets');
      await page.keyboard.press('Control+z');
      await page.evaluate(() => window.retouchApp.settled());
      assert.equal((await source(page)).text, 'Placeholder', 'one undo takes the typing back');

      // Text deleted down to nothing takes its layer with it when editing ends.
      const layers = (await page.evaluate(() => window.retouchApp.layers())).length;
      const again = await clientPoint(page, 4, 130);
      await page.mouse.click(again.x, again.y);
      await page.waitForSelector('textarea.type-input');
      await page.keyboard.press('Backspace');
      await page.keyboard.press('Escape');
      await page.evaluate(() => window.retouchApp.settled());
      await page.waitForFunction((n) => window.retouchApp.layers().length === n, layers);
    });

    test('the Type tool: click to set the text from its options, change an option to restyle it', async () => {
      const { page } = app;
      const options = await freshPhotoWithTypeTool(page);
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
