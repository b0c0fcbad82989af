// The page stays responsive on a big document (issue 11, bug 4): opening a
// 12 MP JPEG and autosaving after an edit must not block the main thread for
// seconds (the old page froze 4–4.7 s on open and 1.1–2.6 s after each edit,
// rebuilding a ~50 MB .ora on the main thread). A long-task observer and a
// timer-gap probe record every main-thread block while the page opens the
// photo (decoded in a worker) and while it autosaves an edit (only the
// changed tiles, stored by a worker); no block may exceed EDIT_BOUND_MS, a
// bound far below the old freezes and well above what this loaded 2-core
// machine shows. The first full render of the composite runs on the main
// thread but band by band (about a megapixel each, the page handling input in
// between), so it is bounded too: before, it was one block of 1.1–4.7 s. The
// autosave worker counts the bytes each save writes: a small
// edit writes kilobytes, not the whole project. Then a reload recovers the
// document with the edit, pixel for pixel. CPU engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, requireBuiltPackage } from './harness.mjs';

const W = 4000;
const H = 3000;
/** Longest main-thread block allowed while a photo opens and first renders: the old page blocked 4000–4700 ms. */
const OPEN_BOUND_MS = 1000;
/** Longest main-thread block allowed while an edit is autosaved: the old page blocked 1100–2600 ms. */
const EDIT_BOUND_MS = 500;
/** Most bytes a small edit's autosave may write (the whole project is ~50 MB). */
const SMALL_EDIT_BYTES = 1 << 20;
/** The edit: a 120×90 selection cleared inside one 256×256 tile. */
const EDIT = { x: 2070, y: 1300, width: 120, height: 90 };

requireBuiltPackage();
let server;
let browser;
let app;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ webgpu: false });
  app = await openApp(browser, server.url, { query: '?backend=cpu' });
  await app.page.evaluate(() => window.retouchApp.run('file.start-fresh'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Makes a 12 MP photo-like JPEG in the page (the sample photo scaled up, with grain) as window.bigJpeg. */
async function makeJpeg(page) {
  return page.evaluate(async ({ W, H }) => {
    const sample = await createImageBitmap(await (await fetch('samples/base.png')).blob());
    const canvas = new OffscreenCanvas(W, H);
    const g = canvas.getContext('2d');
    g.drawImage(sample, 0, 0, W, H);
    // Grain, so the JPEG has the detail of a real photo (and compresses like one).
    const grain = g.getImageData(0, 0, W, 256);
    let seed = 7;
    for (let i = 0; i < grain.data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      if ((i & 3) !== 3) grain.data[i] = Math.max(0, Math.min(255, grain.data[i] + ((seed >>> 24) % 17) - 8));
    }
    const tile = await createImageBitmap(grain);
    g.globalAlpha = 0.5;
    for (let y = 0; y < H; y += 256) g.drawImage(tile, 0, y);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    window.bigJpeg = new Uint8Array(await blob.arrayBuffer());
    return window.bigJpeg.length;
  }, { W, H });
}

/** Starts recording main-thread blocks: long tasks, and gaps between 10 ms timer ticks. */
function startProbe(page) {
  return page.evaluate(() => {
    const probe = { longTasks: [], maxGap: 0, stop: null };
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longTasks.push(Math.round(entry.duration));
    });
    observer.observe({ type: 'longtask' });
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      probe.maxGap = Math.max(probe.maxGap, now - last);
      last = now;
    }, 10);
    probe.stop = () => {
      clearInterval(timer);
      for (const entry of observer.takeRecords()) probe.longTasks.push(Math.round(entry.duration));
      observer.disconnect();
      return { longest: Math.max(0, ...probe.longTasks), longTasks: probe.longTasks, maxGap: Math.round(probe.maxGap) };
    };
    window.blockProbe = probe;
  });
}

const stopProbe = (page) => page.evaluate(() => window.blockProbe.stop());

/** SHA-256 of the active layer's pixels and of the composite, computed in the page. */
function fingerprints(page) {
  return page.evaluate(async () => {
    const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    const app = window.retouchApp;
    const layer = await app.layerPixels(app.activeLayerId());
    const composite = await app.resultRgba();
    return { layer: await hex(layer.data), composite: await hex(composite.data), layers: app.layers().map((l) => [l.id, l.name, l.width, l.height]) };
  });
}

let edited;

