// The offline provider for the demo and the tests: no network, no key, deterministic. It holds
// no pixel logic: the patch is drawn by a function of the wasm core handed in as `synthesize`
// (the core's mockPatch), and without one it answers with the request's own image, which the
// core composites back as a no-op.

import { ProviderError } from './errors.js';
import { abortableSleep } from './retry.js';

export const PROVIDER = 'mock';

/**
 * `{image, mask, prompt, n, seed, synthesize, latencyMs, signal}`; `image` and `mask` are PNG
 * bytes (mask: white = edit). `synthesize(image, mask, prompt, seed)` returns PNG bytes.
 * `latencyMs` (default 0) imitates a provider's wait so a page can show progress and cancel.
 * Resolves to `{images: [{bytes, mimeType, seed}]}`, variant i drawn with seed `seed + i`.
 */
export async function edit({ image, mask, prompt = '', n = 1, seed = 1, synthesize, latencyMs = 0, signal }) {
  if (!image) throw new TypeError('mock.edit needs an image');
  const images = [];
  for (let i = 0; i < n; i += 1) {
    if (latencyMs > 0) {
      try {
        await abortableSleep(latencyMs, signal);
      } catch {
        throw new ProviderError({ kind: 'cancelled', provider: PROVIDER, message: 'Cancelled by the user.' });
      }
    }
    if (signal?.aborted) throw new ProviderError({ kind: 'cancelled', provider: PROVIDER, message: 'Cancelled by the user.' });
    const bytes = synthesize ? await synthesize(image, mask, prompt, seed + i) : image.slice();
    images.push({ bytes, mimeType: 'image/png', seed: seed + i });
  }
  return { images };
}
