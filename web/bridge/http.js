// One authenticated provider call over HTTP: what every bridge does around its own request body
// and answer, kept in one place.

import { ProviderError, readJson } from './errors.js';
import { sendWithRetry } from './retry.js';

/** `baseUrl` (with or without a trailing slash) joined with `path`. */
export function endpoint(baseUrl, path) {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/**
 * POSTs through `sendWithRetry` and resolves to what `read(json, status)` makes of the answer.
 *
 * - `options`: the bridge call's `{apiKey, signal, policy, log, fetch}`; without a key the call
 *   fails at once with `missingKey` as an `auth` error. The key is scrubbed from every message.
 * - `headers`: the request headers (the key's header included); a string body is sent as JSON.
 * - `makeBody()`: called for every attempt, since a FormData cannot be sent twice.
 * - `toError(response)`: the provider's mapping of a non-2xx answer to a ProviderError.
 * - Each attempt logs `{provider, event: 'request', url}`: no header, no body, no key.
 */
export async function postForJson({ provider, missingKey, options, url, headers, makeBody, toError, read }) {
  const { apiKey, signal, policy, log, fetch = globalThis.fetch } = options;
  if (!apiKey) throw new ProviderError({ kind: 'auth', provider, message: missingKey, retryable: false });
  return sendWithRetry({
    provider,
    signal,
    policy,
    log,
    secrets: [apiKey],
    attempt: async (attemptSignal) => {
      const body = makeBody();
      // A FormData sets its own multipart content type with the boundary.
      const sent = typeof body === 'string' ? { 'Content-Type': 'application/json', ...headers } : headers;
      log?.({ provider, event: 'request', url });
      const response = await fetch(url, { method: 'POST', headers: sent, body, signal: attemptSignal });
      if (!response.ok) throw await toError(response);
      return read(await readJson(response, provider), response.status);
    },
  });
}
