/**
 * The environment `sentinel exec` gives the command it runs.
 *
 * The child must use the vended credentials and nothing else. Every AWS SDK walks a
 * fixed chain and takes the first source that answers:
 *
 * - botocore (the AWS CLI, boto3): environment keys, a profile's `role_arn`, web
 *   identity (`AWS_WEB_IDENTITY_TOKEN_FILE` or the profile's), SSO, the shared
 *   credentials file, `login_session`, `credential_process`, keys in the config file,
 *   `AWS_CREDENTIAL_FILE`, boto2's files (`BOTO_CONFIG`, /etc/boto.cfg, ~/.boto), and
 *   only then the container endpoint (`create_credential_resolver`);
 * - the JavaScript SDK v3: environment keys (skipped when `AWS_PROFILE` is set), the
 *   profile in the shared files (keys, role, web identity, `credential_process`, SSO,
 *   login), `credential_process`, web identity variables, and then the container
 *   endpoint (`defaultProvider` of @aws-sdk/credential-provider-node).
 *
 * So in `cli` mode, where the keys are environment variables, anything inherited that
 * selects other credentials is removed: environment keys come first in every chain once
 * no `AWS_PROFILE` names a profile. In server mode that is not enough — the caller's
 * `[default]` in ~/.aws would still come before the endpoint — so the child also gets
 * files of its own (see {@link createChildAwsFiles}): an empty credentials file and a
 * config file with only the non-credential settings of the caller's profile.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { VendedCredentials } from '../../api/contract.js';
import { CliError } from '../errors.js';

/** Inherited variables that select or carry credentials; never passed to the child. */
export const REMOVED_VARIABLES: readonly string[] = [
  'AWS_PROFILE',
  // Older SDKs (boto, the v1 JavaScript SDK) read this when AWS_PROFILE is unset.
  'AWS_DEFAULT_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  // The pre-STS-v4 name some tools still read.
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  // botocore pairs it with environment keys (account-based endpoints): the caller's account is not the role's.
  'AWS_ACCOUNT_ID',
  // The AWS CLI v1's old name for a credentials file holding keys.
  'AWS_CREDENTIAL_FILE',
  // Web identity comes before the container endpoint in every SDK's chain.
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  // Left over from an earlier `sentinel exec` that did not set SENTINEL_PROFILE; only this run's id may show.
  'SENTINEL_SESSION_ID',
];

/**
 * Every `AWS_CONTAINER_*` variable goes: a RELATIVE_URI wins over our FULL_URI, and a
 * token file wins over our token, so an inherited one would send the child elsewhere.
 */
const CONTAINER_VARIABLE = /^AWS_CONTAINER_/;

/** How the child reaches its credentials. */
export type ChildCredentials =
  /** `cli` mode: static keys in the environment. */
  | { kind: 'static'; credentials: VendedCredentials }
  /** `server` mode: the local container-credentials endpoint, its bearer token and the child's own AWS files. */
  | { kind: 'endpoint'; url: string; token: string; files: ChildAwsFiles };

/** The AWS files a server-mode child reads instead of the caller's (from {@link createChildAwsFiles}). */
export interface ChildAwsFiles {
  /** `AWS_CONFIG_FILE`: the caller's non-credential settings under `[default]`. */
  configFile: string;
  /** `AWS_SHARED_CREDENTIALS_FILE` and `BOTO_CONFIG`: an empty file. */
  credentialsFile: string;
}

export interface ChildEnvironmentInput {
  profile: string;
  credentials: ChildCredentials;
  /** The profile's region, when the policy names one. */
  region?: string | undefined;
  /** The session the credentials belong to, when it is tracked. */
  sessionId?: string | undefined;
}

/**
 * The child's environment: `base` (normally `process.env`) without the inherited
 * credential variables, plus the vended credentials (or the endpoint that serves them),
 * `AWS_REGION`/`AWS_DEFAULT_REGION` when the profile has a region, `SENTINEL_PROFILE`
 * and `SENTINEL_SESSION_ID` when the session is tracked. An inherited region is kept
 * when the profile names none. In server mode `AWS_CONFIG_FILE`,
 * `AWS_SHARED_CREDENTIALS_FILE` and `BOTO_CONFIG` name the child's own files; in `cli`
 * mode the caller's files stay (the environment keys come before them).
 * `base` is not modified.
 */
