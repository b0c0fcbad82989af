// Runs one provider request with a time limit, user cancellation and a bounded automatic retry.
// Providers throttle with 429 and ask for a pause (Retry-After, Gemini's retryDelay); retrying
// here keeps that policy in one place instead of in every provider module and in the page.

import { ProviderError, scrub } from './errors.js';

/** Defaults: two retries, 1 s then 2 s back-off, never waiting more than a minute, 2 min per try. */
export const DEFAULT_POLICY = Object.freeze({
  maxRetries: 2,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  timeoutMs: 120_000,
});

/**
 * Calls `attempt(signal)` until it succeeds, fails for good, times out or is cancelled.
 *
 * - `attempt(signal)` performs one HTTP exchange and returns the parsed result, or throws a
 *   ProviderError; `signal` aborts on the time limit and on the user's cancel.
 * - `signal`: the user's AbortSignal; aborting it ends everything with kind `cancelled`.
 * - `policy`: overrides of DEFAULT_POLICY. A retry happens only for retryable errors, and only
 *   when the wait the provider asks for is at most `maxDelayMs` (a longer one is handed to the
 *   user with its retryAfterMs rather than spent in a hidden wait).
 * - `secrets`: strings (the API key) scrubbed from every message that leaves the bridge.
 * - `log`: optional callback for progress events `{provider, event, attempt, ...}`; events carry
 *   no header, no body and no key.
 * - `sleep`, `random`: injectable for tests.
 */
export async function sendWithRetry({
  provider,
  attempt,
  signal,
  policy = {},
  secrets = [],
  log,
  sleep = abortableSleep,
  random = Math.random,
}) {
  const { maxRetries, baseDelayMs, maxDelayMs, timeoutMs } = { ...DEFAULT_POLICY, ...policy };
  for (let tries = 0; ; tries += 1) {
    throwIfCancelled(signal, provider);
    log?.({ provider, event: 'attempt', attempt: tries + 1 });
    let error;
    try {
      return await withTimeout(provider, timeoutMs, signal, attempt);
    } catch (caught) {
      error = normalise(caught, provider, secrets);
    }
    const delayMs = error.retryAfterMs ?? backoff(baseDelayMs, tries, random);
    const retry = error.retryable && tries < maxRetries && delayMs <= maxDelayMs;
    log?.({
      provider,
      event: retry ? 'retry' : 'failed',
      attempt: tries + 1,
      kind: error.kind,
      status: error.status,
      ...(retry ? { delayMs } : {}),
    });
    if (!retry) throw error;
    try {
      await sleep(delayMs, signal);
    } catch {
      throwIfCancelled(signal, provider);
      throw error;
    }
  }
}

/** Exponential back-off with up to 25 % jitter, so parallel clients do not retry in step. */
function backoff(baseDelayMs, tries, random) {
  return Math.round(baseDelayMs * 2 ** tries * (1 + 0.25 * random()));
}

function throwIfCancelled(signal, provider) {
  if (signal?.aborted) {
    throw new ProviderError({ kind: 'cancelled', provider, message: 'Cancelled by the user.' });
  }
}

/** Runs one attempt under its own AbortController, aborted by the timer or by the user. */
async function withTimeout(provider, timeoutMs, signal, attempt) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCancel = () => controller.abort();
  signal?.addEventListener('abort', onCancel, { once: true });
  try {
    return await attempt(controller.signal);
  } catch (error) {
    if (timedOut) {
      throw new ProviderError({
        kind: 'timeout',
        provider,
        message: `${provider} did not answer within ${Math.round(timeoutMs / 1000)} s.`,
      });
    }
    if (signal?.aborted) throwIfCancelled(signal, provider);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCancel);
  }
}

/** Turns whatever an attempt threw into a ProviderError whose message holds no secret. */
function normalise(error, provider, secrets) {
  if (error instanceof ProviderError) {
    error.message = scrub(error.message, secrets);
    return error;
  }
  // fetch rejects with a TypeError when no response arrived (DNS, refused, CORS, offline).
  const kind = error?.name === 'AbortError' ? 'cancelled' : 'network';
  return new ProviderError({
    kind,
    provider,
    message: scrub(`Could not reach ${provider}: ${error?.message ?? error}`, secrets),
    // A dropped connection may well work on the next try; a cancel never does.
    retryable: kind === 'network',
  });
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function abortableSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
