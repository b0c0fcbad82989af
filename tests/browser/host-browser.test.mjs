// The browser as a host (web/hosts/browser.js), through the same commands the
// design tools use: host.get-image asks for a file with the browser's picker,
// host.send-result downloads the result as PNG; the host bar stays hidden
// (the page's own File buttons do this) and the page keeps its autosave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';

requireBuiltPackage();

test('browser host: a picked file in, the result downloaded as PNG', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openApp(browser, server.url);
    await installTestKit(page);
    assert.equal(await page.locator('#host-bar').isHidden(), true, 'no host bar in the browser');
    assert.notEqual(await page.evaluate(() => window.retouchApp.autosaveStats()), null, 'the page autosaves');

    const W = 48;
    const H = 32;
    const png = await page.evaluate(({ W, H }) => [...window.testKit.pngOf(W, H, window.testKit.randomRgba(W, H, 5, 'opaque'))], { W, H });
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.evaluate(() => {
      window.opened = window.retouchApp.run('host.get-image');
    })]);
    await chooser.setFiles({ name: 'picked.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    assert.equal(await page.evaluate(() => window.opened), 'picked.png');
    assert.deepEqual(await page.evaluate(() => window.retouchApp.size()), { width: W, height: H });

    await page.evaluate(() => window.retouchApp.run('select.rectangle', { x: 4, y: 4, width: 10, height: 8, mode: 'replace' }));
    await page.evaluate(() => window.retouchApp.run('layer.clear'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.evaluate(() => window.retouchApp.run('host.send-result'))]);
    assert.equal(download.suggestedFilename(), 'picked-Background.png');
    const bytes = await readFile(await download.path());
    const sent = await page.evaluate((bytes) => {
      const image = window.testKit.wasm.Image.decode(new Uint8Array(bytes));
      const out = { width: image.width, height: image.height, rgba: [...image.rgba()] };
      image.free();
      return out;
    }, [...bytes]);
    const composite = await page.evaluate(async () => [...(await window.retouchApp.resultRgba()).data]);
    assert.deepEqual([sent.width, sent.height], [W, H]);
    assert.deepEqual(sent.rgba, composite, 'the download is the composite');
    assert.equal(sent.rgba[(5 * W + 5) * 4 + 3], 0, 'the cleared region');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
