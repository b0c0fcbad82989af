// API keys travel only in headers: never in a URL, a request body, an error message or anything
// logged, for every provider, on success and on failure (including a proxy that echoes the key
// back); and a project saved after a generation (.ora, a zip whose entries are deflated) holds no
// key in any entry, as UTF-8, UTF-16 or base64. The page's side (key field, autosave in
// IndexedDB, storage) is tests/browser/secrets.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../../web/bridge/openai.js';
import * as gemini from '../../web/bridge/gemini.js';
import * as stability from '../../web/bridge/stability.js';
import { startGemini, startOpenAI, startStability } from './mock-servers.mjs';
import { picture, whiteMask } from './png.mjs';
import { fastPolicy, findSecret, loadCore, readZip } from './shared.mjs';

// Nothing here depends on the machine's speed: every answer the test waits
// for gets a limit no loaded machine reaches (`patient`), and the one that must
// time out comes from a server that never answers in time (`NEVER_MS`), so the
// client's short limit (`hasty`) is the only thing that ends it.
const patient = fastPolicy({ maxRetries: 1, baseDelayMs: 5, timeoutMs: 120_000 });
const hasty = fastPolicy({ maxRetries: 1, baseDelayMs: 5, timeoutMs: 50 });
const NEVER_MS = 600_000;
const policyFor = (mode) => (mode === 'slow' ? hasty : patient);
const wasm = await loadCore();

/** Runs `body` with console and fetch watched; returns everything that could leak. */
async function watch(body) {
  const seen = { urls: [], logs: [], messages: [] };
  const original = { ...console };
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    console[level] = (...args) => seen.logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  }
  const fetch = (url, init) => {
    seen.urls.push(String(url));
    return globalThis.fetch(url, init);
  };
  const log = (event) => seen.logs.push(JSON.stringify(event));
  try {
    await body({ fetch, log, seen });
  } finally {
    Object.assign(console, original);
  }
  return seen;
}

async function settle(promise, seen) {
  try {
    await promise;
  } catch (error) {
    seen.messages.push(error.message, JSON.stringify(error), String(error.stack));
  }
}

/** Every mode of `modes` once (twice queued, so a retry meets it too); `call(policy)`. */
async function runModes(server, modes, call, seen) {
  for (const mode of modes) {
    server.script.push(mode, mode);
    await settle(call(policyFor(mode)), seen);
    server.script.length = 0;
  }
  if (modes.includes('slow')) {
    assert.ok(seen.messages.some((m) => m.includes('"kind":"timeout"')), 'the slow answer did not time out');
  }
}

function assertClean(seen, server, key) {
  assert.ok(seen.urls.length > 0, 'no request was made');
  for (const url of seen.urls) assert.ok(!url.includes(key) && !url.includes(encodeURIComponent(key)), `key in URL ${url}`);
  for (const line of [...seen.logs, ...seen.messages]) assert.deepEqual(findSecret(Buffer.from(line), key), [], `key leaked: ${line}`);
  assert.ok(seen.logs.some((line) => line.includes('"event":"request"')), 'nothing was logged, so the check proves nothing');
  assert.ok(server.requests.length > 0);
  for (const request of server.requests) assert.deepEqual(findSecret(request.body, key, `${request.path} body`), []);
  assert.deepEqual(server.violations, [], 'every request was the one the test described');
}

test('OpenAI: the key stays in the Authorization header', async () => {
  const key = 'sk-secret-openai-KEY-9f8e7d6c';
  const image = picture(1024, 1024);
  const fields = { model: 'gpt-image-1', prompt: 'p', n: '1', size: '1024x1024', output_format: 'png' };
  const server = await startOpenAI({ apiKey: key, imageSize: [1024, 1024], fields, files: { image } }, { slowMs: NEVER_MS, echo: () => key });
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: `${server.origin}/v1`, image, prompt: 'p', size: '1024x1024', fetch, log, policy: patient };
      await runModes(server, ['ok', 'auth', 'echo_key', 'rate_limit', 'blocked', 'malformed', 'slow'], (policy) => openai.edit({ ...base, policy }), s);
      await settle(openai.edit({ ...base, baseUrl: 'http://127.0.0.1:9/v1' }), s);
    });
    assertClean(seen, server, key);
    assert.ok(seen.messages.some((m) => m.includes('Key rejected: [redacted]')), 'the echoed key was not scrubbed');
    assert.ok(server.requests.every((r) => r.headers.authorization === `Bearer ${key}`));
  } finally {
    await server.close();
  }
});

test('Gemini: the key stays in x-goog-api-key', async () => {
  const key = 'AIzaSy-secret-GEMINI-KEY-12345';
  const image = picture(1024, 1024);
  const fields = { prompt: 'p', generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '1:1' } } };
  const server = await startGemini({ apiKey: key, model: 'gemini-2.5-flash-image', imageSize: [1024, 1024], fields, files: [image] }, { slowMs: NEVER_MS, retryDelay: '0.01s' });
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: `${server.origin}/v1beta`, image, prompt: 'p', aspectRatio: '1:1', fetch, log, policy: patient };
      await runModes(server, ['ok', 'auth', 'rate_limit', 'blocked_prompt', 'image_safety', 'malformed', 'slow'], (policy) => gemini.edit({ ...base, policy }), s);
    });
    assertClean(seen, server, key);
    assert.ok(server.requests.every((r) => !r.query.has('key') && r.headers['x-goog-api-key'] === key));
  } finally {
    await server.close();
  }
});

