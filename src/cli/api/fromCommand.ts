/**
 * The API client for a command, from its global options and the environment.
 */

import type { Command } from 'commander';
import { resolveApiSettings } from './settings.js';
import { earlyConnectingTransport } from './transport.js';
import type { SentinelApi } from './types.js';

/**
 * Resolves the API settings (`--api`, `--region`, `--aws-profile`, `SENTINEL_API_URL`,
 * `SENTINEL_REGION`) and builds the signing client, imported only now so start-up
 * stays fast. The connection to the API is opened first, before the client is even
 * loaded: commands ask for the client when they are about to call it, and the
 * connection's round trips then pass while the client loads, finds the AWS
 * credentials and signs (`earlyConnectingTransport`).
 *
 * @throws ApiError `NO_API_URL`, `INVALID_API_URL`, `NO_REGION` or `INVALID_REGION`
 *   (see resolveApiSettings) before anything is loaded or sent.
 */
export async function apiFor(command: Command): Promise<SentinelApi> {
  const options = command.optsWithGlobals<{ api?: string; region?: string; awsProfile?: string }>();
  const settings = resolveApiSettings({ api: options.api, region: options.region, awsProfile: options.awsProfile }, process.env);
  const transport = earlyConnectingTransport(new URL(settings.apiUrl));
  // A socket starts connecting on a later tick (to a host name: once its DNS lookup,
  // already under way, answers). The work below is one chain of promises that first
  // gives the event loop a turn when it reads the credential files, 15–20 ms on: give
  // it one now, so that the connection is under way during that work.
  await new Promise((resolve) => setImmediate(resolve));
  const { createApiClient } = await import('./client.js');
  return createApiClient(settings, { fetch: transport });
}
