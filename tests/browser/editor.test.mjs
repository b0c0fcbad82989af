// The editor as a user drives it, in headless Chromium with WebGPU
// (SwiftShader, asked for with ?backend=gpu: auto skips a software adapter;
// the page must run on the GPU) and without (CPU fallback):
//   - selection tools through real pointer gestures on the canvas (marquee,
//     brush stroke, lasso, magic wand) and the modify buttons (feather,
//     expand, invert); every mask is checked against the same core calls made
//     directly in the page with a CPU engine, and against what the geometry
//     says (inside a marquee 255, outside 0);
//   - the quick-mask overlay and "selection → layer mask";
//   - autosave: edit, reload, the edit is still there (no explicit save);
//   - undo and redo through the history panel, its buttons and the keyboard;
//   - the layers panel's actions; projects and exports through the UI.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, mouseTo, dragMouse } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const W = 200;
const H = 150;

requireBuiltPackage();

/** A picture with flat regions for the wand: blue left, red right, a green square, a grey band. */
async function openPicture(page) {
  await page.evaluate(
    async ({ W, H }) => {
      const rgba = new Uint8Array(W * H * 4);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const o = (y * W + x) * 4;
          let c = x < W / 2 ? [30, 60, 200] : [220, 40, 40];
          if (x >= 120 && x < 170 && y >= 20 && y < 70) c = [40, 200, 60];
          if (y >= 120) c = [128, 128, 128];
          rgba.set([...c, 255], o);
        }
      }
      await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(W, H, rgba), name: 'picture.png' });
    },
    { W, H },
  );
}

/** Stats of the page's selection against a reference mask computed in the page. */
function compareSelection(page, reference) {
  return page.evaluate(async (reference) => {
    const { wasm, compare } = window.testKit;
    const got = await window.retouchApp.selectionValues();
    const want = await window.testRef[reference]();
    const ones = got.reduce((n, v) => n + (v === 255), 0);
    return { ...compare(got, want), ones, gesture: window.retouchApp.lastGesture(), length: got.length, version: wasm.version() };
  }, reference);
}

