// The API key typed into the Generate panel, after a real generation against the local OpenAI
// mock (tests/providers/mock-servers.mjs) and the accepted layer: it went out in the
// Authorization header only, and it is not in what the page keeps: the autosave read back from
// IndexedDB (its state record and every stored tile, searched for UTF-8, UTF-16 and base64, and
// rebuilt into the project to show they are the whole document), any other IndexedDB record,
// the saved project (the .ora unzipped and each entry inflated),
// localStorage, sessionStorage, cookies or the URL; with "Remember on this device" ticked it is
// in localStorage (and only there), and unticking removes it. A control puts the key into a layer
// name, so the same read-back and search must find it in the autosave; otherwise a search that
// sees nothing would prove nothing. CPU engine only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openApp, installTestKit, requireBuiltPackage } from './harness.mjs';
import { openTexturedPicture, fillRequest, generate } from './generate-panel.mjs';
import { startOpenAI } from '../providers/mock-servers.mjs';
import { findSecret, loadCore } from '../providers/shared.mjs';

const W = 240;
const H = 160;
const SELECT = { x: 90, y: 50, width: 64, height: 48 };
const FEATHER = 4;
const PROMPT = 'a paper lantern';
const OPENAI = 'retouch.provider.openai';
const KEY = 'sk-test-SECRET-browser-7f3e9a1c5b2d4e6f';
const manifest = JSON.parse(readFileSync(new URL('../../plugin-manifest/plugins/provider-openai.json', import.meta.url), 'utf8'));
const defaultOf = (id) => manifest.params.find((p) => p.id === id).default;

requireBuiltPackage();
const wasm = await loadCore();
let server;
let mock;
let browser;
let app;

before(async () => {
  server = await startServer();
  mock = await startOpenAI({ apiKey: KEY, imageSize: [0, 0] });
  browser = await launchBrowser({ webgpu: false });
  app = await openApp(browser, server.url);
  await installTestKit(app.page);
  await openTexturedPicture(app.page, W, H);
});

after(async () => {
  await browser?.close();
  await mock?.close();
  await server?.close();
});

/**
 * Everything in the page's IndexedDB, read back: `[{db, store, key, path, bytes | text}]`, one
 * entry per string or binary value in each record (Uint8Array and ArrayBuffer values as base64).
 */
async function readIndexedDb(page) {
  const values = await page.evaluate(async () => {
    const request = (r) => new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const base64 = (bytes) => {
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    };
    const out = [];
    const walk = (value, where) => {
      if (value instanceof ArrayBuffer) value = new Uint8Array(value);
      if (ArrayBuffer.isView(value)) out.push({ ...where, bytes: base64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) });
      else if (value instanceof Blob) out.push({ ...where, text: `[Blob ${value.size} bytes, not read]` });
      else if (typeof value === 'string') out.push({ ...where, text: value });
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, { ...where, path: `${where.path}.${k}` });
      } else out.push({ ...where, text: String(value) });
    };
    for (const { name } of await indexedDB.databases()) {
      const db = await request(indexedDB.open(name));
      try {
        for (const store of db.objectStoreNames) {
          const tx = db.transaction(store, 'readonly');
          const keys = await request(tx.objectStore(store).getAllKeys());
          const records = await request(tx.objectStore(store).getAll());
          keys.forEach((key, i) => walk(records[i], { db: name, store, key: String(key), path: 'record' }));
        }
      } finally {
        db.close();
      }
    }
    return out;
  });
  return values.map((v) => ({ ...v, bytes: v.bytes === undefined ? undefined : Buffer.from(v.bytes, 'base64') }));
}

/** Where the key is in the IndexedDB values (zips unzipped, entries inflated), e.g. `['retouch/autosave/state record.state: UTF-8']`. */
function keyIn(values) {
  return values.flatMap((v) => findSecret(v.bytes ?? Buffer.from(v.text, 'utf8'), KEY, `${v.db}/${v.store}/${v.key} ${v.path}`));
}

