// The paint brush, eraser and clone stamp driven with the mouse and their
// shortcuts (B, E, S; Alt+click sets the clone source) in headless Chromium,
// with WebGPU (SwiftShader; the page must run on the GPU) and without (CPU
// fallback): each stroke is one history step named after its tool that
// changes pixels only inside the stroke's bounds, equals bit for bit what a
// CPU engine paints for the same points, shows on the canvas, and one Ctrl+Z
// restores the layer bit-exactly. Strokes are live: the canvas shows the
// dabs while the pointer moves, before it is released.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

const CONFIGS = [
  // The 2D canvas draws the view (read back from the GPU), so its pixels can be read; present.test.mjs checks the WebGPU canvas.
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu&present=2d', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
const W = 160;
const H = 120;

requireBuiltPackage();

const clientPoint = (page, [x, y]) => page.evaluate(([x, y]) => window.retouchApp.clientPoint(x, y), [x, y]);

/** Drags the mouse through image points (with steps between them). */
async function drag(page, points) {
  const first = await clientPoint(page, points[0]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const point of points.slice(1)) {
    const p = await clientPoint(page, point);
    await page.mouse.move(p.x, p.y, { steps: 6 });
  }
  await page.mouse.up();
  await page.evaluate(() => window.retouchApp.settled());
}

const layerPixels = (page) =>
  page.evaluate(async () => Array.from((await window.retouchApp.layerPixels(window.retouchApp.activeLayerId())).data));

const history = (page) => page.evaluate(() => window.retouchApp.history());

/** The box of the last gesture's points grown by half the diameter (plus a pixel). */
async function strokeBounds(page) {
  const { points, params } = await page.evaluate(() => window.retouchApp.lastGesture());
  const reach = params.diameter / 2 + 1;
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  return { x0: Math.min(...xs) - reach, x1: Math.max(...xs) + reach, y0: Math.min(...ys) - reach, y1: Math.max(...ys) + reach };
}

/** Pixels changed outside `bounds`, and how many changed inside. */
function changes(before, after, bounds) {
  let outside = 0;
  let inside = 0;
  for (let i = 0; i < before.length; i += 4) {
    const x = (i / 4) % W;
    const y = Math.floor(i / 4 / W);
    const changed = [0, 1, 2, 3].some((c) => before[i + c] !== after[i + c]);
    if (!changed) continue;
    if (x >= bounds.x0 && x <= bounds.x1 && y >= bounds.y0 && y <= bounds.y1) inside++;
    else outside++;
  }
  return { outside, inside };
}

/** The last gesture's stroke painted by a CPU engine on a fresh project of the picture. */
function cpuReference(page, extra = {}) {
  return page.evaluate(async (extra) => {
    const { wasm } = window.testKit;
    window.testCpu = window.testCpu ?? (await wasm.createEngine('cpu'));
    const { tool, points, params } = window.retouchApp.lastGesture();
    const project = wasm.Project.fromImageFile(window.testPicture);
    const { points: _, ...values } = params;
    const kind = { paint: 'brush', eraser: 'eraser', clone: 'clone' }[tool];
    await project.paintStroke(window.testCpu, project.layers()[0].id, new Float32Array(points), { ...values, ...extra, tool: kind });
    const image = project.layerPixels(project.layers()[0].id);
    const out = Array.from(image.rgba());
    image.free();
    project.free();
    return out;
  }, extra);
}

/** What the canvas shows, and the composite the core rendered. */
function shownAndRendered(page) {
  return page.evaluate(async () => {
    const rendered = Array.from((await window.retouchApp.resultRgba()).data);
    const c = document.querySelector('canvas.composite');
    return { shown: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data), rendered };
  });
}

/**
 * The first pixel where the canvas differs from the rendered composite, or −1.
 * The 2D canvas keeps premultiplied alpha, so a translucent pixel's colour
 * comes back within 255 / alpha of what was put.
 */
function canvasMismatch(shown, rendered) {
  for (let i = 0; i < shown.length; i += 4) {
    const alpha = rendered[i + 3];
    if (shown[i + 3] !== alpha) return i / 4;
    const slack = alpha === 255 ? 0 : Math.ceil(255 / Math.max(alpha, 1));
    for (let c = 0; c < 3; c++) if (alpha > 0 && Math.abs(shown[i + c] - rendered[i + c]) > slack) return i / 4;
  }
  return -1;
}

