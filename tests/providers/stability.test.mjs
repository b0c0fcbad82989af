// The Stability bridge against the local v2beta mock, which checks every multipart part against
// exactly what the test sent and the mask's convention (greyscale, white = edit).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as stability from '../../web/bridge/stability.js';
import { sequence, startStability } from './mock-servers.mjs';
import { alphaMask, decodePng, encodeSamples, invertMask, picture, whiteMask } from './png.mjs';
import { expecting, fastPolicy, refused, rejection } from './shared.mjs';

const apiKey = 'sk-test-stability-0123456789';
const fast = fastPolicy();
const edit = { x: 400, y: 300, width: 200, height: 200 };
const IMAGE = picture(1024, 768);
const MASK = whiteMask(1024, 768, edit);
/** What `request()` puts on the wire besides the images, as the test tells the mock. */
const SENT = { prompt: 'a wooden bench', seed: '42', output_format: 'png' };
let server;

before(async () => {
  server = await startStability(
    { apiKey, imageSize: [1024, 768], editPoint: [500, 400], keepPoint: [5, 5], fields: SENT, files: { image: IMAGE, mask: MASK } },
    { slowMs: 2000, retryAfterSeconds: 1 },
  );
});
after(() => server.close());

const request = (extra = {}) => ({
  apiKey,
  baseUrl: server.origin,
  image: IMAGE,
  mask: MASK,
  prompt: 'a wooden bench',
  seed: 42,
  policy: fast,
  ...extra,
});

/** The main server's expectation with `fields` changed. */
const withFields = (fields) => ({ ...server.expect, fields: { ...SENT, ...fields } });

test('inpaint sends multipart with a white = edit mask and reads the JSON image', async () => {
  const result = await expecting(server, withFields({ grow_mask: '5', negative_prompt: 'blurry' }), () => stability.inpaint(request({ growMask: 5, negativePrompt: 'blurry' })));
  assert.deepEqual(server.violations, []);
  assert.equal(result.images.length, 1);
  assert.equal(result.images[0].seed, 42);
  const png = decodePng(result.images[0].bytes);
  assert.deepEqual([png.width, png.height], [1024, 768]);
});

test('n variants are n calls with successive seeds', async () => {
  const count = server.requests.length;
  const result = await expecting(server, withFields({ seed: sequence('42', '43', '44') }), () => stability.inpaint(request({ n: 3 })));
  assert.deepEqual(server.violations, []);
  assert.equal(server.requests.length - count, 3);
  assert.deepEqual(result.images.map((i) => i.seed), [42, 43, 44]);
});

test('the mock compares every part with what the test sent: a wrong but allowed value is refused', async () => {
  const fields = { prompt: 'a wooden bench', negative_prompt: 'blurry', grow_mask: '5', seed: '42', output_format: 'png' };
  const local = await startStability({ apiKey, imageSize: [1024, 768], editPoint: [500, 400], keepPoint: [5, 5], fields, files: { image: IMAGE, mask: MASK } });
  const asked = (extra = {}) => request({ baseUrl: local.origin, growMask: 5, negativePrompt: 'blurry', policy: fastPolicy({ maxRetries: 0 }), ...extra });
  const otherPixels = decodePng(IMAGE).samples;
  otherPixels[0] ^= 1;
  try {
    await stability.inpaint(asked());
    assert.deepEqual(local.violations, [], 'the request the test describes passes');
    const cases = [
      [{ seed: 7 }, /^multipart part 'seed' is "7", the test sent "42"$/],
      [{ n: 2 }, /^multipart part 'seed' is "43", the test sent "42"$/], // the second call
      [{ growMask: 6 }, /^multipart part 'grow_mask' is "6", the test sent "5"$/],
      [{ growMask: undefined }, /^multipart part 'grow_mask' is missing; the test sent "5"$/],
      [{ negativePrompt: 'sharp' }, /^multipart part 'negative_prompt' is "sharp", the test sent "blurry"$/],
      [{ prompt: 'a stone bench' }, /^multipart part 'prompt' is "a stone bench", the test sent "a wooden bench"$/],
      [{ outputFormat: 'webp' }, /^multipart part 'output_format' is "webp", the test sent "png"$/],
      [{ image: encodeSamples(1024, 768, 6, otherPixels) }, /^image differs from the bytes the test sent/],
      [{ mask: whiteMask(1024, 768, { ...edit, height: edit.height + 1 }) }, /^mask differs from the bytes the test sent/],
      [{ mask: undefined }, /^a mask was expected$/],
    ];
    for (const [change, reason] of cases) await refused(local, stability.inpaint(asked(change)), reason);
  } finally {
    await local.close();
  }
});

test('the mock refuses a really inverted mask (greyscale, black where the edit is)', async () => {
  // The correct mask through the same helper, every grey level flipped: still greyscale and
  // the same size, so only the convention check can catch it.
  const inverted = invertMask(MASK);
  const right = decodePng(MASK);
  const wrong = decodePng(inverted);
  assert.deepEqual([wrong.width, wrong.height, wrong.colorType], [right.width, right.height, 0]);
  let flipped = 0;
  for (let i = 0; i < right.samples.length; i += 1) {
    assert.equal(wrong.samples[i], 255 - right.samples[i]);
    if (right.samples[i] === 255) flipped += 1;
  }
  assert.equal(flipped, edit.width * edit.height, 'the edit region was white and is now black');
  await refused(server, stability.inpaint(request({ mask: inverted })), /^mask at edit point 500,400 is 0, expected 255$/);
});

test('the mock refuses an OpenAI-style mask (RGBA, alpha 0 = edit): Stability takes greyscale', async () => {
  await refused(server, stability.inpaint(request({ mask: alphaMask(1024, 768, edit) })), /^the mask must be greyscale \(white = edit\)$/);
});

test('outpaint, erase and upscale/fast hit their endpoints', async () => {
  const image = picture(512, 512);
  const mask = whiteMask(512, 512, { x: 10, y: 10, width: 50, height: 50 });
  const local = await startStability({ apiKey, imageSize: [512, 512], outpaint: [128, 0, 64, 0] });
  try {
    // Sides not asked for go as 0, and so does the seed (0: Stability picks one).
    local.expect.fields = { left: '128', right: '0', up: '64', down: '0', prompt: 'more sky', seed: '0', output_format: 'png' };
    local.expect.files = { image };
    await stability.outpaint({ apiKey, baseUrl: local.origin, image, left: 128, up: 64, prompt: 'more sky', policy: fast });
    local.expect.fields = { grow_mask: '3', seed: '0', output_format: 'png' };
    local.expect.files = { image, mask };
    await stability.erase({ apiKey, baseUrl: local.origin, image, mask, growMask: 3, policy: fast });
    local.expect.fields = { output_format: 'png' };
    local.expect.files = { image };
    const up = await stability.upscaleFast({ apiKey, baseUrl: local.origin, image, policy: fast });
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
  const local = await startStability({ apiKey, imageSize: [1024, 768], fields: SENT, files: { image: IMAGE } });
  try {
    local.script.push('rate_limit');
    const error = await rejection(stability.inpaint(request({ baseUrl: local.origin, mask: undefined })));
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.retryAfterMs, 60_000);
    assert.equal(local.requests.length, 1, 'a 60 s wait is above maxDelayMs, so no hidden retry');
    assert.deepEqual(local.violations, []);
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