test('Stability: the key stays in the authorization header', async () => {
  const key = 'sk-secret-STABILITY-KEY-abcdef';
  const image = picture(512, 512);
  const mask = whiteMask(512, 512, { x: 1, y: 1, width: 9, height: 9 });
  const server = await startStability(
    { apiKey: key, imageSize: [512, 512], editPoint: [5, 5], keepPoint: [100, 100], fields: { prompt: 'p', seed: '0', output_format: 'png' }, files: { image, mask } },
    { slowMs: NEVER_MS, retryAfterSeconds: 0.01 },
  );
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: server.origin, image, mask, prompt: 'p', fetch, log, policy: patient };
      await runModes(server, ['ok', 'auth', 'blocked', 'rate_limit', 'filtered', 'malformed', 'slow'], (policy) => stability.inpaint({ ...base, policy }), s);
    });
    assertClean(seen, server, key);
    assert.ok(server.requests.every((r) => r.headers.authorization === `Bearer ${key}`));
  } finally {
    await server.close();
  }
});

// ------------------------------------------------------------------------ the saved project

const W = 200;
const H = 150;

/** A project with one opaque picture as its only layer, and that picture as a core Image. */
function pictureProject() {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i += 1) rgba.set([(i * 7) & 255, (i >> 3) & 255, 90, 255], i * 4);
  const project = new wasm.Project(W, H);
  const image = wasm.Image.fromRgba(W, H, rgba);
  project.addLayer(image, { name: 'Background' });
  return { project, image };
}

test('the search finds a key inside a deflated .ora entry, where a byte search of the zip does not', () => {
  const key = 'sk-secret-hidden-in-stack-0123456789';
  const { project, image } = pictureProject();
  try {
    const id = project.layers()[0].id;
    project.renameLayer(id, `layer ${key}`);
    const ora = project.toOra();
    const entries = readZip(ora);
    assert.ok(entries.some((e) => e.name === 'stack.xml' && e.method === 8), 'stack.xml is deflated');
    assert.ok(!Buffer.from(ora).includes(key), 'a plain byte search of the zip misses the key');
    assert.deepEqual(findSecret(ora, key, 'ora'), ['ora → stack.xml: UTF-8']);
  } finally {
    image.free();
    project.free();
  }
  // The other spellings, at every base64 alignment.
  for (let pad = 0; pad < 3; pad += 1) {
    const text = `${'x'.repeat(pad)}${key}!`;
    assert.deepEqual(findSecret(Buffer.from(Buffer.from(text).toString('base64')), key), ['bytes: base64'], `base64 after ${pad} bytes`);
  }
  assert.ok(findSecret(Buffer.from(`"${key}"`, 'utf16le'), key).includes('bytes: UTF-16LE'));
  assert.ok(findSecret(Buffer.from(`"${key}"`, 'utf16le').swap16(), key).includes('bytes: UTF-16BE'));
  assert.deepEqual(findSecret(Buffer.from('no secret here'), key), []);
});

test('a project saved after an OpenAI generation holds no key in any .ora entry', async () => {
  const key = 'sk-secret-openai-ORA-5a4b3c2d1e';
  const { project, image } = pictureProject();
  const values = new Uint8Array(W * H);
  for (let y = 40; y < 90; y += 1) values.fill(255, y * W + 60, y * W + 140);
  const selection = wasm.Mask.fromValues(W, H, values);
  const job = wasm.planProviderJob('retouch.provider.openai', image, selection, { prompt: 'a paper boat', feather: 4, variants: 1 });
  const { plan } = job;
  const server = await startOpenAI({
    apiKey: key,
    imageSize: [plan.width, plan.height],
    fields: { model: plan.model, prompt: plan.prompt, n: '1', size: plan.size, output_format: 'png' },
    files: { image: job.imagePng, mask: job.maskPng },
  });
  try {
    // As the Generate panel calls it, then accepts the answer as a layer with its provenance.
    const answer = await openai.edit({
      apiKey: key, baseUrl: `${server.origin}/v1`, model: plan.model, image: job.imagePng, mask: job.maskPng, prompt: plan.prompt, n: 1, size: plan.size, policy: fastPolicy({ maxRetries: 0, timeoutMs: 20_000 }),
    });
    assert.deepEqual(server.violations, []);
    const ingested = wasm.ingestProviderResult(image, selection, plan, answer.images[0].bytes, { createdAt: '2026-11-27T03:00:00Z', variant: 0 });
    const layer = project.addLayer(ingested.layer, { name: ingested.name, x: ingested.offsetX, y: ingested.offsetY });
    project.setProvenance(layer, ingested.provenanceJson);
    ingested.layer.free();
    const ora = project.toOra();
    const names = readZip(ora).map((e) => e.name);
    assert.ok(names.includes('stack.xml') && names.length >= 4, `entries: ${names}`);
    const reopened = wasm.Project.fromOra(ora);
    assert.equal(reopened.layers().length, 2, 'the saved project has the generated layer');
    reopened.free();
    assert.ok(JSON.parse(project.provenance(layer)).prompt === plan.prompt, 'the provenance is in the project');
    assert.deepEqual(findSecret(ora, key, 'ora'), []);
  } finally {
    await server.close();
    selection.free();
    image.free();
    project.free();
  }
});
