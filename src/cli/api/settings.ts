/**
 * Where the Sentinel API is and which region its signatures are for, from the
 * command line and the environment (docs/cli.md, API settings).
 *
 * Loaded at start-up by every API command, so it imports nothing heavy.
 */

import { REGION_NAME } from '../../api/constants.js';
import type { ApiSettings } from './types.js';
import { ApiError } from './types.js';

/** The options a command may pass; the global `--api`, `--region` and `--aws-profile`. */
export interface ApiSettingsOptions {
  api?: string;
  region?: string;
  awsProfile?: string;
}

/** The region of the local stack (`npm start`), which is what a loopback URL points at. */
const LOCAL_STACK_REGION = 'us-east-1';

/**
 * API Gateway's default endpoint: `<api-id>.execute-api.<region>.amazonaws.com`, or
 * `.amazonaws.com.cn` in the China regions. A custom domain name says nothing about
 * the region, so it needs `--region`.
 */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;


const URL_EXAMPLE = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

/**
 * Resolves the API URL and signing region.
 *
 * URL: `--api`, else `SENTINEL_API_URL`. Region: `--region`, else `SENTINEL_REGION`,
 * else the region in an `execute-api` host name, else `us-east-1` for a loopback URL
 * (the local stack). Empty values count as unset. `AWS_REGION` is deliberately not
 * used: it is the region of the user's own work, not necessarily the API's.
 *
 * @throws ApiError `NO_API_URL` when no URL is given; `INVALID_API_URL` for a URL that
 *   is not an absolute http(s) URL, carries credentials, a query or a fragment, or uses
 *   plain http for anything but a loopback address; `NO_REGION` when the region cannot
 *   be told; `INVALID_REGION` for a region that is not a region name.
 */
export function resolveApiSettings(opts: ApiSettingsOptions, env: NodeJS.ProcessEnv): ApiSettings {
  const fromOption = nonEmpty(opts.api);
  const raw = fromOption ?? nonEmpty(env['SENTINEL_API_URL']);
  if (raw === undefined) {
    throw new ApiError('NO_API_URL', `no Sentinel API URL: pass --api <url> or set SENTINEL_API_URL (e.g. ${URL_EXAMPLE})`);
  }
  const source = fromOption === undefined ? 'SENTINEL_API_URL' : '--api';
  const url = parseApiUrl(raw, source);
  const apiUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;

  const region = resolveRegion(opts, env, url, source);
  const awsProfile = nonEmpty(opts.awsProfile);
  return awsProfile === undefined ? { apiUrl, region } : { apiUrl, region, awsProfile };
}

function resolveRegion(opts: ApiSettingsOptions, env: NodeJS.ProcessEnv, url: URL, urlSource: string): string {
  const given = nonEmpty(opts.region) ?? nonEmpty(env['SENTINEL_REGION']);
  if (given !== undefined) {
    const source = nonEmpty(opts.region) === undefined ? 'SENTINEL_REGION' : '--region';
    if (!REGION_NAME.test(given)) throw new ApiError('INVALID_REGION', `${source} ${JSON.stringify(given)} is not an AWS region name (e.g. eu-west-1)`);
    return given;
  }
  const fromHost = EXECUTE_API_HOST.exec(url.hostname)?.[1];
  if (fromHost !== undefined) return fromHost;
  if (isLoopback(url.hostname)) return LOCAL_STACK_REGION;
  throw new ApiError(
    'NO_REGION',
    `cannot tell the API's region from ${urlSource} (${url.host} is not an execute-api host name): pass --region or set SENTINEL_REGION`,
  );
}

function parseApiUrl(raw: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError('INVALID_API_URL', `${source} ${JSON.stringify(raw)} is not a URL (e.g. ${URL_EXAMPLE})`);
  }
  // Never echo a URL that carries a password back to the terminal.
  if (url.username !== '' || url.password !== '') throw new ApiError('INVALID_API_URL', `${source} must not contain a user name or password`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ApiError('INVALID_API_URL', `${source} ${JSON.stringify(raw)} must be an https:// URL (e.g. ${URL_EXAMPLE})`);
  }
  // API Gateway only speaks https; a plain-http request to another host would expose
  // signed requests (replayable for minutes) to anyone on the path.
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new ApiError('INVALID_API_URL', `${source} ${JSON.stringify(raw)} must use https (plain http is only for a local stack on 127.0.0.1 or localhost)`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ApiError('INVALID_API_URL', `${source} ${JSON.stringify(raw)} must not have a query or fragment: give the API's base URL (with the stage path, if any)`);
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
