// Google Gemini image models ("Nano Banana") through generateContent. Gemini takes no mask: the
// core sends the context crop, and the prompt names the region; the core then re-composites the
// answer under its own mask. Safety blocks arrive as HTTP 200 and are turned into errors here.

import { ProviderError, kindForStatus, retryAfterFromHeaders } from './errors.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { endpoint, postForJson } from './http.js';

export const PROVIDER = 'gemini';
export const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** Finish reasons that mean the model withheld the image for policy reasons. */
const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY', 'IMAGE_SAFETY', 'PROHIBITED_CONTENT', 'IMAGE_PROHIBITED_CONTENT', 'BLOCKLIST',
  'SPII', 'RECITATION', 'IMAGE_RECITATION',
]);

/**
 * Edits (with `image`) or generates (without). Options: `{apiKey, baseUrl, model, prompt, image,
 * referenceImages, aspectRatio, n, signal, policy, log, fetch}`. Gemini returns one candidate per
 * call, so `n` variants are `n` calls. Resolves to `{images: [{bytes, mimeType}], text}`.
 */
export async function edit(options) {
  const { n = 1 } = options;
  const images = [];
  const texts = [];
  for (let i = 0; i < n; i += 1) {
    const answer = await generateOnce(options);
    images.push(...answer.images);
    if (answer.text) texts.push(answer.text);
  }
  return { images, text: texts.join('\n') };
}

/** Same request without an input image. */
export const generate = (options) => edit({ ...options, image: undefined, referenceImages: [] });

function requestBody({ prompt, image, referenceImages = [], aspectRatio }) {
  const parts = [{ text: prompt }];
  for (const bytes of [image, ...referenceImages].filter(Boolean)) {
    parts.push({ inlineData: { mimeType: 'image/png', data: bytesToBase64(bytes) } });
  }
  return JSON.stringify({
    contents: [{ role: 'user', parts }],
    generationConfig: {
      responseModalities: ['IMAGE'],
      ...(aspectRatio ? { imageConfig: { aspectRatio } } : {}),
    },
  });
}

async function generateOnce(options) {
  const { apiKey, baseUrl = DEFAULT_BASE_URL, model = 'gemini-2.5-flash-image' } = options;
  const body = requestBody(options);
  return postForJson({
    provider: PROVIDER,
    missingKey: 'A Gemini API key is needed.',
    options,
    url: endpoint(baseUrl, `/models/${encodeURIComponent(model)}:generateContent`),
    headers: { 'x-goog-api-key': apiKey },
    makeBody: () => body,
    toError,
    read: readAnswer,
  });
}

/** Takes the image parts of the first candidate, or explains why there are none. */
function readAnswer(json, status) {
  const blockReason = json?.promptFeedback?.blockReason;
  if (blockReason) {
    const detail = json.promptFeedback.blockReasonMessage;
    throw new ProviderError({
      kind: 'content_blocked',
      status,
      provider: PROVIDER,
      code: blockReason,
      message: detail ? `Gemini blocked the prompt (${blockReason}): ${detail}` : `Gemini blocked the prompt (${blockReason}).`,
    });
  }
  const candidate = json?.candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const images = parts
    .filter((part) => !part.thought && (part.inlineData ?? part.inline_data)?.data)
    .map((part) => {
      const blob = part.inlineData ?? part.inline_data;
      return { bytes: base64ToBytes(blob.data), mimeType: blob.mimeType ?? blob.mime_type ?? 'image/png' };
    });
  const text = parts.filter((part) => !part.thought && typeof part.text === 'string').map((part) => part.text).join('\n');
  if (images.length) return { images, text };
  const reason = candidate?.finishReason ?? null;
  const said = [candidate?.finishMessage, text].filter(Boolean).join(' ');
  throw new ProviderError({
    kind: BLOCKING_FINISH_REASONS.has(reason) ? 'content_blocked' : 'bad_response',
    status,
    provider: PROVIDER,
    code: reason,
    message: `Gemini returned no image${reason ? ` (${reason})` : ''}${said ? `: ${said}` : '.'}`,
  });
}

/** Maps a google.rpc.Status body: a bad key is a 400 whose ErrorInfo reason is API_KEY_INVALID. */
async function toError(response) {
  let error = {};
  const text = await response.text();
  try {
    error = JSON.parse(text)?.error ?? {};
  } catch {
    error = { message: text.slice(0, 200) };
  }
  const details = Array.isArray(error.details) ? error.details : [];
  const reason = details.find((d) => d?.reason)?.reason ?? null;
  let kind = kindForStatus(response.status);
  if (reason === 'API_KEY_INVALID' || error.status === 'UNAUTHENTICATED' || error.status === 'PERMISSION_DENIED') kind = 'auth';
  const retryDelay = details.find((d) => typeof d?.retryDelay === 'string')?.retryDelay;
  return new ProviderError({
    kind,
    status: response.status,
    provider: PROVIDER,
    code: reason ?? error.status ?? null,
    message: error.message || `Gemini answered HTTP ${response.status}.`,
    retryAfterMs: retryDelay ? durationMs(retryDelay) : retryAfterFromHeaders(response.headers),
    retryable: kind === 'rate_limit' || kind === 'server' || response.status === 408,
  });
}

/** A protobuf Duration in JSON ("37s", "1.5s") in milliseconds. */
function durationMs(text) {
  const seconds = Number.parseFloat(text);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : null;
}
