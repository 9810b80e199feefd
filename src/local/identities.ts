/**
 * Local identities for the local stack: access keys whose ARNs and unique ids the SigV4
 * verifier reports, as API Gateway would, for IAM users and for sessions of roles (an
 * IAM Identity Center role among them, so docs/identity.md's rules can be tried
 * locally). The keys are written to an AWS shared credentials file so the CLI (and the
 * AWS CLI) can sign with them via `AWS_SHARED_CREDENTIALS_FILE` + `AWS_PROFILE`, and are
 * reused when the file is still there, so restarting `npm start` does not invalidate a
 * configured shell.
 *
 * Every local identity, role sessions included, signs with a key pair alone (no session
 * token), so any client can use it; in AWS a role session's keys are temporary. The
 * handlers never look at keys, only at the ARN and unique id the authorizer context
 * carries, which are AWS's shapes: `arn:aws:sts::<account>:assumed-role/<role>/<session>`
 * and `AROA…:<session>`.
 *
 * These keys only ever open the local stack: AWS has never heard of them.
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SentinelError } from '../errors.js';
import type { LocalIdentityCredentials } from './sigv4Verifier.js';

/**
 * A local identity to create: an IAM user, or a session named `name` of the role `role`.
 * A plain string is an IAM user of that name.
 */
export type LocalIdentitySpec = string | { name: string; role?: string };

/** A local identity: its keys and what API Gateway would report for it. */
export interface LocalIdentity {
  /** The IAM user name or the role's session name, which is also the profile name in the credentials file. */
  name: string;
  /** The role of a role session; absent for an IAM user. */
  role?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `arn:aws:iam::<account>:user/<name>` or `arn:aws:sts::<account>:assumed-role/<role>/<name>` */
  arn: string;
  accountId: string;
  /**
   * `AIDA…` (derived from the access key) for a user, `AROA…:<name>` (the role's id,
   * derived from account and role, see {@link localRoleId}) for a role session: the
   * same after a restart.
   */
  userId: string;
}

