// The backend the page picks when the only WebGPU adapter is a software one
// (headless Chromium with --enable-unsafe-webgpu: SwiftShader, a fallback
// adapter). It runs the kernels 10–20× slower than the CPU path, so "auto"
// must pick the CPU and say why; ?backend=gpu must still take it (the GPU
// tests rely on that). Without WebGPU, auto runs on the CPU and says so too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, requireBuiltPackage } from './harness.mjs';

requireBuiltPackage();

/** The fields of an engine made directly in the page by `createEngine(choice)`. */
function engineFields(page, choice) {
  return page.evaluate(async (choice) => {
    const wasm = await import('./pkg/retouch.js');
    const engine = await wasm.createEngine(choice);
    try {
      return { backend: engine.backend, adapter: engine.adapter, reason: engine.reason, reasonCode: engine.reasonCode };
    } finally {
      engine.free();
    }
  }, choice);
}

/** What the top bar shows: the badge's text, data and title, the adapter label and its title. */
function badgeOf(page) {
  return page.evaluate(() => {
    const badge = document.querySelector('#backend');
    const adapter = document.querySelector('#adapter');
    return {
      text: badge.textContent,
      backend: badge.dataset.backend,
      reason: badge.dataset.reason ?? null,
      title: badge.title,
      adapter: adapter.textContent,
      adapterTitle: adapter.title,
    };
  });
}

describe('backend choice with a software WebGPU adapter (SwiftShader)', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ webgpu: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('auto runs on the CPU and the badge says the software GPU was skipped', async () => {
    const app = await openApp(browser, server.url);
    try {
      const { page } = app;
      const backend = await page.evaluate(() => window.retouchApp.backend());
      const adapter = await page.evaluate(() => window.retouchApp.adapter());
      assert.equal(backend, 'cpu', `auto took ${adapter}`);

      const engine = await engineFields(page, 'auto');
      assert.equal(engine.backend, 'cpu');
      assert.equal(engine.reasonCode, 'software-skipped');
      assert.match(engine.reason, /^Auto chose the CPU: the only WebGPU adapter is a software one \(SwiftShader\)/);

      const shown = await badgeOf(page);
      assert.equal(shown.text, 'CPU');
      assert.equal(shown.backend, 'cpu');
      assert.equal(shown.reason, 'software-skipped');
      assert.ok(shown.title.includes(engine.reason), `badge title: ${shown.title}`);
      assert.match(shown.adapter, /Auto: software GPU skipped/);
      assert.equal(shown.adapterTitle, engine.reason);
      assert.deepEqual(app.errors, []);
    } finally {
      await app.context.close();
    }
  });

  test('?backend=gpu still runs on the software adapter, and says it is one', async () => {
    const app = await openApp(browser, server.url, { query: '?backend=gpu' });
    try {
      const { page } = app;
      assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu');
      assert.match(await page.evaluate(() => window.retouchApp.adapter()), /WebGPU, software/);

      const engine = await engineFields(page, 'gpu');
      assert.equal(engine.backend, 'gpu');
      assert.equal(engine.reasonCode, 'software-forced');
      assert.match(engine.reason, /SwiftShader/);
      assert.match(engine.adapter, /swiftshader \(WebGPU, software\)/);

      const shown = await badgeOf(page);
      assert.equal(shown.text, 'GPU');
      assert.equal(shown.backend, 'gpu');
      assert.ok(shown.title.includes(engine.reason), `badge title: ${shown.title}`);
      assert.deepEqual(app.errors, []);
    } finally {
      await app.context.close();
    }
  });

  test('the engine select switches between the CPU and the software GPU', async () => {
    const app = await openApp(browser, server.url);
    try {
      const { page } = app;
      await page.selectOption('#backend-select', 'gpu');
      await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'gpu');
      assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'gpu');
      await page.selectOption('#backend-select', 'auto');
      await page.waitForFunction(() => document.querySelector('#backend').dataset.backend === 'cpu');
      assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'cpu');
      assert.match((await badgeOf(page)).adapter, /software GPU skipped/);
    } finally {
      await app.context.close();
    }
  });
});

describe('backend choice without WebGPU', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ webgpu: false });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('auto runs on the CPU and says there is no WebGPU', async () => {
    const app = await openApp(browser, server.url);
    try {
      const { page } = app;
      assert.equal(await page.evaluate(() => window.retouchApp.backend()), 'cpu');
      const engine = await engineFields(page, 'auto');
      assert.equal(engine.reasonCode, 'no-adapter');
      assert.match(engine.reason, /^Auto chose the CPU: WebGPU is not available/);
      const shown = await badgeOf(page);
      assert.equal(shown.text, 'CPU');
      assert.ok(shown.title.includes(engine.reason), `badge title: ${shown.title}`);
      assert.match(shown.adapter, /Auto: no WebGPU/);
    } finally {
      await app.context.close();
    }
  });
});

describe('the badge module', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ webgpu: false });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('shows each engine, and no engine', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(new URL('index.html', server.url).href);
      const shown = await page.evaluate(async () => {
        const { showBackend } = await import('./ui/backend-badge.js');
        const badge = document.createElement('span');
        const adapter = document.createElement('span');
        const read = () => ({ text: badge.textContent, backend: badge.dataset.backend, title: badge.title, adapter: adapter.textContent, adapterTitle: adapter.title });
        const out = {};
        showBackend({ backend: 'gpu', adapter: 'NVIDIA RTX (WebGPU, GPU)', reason: '', reasonCode: '' }, { badge, adapter });
        out.hardware = read();
        showBackend({ backend: 'cpu', adapter: 'CPU (WebAssembly)', reason: 'Auto chose the CPU: the only WebGPU adapter is a software one (SwiftShader)', reasonCode: 'software-skipped' }, { badge, adapter });
        out.skipped = read();
        showBackend(null, { badge, adapter });
        out.none = read();
        // An engine from before the reason fields existed still shows.
        showBackend({ backend: 'cpu', adapter: 'CPU (no WebGPU)' }, { badge, adapter });
        out.old = read();
        return out;
      });
      assert.deepEqual(shown.hardware, { text: 'GPU', backend: 'gpu', title: 'NVIDIA RTX (WebGPU, GPU)', adapter: 'NVIDIA RTX (WebGPU, GPU)', adapterTitle: 'NVIDIA RTX (WebGPU, GPU)' });
      assert.equal(shown.skipped.text, 'CPU');
      assert.equal(shown.skipped.backend, 'cpu');
      assert.equal(shown.skipped.title, 'CPU (WebAssembly)\nAuto chose the CPU: the only WebGPU adapter is a software one (SwiftShader)');
      assert.equal(shown.skipped.adapter, 'CPU (WebAssembly) · Auto: software GPU skipped');
      assert.match(shown.skipped.adapterTitle, /^Auto chose the CPU/);
      assert.deepEqual(shown.none, { text: 'no engine', backend: '', title: '', adapter: '', adapterTitle: '' });
      assert.deepEqual(shown.old, { text: 'CPU', backend: 'cpu', title: 'CPU (no WebGPU)', adapter: 'CPU (no WebGPU)', adapterTitle: 'CPU (no WebGPU)' });
    } finally {
      await page.close();
    }
  });
});
