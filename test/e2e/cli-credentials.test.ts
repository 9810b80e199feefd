/**
 * Drives the real `bin/sentinel credentials` against the local stack
 * (examples/policy.yaml), directly and as the `credential_process` of real AWS SDKs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';

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
let dir: string;
/** An AWS config file with credential_process profiles, as a user would write it. */
let configFile: string;

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-credentials-'));
  configFile = path.join(dir, 'config');
  await writeFile(
    configFile,
    [
      '[profile sentinel-dev]',
      `credential_process = ${BIN} --aws-profile alice credentials --profile dev`,
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
    // A table that does not exist would be refused if it were sent.
    const result = await sentinel(stack.env('alice', { SENTINEL_SESSION_TABLE: 'sentinel-no-such-table' }), 'credentials', '--profile', 'dev');
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
