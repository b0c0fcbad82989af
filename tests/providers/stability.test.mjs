// The Stability bridge against the local v2beta mock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as stability from '../../web/bridge/stability.js';
import { startStability } from './mock-servers.mjs';
import { decodePng, picture, whiteMask } from './png.mjs';
import { rejection } from './rejection.mjs';

const apiKey = 'sk-test-stability-0123456789';
const fast = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 5000 };
let server;

before(async () => {
  server = await startStability({ apiKey, imageSize: [1024, 768], editPoint: [500, 400], keepPoint: [5, 5] }, { slowMs: 2000, retryAfterSeconds: 1 });
});
after(() => server.close());

const request = (extra = {}) => ({
  apiKey,
  baseUrl: server.origin,
  image: picture(1024, 768),
  mask: whiteMask(1024, 768, { x: 400, y: 300, width: 200, height: 200 }),
  prompt: 'a wooden bench',
  seed: 42,
  policy: fast,
  ...extra,
});

test('inpaint sends multipart with a white = edit mask and reads the JSON image', async () => {
  const result = await stability.inpaint(request({ growMask: 5, negativePrompt: 'blurry' }));
  assert.deepEqual(server.violations, []);
  assert.equal(result.images.length, 1);
  assert.equal(result.images[0].seed, 42);
  const png = decodePng(result.images[0].bytes);
  assert.deepEqual([png.width, png.height], [1024, 768]);
});

test('n variants are n calls with successive seeds', async () => {
  const result = await stability.inpaint(request({ n: 3 }));
  assert.deepEqual(result.images.map((i) => i.seed), [42, 43, 44]);
});

test('the mock rejects an OpenAI-style (alpha) mask', async () => {
  const { alphaMask } = await import('./png.mjs');
  const error = await rejection(stability.inpaint(request({ mask: alphaMask(1024, 768, { x: 400, y: 300, width: 200, height: 200 }) })));
  assert.match(error.message, /greyscale/);
  server.violations.length = 0;
});

test('outpaint, erase and upscale/fast hit their endpoints', async () => {
  const local = await startStability({ apiKey, imageSize: [512, 512], outpaint: [128, 0, 64, 0] });
  try {
    await stability.outpaint({ apiKey, baseUrl: local.origin, image: picture(512, 512), left: 128, up: 64, prompt: 'more sky', policy: fast });
    await stability.erase({ apiKey, baseUrl: local.origin, image: picture(512, 512), mask: whiteMask(512, 512, { x: 10, y: 10, width: 50, height: 50 }), growMask: 3, policy: fast });
    const up = await stability.upscaleFast({ apiKey, baseUrl: local.origin, image: picture(512, 512), policy: fast });
    assert.deepEqual(local.violations, []);
    assert.deepEqual(local.requests.map((r) => r.path), [
      '/v2beta/stable-image/edit/outpaint', '/v2beta/stable-image/edit/erase', '/v2beta/stable-image/upscale/fast',
    ]);
    const png = decodePng(up.images[0].bytes);
    assert.deepEqual([png.width, png.height], [2048, 2048]);
  } finally {
    await local.close();
  }
});

test('401, 403 content_moderation, 413 and CONTENT_FILTERED map to their kinds', async () => {
  const cases = [['auth', 'auth', 401], ['blocked', 'content_blocked', 403], ['too_large', 'payload_too_large', 413], ['filtered', 'content_blocked', 200]];
  for (const [mode, kind, status] of cases) {
    server.script.push(mode);
    const error = await rejection(stability.inpaint(request()));
    assert.equal(error.kind, kind, mode);
    assert.equal(error.status, status, mode);
  }
  server.script.push('blocked');
  assert.match((await rejection(stability.inpaint(request()))).message, /flagged by our content moderation system/);
});

test('429 is retried after the Retry-After the server sends', async () => {
  server.script.push('rate_limit');
  const events = [];
  await stability.inpaint(request({ log: (e) => events.push(e) }));
  assert.equal(events.find((e) => e.event === 'retry').delayMs, 1000);
});

test('429 without Retry-After assumes the documented 60 s time-out and hands it to the user', async () => {
  const local = await startStability({ apiKey, imageSize: [1024, 768] });
  try {
    local.script.push('rate_limit');
    const error = await rejection(stability.inpaint(request({ baseUrl: local.origin, mask: undefined })));
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.retryAfterMs, 60_000);
    assert.equal(local.requests.length, 1, 'a 60 s wait is above maxDelayMs, so no hidden retry');
  } finally {
    await local.close();
  }
});

test('malformed JSON, timeout and cancel', async () => {
  server.script.push('malformed');
  assert.equal((await rejection(stability.inpaint(request()))).kind, 'bad_response');
  server.script.push('slow');
  assert.equal((await rejection(stability.inpaint(request({ policy: { ...fast, maxRetries: 0, timeoutMs: 200 } })))).kind, 'timeout');
  server.script.push('slow');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  assert.equal((await rejection(stability.inpaint(request({ signal: controller.signal })))).kind, 'cancelled');
});
