/**
 * Drives the real `bin/sentinel credentials` against the local stack
 * (examples/policy.yaml), directly and as the `credential_process` of real AWS SDKs,
 * and counts the stack's issuances (its decision lines) to show what the cache saves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedDecision, TestStack } from '../support/localStack.js';
import { decisionRecorder, startTestStack } from '../support/localStack.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sentinel = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> => run(BIN, args, env);

let stack: TestStack;
/** The stack's decision lines, one per credential request. */
let decisions: RecordedDecision[];
let dir: string;
/** An AWS config file with credential_process profiles, as a user would write it. */
let configFile: string;

beforeAll(async () => {
  const recorder = decisionRecorder();
  decisions = recorder.decisions;
  stack = await startTestStack({ logger: recorder.logger });
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-credentials-'));
  configFile = path.join(dir, 'config');
  await writeFile(
    configFile,
    [
      '[profile sentinel-dev]',
      `credential_process = ${BIN} --aws-profile alice credentials --profile dev`,
      '',
      '[profile sentinel-dev-no-cache]',
      `credential_process = ${BIN} --aws-profile alice credentials --profile dev --no-cache`,
      '',
      '[profile sentinel-prod]',
      `credential_process = ${BIN} --aws-profile alice credentials --profile prod`,
      '',
      // The mistake the loop guard is for: no --aws-profile, so sentinel signs with this very profile.
      '[profile sentinel-loop]',
      `credential_process = ${BIN} credentials --profile dev`,
      '',
    ].join('\n'),
  );
  // The first run may rebuild a stale bundle; do it here rather than inside a test.
  await sentinel(stack.env(), '--version');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel credentials', () => {
  it('prints the credential_process document, Version 1, and nothing else', async () => {
    const result = await sentinel(stack.env(), 'credentials', '--profile', 'dev');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.endsWith('}\n')).toBe(true);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(document).toEqual({
      Version: 1,
      AccessKeyId: expect.stringMatching(/^ASIASENTINELDEV/),
      SecretAccessKey: expect.stringMatching(/^sentinel-dev-/),
      SessionToken: expect.stringMatching(/^sentinel-dev:/),
      Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
  });

  it('asks for the duration given', async () => {
    const result = await sentinel(stack.env(), 'credentials', '--profile', 'dev', '--duration', '15m');
    expect(result.code).toBe(0);
    const { Expiration } = JSON.parse(result.stdout) as { Expiration: string };
    expect(Math.round((Date.parse(Expiration) - Date.now()) / 60_000)).toBe(15);
  });

  it('prod: exit 3, nothing on stdout, the credential_process wording with the exec command that works', async () => {
    const result = await sentinel(stack.env(), 'credentials', '--profile', 'prod');
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'policy requires server mode with session tracking for profile "prod", and credential_process does not support server mode or session tracking. ' +
        `Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n${NEVER_BYPASSED}\n`,
    });
  });

  it('staging: exit 3, nothing on stdout, the credential_process wording', async () => {
    const result = await sentinel(stack.env(), 'credentials', '--profile', 'staging');
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'policy requires server mode for profile "staging", and credential_process does not support server mode or session tracking. ' +
        `Use: sentinel exec --server --profile staging -- <cmd>\n${NEVER_BYPASSED}\n`,
    });
  });

  it('with --output json, the error document goes to stderr: stdout stays for credentials only', async () => {
    const result = await sentinel(stack.env(), '--output', 'json', 'credentials', '--profile', 'staging');
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'SERVER_MODE_REQUIRED', denial: { mode: 'credential_process', profile: 'staging' } } });
  });

  it('sends no session table: SENTINEL_SESSION_TABLE is not for credential_process', async () => {
    // A table that does not exist would be refused if it were sent (and the cache would hide it).
    const result = await sentinel(stack.env('alice', { SENTINEL_SESSION_TABLE: 'sentinel-no-such-table' }), 'credentials', '--profile', 'dev', '--no-cache');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ Version: 1 });
  });

  it('has no --session-table option', async () => {
    const result = await sentinel(stack.env(), 'credentials', '--profile', 'prod', '--session-table', 'sentinel-sessions');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: unknown option '--session-table'");
  });

  it('reports a missing API URL on stderr, exit 1, stdout empty', async () => {
    const env = stack.env();
    delete env['SENTINEL_API_URL'];
    const result = await sentinel(env, 'credentials', '--profile', 'dev');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^sentinel: .*SENTINEL_API_URL/);
  });
});

