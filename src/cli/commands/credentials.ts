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
 */

import { Command } from 'commander';
import { parseProfile } from '../arguments.js';
import type { CommandContext, CommandReport } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { CliError } from '../errors.js';

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
}

/**
 * Gets `credential_process` credentials for the profile and prints them as the AWS
 * SDKs' process credential document (Version 1), alone on stdout.
 *
 * @throws CliError `CREDENTIAL_PROCESS_LOOP` when the API call would be signed by this
 *   very command again; ApiError for a failed call or a denial.
 */
export async function runCredentials(options: CredentialsOptions, context: CommandContext): Promise<number> {
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
  const api = await context.api();
  const response = await api.credentials({
    profile: options.profile,
    mode: 'credential_process',
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  });
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = response.credentials;
  // The format of the AWS SDKs' process credential provider, Version 1.
  context.stdout.write(
    `${JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: expiration })}\n`,
  );
  return EXIT_OK;
}

/** The `credentials` command. */
export function credentialsCommand(): Command {
  return new Command('credentials')
    .description('print credentials for a profile in the credential_process format (for ~/.aws/config)')
    .requiredOption('--profile <profile>', 'the Sentinel profile to get credentials for', parseProfile)
    .option('--duration <duration>', 'how long the credentials last: 15m, 1h, 3600s (900s to 12h; the policy may cap it)')
    .action((options: CredentialsOptions, command: Command) => runCommand(command, (context) => runCredentials(options, context), CREDENTIALS_REPORT));
}
