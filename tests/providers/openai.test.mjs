// The OpenAI bridge against the local OpenAI mock: every request field is checked by the server;
// these tests check what the bridge makes of each answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../../web/bridge/openai.js';
import { startOpenAI } from './mock-servers.mjs';
import { alphaMask, decodePng, picture } from './png.mjs';
import { rejection } from './rejection.mjs';

const apiKey = 'sk-test-openai-0123456789abcdef';
const edit = { x: 300, y: 200, width: 400, height: 300 };
const fast = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 5000 };
let server;

before(async () => {
  server = await startOpenAI(
    { apiKey, imageSize: [1536, 1024], editPoint: [400, 300], keepPoint: [10, 10], prompt: 'a red kite' },
    { slowMs: 2000, retryAfterSeconds: 1 },
  );
});
after(() => server.close());

function request(extra = {}) {
  return {
    apiKey,
    baseUrl: `${server.origin}/v1`,
    model: 'gpt-image-1',
    image: picture(1536, 1024),
    mask: alphaMask(1536, 1024, edit),
    prompt: 'a red kite',
    n: 2,
    size: '1536x1024',
    quality: 'high',
    inputFidelity: 'high',
    outputFormat: 'png',
    policy: fast,
    ...extra,
  };
}

test('edit sends a well-formed multipart request and returns n images', async () => {
  const before = server.requests.length;
  const result = await openai.edit(request());
  assert.deepEqual(server.violations, []);
  assert.equal(server.requests.length - before, 1);
  assert.equal(result.images.length, 2);
  for (const image of result.images) {
    assert.equal(image.mimeType, 'image/png');
    const png = decodePng(image.bytes);
    assert.deepEqual([png.width, png.height], [1536, 1024]);
  }
});

test('reference images travel as repeated image[] parts, the edited image first', async () => {
  const local = await startOpenAI({ apiKey, imageSize: [1024, 1024], references: 2, editPoint: [500, 500], keepPoint: [0, 0] });
  try {
    const result = await openai.edit(request({
      baseUrl: `${local.origin}/v1/`, // a trailing slash, as users paste proxy URLs
      image: picture(1024, 1024),
      mask: alphaMask(1024, 1024, { x: 400, y: 400, width: 200, height: 200 }),
      referenceImages: [picture(64, 64), picture(32, 48)],
      size: '1024x1024',
      n: 1,
    }));
    assert.deepEqual(local.violations, []);
    assert.equal(result.images.length, 1);
  } finally {
    await local.close();
  }
});

test('the mock rejects a mask in the wrong convention (white = edit)', async () => {
  const error = await rejection(openai.edit(request({
    mask: alphaMask(1536, 1024, { x: 0, y: 0, width: 0, height: 0 }), // nothing transparent
  })));
  assert.equal(error.kind, 'bad_response');
  assert.match(error.message, /mask alpha at edit point/);
  server.violations.length = 0;
});

test('generations send JSON', async () => {
  const result = await openai.generate({ apiKey, baseUrl: `${server.origin}/v1`, model: 'gpt-image-1', prompt: 'a kite', n: 1, size: '1024x1536', policy: fast });
  assert.deepEqual(server.violations, []);
  const png = decodePng(result.images[0].bytes);
  assert.deepEqual([png.width, png.height], [1024, 1536]);
});

test('401 is an auth error with the provider\'s message, not retried', async () => {
  server.script.push('auth');
  const count = server.requests.length;
  const error = await rejection(openai.edit(request()));
  assert.equal(error.kind, 'auth');
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_api_key');
  assert.match(error.message, /^Incorrect API key provided/);
  assert.equal(server.requests.length - count, 1);
});

test('429 with Retry-After waits that long, then succeeds', async () => {
  server.script.push('rate_limit');
  const events = [];
  const started = Date.now();
  const result = await openai.edit(request({ n: 1, log: (e) => events.push(e) }));
  assert.equal(result.images.length, 1);
  assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`);
  const retry = events.find((e) => e.event === 'retry');
  assert.equal(retry.delayMs, 1000);
  assert.equal(retry.kind, 'rate_limit');
});

test('a persisting 429 gives up after the retry budget with retryAfterMs', async () => {
  server.script.push('rate_limit', 'rate_limit', 'rate_limit');
  const count = server.requests.length;
  const error = await rejection(openai.edit(request({ policy: { ...fast, maxRetries: 1 } })));
  assert.equal(error.kind, 'rate_limit');
  assert.equal(error.retryAfterMs, 1000);
  assert.equal(server.requests.length - count, 2);
  server.script.length = 0;
});

test('an exhausted quota (429 insufficient_quota) is not retried', async () => {
  server.script.push('quota');
  const count = server.requests.length;
  const error = await rejection(openai.edit(request()));
  assert.equal(error.kind, 'rate_limit');
  assert.equal(error.retryable, false);
  assert.equal(server.requests.length - count, 1);
});

test('moderation_blocked (400) is a content block with the provider\'s message', async () => {
  server.script.push('blocked');
  const error = await rejection(openai.edit(request()));
  assert.equal(error.kind, 'content_blocked');
  assert.equal(error.status, 400);
  assert.match(error.message, /rejected by the safety system/);
});

test('413, 500 and malformed JSON map to their kinds', async () => {
  server.script.push('too_large');
  assert.equal((await rejection(openai.edit(request()))).kind, 'payload_too_large');
  server.script.push('server_error', 'server_error', 'server_error');
  const error = await rejection(openai.edit(request()));
  assert.equal(error.kind, 'server');
  server.script.push('malformed');
  assert.equal((await rejection(openai.edit(request()))).kind, 'bad_response');
});

test('an answer of the wrong size is handed on untouched (the core resamples it)', async () => {
  server.script.push('wrong_size');
  const result = await openai.edit(request({ n: 1 }));
  const png = decodePng(result.images[0].bytes);
  assert.deepEqual([png.width, png.height], server.lastAnswerSize);
  assert.notDeepEqual([png.width, png.height], [1536, 1024]);
});

test('a slow answer times out', async () => {
  server.script.push('slow', 'slow', 'slow');
  const error = await rejection(openai.edit(request({ policy: { ...fast, maxRetries: 0, timeoutMs: 200 } })));
  assert.equal(error.kind, 'timeout');
  server.script.length = 0;
});

test('the user can cancel a request in flight', async () => {
  server.script.push('slow');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  const error = await rejection(openai.edit(request({ signal: controller.signal })));
  assert.equal(error.kind, 'cancelled');
  assert.ok(Date.now() - started < 1000);
});

test('cancel during a back-off wait ends at once', async () => {
  server.script.push('rate_limit', 'rate_limit');
  const controller = new AbortController();
  const pending = openai.edit(request({ signal: controller.signal, policy: { ...fast } }));
  setTimeout(() => controller.abort(), 300); // inside the 1 s Retry-After wait
  const error = await rejection(pending);
  assert.equal(error.kind, 'cancelled');
  server.script.length = 0;
});

test('no server: a network error', async () => {
  const error = await rejection(openai.edit(request({ baseUrl: 'http://127.0.0.1:9/v1', policy: { ...fast, maxRetries: 0 } })));
  assert.equal(error.kind, 'network');
  assert.equal(error.status, null);
});

test('no key: an auth error before anything is sent', async () => {
  const count = server.requests.length;
  const error = await rejection(openai.edit(request({ apiKey: '' })));
  assert.equal(error.kind, 'auth');
  assert.equal(server.requests.length, count);
});
