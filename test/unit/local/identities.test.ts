import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { createLocalIdentities, localArn, localRoleId, readSharedCredentialsFile, verifierIdentities, writeSharedCredentialsFile } from '../../../src/local/identities.js';

/** One of each kind, as the local stack makes them. */
const MIXED = [{ name: 'alice', role: 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468' }, 'erin', { name: 'ci-42', role: 'deploy' }];

const ACCOUNT = '000000000000';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentinel-identities-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createLocalIdentities', () => {
  it('makes alice, bob and admin as IAM users of the account, with AWS-shaped keys', () => {
    const identities = createLocalIdentities(ACCOUNT);
    expect(identities.map((i) => i.name)).toEqual(['alice', 'bob', 'admin']);
    for (const identity of identities) {
      expect(identity.arn).toBe(`arn:aws:iam::${ACCOUNT}:user/${identity.name}`);
      expect(identity.accountId).toBe(ACCOUNT);
      expect(identity.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(identity.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
      expect(identity.userId).toMatch(/^AIDA[A-Z2-7]{16}$/);
    }
    expect(new Set(identities.map((i) => i.accessKeyId)).size).toBe(3);
    expect(new Set(identities.map((i) => i.secretAccessKey)).size).toBe(3);
  });

  it('makes role sessions with the ARN and unique id API Gateway reports for an assumed role', () => {
    const [alice, erin, ci] = createLocalIdentities(ACCOUNT, MIXED);
    expect(alice).toMatchObject({
      name: 'alice',
      role: 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice`,
      accountId: ACCOUNT,
      userId: `${localRoleId(ACCOUNT, 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468')}:alice`,
    });
    expect(alice?.userId).toMatch(/^AROA[A-Z2-7]{17}:alice$/);
    expect(erin).toMatchObject({ name: 'erin', arn: `arn:aws:iam::${ACCOUNT}:user/erin` });
    expect(erin?.role).toBeUndefined();
    expect(ci).toMatchObject({ name: 'ci-42', role: 'deploy', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-42` });
  });

  it('gives every session of a role the same unique id, and other roles and accounts other ones', () => {
    const [a, b] = createLocalIdentities(ACCOUNT, [
      { name: 'alice', role: 'deploy' },
      { name: 'bob', role: 'deploy' },
    ]);
    expect(a?.userId.split(':')[0]).toBe(b?.userId.split(':')[0]);
    expect(localRoleId(ACCOUNT, 'deploy')).toBe(localRoleId(ACCOUNT, 'deploy'));
    expect(localRoleId(ACCOUNT, 'deploy')).not.toBe(localRoleId(ACCOUNT, 'deploy2'));
    expect(localRoleId(ACCOUNT, 'deploy')).not.toBe(localRoleId('111122223333', 'deploy'));
  });

  it('refuses role and session names IAM and STS would refuse', () => {
    expect(() => createLocalIdentities(ACCOUNT, [{ name: 'a', role: 'deploy' }])).toThrow(/not a valid role session name/);
    expect(() => createLocalIdentities(ACCOUNT, [{ name: 'alice', role: 'bad role' }])).toThrow(/not a valid IAM role name/);
    expect(localArn(ACCOUNT, 'erin')).toBe(`arn:aws:iam::${ACCOUNT}:user/erin`);
  });

  it('takes other names, and refuses names IAM would refuse and malformed accounts', () => {
    expect(createLocalIdentities('111122223333', ['ops-erin']).map((i) => i.arn)).toEqual(['arn:aws:iam::111122223333:user/ops-erin']);
    expect(() => createLocalIdentities(ACCOUNT, ['bad name'])).toThrow(SentinelError);
    expect(() => createLocalIdentities('123', ['alice'])).toThrow(/12-digit account id/);
  });

  it('gives the verifier what API Gateway would report, never the name', () => {
    const [alice] = createLocalIdentities(ACCOUNT, ['alice']);
    expect(verifierIdentities([alice!]).get(alice!.accessKeyId)).toEqual({
      secretAccessKey: alice!.secretAccessKey,
      arn: alice!.arn,
      accountId: ACCOUNT,
      userId: alice!.userId,
    });
  });
});

describe('shared credentials file', () => {
  it('round-trips: a restarted stack gets the same keys, ARNs and user ids', async () => {
    const path = join(dir, 'state', 'credentials');
    const identities = createLocalIdentities(ACCOUNT);
    await writeSharedCredentialsFile(path, identities, 'eu-west-1');
    expect(await readSharedCredentialsFile(path)).toEqual(identities);
  });

  it('round-trips role sessions: profile named after the session, the role in the ARN', async () => {
    const path = join(dir, 'credentials');
    const identities = createLocalIdentities(ACCOUNT, MIXED);
    await writeSharedCredentialsFile(path, identities, 'eu-west-1');
    expect(await readSharedCredentialsFile(path)).toEqual(identities);
    expect(await readFile(path, 'utf8')).toContain(`[ci-42]\naws_access_key_id = ${identities[2]!.accessKeyId}\n`);
  });

  it('is an AWS shared credentials file with one profile per identity', async () => {
    const path = join(dir, 'credentials');
    const [alice, bob] = createLocalIdentities(ACCOUNT, ['alice', 'bob']);
    await writeSharedCredentialsFile(path, [alice!, bob!], 'eu-west-1');
    const text = await readFile(path, 'utf8');
    expect(text).toContain(`[alice]\naws_access_key_id = ${alice!.accessKeyId}\naws_secret_access_key = ${alice!.secretAccessKey}\nregion = eu-west-1\n`);
    expect(text).toContain(`[bob]\naws_access_key_id = ${bob!.accessKeyId}\n`);
  });

  it('is readable only by its owner, in a directory only its owner can enter', async () => {
    const path = join(dir, 'fresh', 'credentials');
    await writeSharedCredentialsFile(path, createLocalIdentities(ACCOUNT), 'us-east-1');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'fresh'))).mode & 0o777).toBe(0o700);
  });

  it('replaces an existing file whole and leaves no temporary file behind', async () => {
    const path = join(dir, 'credentials');
    await writeFile(path, 'old contents that are much longer than anything else '.repeat(100), { mode: 0o644 });
    const identities = createLocalIdentities(ACCOUNT, ['alice']);
    await writeSharedCredentialsFile(path, identities, 'us-east-1');
    expect(await readSharedCredentialsFile(path)).toEqual(identities);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['credentials']);
  });

  it('reads as undefined when missing or malformed, so the stack makes fresh identities', async () => {
    expect(await readSharedCredentialsFile(join(dir, 'missing'))).toBeUndefined();
    const good = `[alice]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = ${'a'.repeat(40)}\nsentinel_local_arn = arn:aws:iam::${ACCOUNT}:user/alice\n`;
    const cases = [
      '',
      'not an ini file',
      good.replace('AKIAAAAAAAAAAAAAAAAA', 'AKIA123'),
      good.replace('a'.repeat(40), 'short'),
      good.replace(`sentinel_local_arn = arn:aws:iam::${ACCOUNT}:user/alice\n`, ''),
      good.replace('user/alice', 'user/bob'),
      good.replace(`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/bob`),
      good.replace(`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:sts::${ACCOUNT}:assumed-role/alice`),
      good + good,
    ];
    for (const [index, text] of cases.entries()) {
      const path = join(dir, `case-${index}`);
      await writeFile(path, text);
      expect(await readSharedCredentialsFile(path), `case ${index}`).toBeUndefined();
    }
    const path = join(dir, 'good');
    await writeFile(path, `# comment\n${good}`);
    expect((await readSharedCredentialsFile(path))?.map((i) => i.arn)).toEqual([`arn:aws:iam::${ACCOUNT}:user/alice`]);
  });
});
