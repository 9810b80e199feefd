/**
 * The environment `sentinel exec` gives the command it runs.
 *
 * The child must use the vended credentials and nothing else. AWS SDKs look for
 * credentials in a fixed order — environment keys, then profiles, then web identity,
 * then the container endpoint — so anything inherited that an SDK would find first is
 * removed, not just overwritten: a leftover `AWS_PROFILE` or `AWS_SESSION_TOKEN` would
 * otherwise mix the caller's identity into the child, or (in server mode) shadow the
 * local credential endpoint entirely.
 */

import type { VendedCredentials } from '../../api/contract.js';

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
  /** `server` mode: the local container-credentials endpoint and its bearer token. */
  | { kind: 'endpoint'; url: string; token: string };

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
 * when the profile names none. `base` is not modified.
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
  }
  if (input.region !== undefined && input.region !== '') {
    env['AWS_REGION'] = input.region;
    env['AWS_DEFAULT_REGION'] = input.region;
  }
  env['SENTINEL_PROFILE'] = input.profile;
  if (input.sessionId !== undefined) env['SENTINEL_SESSION_ID'] = input.sessionId;
  return env;
}
