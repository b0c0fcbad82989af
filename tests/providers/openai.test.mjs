// The OpenAI bridge against the local OpenAI mock: the server checks every request field
// against exactly what the test sent (expect.fields / expect.files) and the mask's convention;
// these tests check that, and what the bridge makes of each answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../../web/bridge/openai.js';
import { startOpenAI } from './mock-servers.mjs';
import { alphaMask, decodePng, encodeSamples, invertMask, picture } from './png.mjs';
import { expecting, fastPolicy, refused, rejection } from './shared.mjs';

const apiKey = 'sk-test-openai-0123456789abcdef';
const edit = { x: 300, y: 200, width: 400, height: 300 };
const fast = fastPolicy();
const IMAGE = picture(1536, 1024);
const MASK = alphaMask(1536, 1024, edit);
/** What `request()` puts on the wire, as the test tells the mock. */
const SENT = { model: 'gpt-image-1', prompt: 'a red kite', n: '2', size: '1536x1024', quality: 'high', input_fidelity: 'high', output_format: 'png' };
let server;

before(async () => {
  server = await startOpenAI(
    { apiKey, imageSize: [1536, 1024], editPoint: [400, 300], keepPoint: [10, 10], fields: SENT, files: { image: IMAGE, mask: MASK } },
    { slowMs: 2000, retryAfterSeconds: 1 },
  );
});
after(() => server.close());

function request(extra = {}) {
  return {
    apiKey,
    baseUrl: `${server.origin}/v1`,
    model: 'gpt-image-1',
    image: IMAGE,
    mask: MASK,
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
  const image = picture(1024, 1024);
  const mask = alphaMask(1024, 1024, { x: 400, y: 400, width: 200, height: 200 });
  const references = [picture(64, 64), picture(32, 48)];
  const local = await startOpenAI({
    apiKey,
    imageSize: [1024, 1024],
    references: 2,
    editPoint: [500, 500],
    keepPoint: [0, 0],
    fields: { ...SENT, n: '1', size: '1024x1024' },
    files: { 'image[]': [image, ...references], mask },
  });
  try {
    const result = await openai.edit(request({
      baseUrl: `${local.origin}/v1/`, // a trailing slash, as users paste proxy URLs
      image,
      mask,
      referenceImages: references,
      size: '1024x1024',
      n: 1,
    }));
    assert.deepEqual(local.violations, []);
    assert.equal(local.requests.length, 1);
    assert.equal(result.images.length, 1);
  } finally {
    await local.close();
  }
});

test('the mock compares every field with what the test sent: a wrong but allowed value is refused', async () => {
  // The test expects n=1, quality "medium", input fidelity "low", gpt-image-1.5; the bridge is
  // then called with one option changed at a time, each change still a value OpenAI accepts.
  const fields = { model: 'gpt-image-1.5', prompt: 'a red kite', n: '1', size: '1536x1024', quality: 'medium', input_fidelity: 'low', output_format: 'png' };
  const local = await startOpenAI({ apiKey, imageSize: [1536, 1024], editPoint: [400, 300], keepPoint: [10, 10], fields, files: { image: IMAGE, mask: MASK } });
  const asked = (extra = {}) => request({ baseUrl: `${local.origin}/v1`, model: 'gpt-image-1.5', n: 1, quality: 'medium', inputFidelity: 'low', ...extra });
  const otherPixels = decodePng(IMAGE).samples;
  otherPixels[4 * 1536 * 1024 - 2] ^= 1; // one sample of the last pixel
  try {
    const right = await openai.edit(asked());
    assert.deepEqual(local.violations, [], 'the request the test describes passes');
    assert.equal(right.images.length, 1);
    const cases = [
      [{ n: 2 }, /multipart part 'n' is "2", the test sent "1"/],
      [{ quality: 'high' }, /'quality' is "high", the test sent "medium"/],
      [{ quality: undefined }, /'quality' is missing; the test sent "medium"/],
      [{ inputFidelity: 'high' }, /'input_fidelity' is "high", the test sent "low"/],
      [{ model: 'gpt-image-1' }, /'model' is "gpt-image-1", the test sent "gpt-image-1.5"/],
      [{ prompt: 'a red kite at dusk' }, /'prompt' is "a red kite at dusk", the test sent "a red kite"/],
      [{ size: 'auto' }, /'size' is "auto", the test sent "1536x1024"/],
      [{ outputFormat: 'webp' }, /'output_format' is "webp", the test sent "png"/],
      [{ image: encodeSamples(1536, 1024, 6, otherPixels) }, /^image differs from the bytes the test sent/],
      [{ mask: alphaMask(1536, 1024, { ...edit, width: edit.width + 1 }) }, /^mask differs from the bytes the test sent/],
      [{ referenceImages: [picture(64, 64)] }, /expected 1 images, got 2/],
    ];
    for (const [change, reason] of cases) {
      const count = local.requests.length;
      await refused(local, openai.edit(asked(change)), reason);
      assert.equal(local.requests.length - count, 1, `${JSON.stringify(Object.keys(change))}: a 422 is not retried`);
    }
  } finally {
    await local.close();
  }
});

test('the mock refuses a really inverted mask (the edit region opaque, the rest transparent)', async () => {
  // The correct mask through the same helper, every alpha flipped: same size, same colour type,
  // transparent = keep. The mock must catch it by the convention, not by the format.
  const inverted = invertMask(MASK);
  const right = decodePng(MASK);
  const wrong = decodePng(inverted);
  assert.deepEqual([wrong.width, wrong.height, wrong.colorType], [right.width, right.height, right.colorType]);
  let flipped = 0;
  for (let i = 3; i < right.samples.length; i += 4) {
    assert.equal(wrong.samples[i], 255 - right.samples[i]);
    if (right.samples[i] === 0) flipped += 1;
  }
  assert.equal(flipped, edit.width * edit.height, 'the edit region was transparent and is now opaque');
  // Only the convention differs, so the byte comparison with the expected mask is not what
  // catches it: the convention check comes first and names the point.
  await refused(server, openai.edit(request({ mask: inverted })), /^mask alpha at edit point 400,300 is 255, expected 0$/);
  const anyMask = { ...server.expect, files: undefined };
  await expecting(server, anyMask, () => refused(server, openai.edit(request({ mask: inverted })), /mask alpha at edit point 400,300 is 255, expected 0/));
});

test('generations send JSON with the exact values the test sent', async () => {
  const fields = { model: 'gpt-image-1', prompt: 'a kite', n: 1, size: '1024x1536', output_format: 'png' };
  const call = (extra = {}) => openai.generate({ apiKey, baseUrl: `${server.origin}/v1`, model: 'gpt-image-1', prompt: 'a kite', n: 1, size: '1024x1536', policy: fast, ...extra });
  await expecting(server, { apiKey, fields }, async () => {
    const result = await call();
    assert.deepEqual(server.violations, []);
    const png = decodePng(result.images[0].bytes);
    assert.deepEqual([png.width, png.height], [1024, 1536]);
    await refused(server, call({ n: 2 }), /JSON field 'n' is 2, the test sent 1/);
    await refused(server, call({ quality: 'low' }), /JSON field 'quality' is "low", the test sent none/);
  });
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
  const result = await openai.edit(request({ log: (e) => events.push(e) }));
  assert.deepEqual(server.violations, []);
  assert.equal(result.images.length, 2);
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
  const result = await openai.edit(request());
  for (const image of result.images) {
    const png = decodePng(image.bytes);
    assert.deepEqual([png.width, png.height], server.lastAnswerSize);
    assert.notDeepEqual([png.width, png.height], [1536, 1024]);
  }
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
