// The Gemini bridge against the local generateContent mock, which checks the prompt, the
// generationConfig and the inline images against exactly what the test sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as gemini from '../../web/bridge/gemini.js';
import { startGemini } from './mock-servers.mjs';
import { decodePng, encodeSamples, picture } from './png.mjs';
import { fastPolicy, refused, rejection } from './shared.mjs';

const apiKey = 'AIzaSy-test-gemini-0123456789';
const model = 'gemini-2.5-flash-image';
const fast = fastPolicy();
const PROMPT = 'replace the sign with a tree';
const IMAGE = picture(1248, 832);
/** What `request()` puts in the body besides the images, as the test tells the mock. */
const SENT = { prompt: PROMPT, generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '3:2' } } };
let server;

before(async () => {
  server = await startGemini({ apiKey, model, imageSize: [1248, 832], fields: SENT, files: [IMAGE], answerSize: [1248, 832] }, { retryDelay: '0.5s', slowMs: 2000 });
});
after(() => server.close());

const request = (extra = {}) => ({
  apiKey,
  baseUrl: `${server.origin}/v1beta`,
  model,
  prompt: PROMPT,
  image: IMAGE,
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
  assert.deepEqual(server.violations, []);
  assert.equal(result.images.length, 3);
  assert.equal(server.requests.length - count, 3);
});

test('reference images follow the edited image', async () => {
  const images = [picture(1024, 1024), picture(40, 40), picture(50, 30)];
  const fields = { prompt: PROMPT, generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '1:1' } } };
  const local = await startGemini({ apiKey, model, imageSize: [1024, 1024], fields, files: images });
  try {
    await gemini.edit(request({ baseUrl: `${local.origin}/v1beta`, image: images[0], referenceImages: images.slice(1), aspectRatio: '1:1' }));
    assert.deepEqual(local.violations, []);
    assert.equal(local.requests.length, 1);
  } finally {
    await local.close();
  }
});

test('the mock compares model, prompt, config and images with what the test sent: a wrong but allowed value is refused', async () => {
  const local = await startGemini({ apiKey, model, imageSize: [1248, 832], fields: SENT, files: [IMAGE] });
  const asked = (extra = {}) => request({ baseUrl: `${local.origin}/v1beta`, policy: fastPolicy({ maxRetries: 0 }), ...extra });
  try {
    await gemini.edit(asked());
    assert.deepEqual(local.violations, [], 'the request the test describes passes');
    const config = (aspectRatio) => JSON.stringify({ responseModalities: ['IMAGE'], ...(aspectRatio ? { imageConfig: { aspectRatio } } : {}) });
    const cases = [
      [{ model: 'gemini-3-pro-image-preview' }, /^model 'gemini-3-pro-image-preview', expected 'gemini-2.5-flash-image'$/],
      [{ prompt: 'replace the sign with a bush' }, /^field 'prompt' is "replace the sign with a bush", the test sent "replace the sign with a tree"$/],
      [{ aspectRatio: '16:9' }, new RegExp(`^field 'generationConfig' is ${escape(config('16:9'))}, the test sent ${escape(config('3:2'))}$`)],
      [{ aspectRatio: undefined }, new RegExp(`^field 'generationConfig' is ${escape(config())}, the test sent`)],
      [{ image: picture(1248, 833) }, /^image is 1248x833, expected 1248x832$/],
      [{ image: picture(1248, 832).reverse() }, /^image 0 is not a readable PNG/],
      [{ referenceImages: [picture(40, 40)] }, /^expected 1 images, got 2$/],
    ];
    for (const [change, reason] of cases) await refused(local, gemini.edit(asked(change)), reason);
    // A picture of the right size that differs in one sample: only the byte comparison sees it.
    const samples = decodePng(IMAGE).samples;
    samples[0] ^= 1;
    await refused(local, gemini.edit(asked({ image: encodeSamples(1248, 832, 6, samples) })), /^image 0 differs from the bytes the test sent/);
  } finally {
    await local.close();
  }
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

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
