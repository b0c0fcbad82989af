// The WebGPU canvas: on the WebGPU engine (SwiftShader) the page recomposes
// a multi-layer photograph on the GPU and presents it from there. Painting
// four brush strokes — 120 pointer moves, each rendered and presented, hundreds of dabs, painted
// on the GPU — reads nothing back from the GPU (the engine counts its read-backs), and
// what the screen then shows (a screenshot of the canvas at 100 %, decoded by
// Chromium) is the document's composite as the CPU computes it. A dialog's
// preview is drawn over the GPU canvas and goes away whole on Cancel;
// switching to the CPU engine and back, or opening a document wider than a
// WebGPU canvas can be, moves the view between the canvases.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, dragMouse, mouseTo, screenshotPixels } from './harness.mjs';

requireBuiltPackage();

/** What the screen shows over the document at 100 %: a screenshot of the canvas, decoded in the page. */
async function screenPixels(page, { keepPointer = false } = {}) {
  if (!keepPointer) await page.mouse.move(0, 0); // no brush outline over the canvas
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return screenshotPixels(page, await page.locator('canvas.composite').boundingBox());
}

/**
 * The largest channel difference between the screen and an opaque composite `width` wide, and how
 * many pixels differ; pixels within `radius` of `skip` (the brush outline's place) are left out.
 */
function mismatch(screen, composite, { width = 1, skip = null, radius = 0 } = {}) {
  let max = 0;
  let differ = 0;
  for (let i = 0; i < composite.length; i += 4) {
    const [x, y] = [(i / 4) % width, Math.floor(i / 4 / width)];
    if (skip && Math.abs(x - skip[0]) <= radius && Math.abs(y - skip[1]) <= radius) continue;
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(screen[i + c] - composite[i + c]));
    max = Math.max(max, d);
    differ += d > 0;
  }
  return { max, differ };
}

