/**
 * The private cache of `sentinel credentials` (docs/cli.md, `sentinel credentials`).
 *
 * The AWS CLI keeps nothing from a `credential_process` between commands, so without
 * this every `aws …` would be one issuance. Credentials are kept in one file per key
 * (API URL, signing region, signing principal, profile, requested duration, mode)
 * under `$XDG_CACHE_HOME/sentinel/credentials` (else `~/.cache/sentinel/credentials`)
 * and reused while more than 15 minutes remain before they expire.
 *
 * The files hold live credentials and are protected only by their permissions, as the
 * AWS CLI's own `~/.aws/cli/cache` is. So a file is read only through a descriptor
 * opened without following links, and only when that descriptor is a regular file of
 * this user with no group or other permission bits, in a folder that is this user's
 * and private; anything else is ignored and replaced. Every entry carries its key and
 * an HMAC keyed by the signing principal's inputs (which are never stored), so a
 * renamed, copied or edited file is not used.
 *
 * Loaded only by `sentinel credentials`, and without the AWS SDK: a cache hit is what
 * every `aws` command pays for, so it must stay a few file reads.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs, { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isIsoDateTime } from '../../api/answerChecks.js';
import { SESSION_ID, STS_MAX_DURATION_SECONDS } from '../../api/constants.js';
import { describeReadError } from '../readError.js';
import { isRecord } from '../../records.js';

/*
 * node:fs's callback functions as promises, not node:fs/promises: that one loads some
 * fifteen internal modules more (FileHandle, watchers, readline), which a cache hit —
 * every `aws` command's wait — would pay for at each start (docs/performance.md).
 */
const open = promisify(fs.open);
const close = promisify(fs.close);
const fstat = promisify(fs.fstat);
const fchmod = promisify(fs.fchmod);
const readFile = promisify(fs.readFile);
const writeFile = promisify(fs.writeFile);
const readdir = promisify(fs.readdir);
const lstat = promisify(fs.lstat);
const mkdir = promisify(fs.mkdir);
const rename = promisify(fs.rename);
const rm = promisify(fs.rm);

/** Cached credentials are reused only while more than this is left before `Expiration` (botocore's own refresh window). */
export const REUSE_MARGIN_MS = 15 * 60 * 1000;
/** The entry format; another version is ignored and replaced. */
const FORMAT_VERSION = 1;
/** A real entry is well under 4 kB; anything much larger is not one. */
const MAX_ENTRY_BYTES = 64 * 1024;
/** Clock differences between this machine and the API: an entry may expire this much past STS's 12 hours. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

/** What one entry is for: every part that changes what the API would issue, or to whom. */
export interface CacheKey {
  /** The API's base URL, as resolved from `--api` / `SENTINEL_API_URL`. */
  apiUrl: string;
  /** The signing region. */
  region: string;
  /** The signing principal, hashed ({@link signingPrincipal}). */
  principal: string;
  /** The Sentinel profile asked for. */
  profile: string;
  /** `--duration` in seconds, or null for the policy's default. */
  durationSeconds: number | null;
  /** Always `credential_process`: the only mode this command asks in (and it sends no session table). */
  mode: 'credential_process';
}

/** The credentials of an entry, as the API issued them. */
export interface CachedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO-8601. */
  expiration: string;
}

/**
 * Who signs the API calls, as far as it can be told without the AWS SDK: `id` goes
 * into the key, `secret` keys the entries' HMAC and is never written anywhere.
 */
export interface SigningPrincipal {
  id: string;
  secret: Buffer;
}

/**
 * The environment variables the AWS SDK's Node.js credential chain reads to find
 * credentials (static keys, web identity, container and instance metadata, the shared
 * files). Any change to them may change who signs, so each one is part of the principal.
 */
const CHAIN_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_ACCOUNT_ID',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;

/**
 * The cache folder: `$XDG_CACHE_HOME/sentinel/credentials`, else
 * `~/.cache/sentinel/credentials`. A relative `XDG_CACHE_HOME` is ignored, as the XDG
 * spec says. `SENTINEL_CACHE_DIR` is deliberately not used: it is the developers'
 * DynamoDB Local download cache, which may be shared or kept as a CI cache artefact,
 * and live credentials must not follow it there.
 */
