import { SentinelError } from '../../src/errors.js';

/** The SentinelError a call rejects with; fails the test if it resolves or throws anything else. */
export async function caught(promise: Promise<unknown>): Promise<SentinelError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SentinelError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}
