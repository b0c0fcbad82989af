// Shared set-up for the browser tests: a tiny static server for web/ and the
// system Chromium driven by playwright-core, headless, with or without WebGPU.
import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { mulberry32, compare } from '../test-kit.mjs';

// RETOUCH_WEB_ROOT serves another copy of web/ (e.g. a package built elsewhere).
export const WEB_ROOT = process.env.RETOUCH_WEB_ROOT
  ? path.resolve(process.env.RETOUCH_WEB_ROOT) + path.sep
  : fileURLToPath(new URL('../../web/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.d.ts': 'text/plain; charset=utf-8',
};

/** Fails early, with a clear message, when the wasm package has not been built. */
export function requireBuiltPackage() {
  const js = path.join(WEB_ROOT, 'pkg', 'retouch.js');
  const wasm = path.join(WEB_ROOT, 'pkg', 'retouch_bg.wasm');
  if (!existsSync(js) || !existsSync(wasm)) {
    throw new Error(`web/pkg is missing (${js}): run ./build.sh build first`);
  }
}

/** Serves `root` on 127.0.0.1 on a free port. Resolves to { url, close() }. */
export async function startServer(root = WEB_ROOT) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.join(root, path.normalize(rel));
      if (!file.startsWith(root)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const info = await stat(file).catch(() => null);
      if (!info || !info.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`);
        return;
      }
      const ext = file.endsWith('.d.ts') ? '.d.ts' : path.extname(file).toLowerCase();
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[ext] || 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * WebGPU through SwiftShader, with the GPU process on SwiftShader's Vulkan and
 * ANGLE: --enable-unsafe-webgpu alone gives a compute-capable adapter, but
 * presenting a WebGPU canvas then destroys the device in headless Chromium.
 */
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

/** Launches headless Chromium; `webgpu` adds WEBGPU_ARGS (SwiftShader adapter). */
export async function launchBrowser({ webgpu = false } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: webgpu ? [...BASE_ARGS, ...WEBGPU_ARGS] : BASE_ARGS,
  });
}

/**
 * Opens the editor and waits until it is ready. Page errors and console errors
 * are collected in `errors` so tests can assert that nothing crashed.
 */
export async function openApp(browser, baseUrl, { query = '', viewport, serviceWorkers = 'block' } = {}) {
  // The service worker (offline use) is blocked unless a test is about it:
  // requests then reach the test server and the routes tests install.
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 800 }, acceptDownloads: true, serviceWorkers });
  const page = await context.newPage();
  const errors = [];
  const consoleErrors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(new URL(`index.html${query}`, baseUrl).href);
  await page.waitForFunction(() => window.retouchApp !== undefined);
  await page.evaluate(() => window.retouchApp.ready);
  return { context, page, errors, consoleErrors };
}

/**
 * Installs `window.testKit` in the page: a seeded PRNG, image generators and
 * a comparison, all written for the tests (the app itself computes no pixels).
 */
export async function installTestKit(page) {
  // The generator and the comparison are the Node tests' own (../test-kit.mjs), handed over as source.
  await page.evaluate(`window.testKit = { rng: ${mulberry32}, compare: ${compare} };`);
  await page.evaluate(async () => {
    const { rng, compare } = window.testKit;
    const wasm = await import('./pkg/retouch.js');
    /** Random RGBA with every channel 0..255; `alpha`: 'opaque' | 'varied'. Row 0 holds edge values. */
    function randomRgba(width, height, seed, alpha) {
      const next = rng(seed);
      const data = new Uint8Array(width * height * 4);
      const edges = [0, 255, 1, 254, 128, 127];
      for (let i = 0; i < width * height; i++) {
        const o = i * 4;
        const onEdgeRow = i < width;
        for (let c = 0; c < 3; c++) {
          data[o + c] = onEdgeRow ? edges[(i + c * 2) % edges.length] : Math.floor(next() * 256);
        }
        if (alpha === 'opaque') data[o + 3] = 255;
        else {
          const r = next();
          // Plenty of fully transparent and fully opaque pixels, the rest anywhere.
          data[o + 3] = r < 0.1 ? 0 : r < 0.25 ? 255 : Math.floor(next() * 256);
        }
      }
      return data;
    }
    function randomValues(width, height, seed) {
      const next = rng(seed);
      const data = new Uint8Array(width * height);
      for (let i = 0; i < data.length; i++) {
        const r = next();
        data[i] = r < 0.15 ? 0 : r < 0.3 ? 255 : Math.floor(next() * 256);
      }
      return data;
    }
    function pngOf(width, height, rgba) {
      const image = wasm.Image.fromRgba(width, height, rgba);
      try {
        return image.encodePng();
      } finally {
        image.free();
      }
    }
    /** A mask as a PNG: white, coverage in alpha (Mask.decode reads alpha when present). */
    function maskPngOf(width, height, values) {
      const rgba = new Uint8Array(width * height * 4).fill(255);
      for (let i = 0; i < values.length; i++) rgba[i * 4 + 3] = values[i];
      return pngOf(width, height, rgba);
    }
    const app = window.retouchApp;
    /** Opens `base` as the document and adds `layer` (and its mask) above it at 0,0, through the registry. */
    async function loadImages(base, layer, mask) {
      await app.run('file.open', { bytes: base, name: 'base.png' });
      if (layer != null) await app.run('file.add-layer', { bytes: layer, name: 'layer.png', mask, props: { x: 0, y: 0 } });
      await app.settled();
    }
    /** Sets the active layer's composite parameters (opacity 0–1, offsetX/offsetY) in one step. */
    async function setParams({ mode, opacity, offsetX, offsetY, ...rest }) {
      if (Object.keys(rest).length) throw new Error(`unknown parameter(s): ${Object.keys(rest).join(', ')}`);
      const patch = { mode, opacity: opacity === undefined ? undefined : opacity * 100, x: offsetX, y: offsetY };
      for (const key of Object.keys(patch)) if (patch[key] === undefined) delete patch[key];
      await app.run('layer.set-properties', patch);
      await app.settled();
    }
    /** The active layer's composite parameters as the core's composite takes them. */
    function params() {
      const layer = app.layers().find((l) => l.id === app.activeLayerId());
      return layer ? { mode: layer.mode, opacity: layer.opacity, offsetX: layer.x, offsetY: layer.y } : {};
    }
    window.testKit = { wasm, rng, randomRgba, randomValues, compare, pngOf, maskPngOf, loadImages, setParams, params };
  });
}

/** Opens the sample photograph drawn at `width`×`height` by the browser's canvas (test input only; needs `installTestKit`). */
export async function openPhoto(page, width, height) {
  await page.evaluate(
    async ({ width, height }) => {
      const bitmap = await createImageBitmap(await (await fetch('samples/base.png')).blob());
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d');
      context.imageSmoothingQuality = 'high';
      // A square picture takes the middle of the sample (no stretching).
      const side = Math.min(bitmap.width, bitmap.height);
      const crop = width === height ? [(bitmap.width - side) / 2, 0, side, side] : [0, 0, bitmap.width, bitmap.height];
      context.drawImage(bitmap, ...crop, 0, 0, width, height);
      const rgba = new Uint8Array(context.getImageData(0, 0, width, height).data.buffer);
      await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(width, height, rgba), name: 'photo.png' });
      await window.retouchApp.settled();
    },
    { width, height },
  );
}

/**
 * What the screen shows in page rectangle `clip` (a screenshot, decoded by Chromium, colours as
 * stored): `{ width, height, data }` with `data` the RGBA bytes.
 */
export async function screenshotPixels(page, clip) {
  const png = await page.screenshot({ clip });
  return page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = canvas.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, data: Array.from(g.getImageData(0, 0, bitmap.width, bitmap.height).data) };
  }, png.toString('base64'));
}

/** The page (client) coordinates of image point (x, y) of the open document. */
export function clientPoint(page, x, y) {
  return page.evaluate(([x, y]) => window.retouchApp.clientPoint(x, y), [x, y]);
}

/** Moves the real mouse to image point (x, y) of the open document. */
export async function mouseTo(page, x, y, options) {
  const p = await clientPoint(page, x, y);
  await page.mouse.move(p.x, p.y, options);
}

/** Drags the real mouse through image points `points` ([[x, y], …]), awaits `beforeRelease()` if given, releases and waits for the session. */
export async function dragMouse(page, points, { steps = 6, beforeRelease } = {}) {
  await mouseTo(page, points[0][0], points[0][1]);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await mouseTo(page, x, y, { steps });
  if (beforeRelease) await beforeRelease();
  await page.mouse.up();
  await page.evaluate(() => window.retouchApp.settled());
}