describe('presenting from the GPU, WebGPU (SwiftShader)', () => {
  let server;
  let browser;
  let app;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ webgpu: true });
    app = await openApp(browser, server.url, { query: '?backend=gpu', viewport: { width: 1800, height: 1200 } });
    await installTestKit(app.page);
    await app.page.evaluate(async () => {
      await window.retouchApp.run('file.samples');
      await window.retouchApp.run('view.actual-size');
      await window.retouchApp.settled();
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('painting reads nothing back, and the screen shows the composite', async () => {
    const { page } = app;
    assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu');
    assert.equal(await page.evaluate(() => document.querySelector('canvas.presented').hidden), false, 'the WebGPU canvas shows the document');
    assert.equal((await page.evaluate(() => window.retouchApp.layers())).length, 2, 'the sample is a photo and a light layer through a mask');
    await page.locator('#stage').focus().catch(() => {});
    await page.keyboard.press('b');
    await page.evaluate(() => window.retouchApp.run('tool.set-params', { tool: 'paint', params: { diameter: 24, hardness: 50, opacity: 90, flow: 60, color: '#2080ff' } }));
    const readBacks = await page.evaluate(() => window.retouchApp.readBacks());
    const position = (await page.evaluate(() => window.retouchApp.history())).position;
    // Before the first stroke is released: its dabs are painted on the GPU, and the screen shows
    // what the CPU, reading the document then, computes for the stroke so far.
    const midStroke = async () => {
      await page.evaluate(() => window.retouchApp.settled());
      // Every move rendered and presented, and none painted on the CPU meanwhile.
      assert.equal(await page.evaluate(() => window.retouchApp.strokeOnGpu()), true, 'the stroke is painted on the GPU alone');
      const screen = await screenPixels(page, { keepPointer: true });
      const composite = await page.evaluate(async () => {
        const { width, height, data } = await window.retouchApp.resultRgba();
        return { width, height, data: Array.from(data) };
      });
      // The brush outline is drawn around the pointer, still down at the stroke's last point.
      const { max, differ } = mismatch(screen.data, composite.data, { width: composite.width, skip: [880, 140], radius: 20 });
      assert.ok(max <= 1 && differ < composite.data.length / 4 / 10, `mid-stroke, the screen shows the stroke so far (off by up to ${max} in ${differ} pixels)`);
    };
    for (let i = 0; i < 4; i++) {
      const y = 120 + i * 110;
      await dragMouse(page, [[60, y], [300, y + 40], [560, y - 30], [880, y + 20]], { steps: 10, beforeRelease: i === 0 ? midStroke : undefined });
    }
    const history = await page.evaluate(() => window.retouchApp.history());
    assert.equal(history.position, position + 4, 'four strokes, four history steps');
    assert.equal(await page.evaluate(() => window.retouchApp.readBacks()) - readBacks, 0, 'painting read nothing back from the GPU');
    assert.match(await page.evaluate(() => document.querySelector('#timing').textContent), /on GPU, presented/);

    const screen = await screenPixels(page);
    const composite = await page.evaluate(async () => {
      const { width, height, data } = await window.retouchApp.resultRgba();
      return { width, height, data: Array.from(data) };
    });
    assert.deepEqual([screen.width, screen.height], [composite.width, composite.height], 'the canvas is shown at 100 %');
    const { max, differ } = mismatch(screen.data, composite.data);
    // Within the compositor's ±1 GPU/CPU parity; most pixels exact (not shifted, not scaled).
    assert.ok(max <= 1 && differ < composite.data.length / 4 / 10, `the screen shows the composite (off by up to ${max} in ${differ} pixels)`);
    assert.deepEqual(app.errors, []);
  });

  test('the GPU lost in the middle of a stroke: the page starts another engine and loses nothing', async () => {
    const { page } = app;
    await page.keyboard.press('b');
    const position = (await page.evaluate(() => window.retouchApp.history())).position;
    await dragMouse(page, [[100, 560], [400, 600], [650, 540]], {
      steps: 8,
      beforeRelease: async () => {
        await page.evaluate(() => window.retouchApp.settled());
        assert.equal(await page.evaluate(() => window.retouchApp.strokeOnGpu()), true, 'the stroke is painted on the GPU');
        await page.evaluate(() => window.retouchApp.simulateGpuLoss());
        await page.waitForFunction(() => [...document.querySelectorAll('.toast')].some((t) => t.textContent.includes('The GPU stopped')));
        await page.waitForFunction(() => document.querySelector('#backend').textContent !== 'starting…');
        await page.evaluate(() => window.retouchApp.settled());
        // The stroke goes on, on the new engine.
        await mouseTo(page, 900, 580, { steps: 8 });
      },
    });
    assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu', 'a new WebGPU engine took over');
    assert.equal((await page.evaluate(() => window.retouchApp.history())).position, position + 1, 'the stroke is one history step');
    const live = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
    // The same points painted at once: the live stroke lost no dab on the lost GPU.
    await page.evaluate(async () => {
      const g = window.retouchApp.lastGesture();
      await window.retouchApp.run('edit.undo');
      await window.retouchApp.run('paint.brush', g.params);
      await window.retouchApp.settled();
    });
    const whole = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
    assert.equal(live.length, whole.length);
    assert.ok(live.every((v, i) => v === whole[i]), 'the stroke equals the whole stroke painted at once');
    const screen = await screenPixels(page);
    const { max } = mismatch(screen.data, whole);
    assert.ok(max <= 1, `the screen shows the document again (off by up to ${max})`);
    assert.deepEqual(app.errors, []);
  });

  test('switching to the CPU engine draws the document on the 2D canvas, and back', async () => {
    const { page } = app;
    const composite = await page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
    await page.evaluate(() => window.retouchApp.run('engine.use', { choice: 'cpu' }));
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'cpu');
    assert.equal(await page.evaluate(() => document.querySelector('canvas.presented').hidden), true, 'the WebGPU canvas is put away');
    const drawn = await page.evaluate(() => {
      const c = document.querySelector('canvas.composite');
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    });
    assert.equal(mismatch(drawn, composite).max, 0, 'the 2D canvas shows the whole document (opaque: exact)');
    await page.evaluate(() => window.retouchApp.run('engine.use', { choice: 'gpu' }));
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu');
    assert.equal(await page.evaluate(() => document.querySelector('canvas.presented').hidden), false, 'presented again');
    const screen = await screenPixels(page);
    assert.ok(mismatch(screen.data, composite).max <= 1, 'the screen shows the document');
    assert.deepEqual(app.errors, []);
  });

  test('a document wider than the largest canvas texture is drawn on the 2D canvas', async () => {
    const { page } = app;
    const wide = await page.evaluate(async () => {
      const { pngOf, randomRgba } = window.testKit;
      const [width, height] = [9000, 40]; // over WebGPU's 8192-texel texture side
      await window.retouchApp.run('file.open', { bytes: pngOf(width, height, randomRgba(width, height, 11, 'opaque')), name: 'wide.png' });
      await window.retouchApp.settled();
      const c = document.querySelector('canvas.composite');
      const { data } = await window.retouchApp.resultRgba();
      return {
        presented: !document.querySelector('canvas.presented').hidden,
        drawn: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data),
        composite: Array.from(data),
      };
    });
    assert.equal(wide.presented, false, 'the WebGPU canvas is put away');
    assert.equal(mismatch(wide.drawn, wide.composite).max, 0, 'the 2D canvas shows the document');
    await page.evaluate(async () => {
      await window.retouchApp.run('file.samples');
      await window.retouchApp.run('view.actual-size');
      await window.retouchApp.settled();
    });
    assert.equal(await page.evaluate(() => document.querySelector('canvas.presented').hidden), false, 'a document that fits is presented again');
    assert.deepEqual(app.errors, []);
  });

  test('Levels and a Gaussian blur are made in the layer held on the GPU: only the selection goes up, and the screen shows it', async () => {
    const { page } = app;
    const adjustments = [
      ['adjust.levels', { input_black: 40, gamma: 1.6, output_white: 230 }],
      // A blur reads its planes from the held layer too, split and blurred there.
      ['adjust.gaussian_blur', { sigma: 3 }],
    ];
    for (const [command, params] of adjustments) {
      await page.evaluate(() => window.retouchApp.run('select.all'));
      await page.evaluate(() => window.retouchApp.settled());
      const { width, height } = await page.evaluate(() => window.retouchApp.size());
      const layer = await page.evaluate(() => window.retouchApp.layers().find((l) => l.id === window.retouchApp.activeLayerId()));
      assert.ok(layer.width * layer.height >= width * height / 2, `the active layer covers the canvas (${layer.width}×${layer.height})`);
      const before = await screenPixels(page);
      const rgba = () => page.evaluate(async () => Array.from((await window.retouchApp.resultRgba()).data));
      const compositeBefore = await rgba();
      await page.evaluate(([command, params]) => window.retouchApp.run(command, params), [command, params]);
      await page.evaluate(() => window.retouchApp.settled());
      await page.waitForFunction(() => document.querySelector('#adjust-dialog').open);
      // The dialog's preview computes its own copy; counted from OK on.
      const [uploaded, readBacks] = await page.evaluate(() => [window.retouchApp.uploadedBytes(), window.retouchApp.readBacks()]);
      await page.evaluate(() => window.retouchApp.run('adjust.ok'));
      await page.evaluate(() => window.retouchApp.settled());
      const sent = (await page.evaluate(() => window.retouchApp.uploadedBytes())) - uploaded;
      assert.equal(await page.evaluate(() => document.querySelector('canvas.presented').style.clipPath), '', `${command}: after OK the preview no longer covers the GPU canvas`);
      // The selection's coverage (a byte a pixel over the layer's rows) and the
      // levels' tables or the blur's uniforms go up; the layer (4 bytes a pixel)
      // neither before nor after.
      const coverage = layer.width * layer.height;
      assert.ok(sent >= coverage && sent < coverage + 8192, `${command}: uploaded ${sent} bytes for a ${layer.width}×${layer.height} layer`);
      assert.equal(await page.evaluate(() => window.retouchApp.readBacks()) - readBacks, 1, `${command}: the adjusted rows come back once, for the layer and history`);
      const composite = { data: await rgba() };
      const after = await screenPixels(page);
      // The pixels the adjustment changed change on screen (but some by one level only in one of the two).
      const changed = mismatch(composite.data, compositeBefore, { width }).differ;
      const onScreen = mismatch(after.data, before.data, { width }).differ;
      assert.ok(changed > width * height / 20 && onScreen > changed / 2, `${command} shows on screen: ${onScreen} pixels of ${changed} changed`);
      // The marching ants run along the border: the selection is dropped first.
      await page.evaluate(() => window.retouchApp.run('select.none'));
      await page.evaluate(() => window.retouchApp.settled());
      const shown = mismatch((await screenPixels(page)).data, composite.data, { width });
      assert.ok(shown.max <= 1 && shown.differ < width * height / 10, `${command}: the screen shows the composite (off by up to ${shown.max} in ${shown.differ} pixels)`);
      await page.evaluate(() => window.retouchApp.run('edit.undo'));
      await page.evaluate(() => window.retouchApp.settled());
    }
    assert.deepEqual(app.errors, []);
  });

  test('a preview is drawn over the GPU canvas and Cancel uncovers it whole', async () => {
    const { page } = app;
    await page.evaluate(() => window.retouchApp.run('select.all'));
    await page.evaluate(() => window.retouchApp.settled());
    // The marching ants run along the border: compare inside it.
    const interior = (image) => {
      const out = [];
      for (let y = 3; y < image.height - 3; y++) out.push(...image.data.slice((y * image.width + 3) * 4, (y * image.width + image.width - 3) * 4));
      return out;
    };
    const before = interior(await screenPixels(page));
    await page.evaluate(() => window.retouchApp.run('adjust.gaussian_blur', { sigma: 4 }));
    await page.evaluate(() => window.retouchApp.settled());
    await page.waitForFunction(() => document.querySelector('#adjust-dialog').open);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const previewed = interior(await screenPixels(page));
    assert.ok(mismatch(previewed, before).max > 5, 'the blur is previewed on screen');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('#adjust-dialog').open);
    await page.evaluate(() => window.retouchApp.settled());
    assert.equal(mismatch(interior(await screenPixels(page)), before).max, 0, 'the document shows again');
    await page.evaluate(() => window.retouchApp.run('select.none'));
    assert.deepEqual(app.errors, []);
  });
});
