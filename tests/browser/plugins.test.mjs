// Third-party filter plugins in the page, with WebGPU (SwiftShader) and without: a bundle is
// installed through the Plugins dialog (what it is shown before the confirm), survives a
// reload (IndexedDB), and runs from the Filter menu in a Worker on the browser's own
// WebAssembly; inside a soft selection the result equals the CLI's bytes (`retouch plugin
// run`, wasmtime) and pixels outside are bit-exact; one undo restores the layer. An endless loop
// is stopped at its time limit and a memory hog at its limit, with clear messages and the
// document unchanged; Cancel stops a run; a plugin's WGSL shader runs on the WebGPU page (the
// levels example, a shader-only test plugin) and a shader-only one is refused without WebGPU;
// bad bundles (hash mismatch, `env.fetch` or WASI
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
      for (const fact of ['Test Invert', 'v1.2.0', 'by Retouch tests', '10000 ms per run, memory 4 MiB', 'CPU (WebAssembly)', 'no network']) {
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
      assert.deepEqual(outcome, { state: 'applied', message: '', implementation: 'wasm' });
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
      // The manager shows each example's icon (an SVG from its bundle) and README.
      await page.evaluate(() => window.retouchApp.run('plugins.manage'));
      const levelsRow = await page.evaluate(async () => {
        const row = document.querySelector('.plugins-installed [data-plugin="org.retouch.examples.levels"]');
        const img = row.querySelector('img.plugin-icon');
        await img.decode();
        return { scheme: new URL(img.src).protocol, width: img.naturalWidth, readme: row.querySelector('.plugin-readme pre').textContent };
      });
      assert.equal(levelsRow.scheme, 'blob:');
      assert.ok(levelsRow.width > 0, 'the icon was drawn');
      assert.match(levelsRow.readme, /^# Levels \(plugin\)/);
      await page.evaluate(() => window.retouchApp.run('plugins.close'));
      // The editor's sample photograph, as the page ships it.
      const photo = readFileSync(path.join(WEB_ROOT, 'samples', 'base.png'));
      await openPicture(page, Array.from(photo));
      const original = await layerBytes(page);
      const params = { amount: 150, radius: 2, threshold: 0 };
      assert.deepEqual(await applyFilter(page, 'org.retouch.examples.unsharp-mask', params), { state: 'applied', message: '', implementation: 'wasm' });
      const sharpened = await layerBytes(page);
      assert.ok(compare(sharpened, original).max > 0, 'the photograph changed');

      const files = { input: path.join(scratch, 'photo.png'), output: path.join(scratch, 'photo-sharp.png') };
      writeFileSync(files.input, photo);
      run(cli, ['plugin', 'run', path.join(WEB_ROOT, 'pkg', 'plugins', 'unsharp-mask.retouchplugin'), files.input, '-o', files.output,
        ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]), '--backend', 'cpu']);
      const expected = await decodePng(page, readFileSync(files.output));
      assert.equal(compare(sharpened, expected).max, 0, 'the page and the CLI give the same bytes');

      // Levels carries a WGSL shader and a module: the WebGPU page runs the shader, the CPU
      // page the module; both agree with the CLI's module (wasmtime) within a level.
      // The CLI's sharpened photograph (the page's bytes, as checked above) is the input.
      writeFileSync(files.input, readFileSync(files.output));
      const levels = { input_black: 12, input_white: 240, gamma: 1.4, output_black: 5, output_white: 250 };
      const outcome = await applyFilter(page, 'org.retouch.examples.levels', levels);
      assert.deepEqual(outcome, { state: 'applied', message: '', implementation: config.expect === 'gpu' ? 'wgsl' : 'wasm' });
      run(cli, ['plugin', 'run', path.join(WEB_ROOT, 'pkg', 'plugins', 'levels.retouchplugin'), files.input, '-o', files.output,
        ...Object.entries(levels).flatMap(([k, v]) => ['--param', `${k}=${v}`]), '--backend', 'cpu']);
      const leveled = await layerBytes(page);
      assert.ok(compare(leveled, sharpened).max > 10, 'levels changed the photograph');
      assert.ok(compare(leveled, await decodePng(page, readFileSync(files.output))).max <= 1, 'the page\'s levels agree with the CLI\'s');
    });

    // A shader-only plugin: on WebGPU it runs (its bytes are the module's, `test-invert`, run
    // by the CLI in wasmtime); without WebGPU it is refused saying it needs WebGPU.
    test('a WGSL-only plugin runs on WebGPU and is refused without it; nothing changes on refusal', async () => {
      const { page } = app;
      const { pending } = await offer(page, bundle('wgsl-invert'), 'wgsl-invert.retouchplugin');
      assert.deepEqual(pending, { id: 'test.wgsl-invert', name: 'Test Invert (WGSL)' });
      const shown = await page.evaluate(() => document.querySelector('.plugins-confirm').innerText);
      assert.ok(shown.includes('WebGPU only (WGSL)'), shown);
      await page.evaluate(() => window.retouchApp.run('plugins.confirm-install'));
      await page.evaluate(() => window.retouchApp.run('plugins.close'));
      await openPicture(page, picture);
      const original = await layerBytes(page);
      const steps = await historyLength(page);

      const outcome = await applyFilter(page, 'test.wgsl-invert', { shift: SHIFT });
      if (config.expect !== 'gpu') {
        assert.equal(outcome.state, 'failed');
        assert.match(outcome.message, /test\.wgsl-invert.*needs WebGPU/);
        assert.equal(compare(await layerBytes(page), original).max, 0, 'the layer is unchanged');
        assert.equal(await historyLength(page), steps, 'no history step');
        return;
      }
      assert.deepEqual(outcome, { state: 'applied', message: '', implementation: 'wgsl' });
      assert.equal(await historyLength(page), steps + 1, 'one history step');
      const files = { input: path.join(scratch, 'wgsl-in.png'), output: path.join(scratch, 'wgsl-out.png') };
      writeFileSync(files.input, Buffer.from(picture));
      run(cli, ['plugin', 'run', path.join(scratch, 'test-invert.retouchplugin'), files.input, '-o', files.output,
        '--param', `shift=${SHIFT}`, '--backend', 'cpu']);
      const expected = await decodePng(page, readFileSync(files.output));
      assert.equal(compare(await layerBytes(page), expected).max, 0, 'the shader gives the module\'s bytes');
      await page.evaluate(async () => {
        await window.retouchApp.run('edit.undo');
        await window.retouchApp.settled();
      });
      assert.equal(compare(await layerBytes(page), original).max, 0, 'one undo restores the layer');
    });
  });
}

process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
