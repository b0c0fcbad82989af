// The command registry as a user meets it, driven with the real keyboard and
// mouse in headless Chromium (CPU engine: nothing here depends on the engine):
//   - every command is defined once and every command button is bound to one;
//   - selections are history steps: Ctrl+D then Ctrl+Z brings the selection
//     back and leaves an earlier Merge Down alone (it used to undo it);
//     Ctrl+Shift+D reselects;
//   - the shortcut list: tools, Ctrl+J, Ctrl+A, Ctrl+Shift+I, zoom keys, Q, [ ];
//   - navigation: Space+drag and the Hand tool pan, Ctrl+wheel and the Zoom tool zoom at the pointer;
//   - layer opacity is typed in percent, as the layer list shows it;
//   - generated variants and their Accept buttons come into view in a 1000 px-high window.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, clientPoint, dragMouse } from './harness.mjs';
import { openTexturedPicture, fillRequest, generate } from './generate-panel.mjs';

requireBuiltPackage();
const W = 160;
const H = 120;

/** Opens a picture with two layers (a textured background and a patch), then merges them down. */
async function openMergedPicture(page) {
  await page.evaluate(
    async ({ W, H }) => {
      const { randomRgba, pngOf } = window.testKit;
      await window.retouchApp.run('file.open', { bytes: pngOf(W, H, randomRgba(W, H, 3, 'opaque')), name: 'photo.png' });
      await window.retouchApp.run('file.add-layer', { bytes: pngOf(40, 30, randomRgba(40, 30, 4, 'varied')), name: 'patch.png' });
      await window.retouchApp.settled();
    },
    { W, H },
  );
}

const state = (page) =>
  page.evaluate(async () => {
    const values = await window.retouchApp.selectionValues();
    return {
      layers: window.retouchApp.layers().length,
      selected: values ? values.reduce((n, v) => n + (v > 0), 0) : 0,
      history: window.retouchApp.history().entries.map((e) => e.name),
      position: window.retouchApp.history().position,
    };
  });

async function press(page, keys) {
  await page.locator('#stage').focus().catch(() => {});
  await page.keyboard.press(keys);
  await page.evaluate(() => window.retouchApp.settled());
}

