/**
 * `sentinel credentials` — credentials for an AWS `credential_process` entry:
 *
 *     [profile dev]
 *     credential_process = sentinel credentials --profile dev
 *
 * The AWS SDK reads stdout as the credentials, so stdout carries the JSON document and
 * nothing else; every error goes to stderr. credential_process cannot hold a session
 * (the SDK caches static keys; nobody ends anything), so no session table is sent and
 * profiles that need server mode or session tracking are refused with advice to use
 * `sentinel exec --server`.
 *
 * Every `aws` command runs this, and the AWS CLI keeps nothing between them, so the
 * credentials are kept in a private cache (src/cli/credentials/cache.ts) and reused
 * while more than 15 minutes remain. A hit reads a few small files and loads neither
 * the API client nor the AWS SDK; `--no-cache` asks the API every time.
 */

import { Command } from 'commander';
import { parseProfile } from '../arguments.js';
import type { CommandContext, CommandReport } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { CliError } from '../errors.js';
import type { ApiSettings } from '../api/types.js';
import type { CacheKey, CachedCredentials, CredentialsCache } from '../credentials/cache.js';

/**
 * Set while `sentinel credentials` runs. When the AWS profile that signs the API calls
 * is itself a `credential_process = sentinel credentials …` profile (easy to do: the
 * SDK runs the process with that profile in AWS_PROFILE), the signing chain would
 * start sentinel again, and again: the copy that finds this set stops the loop.
 */
const RUNNING = 'SENTINEL_CREDENTIAL_PROCESS';

/** The AWS SDK reads stdout as the credentials: every error, JSON ones too, goes to stderr. */
export const CREDENTIALS_REPORT: CommandReport = { stdoutReserved: true };

/** The options of `sentinel credentials`. */
export interface CredentialsOptions {
  profile: string;
  duration?: string;
  /** False with `--no-cache`: the cache is neither read nor written. */
  cache?: boolean;
}

/** Where the cache is and what its key is made of; the commander action builds it from the global options. */
export interface CredentialsCacheSetup {
  /**
   * The API's URL and signing region and `--aws-profile`, resolved as the API client
   * resolves them (they are part of the key).
   *
   * @throws ApiError `NO_API_URL`, `INVALID_API_URL`, `NO_REGION`, `INVALID_REGION`.
   */
  settings(): Promise<ApiSettings>;
  /** The cache folder; default `$XDG_CACHE_HOME/sentinel/credentials`, else `~/.cache/sentinel/credentials`. */
  dir?: string;
}

/**
 * Gets `credential_process` credentials for the profile — from the cache while they
 * have more than 15 minutes left, else from the API — and prints them as the AWS SDKs'
 * process credential document (Version 1), alone on stdout. Cache problems never fail
 * the command: each is one line on stderr.
 *
 * @throws CliError `CREDENTIAL_PROCESS_LOOP` when the API call would be signed by this
 *   very command again; ApiError for a failed call or a denial (neither is cached).
 */
export async function runCredentials(options: CredentialsOptions, context: CommandContext, setup: CredentialsCacheSetup): Promise<number> {
  let durationSeconds: number | undefined;
  if (options.duration !== undefined) {
    // Loaded only when needed: the duration parser brings the YAML library along.
    const { DURATION_HINT, parseRequestDuration } = await import('../exec/duration.js');
    durationSeconds = parseRequestDuration(options.duration);
    if (durationSeconds === undefined) {
      context.usageError(`error: option '--duration <duration>' argument '${options.duration}' is invalid. ${DURATION_HINT}`);
    }
  }
  if (context.env[RUNNING] === '1') {
    throw new CliError(
      'CREDENTIAL_PROCESS_LOOP',
      'the AWS profile that signs Sentinel API calls gets its credentials from "sentinel credentials" itself: add --aws-profile <a profile with your own credentials> to the credential_process command',
    );
  }
  context.env[RUNNING] = '1';
  const cache = options.cache === false ? undefined : await openCache(options.profile, durationSeconds, context, setup);
  const cached = await cache?.entry.read();
  if (cached?.problem !== undefined) warn(context, cached.problem);
  if (cached?.credentials !== undefined) {
    printCredentials(context, cached.credentials);
    return EXIT_OK;
  }
  const api = await context.api();
  const response = await api.credentials({
    profile: options.profile,
    mode: 'credential_process',
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  });
  printCredentials(context, response.credentials);
  if (cache !== undefined) await storeCredentials(cache, response.credentials, response.session?.id, context);
  return EXIT_OK;
}

