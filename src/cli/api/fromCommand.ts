/**
 * The API client for a command, from its global options and the environment.
 */

import type { Command } from 'commander';
import { resolveApiSettings } from './settings.js';
import type { SentinelApi } from './types.js';

/**
 * Resolves the API settings (`--api`, `--region`, `--aws-profile`, `SENTINEL_API_URL`,
 * `SENTINEL_REGION`) and builds the signing client, imported only now so start-up
 * stays fast.
 *
 * @throws ApiError `NO_API_URL`, `INVALID_API_URL`, `NO_REGION` or `INVALID_REGION`
 *   (see resolveApiSettings) before anything is loaded or sent.
 */
export async function apiFor(command: Command): Promise<SentinelApi> {
  const options = command.optsWithGlobals<{ api?: string; region?: string; awsProfile?: string }>();
  const settings = resolveApiSettings({ api: options.api, region: options.region, awsProfile: options.awsProfile }, process.env);
  const { createApiClient } = await import('./client.js');
  return createApiClient(settings);
}
