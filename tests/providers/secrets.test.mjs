// API keys travel only in headers: never in a URL, an error message or anything logged, for
// every provider, on success and on failure (including a proxy that echoes the key back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as openai from '../../web/bridge/openai.js';
import * as gemini from '../../web/bridge/gemini.js';
import * as stability from '../../web/bridge/stability.js';
import { startGemini, startOpenAI, startStability } from './mock-servers.mjs';
import { alphaMask, picture, whiteMask } from './png.mjs';

const fast = { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 5000, timeoutMs: 300 };

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

function assertClean(seen, key) {
  assert.ok(seen.urls.length > 0, 'no request was made');
  for (const url of seen.urls) assert.ok(!url.includes(key), `key in URL ${url}`);
  for (const line of [...seen.logs, ...seen.messages]) assert.ok(!line.includes(key), `key leaked: ${line}`);
  assert.ok(seen.logs.some((line) => line.includes('"event":"request"')), 'nothing was logged, so the check proves nothing');
}

test('OpenAI: the key stays in the Authorization header', async () => {
  const key = 'sk-secret-openai-KEY-9f8e7d6c';
  const server = await startOpenAI({ apiKey: key, imageSize: [1024, 1024] }, { slowMs: 1000, echo: () => key });
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: `${server.origin}/v1`, image: picture(1024, 1024), prompt: 'p', size: '1024x1024', fetch, log, policy: fast };
      for (const mode of ['ok', 'auth', 'echo_key', 'rate_limit', 'blocked', 'malformed', 'slow']) {
        server.script.push(mode, mode);
        await settle(openai.edit(base), s);
        server.script.length = 0;
      }
      await settle(openai.edit({ ...base, baseUrl: 'http://127.0.0.1:9/v1' }), s);
    });
    assertClean(seen, key);
    assert.ok(seen.messages.some((m) => m.includes('Key rejected: [redacted]')), 'the echoed key was not scrubbed');
    assert.ok(server.requests.every((r) => r.headers.authorization === `Bearer ${key}`));
  } finally {
    await server.close();
  }
});

test('Gemini: the key stays in x-goog-api-key', async () => {
  const key = 'AIzaSy-secret-GEMINI-KEY-12345';
  const server = await startGemini({ apiKey: key, model: 'gemini-2.5-flash-image', imageSize: [1024, 1024] }, { slowMs: 1000, retryDelay: '0.01s' });
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: `${server.origin}/v1beta`, image: picture(1024, 1024), prompt: 'p', aspectRatio: '1:1', fetch, log, policy: fast };
      for (const mode of ['ok', 'auth', 'rate_limit', 'blocked_prompt', 'image_safety', 'malformed', 'slow']) {
        server.script.push(mode, mode);
        await settle(gemini.edit(base), s);
        server.script.length = 0;
      }
    });
    assertClean(seen, key);
    assert.ok(server.requests.every((r) => !r.query.has('key') && r.headers['x-goog-api-key'] === key));
  } finally {
    await server.close();
  }
});

test('Stability: the key stays in the authorization header', async () => {
  const key = 'sk-secret-STABILITY-KEY-abcdef';
  const server = await startStability({ apiKey: key, imageSize: [512, 512] }, { slowMs: 1000, retryAfterSeconds: 0.01 });
  try {
    const seen = await watch(async ({ fetch, log, seen: s }) => {
      const base = { apiKey: key, baseUrl: server.origin, image: picture(512, 512), mask: whiteMask(512, 512, { x: 1, y: 1, width: 9, height: 9 }), prompt: 'p', fetch, log, policy: fast };
      for (const mode of ['ok', 'auth', 'blocked', 'rate_limit', 'filtered', 'malformed', 'slow']) {
        server.script.push(mode, mode);
        await settle(stability.inpaint(base), s);
        server.script.length = 0;
      }
    });
    assertClean(seen, key);
  } finally {
    await server.close();
  }
});

test('the mask helpers used above really differ in convention', () => {
  // Guards the fixtures: an alpha mask is RGBA, a white mask is greyscale.
  assert.notDeepEqual(alphaMask(4, 4, { x: 0, y: 0, width: 2, height: 2 }), whiteMask(4, 4, { x: 0, y: 0, width: 2, height: 2 }));
});