/** The cache entry of this request, and what its key was made of (to check it again before writing). */
interface OpenCache {
  entry: CredentialsCache;
  key: CacheKey;
  /** The signing principal's id as it is now. */
  principalNow(): Promise<string>;
}

/** The entry for this request's key; undefined where file ownership cannot be checked (not POSIX). */
async function openCache(profile: string, durationSeconds: number | undefined, context: CommandContext, setup: CredentialsCacheSetup): Promise<OpenCache | undefined> {
  const settings = await setup.settings();
  const { CredentialsCache, cacheSupported, credentialsCacheDir, signingPrincipal } = await import('../credentials/cache.js');
  if (!cacheSupported()) return undefined;
  const principal = await signingPrincipal(settings.awsProfile, context.env);
  const key: CacheKey = { apiUrl: settings.apiUrl, region: settings.region, principal: principal.id, profile, durationSeconds: durationSeconds ?? null, mode: 'credential_process' };
  const dir = setup.dir ?? credentialsCacheDir(context.env);
  const entry = new CredentialsCache({ dir, key, principal, now: context.now });
  return { entry, key, principalNow: async () => (await signingPrincipal(settings.awsProfile, context.env)).id };
}

/**
 * Writes what the API issued, unless the signing principal changed while it was asked
 * (an `aws sso login` meanwhile, or the SDK refreshing a token): then the credentials
 * could be filed under someone else, so they are not kept.
 */
async function storeCredentials(cache: OpenCache, credentials: CachedCredentials, sessionId: string | undefined, context: CommandContext): Promise<void> {
  if ((await cache.principalNow()) !== cache.key.principal) return;
  const problem = await cache.entry.write(credentials, sessionId);
  if (problem !== undefined) warn(context, problem);
}

/** The format of the AWS SDKs' process credential provider, Version 1. */
function printCredentials(context: CommandContext, credentials: CachedCredentials): void {
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials;
  context.stdout.write(
    `${JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: expiration })}\n`,
  );
}

/** A cache problem: reported, never fatal (stdout stays for the credentials). */
function warn(context: CommandContext, problem: string): void {
  context.stderr.write(`sentinel: warning: ${problem}\n`);
}

/** The `credentials` command. */
export function credentialsCommand(): Command {
  return new Command('credentials')
    .description('print credentials for a profile in the credential_process format (for ~/.aws/config)')
    .requiredOption('--profile <profile>', 'the Sentinel profile to get credentials for', parseProfile)
    .option('--duration <duration>', 'how long the credentials last: 15m, 1h, 3600s (900s to 12h; the policy may cap it)')
    .option('--no-cache', 'ask the API every time: neither read nor write the credentials cache (~/.cache/sentinel/credentials)')
    .action((options: CredentialsOptions, command: Command) => runCommand(command, (context) => runCredentials(options, context, cacheSetup(command, context)), CREDENTIALS_REPORT));
}

/** The cache of a real run: keyed by the global options as the API client resolves them. */
function cacheSetup(command: Command, context: CommandContext): CredentialsCacheSetup {
  return {
    settings: async () => {
      const { resolveApiSettings } = await import('../api/settings.js');
      const { api, region, awsProfile } = command.optsWithGlobals<{ api?: string; region?: string; awsProfile?: string }>();
      return resolveApiSettings({ api, region, awsProfile }, context.env);
    },
  };
}