/** Saves now; returns all IndexedDB values and the project rebuilt from the autosave's records (free it). */
async function autosaveNow(page) {
  await page.evaluate(() => window.retouchApp.run('file.autosave-now'));
  const values = await readIndexedDb(page);
  const autosave = values.filter((v) => v.db === 'retouch' && v.store === 'autosave');
  const state = autosave.find((v) => v.key === 'state' && v.path === 'record.state');
  assert.ok(state?.text, `no autosave state record: ${JSON.stringify(autosave.map((v) => [v.key, v.path]))}`);
  const restore = new wasm.AutosaveRestore(state.text);
  for (const piece of autosave.filter((v) => v.key.startsWith('piece:'))) restore.addPiece(piece.key.slice('piece:'.length), piece.bytes);
  return { project: restore.finish(), values };
}

/** localStorage, sessionStorage, cookies and the URL as one text. */
function pageStorage(page) {
  return page.evaluate(() => {
    const dump = (storage) => Object.keys(storage).map((k) => `${k}=${storage.getItem(k)}`).join('\n');
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie, url: location.href };
  });
}

test('the typed key goes out in the header and stays out of the autosave, IndexedDB and storage', async () => {
  const { page } = app;
  await page.evaluate((rect) => window.retouchApp.run('select.rectangle', { ...rect, mode: 'replace' }), SELECT);
  // The plan the page will make, so the mock knows exactly what to expect.
  const job = await page.evaluate(async ({ prompt, feather, W, H }) => {
    const { wasm: core } = window.testKit;
    const { data } = await window.retouchApp.resultRgba();
    const image = core.Image.fromRgba(W, H, data);
    const mask = core.Mask.fromValues(W, H, await window.retouchApp.selectionValues());
    try {
      const { plan, imagePng, maskPng } = core.planProviderJob('retouch.provider.openai', image, mask, { prompt, feather, variants: 1 });
      const base64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
      return { model: plan.model, prompt: plan.prompt, size: plan.size, width: plan.width, height: plan.height, image: base64(imagePng), mask: base64(maskPng) };
    } finally {
      image.free();
      mask.free();
    }
  }, { prompt: PROMPT, feather: FEATHER, W, H });
  Object.assign(mock.expect, {
    imageSize: [job.width, job.height],
    fields: { model: job.model, prompt: job.prompt, n: '1', size: job.size, quality: defaultOf('quality'), input_fidelity: defaultOf('input_fidelity'), output_format: 'png' },
    files: { image: Buffer.from(job.image, 'base64'), mask: Buffer.from(job.mask, 'base64') },
  });

  await fillRequest(page, { provider: OPENAI, prompt: PROMPT, variants: 1, key: KEY, baseUrl: `${mock.origin}/v1` });
  await page.fill('#gen-feather', String(FEATHER));
  const state = await generate(page);
  assert.equal(state.error, null, JSON.stringify(state.error));
  assert.deepEqual(mock.violations, []);
  assert.equal(mock.requests.length, 1);
  assert.equal(mock.requests[0].headers.authorization, `Bearer ${KEY}`, 'the typed key was used, in the header');
  assert.deepEqual(findSecret(mock.requests[0].body, KEY), [], 'the key is not in the request body');
  await page.click('#gen-variants-list button[data-variant="0"]');
  await page.evaluate(() => window.retouchApp.settled());
  const layerName = state.variants[0].name;
  assert.equal((await page.evaluate(() => window.retouchApp.layers().at(-1).name)), layerName);

  // The autosave, read back from IndexedDB: it holds the generated layer, and no key anywhere.
  const { project: reopened, values } = await autosaveNow(page);
  try {
    const layers = reopened.layers();
    assert.deepEqual(layers.map((l) => l.name).at(-1), layerName, 'the autosave has the accepted layer');
    assert.equal(JSON.parse(reopened.provenance(layers.at(-1).id)).prompt, job.prompt, 'and its provenance');
  } finally {
    reopened.free();
  }
  assert.deepEqual(keyIn(values), []);
  const saved = await page.evaluate(async () => {
    const bytes = await window.retouchApp.projectBytes();
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  });
  assert.deepEqual(findSecret(Buffer.from(saved, 'base64'), KEY, 'saved project'), []);

  // Without the opt-in, no storage holds the key; the field has it, in memory.
  assert.equal(await page.inputValue('#gen-key'), KEY);
  assert.equal(await page.isChecked('#gen-remember'), false);
  const storage = await pageStorage(page);
  for (const [where, text] of Object.entries(storage)) assert.deepEqual(findSecret(Buffer.from(text), KEY, where), [], `${where}: ${text}`);
  assert.match(storage.local, /retouch\.baseUrl\.retouch\.provider\.openai=/, 'storage was read (the base URL is kept there)');

  // With the opt-in the key is in localStorage, and only there; unticking removes it.
  await page.check('#gen-remember');
  const remembered = await pageStorage(page);
  assert.deepEqual(findSecret(Buffer.from(remembered.local), KEY, 'local'), ['local: UTF-8']);
  assert.equal(await page.evaluate(() => localStorage.getItem('retouch.apiKey.retouch.provider.openai')), KEY);
  for (const where of ['session', 'cookie', 'url']) assert.deepEqual(findSecret(Buffer.from(remembered[where]), KEY, where), []);
  await page.uncheck('#gen-remember');
  const forgotten = await pageStorage(page);
  for (const [where, text] of Object.entries(forgotten)) assert.deepEqual(findSecret(Buffer.from(text), KEY, where), [], `${where} after unticking`);
  assert.deepEqual(keyIn(await readIndexedDb(page)), [], 'nor in IndexedDB');
  for (const line of app.consoleErrors) assert.deepEqual(findSecret(Buffer.from(line), KEY), [], `console: ${line}`);
  assert.deepEqual(app.errors, []);
});

