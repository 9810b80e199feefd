/**
 * Local identities for the local stack: IAM-user-shaped access keys whose ARNs the
 * SigV4 verifier reports, as API Gateway would for real IAM users. The keys are written
 * to an AWS shared credentials file so the CLI (and the AWS CLI) can sign with them via
 * `AWS_SHARED_CREDENTIALS_FILE` + `AWS_PROFILE`, and are reused when the file is still
 * there, so restarting `npm start` does not invalidate a configured shell.
 *
 * These keys only ever open the local stack: AWS has never heard of them.
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SentinelError } from '../errors.js';
import type { LocalIdentityCredentials } from './sigv4Verifier.js';

/** A local IAM user: its keys and what API Gateway would report for it. */
export interface LocalIdentity {
  /** The IAM user name, which is also the profile name in the credentials file. */
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `arn:aws:iam::<account>:user/<name>` */
  arn: string;
  accountId: string;
  /** `AIDA…`: derived from the access key, so it is the same after a restart. */
  userId: string;
}

/** Base32, as AWS uses for access key and unique ids. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/]{40}$/;
const IAM_USER_NAME = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const USER_ARN = /^arn:aws:iam::(\d{12}):user\/([A-Za-z0-9_+=,.@-]{1,64})$/;
const ARN_KEY = 'sentinel_local_arn';

/**
 * Fresh identities: access key `AKIA` + 16 random base32 characters, a 40-character
 * random secret, the IAM user ARN in `accountId`.
 *
 * @throws SentinelError `INTERNAL` for an account that is not 12 digits or a name IAM would refuse.
 */
export function createLocalIdentities(accountId: string, names: readonly string[] = ['alice', 'bob', 'admin']): LocalIdentity[] {
  if (!ACCOUNT_ID.test(accountId)) throw new SentinelError('INTERNAL', `local identities need a 12-digit account id, got ${JSON.stringify(accountId)}`);
  return names.map((name) => {
    if (!IAM_USER_NAME.test(name)) throw new SentinelError('INTERNAL', `${JSON.stringify(name)} is not a valid IAM user name`);
    return identity(name, `AKIA${randomChars(BASE32, 16)}`, randomChars(BASE64, 40), `arn:aws:iam::${accountId}:user/${name}`, accountId);
  });
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
    const arn = USER_ARN.exec(values.get(ARN_KEY) ?? '');
    if (!IAM_USER_NAME.test(name) || !ACCESS_KEY_ID.test(accessKeyId) || !SECRET_ACCESS_KEY.test(secretAccessKey) || arn?.[2] !== name) return undefined;
    identities.push(identity(name, accessKeyId, secretAccessKey, arn[0], arn[1] ?? ''));
  }
  return identities.length > 0 ? identities : undefined;
}

function identity(name: string, accessKeyId: string, secretAccessKey: string, arn: string, accountId: string): LocalIdentity {
  return { name, accessKeyId, secretAccessKey, arn, accountId, userId: `AIDA${stableChars(accessKeyId, 16)}` };
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