describe('sentinel credentials as credential_process', () => {
  const sdkEnv = (profile: string): NodeJS.ProcessEnv => ({ ...stack.env(), AWS_CONFIG_FILE: configFile, AWS_PROFILE: profile });

  it('gives the AWS SDK for JavaScript its credentials', async () => {
    const script = `
      import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
      const credentials = await fromNodeProviderChain()();
      console.log(credentials.accessKeyId.slice(0, 15), credentials.expiration instanceof Date);`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], sdkEnv('sentinel-dev'));
    expect(result).toMatchObject({ code: 0, stdout: 'ASIASENTINELDEV true\n' });
  });

  const botocore = spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!botocore)('gives botocore (the AWS CLI, boto3) its credentials, and its denial on stderr', async () => {
    const script = 'import botocore.session; print(botocore.session.get_session().get_credentials().get_frozen_credentials().access_key[:15])';
    const granted = await run('python3', ['-c', script], sdkEnv('sentinel-dev'));
    expect(granted).toMatchObject({ code: 0, stdout: 'ASIASENTINELDEV\n' });
    const denied = await run('python3', ['-c', script], sdkEnv('sentinel-prod'));
    expect(denied.code).not.toBe(0);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('credential_process does not support server mode or session tracking');
  });

  it('stops, rather than recursing, when the signing profile is the credential_process profile itself', async () => {
    const result = await sentinel(sdkEnv('sentinel-loop'), 'credentials', '--profile', 'dev');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('sentinel');
  });
});

/** Issuances the stack made for `profile` in credential_process mode, so far. */
const issuances = (profile = 'dev'): number => decisions.filter((line) => line.outcome === 'issued' && line.mode === 'credential_process' && line.profile === profile).length;

describe('sentinel credentials: the cache', () => {
  it('caches under $XDG_CACHE_HOME/sentinel/credentials (0700, files 0600) and reuses it: one issuance for two runs', async () => {
    const cacheHome = await mkdtemp(path.join(tmpdir(), 'sentinel-xdg-'));
    const env = stack.env('alice', { XDG_CACHE_HOME: cacheHome });
    const before = issuances();
    const first = await sentinel(env, '--aws-profile', 'alice', 'credentials', '--profile', 'dev');
    const second = await sentinel(env, '--aws-profile', 'alice', 'credentials', '--profile', 'dev');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(second).toEqual(first);
    expect(issuances() - before).toBe(1);
    const folder = path.join(cacheHome, 'sentinel', 'credentials');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    const names = await readdir(folder);
    expect(names).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect((await stat(path.join(folder, names[0] as string))).mode & 0o777).toBe(0o600);
    await rm(cacheHome, { recursive: true, force: true });
  });

  it('keeps the session id with the entry; sessions end of that session removes it, and the next run asks the API', async () => {
    const cacheHome = await mkdtemp(path.join(tmpdir(), 'sentinel-xdg-end-'));
    const env = stack.env('alice', { XDG_CACHE_HOME: cacheHome });
    const folder = path.join(cacheHome, 'sentinel', 'credentials');
    const first = await sentinel(env, '--aws-profile', 'alice', 'credentials', '--profile', 'dev');
    expect(first.code).toBe(0);
    const [name] = await readdir(folder);
    const entry = JSON.parse(await readFile(path.join(folder, name as string), 'utf8')) as { sessionId?: string };
    expect(entry.sessionId).toMatch(/^[0-9a-f]{32}$/);
    const ended = await sentinel(env, '--aws-profile', 'alice', 'sessions', 'end', entry.sessionId as string);
    expect(ended).toMatchObject({ code: 0, stderr: '' });
    expect(ended.stdout).toContain("removed its credentials from this machine's credentials cache (sentinel credentials asks the API next time)");
    expect(await readdir(folder)).toEqual([]);
    const before = issuances();
    const again = await sentinel(env, '--aws-profile', 'alice', 'credentials', '--profile', 'dev');
    expect(again.code).toBe(0);
    expect(issuances() - before).toBe(1);
    expect((JSON.parse(again.stdout) as { AccessKeyId: string }).AccessKeyId).not.toBe((JSON.parse(first.stdout) as { AccessKeyId: string }).AccessKeyId);
    await rm(cacheHome, { recursive: true, force: true });
  });

  it('without XDG_CACHE_HOME caches under ~/.cache/sentinel/credentials, never in SENTINEL_CACHE_DIR', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sentinel-home-'));
    const env = stack.env('alice', { HOME: home, SENTINEL_CACHE_DIR: path.join(home, 'dynamodb-cache') });
    delete env['XDG_CACHE_HOME'];
    expect((await sentinel(env, 'credentials', '--profile', 'dev')).code).toBe(0);
    expect(await readdir(path.join(home, '.cache', 'sentinel', 'credentials'))).toHaveLength(1);
    expect(existsSync(path.join(home, 'dynamodb-cache'))).toBe(false);
    await rm(home, { recursive: true, force: true });
  });
});