describe('commands, shortcuts and selection history', () => {
  let server;
  let browser;
  let app;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ webgpu: false });
    app = await openApp(browser, server.url);
    await installTestKit(app.page);
  });

  after(async () => {
    await app?.context.close();
    await browser?.close();
    await server?.close();
  });

  test('every command is defined once and every command button is bound to one', async () => {
    const { page } = app;
    const result = await page.evaluate(() => {
      const list = window.retouchApp.commands();
      const ids = list.map((c) => c.id);
      const buttons = [...document.querySelectorAll('[data-command]')].map((b) => ({ command: b.dataset.command, title: b.title }));
      const shortcuts = list.flatMap((c) => c.shortcuts.map((s) => `${s}`));
      return { ids, buttons, shortcuts, undo: list.find((c) => c.id === 'edit.undo') };
    });
    assert.equal(new Set(result.ids).size, result.ids.length, 'no id twice');
    assert.equal(new Set(result.shortcuts).size, result.shortcuts.length, `no shortcut on two commands: ${result.shortcuts.join(' ')}`);
    for (const { command } of result.buttons) assert.ok(result.ids.includes(command), `button bound to unknown command ${command}`);
    assert.ok(result.buttons.length >= 30, `${result.buttons.length} command buttons`);
    assert.deepEqual(result.undo.shortcuts, ['Ctrl+Z']);
    const undoButton = result.buttons.find((b) => b.command === 'edit.undo');
    assert.equal(undoButton.title, 'Undo (Ctrl+Z)', 'the button says its shortcut, from the registry');
    // A disabled command refuses to run instead of doing something else.
    const refused = await page.evaluate(() => window.retouchApp.run('layer.merge-down').then(() => null, (e) => e.message));
    assert.match(refused ?? '', /not available/);
  });

  test('Ctrl+D then Ctrl+Z brings the selection back and leaves an earlier Merge Down alone', async () => {
    const { page } = app;
    await openMergedPicture(page);
    await press(page, 'Control+E');
    assert.equal((await state(page)).layers, 1, 'Ctrl+E merged down');

    // A marquee dragged with the mouse.
    await press(page, 'm');
    await dragMouse(page, [[20, 15], [100, 75]], { steps: 4 });
    const selected = await state(page);
    assert.equal(selected.selected, 80 * 60, 'the marquee selects 80×60 pixels');
    const marquee = await page.evaluate(() => window.retouchApp.selectionValues());

    await press(page, 'Control+D');
    const deselected = await state(page);
    assert.equal(deselected.selected, 0, 'Ctrl+D deselects');
    assert.deepEqual(deselected.history.slice(-3), ['Merge Down', 'Rectangular Marquee', 'Deselect']);

    await press(page, 'Control+Z');
    const undone = await state(page);
    assert.equal(undone.layers, 1, 'the Merge Down is still there');
    assert.deepEqual(await page.evaluate(() => window.retouchApp.selectionValues()), marquee, 'Ctrl+Z brought the same selection back');
    assert.equal(undone.position, deselected.position - 1);

    // The overlay shows it again: red over the selected area only.
    const overlay = await page.evaluate(() => {
      const data = window.retouchApp.overlayRgba();
      const at = (x, y) => data[(y * 160 + x) * 4 + 3];
      return { inside: at(50, 40), outside: at(140, 100) };
    });
    assert.ok(overlay.inside > 0 && overlay.outside === 0, `overlay alpha inside ${overlay.inside}, outside ${overlay.outside}`);
    // Marching ants on the marquee's edge only.
    const ants = await page.evaluate(() => {
      const c = document.querySelector('#ants');
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let edge = 0;
      for (let i = 3; i < data.length; i += 4) edge += data[i] === 255;
      const at = (x, y) => data[(y * c.width + x) * 4 + 3];
      return { edge, corner: at(20, 15), side: at(60, 74), inside: at(50, 40), visible: !c.hidden };
    });
    assert.deepEqual(ants, { edge: 2 * 80 + 2 * 58, corner: 255, side: 255, inside: 0, visible: true });

    await press(page, 'Control+Z');
    assert.equal((await state(page)).selected, 0, 'the next Ctrl+Z undoes the marquee');
    assert.equal((await state(page)).layers, 1);
    await press(page, 'Control+Z');
    assert.equal((await state(page)).layers, 2, 'only then is the Merge Down undone');

    // Redo all, deselect, and Reselect brings it back as a new step.
    await press(page, 'Control+Shift+Z');
    await press(page, 'Control+Shift+Z');
    await press(page, 'Control+Shift+Z');
    const redone = await state(page);
    assert.equal(redone.selected, 0);
    assert.equal(redone.layers, 1);
    await press(page, 'Control+Shift+D');
    assert.deepEqual(await page.evaluate(() => window.retouchApp.selectionValues()), marquee, 'Ctrl+Shift+D reselects');
    assert.equal((await state(page)).history.at(-1), 'Reselect');
  });

  test('tool, layer, selection and view shortcuts', async () => {
    const { page } = app;
    await openMergedPicture(page);
    const tool = () => page.evaluate(() => window.retouchApp.tool());
    for (const [key, want] of [['v', 'move'], ['Shift+M', 'ellipse'], ['m', 'rectangle'], ['l', 'lasso'], ['w', 'wand'], ['r', 'color_range'], ['b', 'paint'], ['e', 'eraser'], ['s', 'clone'], ['Shift+B', 'brush']]) {
      await press(page, key);
      assert.equal(await tool(), want, `${key} picks ${want}`);
    }
    const diameter = () => page.evaluate(() => window.retouchApp.toolParams('brush').diameter);
    const size = await diameter();
    await press(page, ']');
    assert.ok((await diameter()) > size, '] makes the brush bigger');
    await press(page, '[');
    await press(page, '[');
    assert.ok((await diameter()) < size, '[ makes it smaller');

    await press(page, 'Control+J');
    assert.equal((await state(page)).layers, 3, 'Ctrl+J duplicates the layer');
    assert.equal((await state(page)).history.at(-1), 'Duplicate Layer');
    await press(page, 'Control+A');
    assert.equal((await state(page)).selected, W * H, 'Ctrl+A selects all');
    await press(page, 'Control+Shift+I');
    assert.equal((await state(page)).selected, 0, 'Ctrl+Shift+I inverts');

    // Delete clears the selected pixels of the active layer (a soft edge partly), one step.
    await page.evaluate(() => window.retouchApp.run('select.ellipse', { x: 30, y: 20, width: 60, height: 40 }));
    await page.evaluate(() => window.retouchApp.run('select.feather', { value: 3 }));
    const selection = await page.evaluate(async () => Array.from(await window.retouchApp.selectionValues()));
    const pixels = (id) => page.evaluate(async (id) => Array.from((await window.retouchApp.layerPixels(id)).data), id);
    const id = await page.evaluate(async () => {
      const background = window.retouchApp.layers()[0].id;
      await window.retouchApp.run('layer.select', { id: background });
      return background;
    });
    const before = await pixels(id);
    await press(page, 'Delete');
    const after = await pixels(id);
    assert.equal((await state(page)).history.at(-1), 'Clear');
    let worst = 0;
    for (let i = 0; i < W * H; i++) {
      const want = Math.round((before[i * 4 + 3] * (255 - selection[i])) / 255);
      worst = Math.max(worst, Math.abs(after[i * 4 + 3] - want));
      for (let c = 0; c < 3 && selection[i] === 0; c++) assert.equal(after[i * 4 + c], before[i * 4 + c]);
    }
    assert.ok(worst <= 1, `alpha after Delete is off by ${worst}`);
    await press(page, 'Control+Z');
    assert.deepEqual(await pixels(id), before, 'undo restores the pixels');
    assert.ok(after.some((v, i) => v !== before[i]), 'Delete changed the layer');

    const zoom = () => page.locator('#zoom').textContent();
    await press(page, '1');
    assert.equal(await zoom(), '100 %');
    await press(page, '=');
    assert.notEqual(await zoom(), '100 %', '= zooms in');
    await press(page, '0');
    assert.match(await zoom(), /fit/);
    await press(page, 'Control+1');
    assert.equal(await zoom(), '100 %', 'Ctrl+1 is 100 %');
    await press(page, 'Control+0');
    assert.match(await zoom(), /fit/, 'Ctrl+0 fits');

    const overlayOn = () => page.locator('#show-overlay').isChecked();
    assert.equal(await overlayOn(), false, 'marching ants by default, the quick mask on demand');
    await press(page, 'q');
    assert.equal(await overlayOn(), true, 'Q shows the quick mask');
    assert.equal(await page.locator('#overlay').isVisible(), true);
    await press(page, 'q');
    assert.equal(await overlayOn(), false);

    // Typing in a field is not a shortcut.
    await page.click('#layer-x');
    await page.keyboard.press('v');
    assert.equal(await tool(), 'brush');
  });

  test('layer opacity is typed in percent, one history step', async () => {
    const { page } = app;
    await openMergedPicture(page);
    const field = page.locator('#layer-props [data-param=opacity] input[type=number]');
    await field.fill('60');
    await field.dispatchEvent('change');
    await page.evaluate(() => window.retouchApp.settled());
    const layer = await page.evaluate(() => window.retouchApp.layers().at(-1));
    assert.ok(Math.abs(layer.opacity - 0.6) < 1e-6, `typing 60 gives 60 %, got ${layer.opacity}`);
    assert.equal(await field.inputValue(), '60');
    assert.match(await page.locator('#layers .layer.active').textContent(), /60 %/);
    const history = (await state(page)).history;
    assert.equal(history.length, 2, `one step for the opacity: ${history}`);
    // Out of range through the command: refused, nothing changes.
    const refused = await page.evaluate(() => window.retouchApp.run('layer.set-properties', { opacity: 160 }).then(() => null, (e) => e.message));
    assert.match(refused ?? '', /percentage/);
    assert.equal((await state(page)).history.length, 2);
  });

  test('generated variants and their Accept buttons come into view', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1280, height: 1000 });
    await openTexturedPicture(page, 320, 240);
    await page.evaluate(() => window.retouchApp.run('select.rectangle', { x: 100, y: 60, width: 80, height: 60 }));
    await page.evaluate(() => window.retouchApp.run('generate.set-options', { mockLatencyMs: 10 }));
    await fillRequest(page, { provider: 'retouch.provider.mock', prompt: 'a small wooden boat', variants: 2 });
    const state = await generate(page);
    assert.equal(state.variants.length, 2, state.error ?? 'two variants');
    await page.waitForTimeout(200);
    const boxes = await page.evaluate(() =>
      [...document.querySelectorAll('#gen-variants-list button[data-variant]')].map((b) => {
        const r = b.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, height: window.innerHeight };
      }),
    );
    assert.equal(boxes.length, 2);
    for (const box of boxes) assert.ok(box.top >= 0 && box.bottom <= box.height, `Accept at ${box.top}–${box.bottom} of ${box.height} px`);
    // Accepting a variant hides the marching ants: the fill is done.
    await page.click('#gen-variants-list button[data-variant="0"]');
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(await page.locator('#ants').isHidden(), true, 'no ants over an accepted fill');
  });

  test('navigation: Space+drag and H pan, Ctrl+wheel and Z zoom towards the pointer', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1280, height: 800 });
    await openMergedPicture(page);
    const view = () =>
      page.evaluate(() => {
        const stage = document.querySelector('#stage');
        return { left: stage.scrollLeft, top: stage.scrollTop, zoom: document.querySelector('#zoom').textContent };
      });

    // Zoom in with the keyboard until the image is larger than the view, then Ctrl+wheel over the
    // middle: one step in, and the image point under the pointer stays under it.
    await press(page, '1');
    for (let i = 0; i < 6; i++) await press(page, 'Control+=');
    assert.equal((await view()).zoom, '800 %');
    let p = await clientPoint(page, 80, 60);
    await page.mouse.move(p.x, p.y);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForTimeout(100);
    const zoomed = await view();
    assert.equal(zoomed.zoom, '1200 %');
    const after = await clientPoint(page, 80, 60);
    assert.ok(Math.abs(after.x - p.x) <= 1.5 && Math.abs(after.y - p.y) <= 1.5, `the point moved from ${p.x},${p.y} to ${after.x},${after.y}`);

    // Space + drag pans by the drag.
    const gestureBefore = await page.evaluate(() => JSON.stringify(window.retouchApp.lastGesture()));
    await page.keyboard.down(' ');
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x - 120, p.y - 60, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up(' ');
    const panned = await view();
    assert.equal(panned.left - zoomed.left, 120, 'panned right by the drag');
    assert.equal(panned.top - zoomed.top, 60, 'panned down by the drag');
    assert.equal(await page.evaluate(() => JSON.stringify(window.retouchApp.lastGesture())), gestureBefore, 'the pan was not a marquee');
    assert.equal((await state(page)).selected, 0);

    // H: the Hand tool pans without Space.
    await press(page, 'h');
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 50, p.y + 20, { steps: 5 });
    await page.mouse.up();
    const hand = await view();
    assert.equal(panned.left - hand.left, 50);
    assert.equal(panned.top - hand.top, 20);

    // Z: a click zooms in at the point, Alt+click out.
    await press(page, 'z');
    p = await clientPoint(page, 80, 60);
    await page.mouse.click(p.x, p.y);
    assert.equal((await view()).zoom, '1600 %');
    const again = await clientPoint(page, 80, 60);
    assert.ok(Math.abs(again.x - p.x) <= 1.5 && Math.abs(again.y - p.y) <= 1.5, 'the clicked point stays put');
    await page.keyboard.down('Alt');
    await page.mouse.click(again.x, again.y);
    await page.keyboard.up('Alt');
    assert.equal((await view()).zoom, '1200 %');
    await press(page, 'm');
  });
});
