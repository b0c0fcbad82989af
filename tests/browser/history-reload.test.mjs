// History survives a reload, on both engines: a photo is edited (brush,
// selection, clear, a new layer, eraser), one step undone, the page
// reloaded; the recovered document keeps every step with the same names and
// position, and Undo/Redo walk back and forth through exactly the states
// (layer pixels, properties and selection, bit for bit) seen before the
// reload. With an autosave history limit below what the history holds, the
// History panel says which steps are not autosaved, the reload keeps the
// newest steps and the whole document, and says the older ones were not kept.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
const PHOTO = new URL('../../crate/tests/photos/chelsea.png', import.meta.url);

requireBuiltPackage();

/** A hash of every layer's pixels and properties and of the selection: equal hashes, equal documents. */
const documentHash = (page) =>
  page.evaluate(async () => {
    const app = window.retouchApp;
    await app.settled();
    let hash = 0x811c9dc5;
    const mix = (bytes) => {
      for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    };
    for (const layer of app.layers()) {
      mix(new TextEncoder().encode(JSON.stringify(layer)));
      mix((await app.layerPixels(layer.id)).data);
    }
    mix((await app.selectionValues()) ?? []);
    return hash;
  });

const history = (page) => page.evaluate(async () => (await window.retouchApp.settled(), window.retouchApp.history()));
const names = (h) => h.entries.map((e) => [e.name, e.applied]);

async function reload(page) {
  await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
  await page.reload();
  await page.waitForFunction(() => window.retouchApp !== undefined);
  await page.evaluate(() => window.retouchApp.ready);
  await page.waitForFunction(() => window.retouchApp.recovered() !== null);
  await installTestKit(page);
}

for (const config of CONFIGS) {
  describe(`history across a reload, ${config.name}`, () => {
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

    /** Opens the photo and makes five steps; returns the document hash after each (index = position). */
    async function edit(page) {
      const bytes = [...(await readFile(PHOTO))];
      await page.evaluate(async (bytes) => {
        const app = window.retouchApp;
        await app.run('file.start-fresh');
        await app.run('file.open', { bytes: new Uint8Array(bytes), name: 'chelsea.png' });
      }, bytes);
      const states = [await documentHash(page)];
      const steps = [
        () => window.retouchApp.run('paint.brush', { points: [20, 30, 90, 40, 150, 100], diameter: 14, hardness: 70, opacity: 100, flow: 100, color: '#e03020' }),
        () => window.retouchApp.run('select.ellipse', { x: 40, y: 50, width: 70, height: 40 }),
        () => window.retouchApp.run('layer.clear'),
        async () => {
          const { randomRgba, pngOf } = window.testKit;
          await window.retouchApp.run('file.add-layer', { bytes: pngOf(50, 30, randomRgba(50, 30, 5, 'varied')), name: 'patch.png' });
        },
        () => window.retouchApp.run('paint.eraser', { points: [60, 60, 120, 80], diameter: 20, hardness: 50, opacity: 80, flow: 100 }),
      ];
      for (const step of steps) {
        await page.evaluate(step);
        states.push(await documentHash(page));
      }
      assert.equal(new Set(states).size, states.length, 'every step changed the document');
      return states;
    }

    test('every step comes back: Undo and Redo after the reload give the same pixels', async () => {
      const { page } = app;
      const states = await edit(page);
      await page.keyboard.press('Control+z');
      const before = await history(page);
      assert.equal(before.position, 4);
      assert.equal(await documentHash(page), states[4]);
      const rowsBefore = await page.locator('#history .history-entry').allTextContents();

      await reload(page);
      const after = await history(page);
      assert.deepEqual(names(after), names(before), 'the same steps, the undone one still undone');
      assert.equal(after.position, before.position);
      assert.deepEqual(await page.locator('#history .history-entry').allTextContents(), rowsBefore, 'the panel shows the same rows');
      assert.ok(await page.locator('#history-note').isHidden(), 'nothing was left out');
      assert.equal(await documentHash(page), states[4], 'the document came back');

      // Redo the step undone before the reload, then undo all the way back and redo again.
      await page.keyboard.press('Control+Shift+z');
      assert.equal(await documentHash(page), states[5], 'Redo brings back the undone eraser stroke bit for bit');
      for (let position = 4; position >= 0; position--) {
        await page.keyboard.press('Control+z');
        assert.equal((await history(page)).position, position);
        assert.equal(await documentHash(page), states[position], `Undo to step ${position} gives the same pixels as before the reload`);
      }
      await page.click('#history .history-entry[data-position="5"]');
      assert.equal(await documentHash(page), states[5], 'jumping to the last step');
    });

    test('history over the autosave limit: the panel says so, the reload keeps the newest steps and the whole document', async () => {
      const { page } = app;
      const states = await edit(page);
      const { entries } = await history(page);
      // Room for the last two steps only.
      const bytes = entries.at(-1).bytes + entries.at(-2).bytes + 256;
      await page.evaluate((megabytes) => window.retouchApp.run('file.autosave-history-budget', { megabytes }), bytes / (1024 * 1024));
      await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
      await page.waitForFunction(() => !document.querySelector('#history-note').hidden);
      assert.equal(
        await page.locator('#history-note').textContent(),
        `History before “${entries.at(-2).name}” is not autosaved: over the autosave budget.`,
      );

      await reload(page);
      assert.equal(await documentHash(page), states[5], 'the whole document came back');
      const after = await history(page);
      assert.deepEqual(names(after), names({ entries: entries.slice(-2) }), 'the two newest steps');
      assert.match(await page.locator('#history-note').textContent(), /History before this recovery was not kept: 3 steps over the autosave budget/);
      assert.equal((await page.locator('#history .history-entry').allTextContents())[0], 'Recovered project');
      await page.keyboard.press('Control+z');
      assert.equal(await documentHash(page), states[4]);
      await page.keyboard.press('Control+z');
      assert.equal(await documentHash(page), states[3], 'the oldest kept step undoes bit for bit');
      assert.equal((await history(page)).position, 0, 'nothing older to undo');
    });
  });
}