const at = (pixels, x, y) => pixels.slice((y * W + x) * 4, (y * W + x) * 4 + 4);

for (const config of CONFIGS) {
  describe(`painting tools, ${config.name}`, () => {
    let server;
    let browser;
    let app;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      await app.page.evaluate(
        async ({ W, H }) => {
          const rgba = new Uint8Array(W * H * 4);
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) rgba.set([(x * 3) & 255, (y * 2) & 255, (x * y) % 256, 255], (y * W + x) * 4);
          }
          window.testPicture = window.testKit.pngOf(W, H, rgba);
          await window.retouchApp.run('file.open', { bytes: window.testPicture, name: 'picture.png' });
          await window.retouchApp.run('view.actual-size');
        },
        { W, H },
      );
    });

    after(async () => {
      assert.deepEqual(app.errors.map(String), [], 'no page errors');
      await browser?.close();
      await server?.close();
    });

    /** Picks a tool by its key, sets its options, strokes, and checks the common promises. */
    async function stroke({ key, tool, params, points, name, extra }) {
      const { page } = app;
      await page.locator('#stage').focus().catch(() => {});
      await page.keyboard.press(key);
      assert.equal(await page.evaluate(() => window.retouchApp.tool()), tool, `${key} picks ${tool}`);
      await page.evaluate(({ tool, params }) => window.retouchApp.run('tool.set-params', { tool, params }), { tool, params });
      const before = await layerPixels(page);
      const position = (await history(page)).position;
      await drag(page, points);
      const after = await layerPixels(page);
      const steps = await history(page);
      assert.equal(steps.position, position + 1, 'one history step per stroke');
      assert.equal(steps.entries[steps.position - 1].name, name);
      const { outside, inside } = changes(before, after, await strokeBounds(page));
      assert.equal(outside, 0, 'no pixel outside the stroke changed');
      assert.ok(inside > 50, `the stroke changed ${inside} pixels`);
      assert.deepEqual(after, await cpuReference(page, extra), 'the page paints what a CPU engine paints, bit for bit');
      const { shown, rendered } = await shownAndRendered(page);
      assert.equal(canvasMismatch(shown, rendered), -1, 'the canvas shows the painted document');
      return { before, after };
    }

    async function undoRestores(before) {
      const { page } = app;
      await page.keyboard.press('Control+z');
      await page.evaluate(() => window.retouchApp.settled());
      assert.deepEqual(await layerPixels(page), before, 'Ctrl+Z restores the layer bit-exactly');
    }

    test('the stroke shows on the canvas while the pointer moves, and ends as the whole stroke at once', async () => {
      const { page } = app;
      await page.locator('#stage').focus().catch(() => {});
      await page.keyboard.press('b');
      const params = { diameter: 9, hardness: 60, opacity: 80, flow: 50, color: '#00ff00' };
      await page.evaluate((params) => window.retouchApp.run('tool.set-params', { tool: 'paint', params }), params);
      const before = await layerPixels(page);
      const position = (await history(page)).position;
      const canvas = () =>
        page.evaluate(async () => {
          await window.retouchApp.settled();
          const c = document.querySelector('canvas.composite');
          return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
        });
      const shownBefore = await canvas();
      const changed = (now) => {
        let n = 0;
        for (let i = 0; i < now.length; i++) n += now[i] !== shownBefore[i];
        return n;
      };
      const points = [[20, 100], [50, 90], [80, 105], [110, 95], [140, 100]];
      const first = await clientPoint(page, points[0]);
      await page.mouse.move(first.x, first.y);
      await page.mouse.down();
      const seen = [changed(await canvas())];
      for (const point of points.slice(1)) {
        const p = await clientPoint(page, point);
        await page.mouse.move(p.x, p.y, { steps: 4 });
        seen.push(changed(await canvas()));
      }
      assert.equal((await history(page)).position, position, 'no step before the release');
      assert.ok(seen[0] > 0, 'the first dab shows on the pointer going down');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `the canvas grows with each move: ${seen}`);
      await page.mouse.up();
      await page.evaluate(() => window.retouchApp.settled());
      const steps = await history(page);
      assert.equal(steps.position, position + 1, 'one history step for the stroke');
      assert.equal(steps.entries[steps.position - 1].name, 'Brush');
      assert.deepEqual(await layerPixels(page), await cpuReference(page), 'the live stroke ends with the pixels of the whole stroke at once');
      const { shown, rendered } = await shownAndRendered(page);
      assert.equal(canvasMismatch(shown, rendered), -1, 'the canvas shows the painted document');
      await undoRestores(before);
    });

    test('B paints the colour along the drag; Ctrl+Z restores', async () => {
      const { before, after } = await stroke({
        key: 'b',
        tool: 'paint',
        params: { diameter: 12, hardness: 100, opacity: 100, flow: 100, color: '#ff0000' },
        points: [[30, 40], [70, 40], [90, 80]],
        name: 'Brush',
      });
      assert.deepEqual(at(after, 50, 40), [255, 0, 0, 255], 'full strength on the stroke');
      assert.deepEqual(at(after, 50, 60), at(before, 50, 60), 'untouched beside it');
      await undoRestores(before);
    });

    test('half opacity never exceeds half, even where the stroke crosses itself', async () => {
      const { before, after } = await stroke({
        key: 'b',
        tool: 'paint',
        params: { diameter: 10, hardness: 100, opacity: 50, flow: 100, color: '#ffffff' },
        points: [[20, 60], [100, 60], [100, 30], [60, 30], [60, 100]],
        name: 'Brush',
      });
      // Crossing at (60, 60): the same as a single pass at (40, 60) over the same kind of pixel.
      for (const [x, y] of [[60, 60], [40, 60]]) {
        const [b, a] = [at(before, x, y), at(after, x, y)];
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(a[c] - Math.round((b[c] + 255) / 2)) <= 1, `(${x}, ${y}) channel ${c}: ${b[c]} → ${a[c]}`);
      }
      await undoRestores(before);
    });

    test('E erases towards transparency; Ctrl+Z restores', async () => {
      const { before, after } = await stroke({
        key: 'e',
        tool: 'eraser',
        params: { diameter: 14, hardness: 100, opacity: 100, flow: 100 },
        points: [[100, 20], [140, 50]],
        name: 'Eraser',
      });
      assert.equal(at(after, 120, 35)[3], 0, 'erased to transparent');
      assert.deepEqual(at(after, 120, 35).slice(0, 3), at(before, 120, 35).slice(0, 3), 'colour kept');
      await undoRestores(before);
    });

    test('S with Alt+click sets the source; the stroke clones from it; Ctrl+Z restores', async () => {
      const { page } = app;
      await page.locator('#stage').focus().catch(() => {});
      await page.keyboard.press('s');
      const source = await clientPoint(page, [110, 90]);
      const position = (await history(page)).position;
      await page.keyboard.down('Alt');
      await page.mouse.click(source.x, source.y);
      await page.keyboard.up('Alt');
      await page.evaluate(() => window.retouchApp.settled());
      const set = await page.evaluate(() => window.retouchApp.cloneSource());
      assert.ok(Math.abs(set.x - 110) < 1 && Math.abs(set.y - 90) < 1, `source at ${JSON.stringify(set)}`);
      assert.equal((await history(page)).position, position, 'setting the source is not a step');
      const { before, after } = await stroke({
        key: 's',
        tool: 'clone',
        params: { diameter: 16, hardness: 100, opacity: 100, flow: 100 },
        points: [[20, 20], [60, 20]],
        name: 'Clone Stamp',
        extra: { sourceX: set.x, sourceY: set.y },
      });
      const { points } = await page.evaluate(() => window.retouchApp.lastGesture());
      const dx = Math.round(set.x - points[0]);
      const dy = Math.round(set.y - points[1]);
      for (const x of [30, 40, 50]) assert.deepEqual(at(after, x, 20), at(before, x + dx, 20 + dy), `(${x}, 20) is a copy of its source`);
      await undoRestores(before);
    });
  });
}
