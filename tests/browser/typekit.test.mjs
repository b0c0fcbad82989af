// Brand type in the page (issue 18), with WebGPU (SwiftShader) and without: a
// kit font and a "headline" style are added in the Brand kit panel (a
// malformed font is refused, nothing changes), the lettering of a text set on
// a real photograph is selected and the Type tool places a new text there in
// the lettering's colour (worked out by the core), then a click on the
// style's button sets it in the headline style (kit font first, size and
// palette colour), undo takes that step back, an unknown style is refused, and
// a reload from the autosave keeps the kit's font and style.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, clientPoint } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
const PHOTO_PATH = fileURLToPath(new URL('../../crate/tests/photos/brick.png', import.meta.url));
const FONT_PATH = fileURLToPath(new URL('../../fonts/shipped/NotoSansArabic-Regular.ttf', import.meta.url));
const LETTERING = '#f5d728';

requireBuiltPackage();

const settled = (page) => page.evaluate(() => window.retouchApp.settled());
const source = (page) => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.run('type.source')));
const lastStep = (page) => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.history().entries.at(-1).name));

/** CIE76 ΔE*ab between two #rrggbb colours (sRGB D65). */
function deltaE(a, b) {
  const lab = (hex) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
    const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
    return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
  };
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

for (const config of CONFIGS) {
  describe(`brand type, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
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

    test('kit font and style, the lettering colour, a style one click away, undo, autosave reload', async () => {
      const { page } = app;
      await page.evaluate(async (bytes) => {
        await window.retouchApp.run('file.start-fresh');
        await window.retouchApp.run('file.open', { bytes: new Uint8Array(bytes), name: 'brick.png' });
      }, [...readFileSync(PHOTO_PATH)]);

      // The kit: a palette colour, a malformed font (refused), a font, a style.
      await page.evaluate(() => (document.querySelector('#brand-colour').value = '#1060c0'));
      await page.click('#brand-colour-add');
      await settled(page);
      const before = await page.evaluate(() => window.retouchApp.history().entries.length);
      await page.setInputFiles('#brand-font-file', { name: 'broken.ttf', mimeType: 'font/ttf', buffer: Buffer.from('not a font at all') });
      await page.waitForFunction(() => document.querySelector('#brand-info').dataset.kind === 'error');
      assert.match(await page.textContent('#brand-info'), /Cannot add the font “broken\.ttf”.*'broken\.ttf'/);
      assert.equal(await page.evaluate(() => window.retouchApp.history().entries.length), before, 'nothing changed');
      await page.setInputFiles('#brand-font-file', { name: 'Brand Arabic.ttf', mimeType: 'font/ttf', buffer: readFileSync(FONT_PATH) });
      await page.waitForFunction(() => document.querySelectorAll('#brand-fonts li').length === 1);
      assert.equal(await lastStep(page), 'Add brand font');
      const form = page.locator('#brand-text-style');
      await form.locator('input[name="name"]').fill('headline');
      await form.locator('input[name="size"]').fill('40');
      await form.locator('select[name="color"]').selectOption('#1060c0');
      await form.locator('button[type="submit"]').click();
      await page.waitForFunction(() => document.querySelectorAll('#brand-text-styles li').length === 1);
      assert.equal(await lastStep(page), 'Brand text style');

      // Lettering on the photograph, selected; the Type tool places text in its colour.
      await page.evaluate((color) => window.retouchApp.run('type.add', { x: 20, y: 30, text: 'SALE', size: 64, color }), LETTERING);
      await page.evaluate(() => window.retouchApp.run('type.rasterize'));
      // A rectangle around the lettering, as a user draws it.
      await page.evaluate(async () => {
        await window.retouchApp.settled();
        const l = window.retouchApp.layers().find((layer) => layer.id === window.retouchApp.activeLayerId());
        const [x, y] = [Math.max(0, l.x - 4), Math.max(0, l.y - 4)];
        await window.retouchApp.run('select.rectangle', { x, y, width: l.x + l.width + 4 - x, height: l.y + l.height + 4 - y, mode: 'replace' });
      });
      await settled(page);
      const picked = await page.evaluate(() => window.retouchApp.run('type.letteringColor'));
      assert.ok(picked && deltaE(picked, LETTERING) <= 3, `picked ${picked} for ${LETTERING}`);
      await page.keyboard.press('t');
      const at = await clientPoint(page, 24, 40);
      await page.mouse.click(at.x, at.y);
      await page.waitForFunction(() => window.retouchApp.history()?.entries.at(-1)?.name === 'Add Text');
      const placed = await source(page);
      assert.equal(placed.color, `${picked}ff`, 'placed in the lettering colour');

      // One click on the style sets the active text in it; undo takes it back.
      await page.locator('#tool-params [data-tool="type"] button[data-style="headline"]').click();
      await page.waitForFunction(() => window.retouchApp.history()?.entries.at(-1)?.name === 'Edit Text');
      const styled = await source(page);
      assert.deepEqual([styled.fonts[0], styled.size, styled.color], ['Brand Arabic.ttf', 40, '#1060c0ff']);
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('Control+z');
      await settled(page);
      assert.deepEqual(await source(page), placed, 'undo puts the unstyled text back');

      const unknown = await page.evaluate(() => window.retouchApp.run('type.edit', { brandStyle: 'Headline' }).then(() => 'ok', (e) => e.message));
      assert.match(unknown, /'Headline' is not a style of the brand kit \(it has headline\)/);

      await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
      await page.reload();
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await page.waitForFunction(() => window.retouchApp.recovered() !== null);
      await page.waitForFunction(() => document.querySelectorAll('#brand-text-styles li').length === 1);
      const kit = await page.evaluate(() => window.retouchApp.brandKit());
      assert.deepEqual(kit.textStyles, ['headline']);
      assert.equal(kit.fonts.length, 1);
    });
  });
}
