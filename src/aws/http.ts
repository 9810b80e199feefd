/**
 * The HTTP settings every AWS client shares (STYLE.md 5): retries and timeouts.
 */

import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Three attempts in all (the SDK's standard retry strategy with its jittered
 * backoff): a Lambda behind API Gateway has 30 s, and a caller waiting for
 * credentials is better served by a prompt 503 than by a long stall.
 */
export const MAX_ATTEMPTS = 3;
/** A TCP connection to a regional endpoint takes milliseconds; a second means it is not coming. */
const CONNECTION_TIMEOUT_MS = 1_000;
/** Single-item DynamoDB and STS calls answer in tens of milliseconds; 3 s of silence is a fault. */
const REQUEST_TIMEOUT_MS = 3_000;

export function httpHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Without this the handler only logs a warning when requestTimeout passes, and keeps waiting.
    throwOnRequestTimeout: true,
  });
}
