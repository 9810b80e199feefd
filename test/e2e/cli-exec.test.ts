/**
 * Drives the real `bin/sentinel exec` against the local stack (examples/policy.yaml):
 * the environment of the command, exit codes and signals, the guidance of the three
 * server-mode denials followed to the letter, and the credential endpoint of
 * `--server` as the child and real AWS SDKs see it.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromIni } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/api/client.js';
import { resolveApiSettings } from '../../src/cli/api/settings.js';
import type { SentinelApi } from '../../src/cli/api/types.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function sentinel(env: NodeJS.ProcessEnv, args: readonly string[], onStdout?: (text: string, pid: number) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, child.pid ?? 0);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * A child that prints what it sees as one JSON line: the Sentinel variables, the region,
 * whether AWS_PROFILE leaked, and the access key ids it got — from its environment, or
 * from the credential endpoint (fetched `FETCHES` times, default once) in server mode.
 */
const PRINT_ENV = `
const env = process.env;
(async () => {
  const keys = [];
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    for (let i = 0; i < Number(env.FETCHES ?? 1); i++) {
      const response = await fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN } });
      const body = await response.json();
      keys.push(response.status === 200 ? body.AccessKeyId : response.status);
    }
  } else {
    keys.push(env.AWS_ACCESS_KEY_ID ?? null);
  }
  console.log(JSON.stringify({
    profile: env.SENTINEL_PROFILE ?? null,
    session: env.SENTINEL_SESSION_ID ?? null,
    region: env.AWS_REGION ?? null,
    defaultRegion: env.AWS_DEFAULT_REGION ?? null,
    awsProfile: env.AWS_PROFILE ?? null,
    hasSecret: Boolean(env.AWS_SECRET_ACCESS_KEY && env.AWS_SESSION_TOKEN && env.AWS_CREDENTIAL_EXPIRATION),
    endpoint: env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? null,
    keys,
  }));
})();
`;

interface Printed {
  profile: string | null;
  session: string | null;
  region: string | null;
  defaultRegion: string | null;
  awsProfile: string | null;
  hasSecret: boolean;
  endpoint: string | null;
  keys: Array<string | number | null>;
}

function printed(result: Result): Printed {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Printed;
}

/** Splits a command line as a POSIX shell would, for the quoting the guidance uses (bare words, '…', '\''). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line.charAt(i);
    if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === '\\') {
      word = (word ?? '') + line.charAt(i + 1);
      i += 1;
    } else if (char === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `sentinel …` command after "Use: " in the guidance (up to the line that follows it), as arguments for bin/sentinel. */
function suggestedCommand(stderr: string): string[] {
  const start = stderr.indexOf('Use: sentinel ');
  const end = stderr.indexOf(`\n${NEVER_BYPASSED}`);
  expect(start, stderr).toBeGreaterThan(0);
  expect(end, stderr).toBeGreaterThan(start);
  const words = shellWords(stderr.slice(start + 'Use: '.length, end));
  expect(words[0]).toBe('sentinel');
  return words.slice(1);
}

const CHILD = ['node', '-e', PRINT_ENV];

