// The Gemini bridge against the local generateContent mock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as gemini from '../../web/bridge/gemini.js';
import { startGemini } from './mock-servers.mjs';
import { decodePng, picture } from './png.mjs';
import { rejection } from './rejection.mjs';

const apiKey = 'AIzaSy-test-gemini-0123456789';
const model = 'gemini-2.5-flash-image';
const fast = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5000, timeoutMs: 5000 };
let server;

before(async () => {
  server = await startGemini({ apiKey, model, imageSize: [1248, 832], aspectRatio: '3:2', prompt: 'replace the sign with a tree', answerSize: [1248, 832] }, { retryDelay: '0.5s', slowMs: 2000 });
});
after(() => server.close());

const request = (extra = {}) => ({
  apiKey,
  baseUrl: `${server.origin}/v1beta`,
  model,
  prompt: 'replace the sign with a tree',
  image: picture(1248, 832),
  aspectRatio: '3:2',
  policy: fast,
  ...extra,
});

test('edit sends inline image parts and IMAGE modality, reads inlineData', async () => {
  const result = await gemini.edit(request());
  assert.deepEqual(server.violations, []);
  assert.equal(result.images.length, 1);
  assert.equal(result.images[0].mimeType, 'image/png');
  const png = decodePng(result.images[0].bytes);
  assert.deepEqual([png.width, png.height], [1248, 832]);
  assert.equal(result.text, 'Here is the edited image.');
});

test('n variants are n calls', async () => {
  const count = server.requests.length;
  const result = await gemini.edit(request({ n: 3 }));
  assert.equal(result.images.length, 3);
  assert.equal(server.requests.length - count, 3);
});

test('reference images follow the edited image', async () => {
  const local = await startGemini({ apiKey, model, imageSize: [1024, 1024], images: 3, aspectRatio: '1:1' });
  try {
    await gemini.edit(request({ baseUrl: `${local.origin}/v1beta`, image: picture(1024, 1024), referenceImages: [picture(40, 40), picture(50, 30)], aspectRatio: '1:1' }));
    assert.deepEqual(local.violations, []);
  } finally {
    await local.close();
  }
});

test('an invalid key (400 API_KEY_INVALID) is an auth error', async () => {
  server.script.push('auth');
  const error = await rejection(gemini.edit(request()));
  assert.equal(error.kind, 'auth');
  assert.equal(error.status, 400);
  assert.equal(error.message, 'API key not valid. Please pass a valid API key.');
});

test('429 RESOURCE_EXHAUSTED honours RetryInfo.retryDelay', async () => {
  server.script.push('rate_limit');
  const events = [];
  const result = await gemini.edit(request({ log: (e) => events.push(e) }));
  assert.equal(result.images.length, 1);
  assert.equal(events.find((e) => e.event === 'retry').delayMs, 500);
});

test('HTTP 200 with promptFeedback.blockReason is a content block', async () => {
  server.script.push('blocked_prompt');
  const error = await rejection(gemini.edit(request()));
  assert.equal(error.kind, 'content_blocked');
  assert.equal(error.status, 200);
  assert.equal(error.code, 'PROHIBITED_CONTENT');
});

test('HTTP 200 with finishReason IMAGE_SAFETY and no image is a content block', async () => {
  server.script.push('image_safety');
  const error = await rejection(gemini.edit(request()));
  assert.equal(error.kind, 'content_blocked');
  assert.equal(error.code, 'IMAGE_SAFETY');
  assert.match(error.message, /Unable to show the generated image/);
});

test('503, 413 and a non-JSON body map to their kinds', async () => {
  server.script.push('server_error', 'server_error', 'server_error');
  assert.equal((await rejection(gemini.edit(request()))).kind, 'server');
  server.script.push('too_large');
  assert.equal((await rejection(gemini.edit(request()))).kind, 'payload_too_large');
  server.script.push('malformed');
  assert.equal((await rejection(gemini.edit(request()))).kind, 'bad_response');
});

test('an image of another size is handed on untouched', async () => {
  server.script.push('wrong_size');
  const png = decodePng((await gemini.edit(request())).images[0].bytes);
  assert.notDeepEqual([png.width, png.height], [1248, 832]);
});

test('a slow answer times out; a cancel is a cancel', async () => {
  server.script.push('slow');
  assert.equal((await rejection(gemini.edit(request({ policy: { ...fast, maxRetries: 0, timeoutMs: 200 } })))).kind, 'timeout');
  server.script.push('slow');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  assert.equal((await rejection(gemini.edit(request({ signal: controller.signal })))).kind, 'cancelled');
});