test('opening a 12 MP JPEG and autosaving an edit never block the page for long; an edit writes kilobytes', async () => {
  const { page, errors } = app;
  const jpegBytes = await makeJpeg(page);
  console.log(`# generated a ${W}×${H} JPEG of ${(jpegBytes / 1e6).toFixed(1)} MB`);

  // Open, render and the first (full) autosave.
  await startProbe(page);
  const opened = await page.evaluate(async () => {
    const started = performance.now();
    const app = window.retouchApp;
    const running = app.run('file.open', { bytes: window.bigJpeg, name: 'big.jpg' });
    // The page shows that it is busy while the worker decodes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const busy = document.querySelector('#status').textContent;
    await running;
    await app.settled();
    const ms = performance.now() - started;
    await app.run('file.autosave-now');
    const render = Number(/in (\d+) ms/.exec(document.querySelector('#timing').textContent)?.[1]);
    return { ms: Math.round(ms), savedMs: Math.round(performance.now() - started), busy, render, size: app.size(), stats: app.autosaveStats() };
  });
  const openBlocks = await stopProbe(page);
  console.log(`# open + first render ${opened.ms} ms (render ${opened.render} ms), + full autosave ${opened.savedMs} ms; blocks: ${JSON.stringify(openBlocks)}; first save wrote ${opened.stats.last.written} bytes`);
  assert.deepEqual(opened.size, { width: W, height: H });
  assert.match(opened.busy, /Opening big\.jpg/);
  assert.equal(opened.stats.last.full, true, 'the first save of a document stores all of it');
  assert.ok(Number.isFinite(opened.render), 'the page reported the first render');
  const longest = Math.max(0, ...openBlocks.longTasks);
  assert.ok(longest < OPEN_BOUND_MS, `opening and the first render blocked the page for ${JSON.stringify(openBlocks.longTasks)} ms`);
  assert.ok(longest < opened.render, `the first render (${opened.render} ms) is not one block (longest ${longest} ms)`);

  // A small edit: select a rectangle (saved on its own), then clear it on the layer.
  await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), EDIT);
  await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
  const selectionSave = await page.evaluate(() => window.retouchApp.autosaveStats().last);
  await startProbe(page);
  const save = await page.evaluate(async () => {
    const app = window.retouchApp;
    await app.run('layer.clear');
    await app.settled();
    // The autosave runs by itself within a second; wait for it.
    const saves = app.autosaveStats().saves;
    while (app.autosaveStats().saves === saves) await new Promise((resolve) => setTimeout(resolve, 50));
    return app.autosaveStats().last;
  });
  const editBlocks = await stopProbe(page);
  console.log(`# selection save wrote ${selectionSave.written} bytes (${selectionSave.pieces} pieces); the clear's save ${save.written} bytes (${save.pieces} pieces); blocks: ${JSON.stringify(editBlocks)}`);
  assert.equal(save.full, false);
  assert.equal(save.pieces, 2, 'the cleared rectangle lies in one tile, and its undo is one history step');
  assert.ok(save.written < SMALL_EDIT_BYTES, `a small edit wrote ${save.written} bytes`);
  assert.ok(save.written * 50 < opened.stats.last.written, 'a small edit writes a small part of the project');
  assert.ok(selectionSave.written < SMALL_EDIT_BYTES, `a new selection wrote ${selectionSave.written} bytes`);
  assert.ok(editBlocks.longest < EDIT_BOUND_MS, `the edit and its autosave blocked the page for ${editBlocks.longest} ms`);
  assert.ok(editBlocks.maxGap < EDIT_BOUND_MS, `a timer waited ${editBlocks.maxGap} ms`);
  edited = await fingerprints(page);
  assert.deepEqual(errors, []);
});

test('after a reload the document comes back with the edit', async () => {
  assert.ok(edited, 'the first test edited the document');
  const { page } = app;
  await page.reload();
  await page.waitForFunction(() => window.retouchApp !== undefined);
  await page.evaluate(() => window.retouchApp.ready);
  await page.waitForFunction(() => window.retouchApp.recovered() !== null);
  const restored = await fingerprints(page);
  assert.deepEqual(restored, edited, 'the same layers, pixels and composite');
  const after = await page.evaluate(async () => ({
    selection: await window.retouchApp.selectionValues(),
    notice: document.querySelector('#recovery').textContent.replace(/\s+/g, ' '),
  }));
  assert.match(after.notice, /big\.jpg/);
  assert.ok(after.selection, 'the selection came back');
  // The next save after a recovery sends only what changed since.
  await page.evaluate(() => window.retouchApp.run('layer.set-properties', { opacity: 50 }));
  await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
  const stats = await page.evaluate(() => window.retouchApp.autosaveStats().last);
  assert.equal(stats.pieces, 1, 'a property change stores the state and its undo step only');
  assert.ok(stats.written < 16384, `${stats.written} bytes (the state, the list of keys and the step)`);
  await page.evaluate(() => window.retouchApp.run('file.start-fresh'));
});
