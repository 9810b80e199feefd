/**
 * The private cache of `sentinel credentials` (src/cli/credentials/cache.ts), on real
 * files in a temporary folder: what is reused and for how long, what makes another
 * key, and every file that must not be trusted — corrupt, edited, renamed, open to
 * others, a link, someone else's — being ignored and replaced.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheKey, CachedCredentials } from '../../../src/cli/credentials/cache.js';
import { credentialsCacheDir, CredentialsCache, dropSessionEntries, REUSE_MARGIN_MS, signingPrincipal } from '../../../src/cli/credentials/cache.js';

/** 2025-03-14T09:30:00Z. */
const NOW = Date.UTC(2025, 2, 14, 9, 30);
const HOUR = 60 * 60 * 1000;
const ALICE_KEY_ID = 'AKIAALICE00000000001';

const ISSUED: CachedCredentials = {
  accessKeyId: 'ASIASENTINELDEV00001',
  secretAccessKey: 'sentinel-dev-secret-1',
  sessionToken: 'sentinel-dev:token-1',
  expiration: new Date(NOW + HOUR).toISOString(),
};

const isRoot = process.getuid?.() === 0;
const hasMkfifo = spawnSync('mkfifo', ['--version'], { stdio: 'ignore' }).status === 0;

let home: string;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'sentinel-cache-'));
  dir = credentialsCacheDir({ HOME: home });
  await mkdir(path.join(home, '.aws'));
  await writeFile(path.join(home, '.aws', 'credentials'), `[alice]\naws_access_key_id = ${ALICE_KEY_ID}\naws_secret_access_key = alice-secret\n`);
  env = { HOME: home };
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The key `sentinel --aws-profile alice credentials --profile dev` has against the eu-west-1 API, with `changes`. */
async function keyOf(changes: Partial<CacheKey> = {}, awsProfile = 'alice'): Promise<{ key: CacheKey; principal: Awaited<ReturnType<typeof signingPrincipal>> }> {
  const principal = await signingPrincipal(awsProfile, env);
  const key: CacheKey = {
    apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
    region: 'eu-west-1',
    principal: principal.id,
    profile: 'dev',
    durationSeconds: null,
    mode: 'credential_process',
    ...changes,
  };
  return { key, principal };
}

async function cacheOf(options: { changes?: Partial<CacheKey>; now?: number; awsProfile?: string; owner?: number } = {}): Promise<CredentialsCache> {
  const { key, principal } = await keyOf(options.changes, options.awsProfile);
  return new CredentialsCache({ dir, key, principal, now: () => options.now ?? NOW, ...(options.owner === undefined ? {} : { owner: options.owner }) });
}

/** The one entry file in the folder. */
async function entryFile(): Promise<string> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  expect(names).toHaveLength(1);
  return path.join(dir, names[0] as string);
}

async function cached(): Promise<string> {
  await expect((await cacheOf()).write(ISSUED)).resolves.toBeUndefined();
  return entryFile();
}

const mode = async (file: string): Promise<number> => (await lstat(file)).mode & 0o777;