/** The API client as alice, to look at sessions after the fact. */
function alice(): SentinelApi {
  return createApiClient(resolveApiSettings({ api: stack.stack.url }, {}), {
    credentials: fromIni({ profile: 'alice', filepath: stack.stack.credentialsFile, configFilepath: stack.env()['AWS_CONFIG_FILE'] ?? '' }),
  });
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  // The first run may rebuild a stale bundle; do it here rather than inside a test.
  await sentinel(stack.env(), ['--version']);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('sentinel exec (cli mode)', () => {
  it('runs the command with the vended credentials, the region and the session, without the caller AWS_PROFILE', async () => {
    const seen = printed(await sentinel(stack.env(), ['exec', '--profile', 'dev', '--', ...CHILD]));
    expect(seen).toMatchObject({
      profile: 'dev',
      region: 'eu-west-1',
      defaultRegion: 'eu-west-1',
      awsProfile: null,
      hasSecret: true,
      endpoint: null,
    });
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/)]);
    // The local stack tracks every issuance in sentinel-sessions by default.
    expect(seen.session).toMatch(/^[0-9a-f]{32}$/);
  });

  it('passes the exit code on', async () => {
    const result = await sentinel(stack.env(), ['exec', '--profile', 'dev', '--', 'node', '-e', 'process.exit(7)']);
    expect(result).toMatchObject({ code: 7, stdout: '', stderr: '' });
  });

  it('passes arguments through verbatim: spaces, quotes and shell characters reach the command untouched', async () => {
    const args = ['two words', "it's", '"double"', '$HOME', '*', '; echo injected', 'back\\slash'];
    const result = await sentinel(stack.env(), ['exec', '--profile', 'dev', '--', 'node', '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(args);
  });

  it('refuses to nest', async () => {
    const result = await sentinel(stack.env('alice', { SENTINEL_PROFILE: 'dev' }), ['exec', '--profile', 'dev', '--', 'node', '-e', 'console.log("ran")']);
    expect(result).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'sentinel: already running under "sentinel exec" for profile "dev" (SENTINEL_PROFILE is set): exit that command or shell first\n',
    });
  });

  it('forwards SIGTERM to the command and waits for it', async () => {
    const script = "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);";
    let signalled = false;
    const result = await sentinel(stack.env(), ['exec', '--profile', 'dev', '--', 'node', '-e', script], (stdout, pid) => {
      if (!signalled && stdout.includes('ready')) {
        signalled = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    expect(result).toMatchObject({ code: 42, signal: null, stdout: 'ready\ngot SIGTERM\n', stderr: '' });
  });

  it('is a usage error (exit 2) for a duration outside 15m–12h', async () => {
    const result = await sentinel(stack.env(), ['exec', '--profile', 'dev', '--duration', '5m', '--', 'node', '-e', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: option '--duration <duration>' argument '5m' is invalid.");
  });

  it('is a usage error (exit 2) for a profile name the API would refuse (over 64 characters), before any request', async () => {
    const result = await sentinel(stack.env(), ['exec', '--profile', 'p'.repeat(65), '--', 'node', '-e', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Profile names are 1 to 64 letters, digits, "_", "." and "-".');
  });

  it('asks for the duration given', async () => {
    const script = 'console.log(Math.round((Date.parse(process.env.AWS_CREDENTIAL_EXPIRATION) - Date.now()) / 60000))';
    const result = await sentinel(stack.env(), ['exec', '--profile', 'dev', '--duration', '15m', '--', 'node', '-e', script]);
    expect(result.code).toBe(0);
    expect(Number(result.stdout)).toBe(15);
  });
});

describe('the guidance of a server-mode denial, followed', () => {
  it('prod without --server: names the full exec command with the user command, and that command works', async () => {
    const denied = await sentinel(stack.env(), ['exec', '--profile', 'prod', '--', ...CHILD]);
    expect(denied.code).toBe(3);
    expect(denied.stdout).toBe('');
    const suggestion = suggestedCommand(denied.stderr);
    expect(suggestion).toEqual(['exec', '--server', '--session-table', 'sentinel-sessions', '--profile', 'prod', '--', ...CHILD]);
    expect(denied.stderr).toBe(
      `policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- node -e '${PRINT_ENV}'\n${NEVER_BYPASSED}\n`,
    );

    const seen = printed(await sentinel(stack.env(), suggestion));
    expect(seen).toMatchObject({ profile: 'prod', region: 'eu-west-1', hasSecret: false, endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/) });
    expect(seen.session).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/)]);
  });

  it('staging without --server: "Add --server flag", and adding it works', async () => {
    const denied = await sentinel(stack.env(), ['exec', '--profile', 'staging', '--', ...CHILD]);
    expect(denied).toMatchObject({ code: 3, stdout: '', stderr: `policy requires server mode for profile "staging". Add --server flag\n${NEVER_BYPASSED}\n` });

    const seen = printed(await sentinel(stack.env(), ['exec', '--server', '--profile', 'staging', '--', ...CHILD]));
    expect(seen).toMatchObject({ profile: 'staging', region: 'eu-west-1' });
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/)]);
  });

  it('with --output json: the structured error and its guidance on stdout, still exit 3', async () => {
    const denied = await sentinel(stack.env(), ['--output', 'json', 'exec', '--profile', 'staging', '--', 'node', '-e', '0']);
    expect(denied.code).toBe(3);
    expect(JSON.parse(denied.stdout)).toMatchObject({
      error: {
        code: 'SERVER_MODE_REQUIRED',
        denial: { profile: 'staging', requiresServerMode: true, requiresSessionTracking: false, mode: 'cli' },
        guidance: `policy requires server mode for profile "staging". Add --server flag\n${NEVER_BYPASSED}`,
      },
    });
  });
});

