// OpenAI Images API (gpt-image models): edits as multipart/form-data, generations as JSON.
// HTTP only: the image and mask arrive already encoded by the core (mask: PNG whose alpha = 0
// marks the region to edit), and the answer's b64_json images are handed back as bytes.
// `baseUrl` also serves OpenAI-compatible proxies.

import { ProviderError, kindForStatus, retryAfterFromHeaders } from './errors.js';
import { base64ToBytes } from './base64.js';
import { endpoint, postForJson } from './http.js';

export const PROVIDER = 'openai';
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Edits `image` where `mask` is transparent. Options:
 * `{apiKey, baseUrl, model, image, mask, referenceImages, prompt, n, size, quality,
 *   inputFidelity, outputFormat, signal, policy, log, fetch}`; images are PNG bytes
 * (Uint8Array). Resolves to `{images: [{bytes, mimeType}], created, usage}`.
 */
export async function edit(options) {
  const { image, mask, referenceImages = [], prompt, n = 1, size, quality, inputFidelity, outputFormat = 'png' } = options;
  if (!image) throw new TypeError('openai.edit needs an image');
  const body = () => {
    const form = new FormData();
    form.append('model', options.model ?? 'gpt-image-1');
    form.append('prompt', prompt);
    // One image goes in `image`; with references the API takes repeated `image[]` parts, the
    // first of which is the one the mask applies to.
    const images = [image, ...referenceImages];
    const field = images.length > 1 ? 'image[]' : 'image';
    images.forEach((bytes, i) => form.append(field, pngBlob(bytes), i === 0 ? 'image.png' : `reference-${i}.png`));
    if (mask) form.append('mask', pngBlob(mask), 'mask.png');
    form.append('n', String(n));
    if (size) form.append('size', size);
    if (quality) form.append('quality', quality);
    if (inputFidelity) form.append('input_fidelity', inputFidelity);
    form.append('output_format', outputFormat);
    return form;
  };
  return post(options, '/images/edits', body, outputFormat);
}

/** Generates from a prompt alone: `{apiKey, baseUrl, model, prompt, n, size, quality, outputFormat, ...}`. */
export async function generate(options) {
  const { prompt, n = 1, size, quality, outputFormat = 'png' } = options;
  const json = {
    model: options.model ?? 'gpt-image-1',
    prompt,
    n,
    ...(size ? { size } : {}),
    ...(quality ? { quality } : {}),
    output_format: outputFormat,
  };
  return post(options, '/images/generations', () => JSON.stringify(json), outputFormat);
}

function pngBlob(bytes) {
  return new Blob([bytes], { type: 'image/png' });
}

async function post(options, path, makeBody, outputFormat) {
  const { apiKey, baseUrl = DEFAULT_BASE_URL } = options;
  return postForJson({
    provider: PROVIDER,
    missingKey: 'An OpenAI API key is needed.',
    options,
    url: endpoint(baseUrl, path),
    headers: { Authorization: `Bearer ${apiKey}` },
    makeBody,
    toError,
    read: (json, status) => {
      const data = Array.isArray(json?.data) ? json.data : null;
      if (!data?.length || data.some((item) => typeof item?.b64_json !== 'string')) {
        throw new ProviderError({
          kind: 'bad_response',
          status,
          provider: PROVIDER,
          message: 'OpenAI answered without b64_json images.',
        });
      }
      const mimeType = `image/${json.output_format ?? outputFormat}`;
      return {
        images: data.map((item) => ({ bytes: base64ToBytes(item.b64_json), mimeType })),
        created: json.created ?? null,
        usage: json.usage ?? null,
      };
    },
  });
}

/** Maps `{"error":{message,type,param,code}}` and the status to the normalised error. */
async function toError(response) {
  let error = {};
  const text = await response.text();
  try {
    error = JSON.parse(text)?.error ?? {};
  } catch {
    error = { message: text.slice(0, 200) };
  }
  const code = error.code ?? null;
  let kind = kindForStatus(response.status);
  if (code === 'moderation_blocked' || code === 'content_policy_violation') kind = 'content_blocked';
  return new ProviderError({
    kind,
    status: response.status,
    provider: PROVIDER,
    code,
    message: error.message || `OpenAI answered HTTP ${response.status}.`,
    retryAfterMs: retryAfterFromHeaders(response.headers),
    // An exhausted quota is a 429 too, but waiting does not help.
    retryable: kind === 'server' || (kind === 'rate_limit' && code !== 'insufficient_quota') || response.status === 408 || response.status === 409,
  });
}
