// Stability AI REST v2beta: edit/inpaint, edit/outpaint, edit/erase and upscale/fast. Requests
// are multipart/form-data; answers are asked for as JSON ({image, finish_reason, seed}) because
// a browser cannot read the finish-reason and seed headers of a raw-bytes answer. Masks arrive
// from the core already in Stability's convention: greyscale, white = edit.

import { ProviderError, kindForStatus, retryAfterFromHeaders } from './errors.js';
import { base64ToBytes } from './base64.js';
import { endpoint, postForJson } from './http.js';

export const PROVIDER = 'stability';
export const DEFAULT_BASE_URL = 'https://api.stability.ai';

/** Stability documents a 60 s time-out after a 429 but sends no Retry-After. */
const RATE_LIMIT_PAUSE_MS = 60_000;

/**
 * In-paints `image` where `mask` is white: `{apiKey, image, mask, prompt, negativePrompt,
 * growMask, seed, n, outputFormat, ...}`. One image per call: `n` variants are `n` calls with
 * seeds `seed`, `seed + 1`, ... (seed 0 means random to Stability, so it stays 0).
 */
export function inpaint(options) {
  const { image, mask, prompt, negativePrompt, growMask } = options;
  return variants(options, '/v2beta/stable-image/edit/inpaint', (seed) => ({
    image, mask, prompt, negative_prompt: negativePrompt, grow_mask: growMask, seed,
  }));
}

/** Extends the canvas: `{image, left, right, up, down, prompt, creativity, seed, n, ...}`. */
export function outpaint(options) {
  const { image, left = 0, right = 0, up = 0, down = 0, prompt, creativity } = options;
  if (!(left || right || up || down)) throw new TypeError('stability.outpaint needs left, right, up or down');
  return variants(options, '/v2beta/stable-image/edit/outpaint', (seed) => ({
    image, left, right, up, down, prompt, creativity, seed,
  }));
}

/** Removes what `mask` (white) covers: `{image, mask, growMask, seed, ...}`. */
export function erase(options) {
  const { image, mask, growMask } = options;
  return variants(options, '/v2beta/stable-image/edit/erase', (seed) => ({ image, mask, grow_mask: growMask, seed }));
}

/** 4× upscale: `{image, outputFormat, ...}`. */
export function upscaleFast(options) {
  return variants({ ...options, n: 1 }, '/v2beta/stable-image/upscale/fast', () => ({ image: options.image }));
}

async function variants(options, path, fields) {
  const { n = 1, seed = 0 } = options;
  const images = [];
  for (let i = 0; i < n; i += 1) {
    const answer = await post(options, path, fields(seed === 0 ? 0 : seed + i));
    images.push(answer);
  }
  return { images };
}

async function post(options, path, fields) {
  const { apiKey, baseUrl = DEFAULT_BASE_URL, outputFormat = 'png' } = options;
  return postForJson({
    provider: PROVIDER,
    missingKey: 'A Stability API key is needed.',
    options,
    url: endpoint(baseUrl, path),
    headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
    makeBody: () => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) {
        if (value === undefined || value === null || value === '') continue;
        if (value instanceof Uint8Array) form.append(name, new Blob([value], { type: 'image/png' }), `${name}.png`);
        else form.append(name, String(value));
      }
      form.append('output_format', outputFormat);
      return form;
    },
    toError,
    read: (json, status) => {
      if (typeof json?.image !== 'string') {
        throw new ProviderError({ kind: 'bad_response', status, provider: PROVIDER, message: 'Stability answered without an image.' });
      }
      if (json.finish_reason === 'CONTENT_FILTERED') {
        // The image is delivered blurred; pasting it would damage the document.
        throw new ProviderError({
          kind: 'content_blocked',
          status,
          provider: PROVIDER,
          code: 'CONTENT_FILTERED',
          message: 'Stability flagged the result and returned it blurred (CONTENT_FILTERED).',
        });
      }
      return { bytes: base64ToBytes(json.image), mimeType: `image/${outputFormat}`, seed: json.seed ?? null };
    },
  });
}

/** Maps `{"id","name","errors":[...]}`; 403 content_moderation is a content block, not auth. */
async function toError(response) {
  let body = {};
  const text = await response.text();
  try {
    body = JSON.parse(text) ?? {};
  } catch {
    body = { errors: [text.slice(0, 200)] };
  }
  const name = body.name ?? null;
  let kind = kindForStatus(response.status);
  if (name === 'content_moderation') kind = 'content_blocked';
  const messages = Array.isArray(body.errors) ? body.errors : [body.message].filter(Boolean);
  const retryAfterMs = retryAfterFromHeaders(response.headers) ?? (response.status === 429 ? RATE_LIMIT_PAUSE_MS : null);
  return new ProviderError({
    kind,
    status: response.status,
    provider: PROVIDER,
    code: name,
    message: messages.join(' ') || `Stability answered HTTP ${response.status}.`,
    retryAfterMs,
  });
}