test('control: a key written into the project is found in the autosave read back', async () => {
  const { page } = app;
  const id = await page.evaluate(() => window.retouchApp.layers().at(-1).id);
  await page.evaluate(({ id, name }) => window.retouchApp.run('layer.rename', { id, name }), { id, name: `leak ${KEY}` });
  try {
    const { project, values } = await autosaveNow(page);
    project.free();
    const found = keyIn(values);
    assert.ok(found.includes('retouch/autosave/state record.state: UTF-8'), `found: ${JSON.stringify(found)}`);
  } finally {
    await page.click('#undo');
    await page.evaluate(() => window.retouchApp.settled());
  }
  // History survives a reload, so the undone rename stays as a redo step, and only there.
  const undone = await autosaveNow(page);
  undone.project.free();
  const redoOnly = keyIn(undone.values);
  assert.ok(redoOnly.length > 0 && redoOnly.every((where) => where.startsWith('retouch/autosave/piece:history/')), `after undo: ${JSON.stringify(redoOnly)}`);
  // A new edit drops the redo step: then the autosave is clean again.
  await page.evaluate(({ id }) => window.retouchApp.run('layer.rename', { id, name: 'clean' }), { id });
  await page.evaluate(() => window.retouchApp.settled());
  const { project, values } = await autosaveNow(page);
  project.free();
  assert.deepEqual(keyIn(values), [], 'after a new edit the autosave is clean again');
});

test('after a reload the key field is empty (the key was kept in memory only)', async () => {
  const { page } = app;
  await page.reload();
  await page.waitForFunction(() => window.retouchApp !== undefined);
  await page.evaluate(() => window.retouchApp.ready);
  await page.selectOption('#gen-provider', OPENAI);
  assert.equal(await page.inputValue('#gen-key'), '');
  assert.equal(await page.isChecked('#gen-remember'), false);
});
