// The installable web app works offline after the first visit: the service
// worker stores every file of the app, and with the network gone (the
// browser context offline and the test server stopped) a reload brings the
// editor back, an image opens and an edit runs; the page says it is offline,
// and a provider that needs the network says so instead of trying.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, WEB_ROOT } from './harness.mjs';

requireBuiltPackage();

test('offline after the first visit: reload, open an image, edit; providers say they need the network', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { context, page, errors } = await openApp(browser, server.url, { serviceWorkers: 'allow' });
    assert.equal(await page.evaluate(() => window.retouchApp.offlineReady()), true, 'the service worker installed');
    assert.equal(await page.locator('#offline').isVisible(), false, 'online: no offline badge');
    // Every file the build listed is in the cache, the engine included.
    const { files } = JSON.parse(await readFile(new URL('pkg/precache.json', `file://${WEB_ROOT}`), 'utf8'));
    assert.ok(files.includes('pkg/retouch_bg.wasm') && files.includes('app.js') && files.includes('index.html'));
    const missing = await page.evaluate(async (files) => {
      const cache = await caches.open('retouch-app');
      const absent = [];
      for (const file of files) if (!(await cache.match(file))) absent.push(file);
      return absent;
    }, files);
    assert.deepEqual(missing, []);

    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.retouchApp !== undefined);
    await page.evaluate(() => window.retouchApp.ready);
    assert.equal(await page.locator('#offline').isVisible(), true, 'the offline badge shows');
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, 'the page came from the service worker');

    // Open a picture and clear a rectangle of it: the core runs from the cache.
    await installTestKit(page);
    const W = 64;
    const H = 48;
    await page.evaluate(
      async ({ W, H }) => {
        const rgba = new Uint8Array(W * H * 4);
        for (let i = 0; i < W * H; i++) rgba.set([(i * 7) % 256, (i * 3) % 256, 180, 255], i * 4);
        await window.retouchApp.run('file.open', { bytes: window.testKit.pngOf(W, H, rgba), name: 'offline.png' });
        await window.retouchApp.run('select.rectangle', { x: 8, y: 8, width: 16, height: 12, mode: 'replace' });
        await window.retouchApp.run('layer.clear');
      },
      { W, H },
    );
    const { data } = await page.evaluate(async () => {
      const r = await window.retouchApp.resultRgba();
      return { data: [...r.data] };
    });
    const alpha = (x, y) => data[(y * W + x) * 4 + 3];
    assert.equal(alpha(10, 10), 0, 'inside the rectangle: cleared');
    assert.equal(alpha(40, 30), 255, 'outside: untouched');

    // A provider that needs the network refuses before any request, saying why.
    await page.selectOption('#gen-provider', 'retouch.provider.openai');
    await page.fill('#gen-prompt', 'a red kite');
    await page.fill('#gen-key', 'sk-test-offline');
    await page.click('#gen-run');
    await page.evaluate(() => window.retouchApp.generation.settled());
    const state = await page.evaluate(() => window.retouchApp.generation.state());
    assert.equal(state.error?.kind, 'network');
    assert.match(state.error.message, /offline/i);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close().catch(() => {});
  }
});
