import { CodedError, SentinelError } from '../../src/errors.js';

/** The SentinelError (an API error) a call rejects with; fails the test if it resolves or throws anything else. */
export async function caught(promise: Promise<unknown>): Promise<SentinelError> {
  const error = await caughtCoded(promise);
  if (error instanceof SentinelError) return error;
  throw error;
}

/** The coded error (API, setup or CLI) a call rejects with; fails the test if it resolves or throws anything else. */
export async function caughtCoded(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}