export function childEnvironment(base: NodeJS.ProcessEnv, input: ChildEnvironmentInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || REMOVED_VARIABLES.includes(key) || CONTAINER_VARIABLE.test(key)) continue;
    env[key] = value;
  }
  if (input.credentials.kind === 'static') {
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = input.credentials.credentials;
    env['AWS_ACCESS_KEY_ID'] = accessKeyId;
    env['AWS_SECRET_ACCESS_KEY'] = secretAccessKey;
    env['AWS_SESSION_TOKEN'] = sessionToken;
    env['AWS_CREDENTIAL_EXPIRATION'] = expiration;
  } else {
    env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = input.credentials.url;
    env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = input.credentials.token;
    env['AWS_CONFIG_FILE'] = input.credentials.files.configFile;
    env['AWS_SHARED_CREDENTIALS_FILE'] = input.credentials.files.credentialsFile;
    // botocore reads keys from boto2's files (BOTO_CONFIG, else /etc/boto.cfg and ~/.boto) before the endpoint.
    env['BOTO_CONFIG'] = input.credentials.files.credentialsFile;
  }
  if (input.region !== undefined && input.region !== '') {
    env['AWS_REGION'] = input.region;
    env['AWS_DEFAULT_REGION'] = input.region;
  }
  env['SENTINEL_PROFILE'] = input.profile;
  if (input.sessionId !== undefined) env['SENTINEL_SESSION_ID'] = input.sessionId;
  return env;
}

/**
 * Settings of the caller's profile the server-mode child keeps: where and how its
 * requests go, and how the AWS CLI prints. None of them is, selects or produces
 * credentials. Everything else is dropped, known credential settings
 * (`aws_access_key_id`, `credential_process`, `role_arn`, `source_profile`,
 * `credential_source`, `web_identity_token_file`, `sso_*`, `login_session`, …) and
 * unknown ones alike: a setting an SDK adds tomorrow must not bring a source back.
 */
export const KEPT_CONFIG_SETTINGS: ReadonlySet<string> = new Set([
  'region',
  'output',
  'ca_bundle',
  'endpoint_url',
  'ignore_configured_endpoint_urls',
  // Names a [services …] section of per-service endpoint_urls, which is copied along.
  'services',
  'use_fips_endpoint',
  'use_dualstack_endpoint',
  'sts_regional_endpoints',
  'account_id_endpoint_mode',
  // Nested S3 settings (addressing_style, max_concurrent_requests, …), kept whole.
  's3',
  'retry_mode',
  'max_attempts',
  'defaults_mode',
  'tcp_keepalive',
  'parameter_validation',
  'endpoint_discovery_enabled',
  'disable_request_compression',
  'request_min_compression_size_bytes',
  'request_checksum_calculation',
  'response_checksum_validation',
  'sigv4a_signing_region_set',
  'auth_scheme_preference',
  'sdk_ua_app_id',
  'cli_pager',
  'cli_timestamp_format',
  'cli_binary_format',
  'cli_auto_prompt',
  'cli_history',
  'cli_follow_urlparam',
]);

/** One setting: its value as written, and its lines (`key = value`, then the indented lines of a nested value). */
interface Setting {
  value: string;
  lines: string[];
}

/** A section's canonical name: `profile NAME` (`[default]` is `profile default`), `services NAME`, …. */
function sectionName(header: string): string {
  const name = header.trim().split(/\s+/).join(' ');
  return name === 'default' ? 'profile default' : name;
}

function sectionOf(sections: Map<string, Map<string, Setting>>, name: string): Map<string, Setting> {
  const section = sections.get(name) ?? new Map<string, Setting>();
  sections.set(name, section);
  return section;
}

/**
 * The sections of a config file, each setting with its nested lines, as the SDKs
 * read them: `#`/`;` comment lines, keys case-insensitive, a line indented under a key
 * belongs to it, a later section or key of the same name wins. It only selects lines;
 * values are copied as written (the SDKs disagree on inline comments), so each SDK
 * reads the copy as it read the original. (The SDK's own INI reader is not a dependency
 * of the CLI, and this needs no interpretation of values.)
 */