/** Base32, as AWS uses for access key and unique ids. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/]{40}$/;
const IAM_USER_NAME = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
/** STS's rule for session names. */
const SESSION_NAME = /^[A-Za-z0-9_+=,.@-]{2,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const USER_ARN = /^arn:aws:iam::(\d{12}):user\/([A-Za-z0-9_+=,.@-]{1,64})$/;
const SESSION_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([A-Za-z0-9_+=,.@-]{1,64})\/([A-Za-z0-9_+=,.@-]{2,64})$/;
const ARN_KEY = 'sentinel_local_arn';

/**
 * Fresh identities: access key `AKIA` + 16 random base32 characters, a 40-character
 * random secret, the ARN of the IAM user or role session in `accountId`.
 *
 * @throws SentinelError `INTERNAL` for an account that is not 12 digits, or a user, role
 *   or session name IAM or STS would refuse.
 */
export function createLocalIdentities(accountId: string, specs: readonly LocalIdentitySpec[] = ['alice', 'bob', 'admin']): LocalIdentity[] {
  if (!ACCOUNT_ID.test(accountId)) throw new SentinelError('INTERNAL', `local identities need a 12-digit account id, got ${JSON.stringify(accountId)}`);
  return specs.map((spec) => {
    const arn = localArn(accountId, spec);
    const { name, role } = typeof spec === 'string' ? { name: spec, role: undefined } : spec;
    return identity(name, role, `AKIA${randomChars(BASE32, 16)}`, randomChars(BASE64, 40), arn, accountId);
  });
}

/**
 * The ARN API Gateway reports for `spec` in `accountId`: `arn:aws:iam::<account>:user/<name>`
 * or `arn:aws:sts::<account>:assumed-role/<role>/<name>`.
 *
 * @throws SentinelError `INTERNAL` for a name IAM or STS would refuse.
 */
export function localArn(accountId: string, spec: LocalIdentitySpec): string {
  const { name, role } = typeof spec === 'string' ? { name: spec, role: undefined } : spec;
  if (role === undefined) {
    if (!IAM_USER_NAME.test(name)) throw new SentinelError('INTERNAL', `${JSON.stringify(name)} is not a valid IAM user name`);
    return `arn:aws:iam::${accountId}:user/${name}`;
  }
  if (!IAM_USER_NAME.test(role)) throw new SentinelError('INTERNAL', `${JSON.stringify(role)} is not a valid IAM role name`);
  if (!SESSION_NAME.test(name)) throw new SentinelError('INTERNAL', `${JSON.stringify(name)} is not a valid role session name (2–64 characters)`);
  return `arn:aws:sts::${accountId}:assumed-role/${role}/${name}`;
}

/**
 * The unique id (`AROA` + 17 base32 characters) a local role has, derived from its
 * account and name: every session of it reports the same, and so does every start.
 * The local stack pins its identity roles by it (`SENTINEL_IDENTITY_ROLES`).
 */
export function localRoleId(accountId: string, role: string): string {
  return `AROA${stableChars(`${accountId}:role/${role}`, 17)}`;
}

/** The access-key map `createSigV4Verifier` takes (no names: the verifier only needs what API Gateway reports). */
export function verifierIdentities(identities: readonly LocalIdentity[]): Map<string, LocalIdentityCredentials> {
  return new Map(
    identities.map((identity) => [
      identity.accessKeyId,
      { secretAccessKey: identity.secretAccessKey, arn: identity.arn, accountId: identity.accountId, userId: identity.userId },
    ]),
  );
}

/**
 * Writes an AWS shared credentials file: one `[name]` section per identity with
 * `aws_access_key_id` and `aws_secret_access_key`, plus `region` (the AWS SDK for
 * JavaScript reads it from this file; the AWS CLI ignores it there) and
 * `sentinel_local_arn` (so {@link readSharedCredentialsFile} can restore the identity;
 * AWS tools ignore keys they do not know).
 *
 * The file is created with mode 0600 and its directory, when created, with 0700; it is
 * written to a temporary file in the same directory and renamed into place, so a
 * reader never sees half a file.
 */
export async function writeSharedCredentialsFile(path: string, identities: readonly LocalIdentity[], region: string): Promise<void> {
  const lines = ['# Sentinel local stack identities: they only open the local stack, never AWS.'];
  for (const { name, accessKeyId, secretAccessKey, arn } of identities) {
    // A role session's profile is named after its session; sentinel_local_arn names the role.
    lines.push('', `[${name}]`, `aws_access_key_id = ${accessKeyId}`, `aws_secret_access_key = ${secretAccessKey}`, `region = ${region}`, `${ARN_KEY} = ${arn}`);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // 'wx': never follow or reuse an existing file; the mode is set at creation, before any secret is written.
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.chmod(0o600);
      await file.writeFile(`${lines.join('\n')}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * The identities in a credentials file written by {@link writeSharedCredentialsFile},
 * or `undefined` when the file is missing, unreadable or not in that shape (then the
 * caller creates fresh identities).
 */
export async function readSharedCredentialsFile(path: string): Promise<LocalIdentity[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]?.trim() ?? '';
      if (sections.has(name)) return undefined;
      current = new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq === -1) return undefined;
    current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const identities: LocalIdentity[] = [];
  for (const [name, values] of sections) {
    const accessKeyId = values.get('aws_access_key_id') ?? '';
    const secretAccessKey = values.get('aws_secret_access_key') ?? '';
    if (!ACCESS_KEY_ID.test(accessKeyId) || !SECRET_ACCESS_KEY.test(secretAccessKey)) return undefined;
    const arnText = values.get(ARN_KEY) ?? '';
    const user = USER_ARN.exec(arnText);
    const session = SESSION_ARN.exec(arnText);
    if (user !== null && user[2] === name) {
      identities.push(identity(name, undefined, accessKeyId, secretAccessKey, user[0], user[1] ?? ''));
    } else if (session !== null && session[3] === name) {
      identities.push(identity(name, session[2], accessKeyId, secretAccessKey, session[0], session[1] ?? ''));
    } else {
      return undefined;
    }
  }
  return identities.length > 0 ? identities : undefined;
}

function identity(name: string, role: string | undefined, accessKeyId: string, secretAccessKey: string, arn: string, accountId: string): LocalIdentity {
  if (role === undefined) return { name, accessKeyId, secretAccessKey, arn, accountId, userId: `AIDA${stableChars(accessKeyId, 16)}` };
  return { name, role, accessKeyId, secretAccessKey, arn, accountId, userId: `${localRoleId(accountId, role)}:${name}` };
}

/** Uniformly random characters: both alphabets have a power-of-two size, so masking a byte is unbiased. */
function randomChars(alphabet: string, length: number): string {
  const mask = alphabet.length - 1;
  return Array.from(randomBytes(length), (byte) => alphabet[byte & mask]).join('');
}

/** Base32 characters derived from `seed`: random-looking, but the same on every start. */
function stableChars(seed: string, length: number): string {
  const digest = createHash('sha256').update(`sentinel-local-user-id:${seed}`).digest();
  return Array.from(digest.subarray(0, length), (byte) => BASE32[byte & 31]).join('');
}
