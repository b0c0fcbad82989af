// The provider tests' check that a bridge call fails the normalised way.
import assert from 'node:assert/strict';
import { ProviderError } from '../../web/bridge/errors.js';

/** Resolves to the ProviderError `promise` rejects with; fails the test if it succeeds or throws anything else. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `not a ProviderError: ${error}`);
    return error;
  }
  assert.fail('the call succeeded');
}
