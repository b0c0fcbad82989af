// The retry policy and the error helpers on their own, with an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendWithRetry } from '../../web/bridge/retry.js';
import { ProviderError, retryAfterFromHeaders, scrub } from '../../web/bridge/errors.js';
import * as mock from '../../web/bridge/mock.js';

const rateLimited = (retryAfterMs = null) => new ProviderError({ kind: 'rate_limit', status: 429, message: 'slow down', retryAfterMs });

test('backs off exponentially when no wait is given, then succeeds', async () => {
  const waits = [];
  let calls = 0;
  const result = await sendWithRetry({
    provider: 'test',
    policy: { maxRetries: 3, baseDelayMs: 100 },
    sleep: async (ms) => waits.push(ms),
    random: () => 0,
    attempt: async () => {
      calls += 1;
      if (calls < 3) throw rateLimited();
      return 'done';
    },
  });
  assert.equal(result, 'done');
  assert.deepEqual(waits, [100, 200]);
});

test('a wait longer than maxDelayMs is not spent silently', async () => {
  const waits = [];
  await assert.rejects(
    sendWithRetry({ provider: 'test', policy: { maxDelayMs: 5000 }, sleep: async (ms) => waits.push(ms), attempt: async () => { throw rateLimited(60_000); } }),
    (error) => error.kind === 'rate_limit' && error.retryAfterMs === 60_000,
  );
  assert.deepEqual(waits, []);
});

test('errors that retrying cannot fix are thrown at once', async () => {
  let calls = 0;
  await assert.rejects(
    sendWithRetry({ provider: 'test', sleep: async () => {}, attempt: async () => { calls += 1; throw new ProviderError({ kind: 'content_blocked', status: 400, message: 'no' }); } }),
    (error) => error.kind === 'content_blocked',
  );
  assert.equal(calls, 1);
});

test('Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after': '7' }), now), 7000);
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now), 30_000);
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '7' }), now), 250);
  assert.equal(retryAfterFromHeaders(new Headers({}), now), null);
  assert.equal(retryAfterFromHeaders(null, now), null);
});

test('scrub removes every copy of a secret', () => {
  assert.equal(scrub('a KEY123 b KEY123', ['KEY123']), 'a [redacted] b [redacted]');
  assert.equal(scrub('short', ['']), 'short');
});

test('an unknown kind is a programming error', () => {
  assert.throws(() => new ProviderError({ kind: 'oops', message: 'x' }), TypeError);
});

test('the mock provider is deterministic and offline', async () => {
  const image = new Uint8Array([1, 2, 3]);
  const calls = [];
  const synthesize = (img, mask, prompt, seed) => {
    calls.push([prompt, seed]);
    return new Uint8Array([seed]);
  };
  const a = await mock.edit({ image, mask: image, prompt: 'p', n: 2, seed: 5, synthesize });
  assert.deepEqual(a.images.map((i) => [...i.bytes]), [[5], [6]]);
  assert.deepEqual(calls, [['p', 5], ['p', 6]]);
  const echo = await mock.edit({ image });
  assert.deepEqual([...echo.images[0].bytes], [1, 2, 3]);
  const controller = new AbortController();
  const pending = mock.edit({ image, latencyMs: 10_000, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, (error) => error.kind === 'cancelled');
});
