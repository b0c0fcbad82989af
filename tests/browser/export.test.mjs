// Export through the UI at every size preset and format (issue 11: every size
// but "Original" downloaded a blank file — alpha 1 in PNGs, white JPEGs —
// while the status bar said "Exported"), with WebGPU (?backend=gpu,
// SwiftShader) and without (CPU fallback).
//
// The picture is realistic: the editor's sample sunset with its bokeh layer
// screened over it, drawn at 1200×800 by the browser's canvas, so the presets
// both shrink (1080) and enlarge (2048, 4096). Each download is decoded by the
// core in the page and compared with:
//   - an independent resize of the composite: Chromium's canvas drawImage with
//     imageSmoothingQuality 'high' (Skia's filters, not our Lanczos3, so the
//     tolerance is loose: a mean within a few levels; a blank file is ~100 off);
//   - the core's own CPU Lanczos3 of the same composite (what export must
//     write: lossless formats equal it within rounding, JPEG within its codec).
// Lossless downloads (PNG, and WebP from our own banded encoder) are also
// decoded by Chromium's decoders (libpng, libwebp), which must give the same
// bytes as the core's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '', expect: 'cpu' },
];
const W = 1200;
const H = 800;
const NAME = 'sunset';
const EXTENSIONS = { png: 'png', jpeg: 'jpg', webp: 'webp' };

// Tolerances, per 8-bit channel over R, G and B (each export logs its
// figures). Against the canvas (Skia's filter, not Lanczos3) the mean
// difference measured 0.09–0.11 for lossless files and ≤ 0.66 for JPEG, the
// mean colour ≤ 0.07; the limits leave room for another Skia filter. Against
// the core's Lanczos3, lossless files hold its bytes exactly and JPEG at
// quality 90 measured ≤ 0.65. A blank export is ~140 levels off.
const CANVAS_MEAN = 2;
const MEAN_COLOUR = 1;
const CORE_MEAN = { png: 0, webp: 0, jpeg: 1.5 };

requireBuiltPackage();

/** Opens the 1200×800 sample picture (opaque) as a new document named sunset.png. */
async function openPicture(page) {
  await page.evaluate(
    async ({ W, H, NAME }) => {
      const bitmap = async (url) => createImageBitmap(await (await fetch(url)).blob());
      const [base, lights] = await Promise.all([bitmap('samples/base.png'), bitmap('samples/layer.png')]);
      const canvas = new OffscreenCanvas(W, H);
      const ctx = canvas.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(base, 0, 0, W, H);
      ctx.globalCompositeOperation = 'screen';
      ctx.globalAlpha = 0.85;
      ctx.drawImage(lights, 0, 0, W, H);
      const rgba = new Uint8Array(ctx.getImageData(0, 0, W, H).data.buffer);
      for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
      await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(W, H, rgba), name: `${NAME}.png` });
    },
    { W, H, NAME },
  );
}

/**
 * Installs `window.exportCheck(base64, width, height)` in the page: decodes
 * the downloaded file with the core and compares it with the two references
 * of the current composite (cached per size).
 */
async function installExportCheck(page) {
  await page.evaluate(async () => {
    const { wasm } = window.testKit;
    const cpu = await wasm.createEngine('cpu');
    const composite = await window.retouchApp.resultRgba();
    const references = new Map();

    async function referencesAt(width, height) {
      const key = `${width}x${height}`;
      if (!references.has(key)) {
        const source = new OffscreenCanvas(composite.width, composite.height);
        source.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(composite.data), composite.width, composite.height), 0, 0);
        const canvas = new OffscreenCanvas(width, height);
        const ctx = canvas.getContext('2d');
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(source, 0, 0, width, height);
        const canvasRgba = new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer);
        const image = wasm.Image.fromRgba(composite.width, composite.height, composite.data);
        const resized = await cpu.resize(image, { width, height, filter: 'lanczos3' });
        const coreRgba = resized.rgba();
        image.free();
        resized.free();
        references.set(key, { canvas: canvasRgba, core: coreRgba });
      }
      return references.get(key);
    }

    /** Mean and max |a-b| over R, G, B; the largest difference of the mean colours. */
    function difference(got, want) {
      let sum = 0;
      let max = 0;
      const totals = [0, 0, 0, 0, 0, 0];
      for (let i = 0; i < got.length; i += 4) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(got[i + c] - want[i + c]);
          sum += d;
          if (d > max) max = d;
          totals[c] += got[i + c];
          totals[3 + c] += want[i + c];
        }
      }
      const n = got.length / 4;
      const meanColour = Math.max(...[0, 1, 2].map((c) => Math.abs(totals[c] - totals[3 + c]) / n));
      return { mean: +(sum / (3 * n)).toFixed(3), max, meanColour: +meanColour.toFixed(3) };
    }

    /** The file decoded by Chromium itself (libpng, libwebp): pixels as stored. */
    async function browserDecode(bytes, type) {
      const bitmap = await createImageBitmap(new Blob([bytes], { type }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      canvas.getContext('2d').drawImage(bitmap, 0, 0);
      return new Uint8Array(canvas.getContext('2d').getImageData(0, 0, bitmap.width, bitmap.height).data.buffer);
    }

    window.exportCheck = async (base64, width, height, losslessType) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const image = wasm.Image.decode(bytes);
      const got = { width: image.width, height: image.height, rgba: image.rgba() };
      image.free();
      const result = { width: got.width, height: got.height };
      if (got.width !== width || got.height !== height) return result;
      if (losslessType) {
        // A lossless file (the WebP from our own encoder above all) must
        // decode to the same bytes in the browser's decoder as in the core's.
        const theirs = await browserDecode(bytes, losslessType);
        result.browserDecodeDiffers = theirs.length === got.rgba.length ? theirs.filter((v, i) => v !== got.rgba[i]).length : -1;
      }
      let opaque = 0;
      let sum = 0;
      for (let i = 0; i < got.rgba.length; i += 4) {
        if (got.rgba[i + 3] === 255) opaque++;
        sum += got.rgba[i] + got.rgba[i + 1] + got.rgba[i + 2];
      }
      const refs = await referencesAt(width, height);
      return {
        ...result,
        allOpaque: opaque === width * height,
        meanLevel: +(sum / (3 * width * height)).toFixed(2),
        canvas: difference(got.rgba, refs.canvas),
        core: difference(got.rgba, refs.core),
      };
    };
  });
}