function readSections(text: string): Map<string, Map<string, Setting>> {
  const sections = new Map<string, Map<string, Setting>>();
  let section: Map<string, Setting> | undefined;
  let setting: Setting | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      section = end < 0 ? undefined : sectionOf(sections, sectionName(line.slice(1, end)));
      setting = undefined;
    } else if (raw !== raw.trimStart()) {
      setting?.lines.push(`  ${line}`);
    } else {
      const equals = line.indexOf('=');
      const key = equals > 0 ? line.slice(0, equals).trim().toLowerCase() : '';
      const value = line.slice(equals + 1).trim();
      setting = section === undefined || key === '' ? undefined : { value, lines: [value === '' ? `${key} =` : `${key} = ${value}`] };
      if (setting !== undefined) section?.set(key, setting);
    }
  }
  return sections;
}

/**
 * The config file of a server-mode child: the {@link KEPT_CONFIG_SETTINGS} of
 * `profile` in the caller's config file `text` (`undefined`: there is none), under
 * `[default]`, with the `[services …]` section its `services` names. `source` is only
 * named in a comment. No other section comes along (`[sso-session …]`, `[plugins]`, …).
 */
export function childConfigFile(text: string | undefined, profile: string, source: string): string {
  const sections = readSections(text ?? '');
  const settings = sections.get(`profile ${profile}`) ?? new Map<string, Setting>();
  const lines = [
    '# Written by sentinel exec --server for one command, and removed when it exits: its',
    '# credentials come from sentinel\'s endpoint, so only the non-credential settings of',
    `# profile ${JSON.stringify(profile)} in ${JSON.stringify(source)} are here.`,
    '[default]',
  ];
  for (const [key, setting] of settings) if (KEPT_CONFIG_SETTINGS.has(key)) lines.push(...setting.lines);
  const servicesName = settings.get('services')?.value;
  // A name that could not be a section header names nothing.
  const services = servicesName === undefined || !/^[^\s[\]]+$/.test(servicesName) ? undefined : sections.get(`services ${servicesName}`);
  if (services !== undefined) {
    lines.push('', `[services ${servicesName}]`);
    for (const setting of services.values()) lines.push(...setting.lines);
  }
  return `${lines.join('\n')}\n`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The caller's config file as the SDKs find it: `AWS_CONFIG_FILE` (a leading `~` is the home), else ~/.aws/config. */
export function callerConfigFile(base: NodeJS.ProcessEnv): string {
  const home = nonEmpty(base['HOME']) ?? homedir();
  const file = nonEmpty(base['AWS_CONFIG_FILE']);
  if (file === undefined) return path.join(home, '.aws', 'config');
  return file === '~' || file.startsWith('~/') ? path.join(home, file.slice(1)) : file;
}

async function readCallerConfig(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CliError('CANNOT_READ_FILE', `cannot read the AWS config file ${file} to pass its settings to the command: ${code ?? String(error)}`, {
      cause: error,
    });
  }
}

/** The child's AWS files, and how to remove them once it has exited. */
export interface CreatedChildAwsFiles extends ChildAwsFiles {
  remove(): Promise<void>;
}

/**
 * Writes a server-mode child's own AWS files into a fresh private directory (0700,
 * files 0600, under the temporary directory): an empty credentials file, and the
 * {@link childConfigFile} of the profile the caller's environment selects
 * (`AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`) in the caller's config
 * file. The caller's files are only read.
 *
 * @throws CliError `CANNOT_READ_FILE` when the caller's config file exists but cannot
 *   be read, `CANNOT_WRITE_FILE` when the directory cannot be written.
 */
export async function createChildAwsFiles(base: NodeJS.ProcessEnv): Promise<CreatedChildAwsFiles> {
  const source = callerConfigFile(base);
  const profile = nonEmpty(base['AWS_PROFILE']) ?? nonEmpty(base['AWS_DEFAULT_PROFILE']) ?? 'default';
  const config = childConfigFile(await readCallerConfig(source), profile, source);
  const cannotWrite = (error: unknown): CliError =>
    new CliError('CANNOT_WRITE_FILE', `cannot write the AWS config file of the command under ${tmpdir()}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      cause: error,
    });
  // A fresh directory, created 0700; 'wx' below never follows or reuses a file.
  const dir = await mkdtemp(path.join(tmpdir(), 'sentinel-exec-')).catch((error: unknown) => {
    throw cannotWrite(error);
  });
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const files = { configFile: path.join(dir, 'config'), credentialsFile: path.join(dir, 'credentials') };
  try {
    await writeFile(files.configFile, config, { mode: 0o600, flag: 'wx' });
    await writeFile(files.credentialsFile, '', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    await remove();
    throw cannotWrite(error);
  }
  return { ...files, remove };
}