const AWS_CLI = '/usr/bin/aws';

describe.skipIf(!existsSync(AWS_CLI))('sentinel credentials: the cache under the AWS CLI (credential_process)', () => {
  let cacheHome: string;
  let folder: string;

  beforeAll(async () => {
    cacheHome = await mkdtemp(path.join(tmpdir(), 'sentinel-aws-cli-'));
    folder = path.join(cacheHome, 'sentinel', 'credentials');
  });

  afterAll(async () => {
    if (cacheHome !== undefined) await rm(cacheHome, { recursive: true, force: true });
  });

  /** `aws configure export-credentials --profile P`: the AWS CLI runs the profile's credential_process afresh every time. */
  async function exportCredentials(profile: string): Promise<{ AccessKeyId: string }> {
    const env = stack.env('alice', { AWS_CONFIG_FILE: configFile, XDG_CACHE_HOME: cacheHome, AWS_EC2_METADATA_DISABLED: 'true' });
    const result = await run(AWS_CLI, ['configure', 'export-credentials', '--profile', profile, '--format', 'process'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as { AccessKeyId: string };
  }

  async function entryFile(): Promise<string> {
    const names = await readdir(folder);
    expect(names).toHaveLength(1);
    return path.join(folder, names[0] as string);
  }

  it('20 aws commands make exactly 1 issuance', async () => {
    const before = issuances();
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) keys.add((await exportCredentials('sentinel-dev')).AccessKeyId);
    expect(issuances() - before).toBe(1);
    expect([...keys]).toEqual([expect.stringMatching(/^ASIASENTINELDEV/)]);
  }, 120_000);

  it('does not use a cache file whose accessKeyId was edited: a new issuance replaces it', async () => {
    const file = await entryFile();
    const entry = JSON.parse(await readFile(file, 'utf8')) as { credentials: { accessKeyId: string } };
    const tampered = 'ASIASENTINELDEVEDITD';
    await writeFile(file, JSON.stringify({ ...entry, credentials: { ...entry.credentials, accessKeyId: tampered } }), { mode: 0o600 });
    const before = issuances();
    const got = await exportCredentials('sentinel-dev');
    expect(got.AccessKeyId).not.toBe(tampered);
    expect(got.AccessKeyId).not.toBe(entry.credentials.accessKeyId);
    expect(issuances() - before).toBe(1);
    expect((await exportCredentials('sentinel-dev')).AccessKeyId).toBe(got.AccessKeyId);
    expect(issuances() - before).toBe(1);
  }, 30_000);

  it('does not use a cache file others can read (chmod 0644): a new issuance replaces it with a 0600 one', async () => {
    const file = await entryFile();
    const cached = (JSON.parse(await readFile(file, 'utf8')) as { credentials: { accessKeyId: string } }).credentials.accessKeyId;
    await chmod(file, 0o644);
    const before = issuances();
    expect((await exportCredentials('sentinel-dev')).AccessKeyId).not.toBe(cached);
    expect(issuances() - before).toBe(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  }, 30_000);

  it('--no-cache issues every time and leaves the cache as it was', async () => {
    const file = await entryFile();
    const text = await readFile(file, 'utf8');
    const before = issuances();
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) keys.add((await exportCredentials('sentinel-dev-no-cache')).AccessKeyId);
    expect(issuances() - before).toBe(3);
    expect(keys.size).toBe(3);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(await readdir(folder)).toHaveLength(1);
  }, 60_000);
});