/** The size a long edge gives a W×H picture (the core rounds half up). */
function sizeFor(longEdge) {
  if (!longEdge) return [W, H];
  const long = Math.max(W, H);
  return [Math.max(1, Math.round((W * longEdge) / long)), Math.max(1, Math.round((H * longEdge) / long))];
}

for (const config of CONFIGS) {
  describe(`export, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    const names = [];

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      await openPicture(app.page);
      await installExportCheck(app.page);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test(`runs on the ${config.expect.toUpperCase()}`, async () => {
      const backend = await app.page.evaluate(() => window.retouchApp.backend());
      assert.equal(backend, config.expect);
      assert.deepEqual(await app.page.evaluate(() => window.retouchApp.size()), { width: W, height: H });
    });

    test('every size preset and format downloads the resized picture, not a blank', { timeout: 600_000 }, async () => {
      const { page, errors } = app;
      const sizes = await page.$$eval('#export-size option', (options) => options.map((o) => ({ value: o.value, label: o.textContent })));
      const formats = await page.$$eval('#export-format option', (options) => options.map((o) => o.value));
      assert.ok(sizes.some((s) => s.value === ''), 'an “Original” preset');
      assert.ok(sizes.length >= 4, `presets: ${JSON.stringify(sizes)}`);
      for (const format of ['png', 'jpeg']) assert.ok(formats.includes(format), `formats: ${formats}`);
      const failures = [];
      for (const size of sizes) {
        for (const format of formats) {
          await page.selectOption('#export-size', size.value);
          await page.selectOption('#export-format', format);
          const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
          const name = download.suggestedFilename();
          names.push({ name, format, longEdge: Number(size.value) || 0 });
          const bytes = await readFile(await download.path());
          const [width, height] = sizeFor(Number(size.value));
          const lossless = { png: 'image/png', webp: 'image/webp' }[format];
          const r = await page.evaluate(([b64, w, h, t]) => window.exportCheck(b64, w, h, t), [bytes.toString('base64'), width, height, lossless]);
          const what = `${format} at “${size.label}” (${name}, ${bytes.length} bytes): ${JSON.stringify(r)}`;
          console.log(`# ${config.expect}: ${what}`);
          if (r.width !== width || r.height !== height) failures.push(`${what}: not ${width}×${height}`);
          else if (lossless && r.browserDecodeDiffers !== 0) failures.push(`${what}: Chromium decodes other bytes than the core`);
          else if (!r.allOpaque) failures.push(`${what}: alpha not all 255 (blank or transparent export)`);
          else if (r.canvas.meanColour > MEAN_COLOUR) failures.push(`${what}: mean colour off the canvas reference by > ${MEAN_COLOUR}`);
          else if (r.canvas.mean > CANVAS_MEAN) failures.push(`${what}: mean difference from the canvas reference > ${CANVAS_MEAN}`);
          else if (r.core.mean > CORE_MEAN[format]) failures.push(`${what}: mean difference from the core's Lanczos3 > ${CORE_MEAN[format]}`);
        }
      }
      assert.deepEqual(failures, []);
      const status = await page.locator('#status').textContent().catch(() => '');
      assert.match(status ?? '', /Exported/);
      assert.deepEqual(errors, []);
    });

    // The export command names files with exportFileName (web/ui/files.js).
    test('exports at different sizes get distinct file names', () => {
      assert.ok(names.length > 0, 'the exports ran');
      for (const { name, format, longEdge } of names) {
        const ext = EXTENSIONS[format];
        assert.equal(name, longEdge ? `${NAME}-retouched-${longEdge}px.${ext}` : `${NAME}-retouched.${ext}`);
      }
      assert.equal(new Set(names.map((n) => n.name)).size, names.length, 'every file name differs');
    });
  });
}
