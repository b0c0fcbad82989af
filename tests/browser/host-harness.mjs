// Shared set-up for the simulated-host tests: the *packaged* bundles from
// dist/ (./build.sh package) served over HTTP, a host page made by the test
// (its scripts under /__host/ come from tests/hosts/: the fake Figma,
// Photoshop and Express), and the editor found in its frame.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './harness.mjs';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const FAKES = fileURLToPath(new URL('../hosts/', import.meta.url));

/** Fails early, with a clear message, when the host bundles have not been packaged. */
export function requirePackagedHosts() {
  for (const file of ['figma/ui.html', 'figma/code.js', 'photoshop/panel.js', 'photoshop/web/index.html', 'express/index.html', 'retouch-photoshop.ccx']) {
    if (!existsSync(path.join(DIST, file))) throw new Error(`dist/${file} is missing: run ./build.sh package first`);
  }
}

/** Serves dist/ (the packaged bundles). */
export const startDistServer = () => startServer(DIST);

/**
 * Opens a test page at /__host/<name>.html with `body` (HTML) as its body; /__host/*.js are
 * the fakes in tests/hosts/. Page errors of every frame are collected in `errors`.
 */
export async function openHostPage(browser, baseUrl, { name, body, initScript }) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: 'block' });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.route(`${baseUrl}__host/**`, async (route) => {
    const file = new URL(route.request().url()).pathname.replace('/__host/', '');
    if (file === `${name}.html`) {
      return route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>` });
    }
    const full = path.join(FAKES, path.normalize(file));
    if (!full.startsWith(FAKES) || !existsSync(full)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: 'text/javascript', body: await readFile(full, 'utf8') });
  });
  await page.goto(`${baseUrl}__host/${name}.html`);
  return { context, page, errors };
}

/** The editor's frame (the one with retouchApp), once it is ready. */
export async function editorFrame(page) {
  for (let tries = 0; tries < 200; tries++) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const has = await frame.evaluate(() => window.retouchApp !== undefined).catch(() => false);
      if (has) {
        await frame.evaluate(() => window.retouchApp.ready);
        return frame;
      }
    }
    await page.waitForTimeout(100);
  }
  throw new Error('the editor did not start in a frame');
}

/** Picks the engine through the registry (auto would pass over SwiftShader) and returns what runs. */
export async function useEngine(frame, choice) {
  await frame.evaluate((choice) => window.retouchApp.run('engine.use', { choice }), choice);
  return frame.evaluate(() => window.retouchApp.backend());
}

/** Selects `rect` and runs the Generate panel's default, the offline Content-Aware Fill; resolves to the panel's state. */
export async function contentAwareFill(frame, rect) {
  return frame.evaluate(async (rect) => {
    const app = window.retouchApp;
    await app.run('select.rectangle', { ...rect, mode: 'replace' });
    await app.run('generate.run');
    await app.generation.settled();
    await app.settled();
    return { state: app.generation.state(), layers: app.layers(), active: app.activeLayerId() };
  }, rect);
}
