// Third-party filter plugins in the page, with WebGPU (SwiftShader) and without: a bundle is
// installed through the Plugins dialog (what it is shown before the confirm), survives a
// reload (IndexedDB), and runs from the Filter menu in a Worker on the browser's own
// WebAssembly; inside a soft selection the result equals the CLI's bytes (`retouch plugin
// run`, wasmtime) and pixels outside are bit-exact; one undo restores the layer. An endless loop
// is stopped at its time limit and a memory hog at its limit, with clear messages and the
// document unchanged; Cancel stops a run; bad bundles (hash mismatch, `env.fetch` or WASI
// imports) are refused naming the problem. The bundles are built from WAT by
// `cargo run --example plugin_test_bundles` (crate/examples/plugin_test_bundles.rs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage, WEB_ROOT } from './harness.mjs';
import { cli, run, buildCli } from '../cli.mjs';
import { compare } from '../test-kit.mjs';

const CONFIGS = [
  { name: 'WebGPU (SwiftShader)', webgpu: true, query: '?backend=gpu', expect: 'gpu' },
  { name: 'no WebGPU (CPU fallback)', webgpu: false, query: '?backend=cpu', expect: 'cpu' },
];
// Wider than one 512-pixel tile, so the run crosses a tile border with its halo.
const W = 600;
const H = 90;
const ELLIPSE = { x: 380, y: 10, width: 200, height: 70 };
const SHIFT = 3;

requireBuiltPackage();

const scratch = mkdtempSync(path.join(tmpdir(), 'retouch-plugins-'));
buildCli();
run('cargo', ['run', '--quiet', '-p', 'retouch', '--example', 'plugin_test_bundles', '--', scratch]);
const bundle = (name) => Array.from(readFileSync(path.join(scratch, `${name}.retouchplugin`)));

/** The active layer's RGBA bytes, as a plain array. */
function layerBytes(page) {
  return page.evaluate(async () => {
    const app = window.retouchApp;
    return Array.from((await app.layerPixels(app.activeLayerId())).data);
  });
}

/** Offers a bundle through `plugins.install`; resolves to the pending plugin or the refusal's message. */
function offer(page, bytes, name) {
  return page.evaluate(
    ({ bytes, name }) =>
      window.retouchApp.run('plugins.install', { bytes: new Uint8Array(bytes), name }).then(
        (pending) => ({ pending }),
        (error) => ({ refused: error.message }),
      ),
    { bytes, name },
  );
}

async function openPicture(page, png) {
  await page.evaluate(async (png) => {
    await window.retouchApp.run('file.open', { bytes: new Uint8Array(png), name: 'picture.png' });
    await window.retouchApp.settled();
  }, png);
}

/** Runs `filter.apply` with filter `id` open at `values`; resolves to its outcome. */
function applyFilter(page, id, values) {
  return page.evaluate(
    async ({ id, values }) => {
      const app = window.retouchApp;
      await app.run('filter.open', { id, values });
      const outcome = await app.run('filter.apply');
      if (outcome.state !== 'applied') await app.run('filter.cancel');
      await app.settled();
      return outcome;
    },
    { id, values },
  );
}

/** A PNG's RGBA bytes, decoded by the core in the page, as a plain array. */
function decodePng(page, png) {
  return page.evaluate((png) => {
    const image = window.testKit.wasm.Image.decode(new Uint8Array(png));
    try {
      return Array.from(image.rgba());
    } finally {
      image.free();
    }
  }, Array.from(png));
}

const historyLength = (page) => page.evaluate(() => window.retouchApp.history().entries.length);

