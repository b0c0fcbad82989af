// One error shape for every provider, so the page can show the provider's own message and decide
// whether to retry without knowing which provider answered. The bridge throws only these.

/** The kinds a failure can have; the page words its hint by kind, and shows `message` as is. */
export const ERROR_KINDS = Object.freeze([
  'auth',
  'rate_limit',
  'content_blocked',
  'payload_too_large',
  'network',
  'timeout',
  'cancelled',
  'bad_response',
  'server',
]);

/**
 * A normalised provider failure.
 * - `kind`: one of ERROR_KINDS.
 * - `status`: the HTTP status, or null when no response arrived.
 * - `message`: the provider's own message (with any API key scrubbed out).
 * - `retryAfterMs`: how long the provider asked us to wait, or null.
 * - `provider`, `code`: which provider answered and its own error code, for diagnostics.
 * - `retryable`: whether retrying the same request can succeed (a 429 for an exhausted quota
 *   cannot).
 */
export class ProviderError extends Error {
  constructor({ kind, status = null, message, retryAfterMs = null, provider = null, code = null, retryable }) {
    if (!ERROR_KINDS.includes(kind)) throw new TypeError(`unknown provider error kind '${kind}'`);
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.provider = provider;
    this.code = code;
    this.retryable = retryable ?? (kind === 'rate_limit' || kind === 'server');
  }

  /** The plain shape, e.g. to post across an iframe boundary. */
  toJSON() {
    const { kind, status, message, retryAfterMs, provider, code, retryable } = this;
    return { kind, status, message, retryAfterMs, provider, code, retryable };
  }
}

/** The kind for an HTTP status when the body does not say more. */
export function kindForStatus(status) {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server';
  return 'bad_response';
}

/**
 * Milliseconds to wait from the standard headers: `retry-after-ms` (OpenAI's), then
 * `retry-after` as seconds or an HTTP date. Null when absent or unreadable (a browser hides
 * headers a server does not expose).
 */
export function retryAfterFromHeaders(headers, now = Date.now()) {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/**
 * Removes every occurrence of the secrets from a text: a proxy or a provider may echo the key
 * in an error message, and messages are shown and logged.
 */
export function scrub(text, secrets) {
  let out = String(text ?? '');
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Reads a response body as JSON; a body that is not JSON becomes a `bad_response` error. */
export async function readJson(response, provider) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError({
      kind: 'bad_response',
      status: response.status,
      provider,
      message: `${provider} answered with a body that is not JSON: ${text.slice(0, 200)}`,
    });
  }
}