describe('sentinel exec --server', () => {
  it('answers every request of the command from the credentials of one session, then ends the session', async () => {
    const seen = printed(await sentinel(stack.env('alice', { FETCHES: '2' }), ['exec', '--server', '--profile', 'prod', '--', ...CHILD]));
    expect(seen.keys).toHaveLength(2);
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/), expect.stringMatching(/^ASIASENTINELDEV/)]);
    // Both requests were answered from what the endpoint holds: one issuance, one key pair.
    expect(seen.keys[0]).toBe(seen.keys[1]);
    expect(seen.session).toMatch(/^[0-9a-f]{32}$/);

    // The session is over: a refresh of it as alice is refused.
    await expect(
      alice().credentials({ profile: 'prod', mode: 'server', sessionId: seen.session ?? '', sessionTable: 'sentinel-sessions' }),
    ).rejects.toMatchObject({ code: 'SESSION_ENDED' });
  });

  it('dies by the signal that killed the command, after ending the session', async () => {
    const script = "console.log(process.env.SENTINEL_SESSION_ID); process.kill(process.pid, 'SIGTERM')";
    const result = await sentinel(stack.env(), ['exec', '--server', '--profile', 'prod', '--', 'node', '-e', script]);
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM', stderr: '' });
    const sessionId = result.stdout.trim();
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    await expect(alice().credentials({ profile: 'prod', mode: 'server', sessionId, sessionTable: 'sentinel-sessions' })).rejects.toMatchObject({
      code: 'SESSION_ENDED',
    });
  });

  it('keeps other local callers out: a request without the token is refused', async () => {
    const script = `
      (async () => {
        const url = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
        const none = await fetch(url);
        const wrong = await fetch(url, { headers: { authorization: 'x'.repeat(43) } });
        console.log(JSON.stringify([none.status, wrong.status, await wrong.json()]));
      })();`;
    const result = await sentinel(stack.env(), ['exec', '--server', '--profile', 'dev', '--', 'node', '-e', script]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([403, 403, { code: 'FORBIDDEN', message: 'missing or wrong authorization token' }]);
  });

  it('works with the AWS SDK for JavaScript credential chain in the command', async () => {
    const script = `
      import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
      const credentials = await fromNodeProviderChain()();
      console.log(credentials.accessKeyId.slice(0, 15));`;
    const result = await sentinel(stack.env(), ['exec', '--server', '--profile', 'prod', '--', 'node', '--input-type=module', '-e', script]);
    expect(result).toMatchObject({ code: 0, stdout: 'ASIASENTINELDEV\n' });
  });

  const botocore = spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!botocore)('works with botocore (the AWS CLI, boto3) in the command', async () => {
    const script = 'import botocore.session; print(botocore.session.get_session().get_credentials().get_frozen_credentials().access_key[:15])';
    const result = await sentinel(stack.env(), ['exec', '--server', '--profile', 'prod', '--', 'python3', '-c', script]);
    expect(result).toMatchObject({ code: 0, stdout: 'ASIASENTINELDEV\n' });
  });
});

describe('with no default session table', () => {
  let bare: TestStack;
  beforeAll(async () => {
    bare = await startTestStack({ defaultSessionTable: null });
  }, 90_000);
  afterAll(async () => {
    await bare?.stop();
  });

  it('prod with --server asks for a table ("Add --session-table <table> flag"), and naming one works', async () => {
    const denied = await sentinel(bare.env(), ['exec', '--server', '--profile', 'prod', '--', ...CHILD]);
    expect(denied).toMatchObject({
      code: 3,
      stdout: '',
      stderr: `policy requires session tracking for profile "prod". Add --session-table <table> flag\n${NEVER_BYPASSED}\n`,
    });

    const seen = printed(await sentinel(bare.env(), ['exec', '--server', '--session-table', 'sentinel-sessions', '--profile', 'prod', '--', ...CHILD]));
    expect(seen.session).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/)]);
  });

  it('SENTINEL_SESSION_TABLE names the table too', async () => {
    const seen = printed(await sentinel(bare.env('alice', { SENTINEL_SESSION_TABLE: 'sentinel-sessions' }), ['exec', '--server', '--profile', 'prod', '--', ...CHILD]));
    expect(seen.session).toMatch(/^[0-9a-f]{32}$/);
  });

  it('dev is untracked: no SENTINEL_SESSION_ID, and the endpoint still serves every request', async () => {
    const seen = printed(await sentinel(bare.env('alice', { FETCHES: '2' }), ['exec', '--server', '--profile', 'dev', '--', ...CHILD]));
    expect(seen.session).toBeNull();
    expect(seen.keys).toEqual([expect.stringMatching(/^ASIASENTINELDEV/), expect.stringMatching(/^ASIASENTINELDEV/)]);
  });
});