for (const config of CONFIGS) {
  describe(`editor, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      // A CPU engine and a place for reference masks, made by direct core calls.
      await app.page.evaluate(async () => {
        window.testCpu = await window.testKit.wasm.createEngine('cpu');
        window.testRef = {};
      });
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      const backend = await app.page.evaluate(() => window.retouchApp.backend());
      assert.equal(backend, config.expect, `backend ${backend}: ${await app.page.evaluate(() => window.retouchApp.adapter())}`);
      assert.equal(await app.page.locator('#backend').getAttribute('data-backend'), config.expect);
    });

    test('“Layer pixels” selects the active layer’s alpha at its position', async () => {
      const { page } = app;
      await openPicture(page);
      const result = await page.evaluate(async ({ W, H }) => {
        const { wasm, pngOf } = window.testKit;
        // A 60×40 layer whose alpha ramps across it, placed at (70, 50).
        const w = 60, h = 40;
        const rgba = new Uint8Array(w * h * 4);
        for (let i = 0; i < w * h; i++) rgba.set([200, 100, 50, (i % w) * 4], i * 4);
        await window.retouchApp.run('file.add-layer', { bytes: pngOf(w, h, rgba), name: 'ramp.png' });
        const layer = window.retouchApp.layers().find((l) => l.name.startsWith('ramp'));
        await window.retouchApp.run('layer.select', { id: layer.id });
        await window.retouchApp.settled();
        document.querySelector('#select-layer').click();
        await window.retouchApp.settled();
        const got = await window.retouchApp.selectionValues();
        const image = wasm.Image.fromRgba(w, h, rgba);
        const want = wasm.Mask.fromLayerAlpha(W, H, image, layer.x, layer.y).values();
        const diff = window.testKit.compare(got, want).max;
        const at = (x, y) => got[y * W + x];
        return { diff, x: layer.x, y: layer.y, inside: at(layer.x + 30, layer.y + 20), outside: at(5, 5), length: got.length };
      }, { W, H });
      assert.equal(result.length, W * H);
      assert.equal(result.diff, 0, JSON.stringify(result));
      assert.equal(result.inside, 120, 'alpha in the middle of the ramp');
      assert.equal(result.outside, 0, 'outside the layer: not selected');
    });

    test('marquee, brush stroke, lasso, wand and feather on the canvas give the core’s masks', async (t) => {
      const { page, errors } = app;
      await openPicture(page);

      // Rectangle marquee by dragging.
      await page.click('[data-tool=rectangle]');
      await dragMouse(page, [[20.25, 30.25], [80.25, 90.25]]);
      const rect = await page.evaluate(async ({ W, H }) => {
        const g = window.retouchApp.lastGesture();
        const v = await window.retouchApp.selectionValues();
        const at = (x, y) => v[y * W + x];
        const { wasm } = window.testKit;
        window.testRef.rect = () => {
          const m = wasm.Mask.rectangle(W, H, g.params.x, g.params.y, g.params.width, g.params.height);
          return m.values();
        };
        return { g, inside: [at(21, 31), at(50, 60), at(79, 89)], outside: [at(19, 29), at(81, 60), at(50, 91), at(150, 140)] };
      }, { W, H });
      assert.equal(rect.g.tool, 'rectangle');
      // Pointer → image coordinates through the view's transform (within a screen pixel).
      assert.ok(Math.abs(rect.g.points[0] - 20.25) < 0.5 && Math.abs(rect.g.points[1] - 30.25) < 0.5, `start ${rect.g.points}`);
      assert.ok(Math.abs(rect.g.points[2] - 80.25) < 0.5 && Math.abs(rect.g.points[3] - 90.25) < 0.5, `end ${rect.g.points}`);
      assert.deepEqual(rect.inside, [255, 255, 255], 'inside the marquee: fully selected');
      assert.deepEqual(rect.outside, [0, 0, 0, 0], 'outside the marquee: not selected');
      const rectCmp = await compareSelection(page, 'rect');
      assert.equal(rectCmp.max, 0, `marquee vs Mask.rectangle: ${JSON.stringify(rectCmp)}`);

      // Brush stroke on top of it: size and hardness from the brush's manifest controls.
      await page.evaluate(async () => {
        window.testRef.beforeBrush = await window.retouchApp.selectionValues();
      });
      await page.click('[data-tool=brush]');
      await page.fill('#tool-params [data-tool=brush] [data-param=diameter] input[type=number]', '14');
      await page.locator('#tool-params [data-tool=brush] [data-param=diameter] input[type=number]').dispatchEvent('change');
      await page.evaluate(() => window.retouchApp.run('tool.set-params', { params: { hardness: 0.6 } }));
      await dragMouse(page, [[110, 100], [140, 105], [180, 95]]);
      const brush = await page.evaluate(({ W, H }) => {
        const g = window.retouchApp.lastGesture();
        const { wasm } = window.testKit;
        window.testRef.brush = () => {
          const m = wasm.Mask.fromValues(W, H, window.testRef.beforeBrush);
          m.paintStroke(Float32Array.from(g.points), { diameter: g.params.diameter, hardness: g.params.hardness, spacing: g.params.spacing, flow: g.params.flow, erase: g.params.erase });
          return m.values();
        };
        return g;
      }, { W, H });
      assert.equal(brush.params.diameter, 14);
      assert.equal(brush.params.hardness, 0.6);
      assert.ok(brush.points.length >= 6, `the stroke has its points: ${brush.points.length / 2}`);
      const brushCmp = await compareSelection(page, 'brush');
      assert.equal(brushCmp.max, 0, `brush vs Mask.paintStroke: ${JSON.stringify(brushCmp)}`);
      const stroke = await page.evaluate(async ({ W }) => {
        const v = await window.retouchApp.selectionValues();
        return { onPath: v[Math.round(103) * W + 125], below: v[130 * W + 140], rect: v[60 * W + 50] };
      }, { W });
      assert.equal(stroke.onPath, 255, 'the stroke is painted');
      assert.equal(stroke.below, 0, 'away from the stroke nothing is painted');
      assert.equal(stroke.rect, 255, 'the marquee is kept');

      // Lasso with Shift held: added to the selection.
      await page.evaluate(async () => {
        window.testRef.beforeLasso = await window.retouchApp.selectionValues();
      });
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('l');
      assert.equal(await page.evaluate(() => window.retouchApp.tool()), 'lasso', 'L picks the lasso');
      await page.keyboard.down('Shift');
      await dragMouse(page, [[100, 10], [190, 12], [185, 60], [140, 40]], { steps: 4 });
      await page.keyboard.up('Shift');
      const lasso = await page.evaluate(({ W, H }) => {
        const g = window.retouchApp.lastGesture();
        const { wasm } = window.testKit;
        window.testRef.lasso = () => {
          const m = wasm.Mask.fromValues(W, H, window.testRef.beforeLasso);
          m.combine(wasm.Mask.polygon(W, H, Float32Array.from(g.points)), 'add');
          return m.values();
        };
        return g;
      }, { W, H });
      assert.equal(lasso.params.mode, 'add', 'Shift adds to the selection');
      const lassoCmp = await compareSelection(page, 'lasso');
      assert.equal(lassoCmp.max, 0, `lasso vs Mask.polygon + combine: ${JSON.stringify(lassoCmp)}`);
      const inLasso = await page.evaluate(async ({ W }) => (await window.retouchApp.selectionValues())[20 * W + 170], { W });
      assert.equal(inLasso, 255, 'inside the lasso');

      // Magic wand: a click in the green square, contiguous, tolerance from its controls.
      await page.click('[data-tool=wand]');
      await page.evaluate(() => window.retouchApp.run('tool.set-params', { params: { tolerance: 20, contiguous: true, mode: 'replace' } }));
      await mouseTo(page, 140.5, 45.5);
      await page.mouse.down();
      await page.mouse.up();
      await page.evaluate(() => window.retouchApp.settled());
      const wand = await page.evaluate(async ({ W }) => {
        const g = window.retouchApp.lastGesture();
        const { wasm } = window.testKit;
        const shown = await window.retouchApp.resultRgba();
        window.testRef.wand = () => {
          const image = wasm.Image.fromRgba(shown.width, shown.height, shown.data);
          return wasm.Mask.magicWand(image, Math.floor(g.points[0]), Math.floor(g.points[1]), g.params.tolerance, g.params.contiguous, g.params.anti_alias).values();
        };
        const v = await window.retouchApp.selectionValues();
        return { g, green: v[45 * W + 140], greenCorner: v[21 * W + 121], red: v[45 * W + 110], blue: v[45 * W + 40] };
      }, { W });
      assert.equal(wand.green, 255);
      assert.equal(wand.greenCorner, 255);
      assert.equal(wand.red, 0);
      assert.equal(wand.blue, 0);
      const wandCmp = await compareSelection(page, 'wand');
      assert.equal(wandCmp.max, 0, `wand vs Mask.magicWand: ${JSON.stringify(wandCmp)}`);
      assert.ok(wandCmp.ones >= 48 * 48 && wandCmp.ones <= 50 * 50, `the green square and nothing else: ${wandCmp.ones} pixels at 255`);

      // Feather through its manifest control and button, on the page's engine.
      await page.evaluate(async () => {
        window.testRef.beforeFeather = await window.retouchApp.selectionValues();
      });
      await page.fill('#modify [data-op=feather] input[type=number]', '6');
      await page.locator('#modify [data-op=feather] input[type=number]').dispatchEvent('change');
      await page.click('#modify [data-op=feather] button');
      await page.waitForFunction(() => /Feather 6 px/.test(document.querySelector('#status').textContent));
      await page.evaluate(({ W, H }) => {
        const { wasm } = window.testKit;
        window.testRef.feather = async () => (await window.testCpu.feather(wasm.Mask.fromValues(W, H, window.testRef.beforeFeather), 6)).values();
      }, { W, H });
      const featherCmp = await compareSelection(page, 'feather');
      t.diagnostic(`feather on ${config.expect}: max |diff| vs CPU ${featherCmp.max} (${featherCmp.differing} differ)`);
      assert.ok(featherCmp.max <= 1, `feather vs CPU engine: ${JSON.stringify(featherCmp)}`);
      const soft = await page.evaluate(async ({ W }) => {
        const v = await window.retouchApp.selectionValues();
        return { centre: v[45 * W + 145], edge: v[45 * W + 120], outside: v[45 * W + 100] };
      }, { W });
      assert.equal(soft.centre, 255, 'the middle stays selected');
      assert.ok(soft.edge > 60 && soft.edge < 200, `the edge is soft: ${soft.edge}`);
      assert.equal(soft.outside, 0, 'far outside stays unselected');

      // Expand, invert: also the core's results.
      await page.evaluate(async () => {
        window.testRef.beforeGrow = await window.retouchApp.selectionValues();
        await window.retouchApp.run('select.grow', { value: 4 });
        await window.retouchApp.run('select.invert');
      });
      await page.evaluate(({ W, H }) => {
        const { wasm } = window.testKit;
        window.testRef.grow = async () => {
          const m = await window.testCpu.grow(wasm.Mask.fromValues(W, H, window.testRef.beforeGrow), 4);
          m.invert();
          return m.values();
        };
      }, { W, H });
      const growCmp = await compareSelection(page, 'grow');
      assert.ok(growCmp.max <= 1, `grow + invert vs CPU engine: ${JSON.stringify(growCmp)}`);

      // The quick-mask overlay shows the selection in red, display only.
      const overlay = await page.evaluate(async ({ W }) => {
        const v = await window.retouchApp.selectionValues();
        const o = window.retouchApp.overlayRgba();
        const px = (x, y) => Array.from(o.subarray((y * W + x) * 4, (y * W + x) * 4 + 4));
        return { selected: px(10, 10), selectedValue: v[10 * W + 10], unselected: px(145, 45), unselectedValue: v[45 * W + 145] };
      }, { W });
      assert.equal(overlay.selectedValue, 255);
      assert.equal(overlay.unselectedValue, 0);
      assert.equal(overlay.selected[3], 128, `the overlay is half transparent: ${overlay.selected}`);
      assert.ok(overlay.selected[0] > 200 && overlay.selected[1] < 80, `the overlay is red: ${overlay.selected}`);
      assert.equal(overlay.unselected[3], 0, 'nothing drawn where nothing is selected');

      // The selection becomes the layer's mask.
      await page.click('#selection-to-mask');
      await page.waitForFunction(() => window.retouchApp.layers()[0]?.hasMask);
      const mask = await page.evaluate(async () => {
        const { compare } = window.testKit;
        await window.retouchApp.settled();
        const id = window.retouchApp.activeLayerId();
        const values = await window.retouchApp.layerMask(id);
        return { ...compare(values, await window.retouchApp.selectionValues()), history: window.retouchApp.history().entries.map((e) => e.name) };
      });
      assert.equal(mask.max, 0, 'the layer mask equals the selection');
      // Every selection change is a history step (as in Photoshop), then the mask.
      assert.deepEqual(mask.history, [
        'Rectangular Marquee',
        'Selection Brush',
        'Lasso (add)',
        'Magic Wand',
        'Feather 6 px',
        'Expand Selection 4 px',
        'Inverse',
        'Add Layer Mask',
      ]);
      assert.deepEqual(errors.map(String), [], 'no uncaught page errors');
    });

    test('autosave: an edit survives a reload; undo and redo through the history panel', async () => {
      const { page } = app;
      await page.evaluate(() => window.retouchApp.run('file.start-fresh'));
      await openPicture(page);
      await page.evaluate(async () => {
        const { randomRgba, pngOf } = window.testKit;
        await window.retouchApp.run('file.add-layer', { bytes: pngOf(60, 40, randomRgba(60, 40, 7, 'varied')), name: 'patch.png' });
      });
      // Change the layer's opacity through its control, like a user: in percent, as the list shows it.
      await page.fill('#layer-props [data-param=opacity] input[type=number]', '40');
      await page.locator('#layer-props [data-param=opacity] input[type=number]').dispatchEvent('change');
      await page.evaluate(() => window.retouchApp.run('select.ellipse', { x: 10, y: 10, width: 80, height: 50 }));
      const edited = await page.evaluate(async () => ({
        layers: window.retouchApp.layers().map((l) => [l.name, Math.round(l.opacity * 100), l.x, l.y]),
        result: Array.from((await window.retouchApp.resultRgba()).data),
        selection: Array.from(await window.retouchApp.selectionValues()),
      }));
      assert.deepEqual(edited.layers, [['Background', 100, 0, 0], ['patch', 40, 70, 55]]);

      // No explicit save: the autosave runs within about a second of the last change.
      await page.waitForTimeout(2000);
      await page.reload();
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await installTestKit(page);
      await page.waitForFunction(() => window.retouchApp.layers().length === 2);
      const restored = await page.evaluate(async () => ({
        layers: window.retouchApp.layers().map((l) => [l.name, Math.round(l.opacity * 100), l.x, l.y]),
        result: Array.from((await window.retouchApp.resultRgba()).data),
        selection: Array.from(await window.retouchApp.selectionValues()),
        notice: document.querySelector('#recovery').hidden ? null : document.querySelector('#recovery').textContent.replace(/\s+/g, ' '),
        backend: window.retouchApp.backend(),
      }));
      assert.equal(restored.backend, config.expect);
      assert.deepEqual(restored.layers, edited.layers, 'the layers came back');
      // Within the compositor's ±1 (the reload recomposes in full, on the GPU where there is one).
      assert.ok(restored.result.length === edited.result.length && restored.result.every((v, i) => Math.abs(v - edited.result[i]) <= 1), 'the composite came back');
      assert.ok(restored.selection.every((v, i) => v === edited.selection[i]), 'the selection came back');
      assert.match(restored.notice ?? '', /Recovered project.*picture\.png/);
      assert.ok(await page.locator('#start-fresh').isVisible(), 'Start fresh is offered');

      // Undo and redo through the history panel.
      const composite = () => page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
      const same = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1);
      await page.selectOption('#layer-props [data-param=mode] select', 'difference');
      await page.evaluate(() => window.retouchApp.settled());
      const afterMode = await composite();
      assert.ok(!same(afterMode, edited.result), 'the blend mode changed the composite');
      // The history came back with the document (see history-reload.test.mjs): the steps before the reload, then the new one.
      const rows = await page.locator('#history .history-entry').allTextContents();
      assert.equal(rows.at(-1), 'Blend Mode');
      const position = rows.length - 1;
      await page.click('#undo');
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position - 1);
      assert.ok(same(await composite(), edited.result), 'Undo restores the composite');
      assert.equal(await page.locator('#history .history-entry.undone').count(), 1, 'the undone step is shown as undone');
      await page.click('#redo');
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position);
      assert.ok(same(await composite(), afterMode), 'Redo brings the change back');
      await page.click(`#history .history-entry[data-position="${position - 1}"]`);
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position - 1);
      assert.ok(same(await composite(), edited.result), 'clicking the row before jumps back');
      await page.click(`#history .history-entry[data-position="${position}"]`);
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position);
      assert.ok(same(await composite(), afterMode), 'clicking the last row jumps forward');
      // Focus back on the page (not a history row) before the keys; a click on the pasteboard would deselect.
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('Control+z');
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position - 1);
      assert.ok(same(await composite(), edited.result), 'Ctrl+Z undoes');
      await page.keyboard.press('Control+Shift+z');
      await page.waitForFunction((p) => window.retouchApp.history().position === p, position);
      assert.ok(same(await composite(), afterMode), 'Ctrl+Shift+Z redoes');

      // Start fresh discards the recovered project, also for the next reload.
      await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
      await page.click('#start-fresh');
      await page.waitForFunction(() => window.retouchApp.size() === null);
      assert.ok(await page.locator('#recovery').isHidden());
      await page.reload();
      await page.evaluate(() => window.retouchApp.ready);
      assert.equal(await page.evaluate(() => window.retouchApp.size()), null, 'nothing is recovered after Start fresh');
      assert.ok(await page.locator('#recovery').isHidden());
      await installTestKit(page);
      await page.evaluate(async () => {
        window.testCpu = await window.testKit.wasm.createEngine('cpu');
        window.testRef = {};
      });
    });

    if (!config.webgpu) {
      test('layers panel actions, project save/open and exports through the UI', async () => {
        const { page } = app;
        await openPicture(page);
        await page.evaluate(async () => {
          const { randomRgba, pngOf } = window.testKit;
          await window.retouchApp.run('file.add-layer', { bytes: pngOf(60, 40, randomRgba(60, 40, 8, 'varied')), name: 'patch.png' });
        });
        const names = () => page.locator('#layers .layer-name').allTextContents();
        await page.click('#layer-duplicate');
        await page.waitForFunction(() => window.retouchApp.layers().length === 3);
        await page.click('#layer-down');
        await page.click('#layer-down');
        await page.evaluate(() => window.retouchApp.settled());
        assert.deepEqual(await names(), ['patch', 'Background', 'patch copy'], 'the copy moved to the bottom');
        // Rename by double-click.
        await page.dblclick('#layers .layer.active .layer-name');
        await page.fill('#layers .layer-rename', 'bottom');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => window.retouchApp.layers()[0].name === 'bottom');
        // Hide and show.
        await page.click('#layers .layer[data-index="2"] .layer-visible');
        await page.waitForFunction(() => window.retouchApp.layers()[2].visible === false);
        await page.click('#layers .layer[data-index="2"] .layer-visible');
        // Mask add / delete, merge down, delete.
        await page.click('#layers .layer[data-index="2"]');
        await page.click('#mask-add');
        await page.waitForFunction(() => window.retouchApp.layers()[2].hasMask);
        await page.click('#mask-delete');
        await page.waitForFunction(() => !window.retouchApp.layers()[2].hasMask);
        await page.click('#layer-merge');
        await page.waitForFunction(() => window.retouchApp.layers().length === 2);
        await page.click('#layer-delete');
        await page.waitForFunction(() => window.retouchApp.layers().length === 1);
        const history = await page.evaluate(() => window.retouchApp.history().entries.map((e) => e.name));
        assert.deepEqual(history, ['Add Layer', 'Duplicate Layer', 'Move Layer', 'Move Layer', 'Rename Layer', 'Hide Layer', 'Show Layer', 'Add Layer Mask', 'Delete Layer Mask', 'Merge Down', 'Delete Layer']);

        // Save the project, open it again: same composite.
        const before = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
        const [ora] = await Promise.all([page.waitForEvent('download'), page.click('#save-project')]);
        assert.equal(ora.suggestedFilename(), 'picture.ora');
        const oraPath = await ora.path();
        await page.evaluate(() => window.retouchApp.run('file.start-fresh'));
        await page.setInputFiles('#file-project', { name: 'saved.ora', mimeType: 'image/openraster', buffer: await readFile(oraPath) });
        await page.waitForFunction(() => window.retouchApp.layers().length === 1);
        const reopened = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
        assert.deepEqual(reopened, before, 'the saved project reopens as it was');

        // Exports in each format decode to the document's size.
        for (const [format, pattern] of [['jpeg', /\.jpg$/], ['webp', /\.webp$/], ['png', /\.png$/]]) {
          await page.selectOption('#export-format', format);
          const [file] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
          assert.match(file.suggestedFilename(), pattern);
          const chunks = [];
          for await (const chunk of await file.createReadStream()) chunks.push(chunk);
          const size = await page.evaluate((bytes) => {
            const image = window.testKit.wasm.Image.decode(new Uint8Array(bytes));
            return [image.width, image.height];
          }, Array.from(Buffer.concat(chunks)));
          assert.deepEqual(size, [W, H], `${format} export size`);
        }
      });
    }
  });
}