for (const config of CONFIGS) {
  describe(`filter plugins, ${config.name}`, () => {
    let server;
    let browser;
    let app;
    let picture;

    before(async () => {
      server = await startServer();
      browser = await launchBrowser({ webgpu: config.webgpu });
      app = await openApp(browser, server.url, { query: config.query });
      await installTestKit(app.page);
      assert.equal(await app.page.evaluate(() => window.retouchApp.backend()), config.expect);
      picture = await app.page.evaluate(
        ({ W, H }) => Array.from(window.testKit.pngOf(W, H, window.testKit.randomRgba(W, H, 1311, 'varied'))),
        { W, H },
      );
      await openPicture(app.page, picture);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test('a bundle shows what it is before install, installs, and survives a reload', async () => {
      const { page } = app;
      const { pending } = await offer(page, bundle('test-invert'), 'test-invert.retouchplugin');
      assert.deepEqual(pending, { id: 'test.invert', name: 'Test Invert' });
      const shown = await page.evaluate(() => document.querySelector('.plugins-confirm').innerText);
      for (const fact of ['Test Invert', 'v1.2.0', 'by Retouch tests', '10000 ms per run, 4 MiB of memory', 'no network']) {
        assert.ok(shown.includes(fact), `the confirmation shows “${fact}”:\n${shown}`);
      }
      assert.deepEqual(await page.evaluate(() => window.retouchApp.plugins.installed()), [], 'nothing is installed before the confirm');
      await page.evaluate(() => window.retouchApp.run('plugins.confirm-install'));
      await page.evaluate(() => window.retouchApp.run('plugins.close'));

      await page.reload();
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await installTestKit(page);
      await page.evaluate(() => window.retouchApp.plugins.loaded());
      assert.deepEqual(await page.evaluate(() => window.retouchApp.plugins.installed()), [
        { id: 'test.invert', name: 'Test Invert', version: '1.2.0', enabled: true },
      ]);
      await openPicture(page, picture);
      await page.click('#filter-menu summary');
      const entry = page.locator('#filter-plugins [data-plugin="test.invert"]');
      assert.equal(await entry.textContent(), 'Test Invert…');
      await page.click('#filter-menu summary');
    });

    test('inside a soft selection it equals the CLI bytes, outside is bit-exact, one undo restores', async () => {
      const { page } = app;
      await page.evaluate(async (ellipse) => {
        await window.retouchApp.run('select.ellipse', ellipse);
        await window.retouchApp.run('select.feather', { value: 4 });
        await window.retouchApp.settled();
      }, ELLIPSE);
      const coverage = await page.evaluate(async () => Array.from(await window.retouchApp.selectionValues()));
      const original = await layerBytes(page);
      const steps = await historyLength(page);

      await page.evaluate(() => window.retouchApp.run('filter.open', { id: 'test.invert', values: { shift: 3 } }));
      assert.equal(await page.locator('.filter-preview').getAttribute('data-state'), 'shown', 'the preview is drawn');
      const outcome = await page.evaluate(async () => {
        const result = await window.retouchApp.run('filter.apply');
        await window.retouchApp.settled();
        return result;
      });
      assert.deepEqual(outcome, { state: 'applied', message: '' });
      assert.equal(await historyLength(page), steps + 1, 'one history step');
      assert.equal(await page.evaluate(() => window.retouchApp.plugins.filter().open), false);
      const filtered = await layerBytes(page);

      const outside = (i) => coverage[i >> 2] === 0;
      assert.equal(compare(filtered, original, outside).max, 0, 'pixels outside the selection are bit-exact');
      assert.ok(compare(filtered, original, (i) => coverage[i >> 2] === 255).max > 0, 'the selection changed');

      const maskPng = await page.evaluate(({ W, H, coverage }) => Array.from(window.testKit.maskPngOf(W, H, coverage)), { W, H, coverage });
      const files = { input: path.join(scratch, 'in.png'), mask: path.join(scratch, 'mask.png'), output: path.join(scratch, 'out.png') };
      writeFileSync(files.input, Buffer.from(picture));
      writeFileSync(files.mask, Buffer.from(maskPng));
      run(cli, ['plugin', 'run', path.join(scratch, 'test-invert.retouchplugin'), files.input, '-o', files.output,
        '--param', `shift=${SHIFT}`, '--mask', files.mask, '--backend', 'cpu']);
      const expected = await decodePng(page, readFileSync(files.output));
      assert.equal(compare(filtered, expected).max, 0, 'the page and the CLI give the same bytes');

      await page.evaluate(async () => {
        await window.retouchApp.run('edit.undo');
        await window.retouchApp.settled();
      });
      assert.equal(compare(await layerBytes(page), original).max, 0, 'one undo restores the layer');
    });

    test('an endless loop is stopped at its time limit; the page stays responsive and nothing changes', async () => {
      const { page } = app;
      const { pending } = await offer(page, bundle('endless'), 'endless.retouchplugin');
      assert.equal(pending.id, 'test.endless');
      await page.evaluate(async () => {
        await window.retouchApp.run('plugins.confirm-install');
        await window.retouchApp.run('plugins.close');
      });
      const before = await layerBytes(page);
      const steps = await historyLength(page);
      await page.evaluate(() => {
        window.endless = window.retouchApp
          .run('filter.open', { id: 'test.endless' })
          .then(() => window.retouchApp.run('filter.apply'));
      });
      await page.waitForFunction(() => window.retouchApp.plugins.filter().running);
      // The page answers while the plugin loops in its worker.
      assert.equal(await page.evaluate(() => window.retouchApp.plugins.filter().running), true);
      assert.ok((await page.evaluate(() => window.retouchApp.layers())).length > 0);
      const outcome = await page.evaluate(() => window.endless);
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.message, /“Endless Loop” was stopped at its time limit of 500 ms/);
      assert.match(await page.locator('.filter-error').textContent(), /time limit of 500 ms/, 'the dialog says why');
      await page.evaluate(() => window.retouchApp.run('filter.cancel'));
      assert.equal(await historyLength(page), steps);
      assert.equal(compare(await layerBytes(page), before).max, 0, 'the document is unchanged');
    });

    test('Cancel stops a run and changes nothing', async () => {
      const { page } = app;
      const before = await layerBytes(page);
      const steps = await historyLength(page);
      await page.evaluate(() => {
        window.cancelled = window.retouchApp
          .run('filter.open', { id: 'test.endless' })
          .then(() => window.retouchApp.run('filter.apply'));
      });
      await page.waitForFunction(() => window.retouchApp.plugins.filter().running);
      await page.click('#filter-cancel');
      const outcome = await page.evaluate(() => window.cancelled);
      assert.equal(outcome.state, 'cancelled');
      assert.equal(await page.evaluate(() => window.retouchApp.plugins.filter().open), true, 'the dialog stays open');
      await page.evaluate(() => window.retouchApp.run('filter.cancel'));
      assert.equal(await historyLength(page), steps);
      assert.equal(compare(await layerBytes(page), before).max, 0);
    });

    test('memory growth past the limit fails cleanly', async () => {
      const { page } = app;
      await offer(page, bundle('greedy'), 'greedy.retouchplugin');
      await page.evaluate(async () => {
        await window.retouchApp.run('plugins.confirm-install');
        await window.retouchApp.run('plugins.close');
      });
      const before = await layerBytes(page);
      const outcome = await applyFilter(page, 'test.greedy', {});
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.message, /plugin 'test\.greedy': trapped in retouch_filter: .*it ran out of memory/);
      assert.equal(compare(await layerBytes(page), before).max, 0);
    });

    test('bad bundles are refused naming the problem, and nothing is installed', async () => {
      const { page } = app;
      const installed = await page.evaluate(() => window.retouchApp.plugins.installed());
      const cases = [
        ['tampered', /tampered\.retouchplugin cannot be installed: .*the SHA-256 of 'filter\.wasm' is [0-9a-f]{64}, not [0-9a-f]{64}/],
        ['fetch', /imports 'env\.fetch', which the host does not offer/],
        ['wasi', /imports 'wasi_snapshot_preview1\.fd_write', which the host does not offer/],
      ];
      for (const [name, expected] of cases) {
        const { refused } = await offer(page, bundle(name), `${name}.retouchplugin`);
        assert.match(refused ?? '', expected, name);
        assert.match(await page.locator('.plugins-error').textContent(), expected, `${name}: the dialog says why`);
        assert.equal(await page.evaluate(() => window.retouchApp.plugins.pending()), null);
      }
      await page.evaluate(() => window.retouchApp.run('plugins.close'));
      assert.deepEqual(await page.evaluate(() => window.retouchApp.plugins.installed()), installed);
    });

    test('disable hides a filter from the menu, remove forgets it after a reload', async () => {
      const { page } = app;
      await page.evaluate(() => window.retouchApp.run('plugins.disable', { id: 'test.greedy' }));
      await page.click('#filter-menu summary');
      assert.equal(await page.locator('#filter-plugins [data-plugin="test.greedy"]').count(), 0);
      assert.equal(await page.locator('#filter-plugins [data-plugin="test.invert"]').count(), 1);
      await page.click('#filter-menu summary');
      await page.evaluate(() => window.retouchApp.run('plugins.remove', { id: 'test.endless' }));
      await page.reload();
      await page.waitForFunction(() => window.retouchApp !== undefined);
      await page.evaluate(() => window.retouchApp.ready);
      await page.evaluate(() => window.retouchApp.plugins.loaded());
      assert.deepEqual(
        (await page.evaluate(() => window.retouchApp.plugins.installed())).map(({ id, enabled }) => [id, enabled]),
        [['test.greedy', false], ['test.invert', true]],
      );
    });

    // The bundles `./build.sh plugins` ships in pkg/plugins/ ("Install example plugins").
    test('the example plugins install from the app; unsharp mask on a photograph equals the CLI bytes', async () => {
      const { page } = app;
      await installTestKit(page); // the page was reloaded
      const ids = await page.evaluate(() => window.retouchApp.run('plugins.install-examples'));
      assert.deepEqual([...ids].sort(), [
        'org.retouch.examples.film-grain',
        'org.retouch.examples.levels',
        'org.retouch.examples.unsharp-mask',
        'org.retouch.examples.vignette',
      ]);
      // The editor's sample photograph, as the page ships it.
      const photo = readFileSync(path.join(WEB_ROOT, 'samples', 'base.png'));
      await openPicture(page, Array.from(photo));
      const original = await layerBytes(page);
      const params = { amount: 150, radius: 2, threshold: 0 };
      assert.deepEqual(await applyFilter(page, 'org.retouch.examples.unsharp-mask', params), { state: 'applied', message: '' });
      const sharpened = await layerBytes(page);
      assert.ok(compare(sharpened, original).max > 0, 'the photograph changed');

      const files = { input: path.join(scratch, 'photo.png'), output: path.join(scratch, 'photo-sharp.png') };
      writeFileSync(files.input, photo);
      run(cli, ['plugin', 'run', path.join(WEB_ROOT, 'pkg', 'plugins', 'unsharp-mask.retouchplugin'), files.input, '-o', files.output,
        ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]), '--backend', 'cpu']);
      const expected = await decodePng(page, readFileSync(files.output));
      assert.equal(compare(sharpened, expected).max, 0, 'the page and the CLI give the same bytes');
    });
  });
}

process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
