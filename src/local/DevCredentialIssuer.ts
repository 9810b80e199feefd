/**
 * The local stack's credential issuer (`npm start`): mints development credentials
 * without calling AWS, so the whole flow — policy, session table, CLI, server mode —
 * can be exercised on a laptop with no AWS account.
 *
 * These credentials NEVER work against AWS: the key id, secret and token are random
 * and AWS has never seen them; any AWS API rejects them (InvalidClientTokenId). They
 * are marked so nobody mistakes them for real ones: the key id starts with
 * `ASIASENTINELDEV`, the secret with `sentinel-dev-`, the token with `sentinel-dev:`.
 * The token encodes (it does not encrypt) what was minted, so local tools can show it
 * with {@link decodeDevSessionToken}.
 *
 * Only the local stack constructs this class; no configuration value selects it in a
 * deployment (see `loadConfig`).
 */

import { STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS } from '../api/constants.js';
import { randomBytes, randomInt } from 'node:crypto';
import { UnavailableError } from '../errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import type { CredentialIssuer, IssueInput, IssuedCredentials } from '../vending/ports.js';

/** Prefix of every dev access key id (`ASIA` like any temporary AWS key, then the marker). */
export const DEV_ACCESS_KEY_PREFIX = 'ASIASENTINELDEV';
/** Prefix of every dev secret access key. */
export const DEV_SECRET_PREFIX = 'sentinel-dev-';
/** Prefix of every dev session token; the rest is base64url JSON ({@link DevTokenClaims}). */
export const DEV_TOKEN_PREFIX = 'sentinel-dev:';

/** Real access key ids are 20 characters, secrets 40: dev ones have the same shape. */
const ACCESS_KEY_LENGTH = 20;
const SECRET_LENGTH = 40;
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** What a dev session token says about the credentials it belongs to. */
export interface DevTokenClaims {
  roleArn: string;
  roleSessionName: string;
  sourceIdentity: string;
  sessionId?: string;
  /** ISO-8601 UTC. */
  expiration: string;
  /** Makes every token unique, like a real one. */
  nonce: string;
}


/** Mints marked development credentials locally; see the module comment. */
export class DevCredentialIssuer implements CredentialIssuer {
  readonly kind = 'dev' as const;

  /** @param clock injected in tests; the system clock otherwise. */
  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * Credentials expiring `durationSeconds` from now.
   *
   * @throws UnavailableError when the duration is outside 900–43,200 seconds, as the
   *   STS issuer does when AWS refuses it, so local runs fail where real ones would.
   */
  async issue(input: IssueInput): Promise<IssuedCredentials> {
    const { durationSeconds } = input;
    if (!Number.isInteger(durationSeconds) || durationSeconds < STS_MIN_DURATION_SECONDS || durationSeconds > STS_MAX_DURATION_SECONDS) {
      throw new UnavailableError(
        `the dev issuer, like AWS STS, refuses ${durationSeconds}-second credentials: use ${STS_MIN_DURATION_SECONDS} to ${STS_MAX_DURATION_SECONDS} seconds`,
      );
    }
    const expiration = new Date(this.clock.now().getTime() + durationSeconds * 1000);
    const claims: DevTokenClaims = {
      roleArn: input.roleArn,
      roleSessionName: input.roleSessionName,
      sourceIdentity: input.sourceIdentity,
      ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
      expiration: expiration.toISOString(),
      nonce: randomBytes(16).toString('hex'),
    };
    return {
      accessKeyId: DEV_ACCESS_KEY_PREFIX + randomText(UPPERCASE, ACCESS_KEY_LENGTH - DEV_ACCESS_KEY_PREFIX.length),
      secretAccessKey: DEV_SECRET_PREFIX + randomText(ALPHANUMERIC, SECRET_LENGTH - DEV_SECRET_PREFIX.length),
      sessionToken: DEV_TOKEN_PREFIX + Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url'),
      expiration,
    };
  }
}

/**
 * What a dev session token encodes, or undefined when `token` is not one (a real AWS
 * token, or a damaged dev token). Local tools use it to show what was minted.
 */
export function decodeDevSessionToken(token: string): DevTokenClaims | undefined {
  if (!token.startsWith(DEV_TOKEN_PREFIX)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token.slice(DEV_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const claims = value as Record<string, unknown>;
  const strings = ['roleArn', 'roleSessionName', 'sourceIdentity', 'expiration', 'nonce'].every((key) => typeof claims[key] === 'string');
  const sessionId = claims.sessionId === undefined || typeof claims.sessionId === 'string';
  return strings && sessionId ? (value as DevTokenClaims) : undefined;
}

/** `length` characters drawn uniformly from `alphabet` with a CSPRNG. */
function randomText(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}