export function credentialsCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(homeOf(env), '.cache');
  return path.join(base, 'sentinel', 'credentials');
}

/**
 * The signing principal of `--aws-profile` (`awsProfile`) in `env`, without resolving
 * the AWS SDK chain (which would load the SDK and, for SSO or role profiles, call AWS on
 * every hit). It is a digest of everything the chain reads: the profile it would use,
 * its environment variables, and the contents of the shared config and credentials
 * files, the web identity and container token files and the SSO token cache
 * (`~/.aws/sso/cache`). `aws sso login` as someone else, a rotated key, another
 * profile or an edited file each give another principal. Only the digests are kept.
 */
export async function signingPrincipal(awsProfile: string | undefined, env: NodeJS.ProcessEnv): Promise<SigningPrincipal> {
  const home = homeOf(env);
  // The chain's own choice: an explicit profile, else AWS_PROFILE, else the default chain.
  const parts: Array<[string, string | null]> = [['profile', awsProfile ?? nonEmpty(env['AWS_PROFILE']) ?? null]];
  for (const name of CHAIN_VARIABLES) parts.push([name, env[name] ?? null]);
  const files = [
    expandHome(nonEmpty(env['AWS_CONFIG_FILE']) ?? path.join(home, '.aws', 'config'), home),
    expandHome(nonEmpty(env['AWS_SHARED_CREDENTIALS_FILE']) ?? path.join(home, '.aws', 'credentials'), home),
    ...[env['AWS_WEB_IDENTITY_TOKEN_FILE'], env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']].flatMap((file) => (nonEmpty(file) === undefined ? [] : [file as string])),
  ];
  const ssoCache = path.join(home, '.aws', 'sso', 'cache');
  const ssoFiles = (await readdir(ssoCache).catch(() => [])).sort().map((name) => path.join(ssoCache, name));
  const digests = await Promise.all([...files, ...ssoFiles].map(async (file): Promise<[string, string | null]> => [`file:${file}`, await fileDigest(file)]));
  const material = JSON.stringify([...parts, ...digests]);
  return { id: sha256(`sentinel credentials cache: principal\n${material}`).toString('hex'), secret: sha256(`sentinel credentials cache: mac\n${material}`) };
}

/** What a look-up found: credentials to reuse, or none; `problem` says why a file there was not used. */
export interface Lookup {
  credentials?: CachedCredentials;
  problem?: string;
}

/** How the cache is opened; tests inject the clock and the expected owner. */
export interface CredentialsCacheOptions {
  /** The cache folder ({@link credentialsCacheDir}). */
  dir: string;
  key: CacheKey;
  principal: SigningPrincipal;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** The user id files must belong to; default this process's. */
  owner?: number;
}

/**
 * The state of the folder, settled once per run: usable or not, and what to tell the
 * user about it (reported once).
 */
interface Folder {
  usable: boolean;
  problem?: string;
  reported: boolean;
}

/**
 * The one entry of a key: {@link CredentialsCache.read} and {@link CredentialsCache.write}
 * never throw; what went wrong comes back as a one-line problem for stderr, each at
 * most once per run.
 */
export class CredentialsCache {
  private readonly file: string;
  private folder: Folder | undefined;

  constructor(private readonly options: CredentialsCacheOptions) {
    this.file = path.join(options.dir, `${entryName(options.key)}.json`);
  }

  /** The entry's credentials when it is safe to read, is for this key, unedited, and has more than 15 minutes left. */
  async read(): Promise<Lookup> {
    const folder = await this.openFolder(false);
    const folderProblem = this.report(folder);
    const found = folder.usable ? await this.readEntry() : {};
    const problem = folderProblem ?? found.problem;
    return { ...(found.credentials === undefined ? {} : { credentials: found.credentials }), ...(problem === undefined ? {} : { problem }) };
  }

  /**
   * Replaces the entry with `credentials`, atomically (a new file, created exclusively
   * with mode 0600 in the same folder, then renamed over it). Credentials with 15
   * minutes or less left could never be reused and are not written. `sessionId`, the
   * session the API recorded them under, lets `sessions revoke` and `sessions end` on
   * this machine drop the entry ({@link dropSessionEntries}).
   *
   * @returns a problem to report when they could not be written.
   */
  async write(credentials: CachedCredentials, sessionId?: string): Promise<string | undefined> {
    if (!(Date.parse(credentials.expiration) - this.options.now() > REUSE_MARGIN_MS)) return undefined;
    const folder = await this.openFolder(true);
    if (!folder.usable) return this.report(folder);
    const cachedAt = new Date(this.options.now()).toISOString();
    const entry = {
      version: FORMAT_VERSION,
      key: this.options.key,
      credentials,
      cachedAt,
      ...(sessionId === undefined ? {} : { sessionId }),
      mac: this.mac(credentials, cachedAt, sessionId),
    };
    const temporary = path.join(this.options.dir, `.${path.basename(this.file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeExclusive(temporary, `${JSON.stringify(entry)}\n`);
      await rename(temporary, this.file);
      return this.report(folder);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      return `could not write the credentials cache ${this.file}: ${describeReadError(error)}; the credentials were not cached`;
    }
  }

  private async readEntry(): Promise<Lookup> {
    const read = await readEntryFile(this.file, this.owner());
    if ('missing' in read) return {};
    const checked = 'problem' in read ? read.problem : this.check(read.text);
    return typeof checked === 'string' ? { problem: `ignored the cached credentials in ${this.file}: ${checked}; they will be replaced` } : checked;
  }

  /** The parsed entry's credentials, or why it is not usable. */
  private check(text: string): Lookup | string {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return 'it is not valid JSON';
    }
    const entry = entryOf(json);
    if (entry === undefined) return `it is not a Sentinel credentials cache entry (version ${FORMAT_VERSION})`;
    // The parts themselves, not their digest: a renamed file or a colliding name is caught here.
    if (JSON.stringify(keyParts(entry.key)) !== JSON.stringify(keyParts(this.options.key))) return 'it was written for another API, principal, profile or duration';
    if (!this.macMatches(entry.mac, entry.credentials, entry.cachedAt, entry.sessionId)) return 'it does not match its checksum (edited, or copied from another principal)';
    const left = Date.parse(entry.credentials.expiration) - this.options.now();
    if (left > STS_MAX_DURATION_SECONDS * 1000 + CLOCK_SLACK_MS) return 'it expires later than any STS credentials can';
    return left > REUSE_MARGIN_MS ? { credentials: entry.credentials } : {};
  }

  /** The folder, checked once ({@link checkFolder}); a missing one is created only to write. */
  private async openFolder(create: boolean): Promise<Folder> {
    if (this.folder !== undefined) return this.folder;
    const { dir } = this.options;
    try {
      // Every folder made here is private (the umask can only take bits away).
      if (create) await mkdir(dir, { recursive: true, mode: 0o700 });
      this.folder = await checkFolder(dir, this.owner());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Not remembered: the write that follows a miss creates it.
      if (!create && code === 'ENOENT') return { usable: false, reported: true };
      this.folder = { usable: false, problem: `not using the credentials cache ${dir}: ${await folderError(dir, error)}`, reported: false };
    }
    return this.folder;
  }

  /** The folder's problem the first time it is asked for, then nothing. */
  private report(folder: Folder): string | undefined {
    if (folder.reported) return undefined;
    folder.reported = true;
    return folder.problem;
  }

  private owner(): number {
    return this.options.owner ?? process.getuid?.() ?? -1;
  }

  /** Over the key, the credentials, the time and, when there is one, the session id (entries written before it had none). */
  private mac(credentials: CachedCredentials, cachedAt: string, sessionId: string | undefined): string {
    const parts = [...keyParts(this.options.key), credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken, credentials.expiration, cachedAt];
    const text = JSON.stringify(sessionId === undefined ? parts : [...parts, sessionId]);
    return createHmac('sha256', this.options.principal.secret).update(text).digest('hex');
  }

  private macMatches(mac: string, credentials: CachedCredentials, cachedAt: string, sessionId: string | undefined): boolean {
    const expected = Buffer.from(this.mac(credentials, cachedAt, sessionId), 'utf8');
    const actual = Buffer.from(mac, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

/** Whether this platform can tell who owns a file (POSIX); elsewhere nothing is cached. */
export function cacheSupported(): boolean {
  return typeof process.getuid === 'function';
}

/** An entry as {@link CredentialsCache.write} writes it. */
interface Entry {
  version: typeof FORMAT_VERSION;
  key: CacheKey;
  credentials: CachedCredentials;
  cachedAt: string;
  sessionId?: string;
  mac: string;
}

/**
 * `json` when it has an entry's shape, else undefined; members it does not know are
 * left out. Checked by hand rather than with a zod schema: a hit is what every `aws`
 * command waits for, and loading zod and building the schema cost it more than all of
 * the rest of the check (docs/performance.md). The checksum then says whether the
 * values are the ones written.
 */
function entryOf(json: unknown): Entry | undefined {
  if (!isRecord(json) || json['version'] !== FORMAT_VERSION) return undefined;
  const { cachedAt, sessionId, mac } = json;
  const key = isRecord(json['key']) ? strings(json['key'], ['apiUrl', 'region', 'principal', 'profile'], false) : undefined;
  const credentials = isRecord(json['credentials']) ? strings(json['credentials'], ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration'], true) : undefined;
  if (key === undefined || credentials === undefined || typeof cachedAt !== 'string' || typeof mac !== 'string') return undefined;
  const { durationSeconds, mode } = json['key'] as Record<string, unknown>;
  if (!(durationSeconds === null || (typeof durationSeconds === 'number' && Number.isFinite(durationSeconds))) || mode !== 'credential_process') return undefined;
  // What the API's answer was checked as when it came (src/api/answerChecks.ts).
  if (!isIsoDateTime(credentials.expiration) || Number.isNaN(Date.parse(credentials.expiration))) return undefined;
  if (sessionId !== undefined && !(typeof sessionId === 'string' && SESSION_ID.test(sessionId))) return undefined;
  return { version: FORMAT_VERSION, key: { ...key, durationSeconds, mode }, credentials, cachedAt, ...(sessionId === undefined ? {} : { sessionId }), mac };
}

/** The members `names` of `record` when each is a string (and, with `nonEmpty`, not ''), else undefined. */
function strings<Name extends string>(record: Record<string, unknown>, names: readonly Name[], nonEmpty: boolean): Record<Name, string> | undefined {
  const picked: Partial<Record<Name, string>> = {};
  for (const name of names) {
    const value = record[name];
    if (typeof value !== 'string' || (nonEmpty && value === '')) return undefined;
    picked[name] = value;
  }
  return picked as Record<Name, string>;
}

/**
 * Removes every entry in `dir` whose credentials belong to session `sessionId`: after
 * `sessions revoke` or `sessions end` on this machine, `sentinel credentials` must not
 * hand out credentials AWS now refuses (the revocation's deny) or that belong to an
 * ended session. Only this user's private regular files are read, as for a look-up;
 * the session id is not secret, so no key is needed to find them. Never throws.
 *
 * @returns how many entries were removed, and a problem to report when the folder or an
 *   entry could not be dealt with.
 */
export async function dropSessionEntries(dir: string, sessionId: string, owner: number = process.getuid?.() ?? -1): Promise<{ dropped: number; problem?: string }> {
  let names: string[];
  try {
    const folder = await checkFolder(dir, owner);
    if (!folder.usable) return { dropped: 0, ...(folder.problem === undefined ? {} : { problem: folder.problem }) };
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { dropped: 0 };
    return { dropped: 0, problem: `could not look in the credentials cache ${dir}: ${await folderError(dir, error)}` };
  }
  let dropped = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const read = await readEntryFile(file, owner);
    if (!('text' in read)) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(read.text);
    } catch {
      continue;
    }
    if (typeof entry !== 'object' || entry === null || (entry as { sessionId?: unknown }).sessionId !== sessionId) continue;
    try {
      await rm(file, { force: true });
      dropped += 1;
    } catch (error) {
      return { dropped, problem: `could not remove the cached credentials of session ${sessionId} in ${file}: ${describeReadError(error)}; clear the cache (docs/cli.md, The credentials cache)` };
    }
  }
  return { dropped };
}

/** A key's parts in a fixed order, with the format version. */
function keyParts(key: CacheKey): Array<string | number | null> {
  return [FORMAT_VERSION, key.apiUrl, key.region, key.principal, key.profile, key.durationSeconds, key.mode];
}

/** The file name of a key: a digest of all its parts, so a name says nothing and two keys never share a file. */
function entryName(key: CacheKey): string {
  return sha256(JSON.stringify(keyParts(key))).toString('hex');
}

/**
 * Checks the folder through a descriptor opened without following a link: a directory,
 * this user's, and private. One that is open to others is made private again (through
 * the same descriptor) and emptied, since its entries may have been read or swapped
 * while it was open.
 */
async function checkFolder(dir: string, owner: number): Promise<Folder> {
  const fd = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const stat = await fstat(fd);
    if (stat.uid !== owner) return { usable: false, problem: `not using the credentials cache ${dir}: it belongs to another user (uid ${stat.uid})`, reported: false };
    if ((stat.mode & 0o077) === 0) return { usable: true, reported: false };
    await fchmod(fd, 0o700);
    for (const name of await readdir(dir)) if (/\.(json|tmp)$/.test(name)) await rm(path.join(dir, name), { force: true });
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    return { usable: true, problem: `the credentials cache ${dir} was open to other users (mode ${mode}): made it private (0700) and emptied it`, reported: false };
  } finally {
    await close(fd);
  }
}

/**
 * Why the folder could not be made or opened. O_NOFOLLOW on a link fails with ELOOP or
 * (with O_DIRECTORY, on Linux) ENOTDIR; mkdir over a file fails with EEXIST.
 */
async function folderError(dir: string, error: unknown): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ELOOP' && code !== 'ENOTDIR' && code !== 'EEXIST') return describeReadError(error);
  const link = await lstat(dir).then((stat) => stat.isSymbolicLink(), () => false);
  return link ? 'it is a symbolic link' : 'it is not a directory';
}

/** The entry file's text, if it is this user's private regular file; never follows a link, never blocks on a FIFO. */
async function readEntryFile(file: string, owner: number): Promise<{ text: string } | { problem: string } | { missing: true }> {
  let fd: number;
  try {
    fd = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { missing: true };
    return { problem: code === 'ELOOP' ? 'it is a symbolic link' : describeReadError(error) };
  }
  try {
    const stat = await fstat(fd);
    if (!stat.isFile()) return { problem: 'it is not a regular file' };
    if (stat.uid !== owner) return { problem: `it belongs to another user (uid ${stat.uid})` };
    if ((stat.mode & 0o077) !== 0) return { problem: `it is readable or writable by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})` };
    if (stat.nlink !== 1) return { problem: 'it has other hard links' };
    if (stat.size > MAX_ENTRY_BYTES) return { problem: 'it is too large' };
    return { text: await readFile(fd, 'utf8') };
  } catch (error) {
    return { problem: describeReadError(error) };
  } finally {
    await close(fd);
  }
}

/** Creates `file` (it must not exist, and is not followed if it is a link) with mode 0600 and writes `text`. */
async function writeExclusive(file: string, text: string): Promise<void> {
  const fd = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    // The umask may have taken the owner's bits away; group and other never had any.
    await fchmod(fd, 0o600);
    await writeFile(fd, text, 'utf8');
  } finally {
    await close(fd);
  }
}

/** A digest of a file's content; `null` when it does not exist, the error code when it cannot be read. */
async function fileDigest(file: string): Promise<string | null> {
  try {
    return sha256(await readFile(file)).toString('hex');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : `unreadable: ${code ?? 'error'}`;
  }
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The home folder as the AWS SDK finds it: `HOME`, else the system's idea of it. */
function homeOf(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env['HOME']) ?? os.homedir();
}

/** `~/…` as the SDK's shared-file loader reads it. */
function expandHome(file: string, home: string): string {
  return file.startsWith(`~${path.sep}`) ? path.join(home, file.slice(2)) : file;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