describe('credentialsCacheDir', () => {
  it('is $XDG_CACHE_HOME/sentinel/credentials, else ~/.cache/sentinel/credentials; SENTINEL_CACHE_DIR is not used', () => {
    expect(credentialsCacheDir({ XDG_CACHE_HOME: '/xdg', HOME: '/home/alice', SENTINEL_CACHE_DIR: '/srv/cache' })).toBe('/xdg/sentinel/credentials');
    expect(credentialsCacheDir({ HOME: '/home/alice', SENTINEL_CACHE_DIR: '/srv/cache' })).toBe('/home/alice/.cache/sentinel/credentials');
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
    expect(credentialsCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/alice' })).toBe('/home/alice/.cache/sentinel/credentials');
  });
});

describe('hit and miss', () => {
  it('misses when nothing is cached, without creating the folder', async () => {
    expect(await (await cacheOf()).read()).toEqual({});
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives back what was written, from a 0600 file in a 0700 folder', async () => {
    const file = await cached();
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
    expect(await mode(file)).toBe(0o600);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(path.dirname(dir))).toBe(0o700);
  });

  it('names the file by a digest and records the key, never the signing key id in clear', async () => {
    const file = await cached();
    expect(path.basename(file)).toMatch(/^[0-9a-f]{64}\.json$/);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(ALICE_KEY_ID);
    expect(text).not.toContain('alice-secret');
    const entry = JSON.parse(text) as Record<string, unknown>;
    expect(entry).toEqual({
      version: 1,
      key: {
        apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        principal: expect.stringMatching(/^[0-9a-f]{64}$/),
        profile: 'dev',
        durationSeconds: null,
        mode: 'credential_process',
      },
      credentials: ISSUED,
      cachedAt: new Date(NOW).toISOString(),
      mac: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('reuses credentials while more than 15 minutes are left: exactly 15 minutes left is a miss', async () => {
    await cached();
    const expiresAt = Date.parse(ISSUED.expiration);
    expect(await (await cacheOf({ now: expiresAt - REUSE_MARGIN_MS - 1 })).read()).toEqual({ credentials: ISSUED });
    expect(await (await cacheOf({ now: expiresAt - REUSE_MARGIN_MS })).read()).toEqual({});
    expect(await (await cacheOf({ now: expiresAt + 1 })).read()).toEqual({});
  });

  it('does not write credentials that could never be reused (15 minutes or less left)', async () => {
    const cache = await cacheOf();
    expect(await cache.write({ ...ISSUED, expiration: new Date(NOW + REUSE_MARGIN_MS).toISOString() })).toBeUndefined();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces an expiring entry with the new issuance', async () => {
    await cached();
    const later = Date.parse(ISSUED.expiration) - REUSE_MARGIN_MS;
    const renewed = { ...ISSUED, accessKeyId: 'ASIASENTINELDEV00002', expiration: new Date(later + HOUR).toISOString() };
    const cache = await cacheOf({ now: later });
    expect(await cache.read()).toEqual({});
    expect(await cache.write(renewed)).toBeUndefined();
    expect(await (await cacheOf({ now: later })).read()).toEqual({ credentials: renewed });
    expect((await readdir(dir)).filter((name) => !name.endsWith('.json'))).toEqual([]);
  });
});

describe('key isolation', () => {
  it.each([
    ['another API URL', { apiUrl: 'https://def456.execute-api.eu-west-1.amazonaws.com' }],
    ['another signing region', { region: 'us-east-1' }],
    ['another profile', { profile: 'staging' }],
    ['another duration', { durationSeconds: 3600 }],
  ] as Array<[string, Partial<CacheKey>]>)('misses for %s', async (_what, changes) => {
    await cached();
    expect(await (await cacheOf({ changes })).read()).toEqual({});
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('misses for another signing profile (--aws-profile)', async () => {
    await cached();
    expect(await (await cacheOf({ awsProfile: 'bob' })).read()).toEqual({});
  });

  it('misses once the signing credentials change (a rotated key in the credentials file)', async () => {
    await cached();
    await writeFile(path.join(home, '.aws', 'credentials'), '[alice]\naws_access_key_id = AKIAALICE00000000002\naws_secret_access_key = rotated\n');
    expect(await (await cacheOf()).read()).toEqual({});
  });

  it('misses after `aws sso login` as someone else (a new token in ~/.aws/sso/cache)', async () => {
    await mkdir(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    const token = path.join(home, '.aws', 'sso', 'cache', 'b3f1a6.json');
    await writeFile(token, '{"accessToken":"token-of-alice","expiresAt":"2025-03-14T17:30:00Z"}');
    await cached();
    await writeFile(token, '{"accessToken":"token-of-mallory","expiresAt":"2025-03-14T17:30:00Z"}');
    expect(await (await cacheOf()).read()).toEqual({});
  });

  it('keeps a hit when only variables the credential chain does not read change', async () => {
    await cached();
    env = { ...env, AWS_REGION: 'eu-central-1', PATH: '/usr/local/bin:/usr/bin', AWS_PROFILE: 'sentinel-dev' };
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('tells principals apart by the chain inputs, and never puts a key id in the id', async () => {
    const alice = await signingPrincipal('alice', env);
    expect(alice.id).toMatch(/^[0-9a-f]{64}$/);
    expect(alice.id).not.toContain(ALICE_KEY_ID);
    expect((await signingPrincipal('alice', env)).id).toBe(alice.id);
    // Without --aws-profile the chain uses AWS_PROFILE, or environment keys.
    expect((await signingPrincipal(undefined, { ...env, AWS_PROFILE: 'alice' })).id).not.toBe((await signingPrincipal(undefined, { ...env, AWS_PROFILE: 'bob' })).id);
    const fromEnv = (id: string) => signingPrincipal(undefined, { ...env, AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: 'secret' });
    expect((await fromEnv('AKIAONE0000000000001')).id).not.toBe((await fromEnv('AKIATWO0000000000002')).id);
    // Another credentials file (AWS_SHARED_CREDENTIALS_FILE) is another principal.
    await writeFile(path.join(home, 'other-credentials'), '[alice]\naws_access_key_id = AKIAOTHER00000000001\n');
    expect((await signingPrincipal('alice', { ...env, AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'other-credentials') })).id).not.toBe(alice.id);
  });
});

describe('files that are not trusted', () => {
  const ignored = (reason: RegExp | string) => ({ problem: expect.stringMatching(typeof reason === 'string' ? reason : reason.source) });

  it('ignores corrupt JSON, and the next issuance replaces it', async () => {
    const file = await cached();
    await writeFile(file, '{"version":1,"key":');
    const cache = await cacheOf();
    expect(await cache.read()).toEqual(ignored(`^ignored the cached credentials in ${file}: it is not valid JSON; they will be replaced$`));
    expect(await cache.write(ISSUED)).toBeUndefined();
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('ignores JSON of the wrong shape', async () => {
    const file = await cached();
    await writeFile(file, JSON.stringify({ Version: 1, AccessKeyId: 'ASIAX', SecretAccessKey: 'x', SessionToken: 'x', Expiration: ISSUED.expiration }));
    expect(await (await cacheOf()).read()).toEqual(ignored('it is not a Sentinel credentials cache entry'));
  });

  it('checks every member of the shape: one missing, of the wrong type or empty where it must not be is not an entry', async () => {
    await expect((await cacheOf()).write(ISSUED, '0123456789abcdef0123456789abcdef')).resolves.toBeUndefined();
    const file = await entryFile();
    const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
    const edit = (member: string, field: string | undefined, value: unknown): unknown => {
      const copy = structuredClone(entry) as Record<string, unknown>;
      if (field === undefined) copy[member] = value;
      else (copy[member] as Record<string, unknown>)[field] = value;
      return copy;
    };
    const broken: unknown[] = [
      [],
      edit('version', undefined, 2),
      edit('key', undefined, 'key'),
      edit('key', undefined, [entry['key']]),
      ...['apiUrl', 'region', 'principal', 'profile'].flatMap((field) => [edit('key', field, undefined), edit('key', field, 7)]),
      edit('key', 'durationSeconds', '3600'),
      edit('key', 'durationSeconds', undefined),
      edit('key', 'mode', 'cli'),
      edit('credentials', undefined, null),
      ...['accessKeyId', 'secretAccessKey', 'sessionToken'].flatMap((field) => [edit('credentials', field, ''), edit('credentials', field, undefined), edit('credentials', field, 1)]),
      edit('credentials', 'expiration', 'tomorrow'),
      edit('credentials', 'expiration', '2025-03-14T10:30'),
      edit('credentials', 'expiration', '2025-13-14T10:30:00Z'),
      edit('credentials', 'expiration', Date.parse(ISSUED.expiration)),
      edit('cachedAt', undefined, undefined),
      edit('sessionId', undefined, 'not-a-session-id'),
      edit('sessionId', undefined, null),
      edit('mac', undefined, undefined),
    ];
    for (const json of broken) {
      await writeFile(file, JSON.stringify(json), { mode: 0o600 });
      expect(await (await cacheOf()).read(), JSON.stringify(json)).toEqual(ignored('it is not a Sentinel credentials cache entry'));
    }
    // A member it does not know is left alone, as a later format might add one.
    await writeFile(file, JSON.stringify({ ...entry, note: 'x', key: { ...entry['key'], extra: 1 } }), { mode: 0o600 });
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('ignores an entry whose credentials were edited (the checksum no longer matches)', async () => {
    const file = await cached();
    await writeFile(file, (await readFile(file, 'utf8')).replace(ISSUED.accessKeyId, 'ASIAEDITEDBYHAND0001'));
    expect(await (await cacheOf()).read()).toEqual(ignored('it does not match its checksum'));
  });

  it('ignores an entry renamed to another key’s file name', async () => {
    const file = await cached();
    const staging = await cacheOf({ changes: { profile: 'staging' } });
    await staging.write(ISSUED);
    const stagingFile = (await readdir(dir)).map((name) => path.join(dir, name)).find((name) => name !== file) as string;
    await rename(file, stagingFile);
    expect(await staging.read()).toEqual(ignored('it was written for another API, principal, profile or duration'));
  });

  it('ignores an entry that claims to last longer than STS credentials can', async () => {
    await (await cacheOf()).write({ ...ISSUED, expiration: new Date(NOW + 13 * HOUR).toISOString() });
    expect(await (await cacheOf()).read()).toEqual(ignored('it expires later than any STS credentials can'));
  });

  it('ignores a file readable by others (0644) and replaces it with a 0600 one', async () => {
    const file = await cached();
    await chmod(file, 0o644);
    const cache = await cacheOf();
    expect(await cache.read()).toEqual(ignored(/it is readable or writable by other users \(mode 0644\); they will be replaced$/));
    expect(await cache.write(ISSUED)).toBeUndefined();
    expect(await mode(file)).toBe(0o600);
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('ignores a file writable by the group (0620)', async () => {
    const file = await cached();
    await chmod(file, 0o620);
    expect(await (await cacheOf()).read()).toEqual(ignored('mode 0620'));
  });

  it('does not follow a symbolic link, and replaces the link (not its target) with a file', async () => {
    const file = await cached();
    const elsewhere = path.join(home, 'elsewhere.json');
    await rename(file, elsewhere);
    await symlink(elsewhere, file);
    const cache = await cacheOf();
    expect(await cache.read()).toEqual(ignored('it is a symbolic link'));
    const before = await readFile(elsewhere, 'utf8');
    await cache.write({ ...ISSUED, accessKeyId: 'ASIASENTINELDEV00002' });
    expect((await lstat(file)).isFile()).toBe(true);
    expect(await readFile(elsewhere, 'utf8')).toBe(before);
  });

  it('ignores a file with another hard link', async () => {
    const file = await cached();
    await link(file, path.join(home, 'linked.json'));
    expect(await (await cacheOf()).read()).toEqual(ignored('it has other hard links'));
  });

  it.skipIf(!hasMkfifo)('ignores a FIFO without blocking on it', async () => {
    const file = await cached();
    await rm(file);
    expect(spawnSync('mkfifo', ['-m', '600', file]).status).toBe(0);
    expect(await (await cacheOf()).read()).toEqual(ignored('it is not a regular file'));
  });

  it.skipIf(!isRoot)('ignores a file owned by another user, and replaces it with one of this user', async () => {
    const file = await cached();
    await chown(file, 65534, 65534);
    const cache = await cacheOf();
    expect(await cache.read()).toEqual(ignored('it belongs to another user \\(uid 65534\\)'));
    expect(await cache.write(ISSUED)).toBeUndefined();
    expect((await stat(file)).uid).toBe(process.getuid?.());
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('ignores files of another user than the expected one (owner injected, for non-root runs)', async () => {
    await cached();
    const other = (process.getuid?.() ?? 0) + 1;
    expect(await (await cacheOf({ owner: other })).read()).toEqual({ problem: expect.stringContaining('belongs to another user') });
  });
});

describe('the folder', () => {
  it('makes a folder open to others (0755) private again and empties it, reporting it once', async () => {
    await cached();
    await chmod(dir, 0o755);
    const cache = await cacheOf();
    expect(await cache.read()).toEqual({ problem: `the credentials cache ${dir} was open to other users (mode 0755): made it private (0700) and emptied it` });
    expect(await mode(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual([]);
    expect(await cache.write(ISSUED)).toBeUndefined();
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('does not use a folder that is a symbolic link, and reports it once', async () => {
    const real = path.join(home, 'real-folder');
    await mkdir(real, { mode: 0o700 });
    await mkdir(path.dirname(dir), { recursive: true });
    await symlink(real, dir);
    const cache = await cacheOf();
    expect(await cache.read()).toEqual({ problem: `not using the credentials cache ${dir}: it is a symbolic link` });
    expect(await cache.write(ISSUED)).toBeUndefined();
    expect(await readdir(real)).toEqual([]);
    // A run that only writes reports it then.
    expect(await (await cacheOf()).write(ISSUED)).toBe(`not using the credentials cache ${dir}: it is a symbolic link`);
  });

  it.skipIf(!isRoot)('does not use a folder owned by another user', async () => {
    await cached();
    await chown(dir, 65534, 65534);
    expect(await (await cacheOf()).read()).toEqual({ problem: `not using the credentials cache ${dir}: it belongs to another user (uid 65534)` });
  });

  it('reports a write that fails, and leaves no temporary file behind', async () => {
    // A non-empty folder where the entry goes: the rename cannot replace it.
    const entry = await cached();
    await rm(entry);
    await mkdir(path.join(entry, 'inside'), { recursive: true });
    const problem = await (await cacheOf()).write(ISSUED);
    expect(problem).toMatch(new RegExp(`^could not write the credentials cache ${entry}: .+; the credentials were not cached$`));
    expect((await readdir(dir)).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});

describe('the session id of an entry', () => {
  const SESSION = '0123456789abcdef0123456789abcdef';
  const OTHER = 'fedcba9876543210fedcba9876543210';

  it('is kept with the credentials, under the checksum: an entry with it edited or removed is not used', async () => {
    await expect((await cacheOf()).write(ISSUED, SESSION)).resolves.toBeUndefined();
    const file = await entryFile();
    const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(entry['sessionId']).toBe(SESSION);
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
    for (const edited of [{ ...entry, sessionId: OTHER }, Object.fromEntries(Object.entries(entry).filter(([name]) => name !== 'sessionId'))]) {
      await writeFile(file, JSON.stringify(edited), { mode: 0o600 });
      expect((await (await cacheOf()).read()).problem).toMatch(/does not match its checksum/);
    }
  });

  it('is optional: an entry written without one (as before session ids were kept) is still used', async () => {
    await cached();
    expect(await (await cacheOf()).read()).toEqual({ credentials: ISSUED });
  });

  it('dropSessionEntries removes the entries of that session only, and finds nothing to do in a missing folder', async () => {
    expect(await dropSessionEntries(dir, SESSION)).toEqual({ dropped: 0 });
    await (await cacheOf()).write(ISSUED, SESSION);
    await (await cacheOf({ changes: { profile: 'staging' } })).write(ISSUED, OTHER);
    await (await cacheOf({ changes: { profile: 'prod' } })).write(ISSUED);
    expect(await dropSessionEntries(dir, SESSION)).toEqual({ dropped: 1 });
    expect((await readdir(dir)).filter((name) => name.endsWith('.json'))).toHaveLength(2);
    expect(await (await cacheOf()).read()).toEqual({});
    expect(await (await cacheOf({ changes: { profile: 'staging' } })).read()).toEqual({ credentials: ISSUED });
    expect(await (await cacheOf({ changes: { profile: 'prod' } })).read()).toEqual({ credentials: ISSUED });
    expect(await dropSessionEntries(dir, SESSION)).toEqual({ dropped: 0 });
  });

  it('dropSessionEntries never reads a file it would not read for credentials, nor a folder that is not private', async () => {
    await (await cacheOf()).write(ISSUED, SESSION);
    const file = await entryFile();
    await chmod(file, 0o644);
    expect(await dropSessionEntries(dir, SESSION)).toEqual({ dropped: 0 });
    await chmod(file, 0o600);
    expect(await dropSessionEntries(dir, SESSION, 4242)).toMatchObject({ dropped: 0, problem: expect.stringMatching(/belongs to another user/) });
    expect((await readdir(dir)).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  });
});
