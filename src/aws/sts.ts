/**
 * The one place the STS client is built (STYLE.md 5), with the shared retries and
 * timeouts. Only the credentials function needs it.
 */

import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { httpHandler, MAX_ATTEMPTS } from './http.js';

export function createStsClient(options: { region: string; credentials?: STSClientConfig['credentials'] }): STSClient {
  return new STSClient({
    region: options.region,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(),
  });
}
