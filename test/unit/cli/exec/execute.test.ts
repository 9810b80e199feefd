/**
 * `sentinel exec` end to end inside this process: the real command definition and
 * action, a fake API, real child processes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import type { ErrorCode } from '../../../../src/api/contract.js';
import type { Denial } from '../../../../src/api/denial.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { execCommand } from '../../../../src/cli/commands/exec.js';
import { executeCommand } from '../../../../src/cli/exec/execute.js';

const NODE = process.execPath;
const SESSION = { id: 'f05bac6542fb82bd0ea7e54d1d3f76fe', table: 'sentinel-sessions', expiresAt: '2030-01-01T00:15:00.000Z' };

function fakeApi(answer: (body: CredentialsRequest, n: number) => CredentialsResponse | Error) {
  const calls: CredentialsRequest[] = [];
  const api = {
    credentials: vi.fn(async (body: CredentialsRequest) => {
      calls.push(body);
      const result = answer(body, calls.length);
      if (result instanceof Error) throw result;
      return result;
    }),
    endSession: vi.fn(async (id: string) => ({ id, status: 'ended' as const, endedAt: '2030-01-01T00:05:00.000Z' })),
    checkSession: vi.fn(async (id: string) => ({
      session: { id, status: 'active' as const, expiresAt: SESSION.expiresAt, lastAccessAt: '2030-01-01T00:05:00.000Z', requestCount: 2 },
      decision: { effect: 'allow' as const, rule: 'prod-tracked' },
      policyVersion: 1,
    })),
  };
  return { api: api as unknown as SentinelApi & typeof api, calls };
}

function granted(n: number, session: typeof SESSION | null = SESSION): CredentialsResponse {
  return {
    credentials: {
      accessKeyId: `ASIASENTINELDEV${String(n).padStart(5, '0')}`,
      secretAccessKey: `sentinel-dev-secret-${n}`,
      sessionToken: `sentinel-dev:token-${n}`,
      expiration: '2030-01-01T00:15:00.000Z',
    },
    session,
    sourceIdentity: 'sentinel.alice.direct.4973b874',
    profile: 'prod',
    region: 'eu-west-1',
    decision: { effect: 'allow', rule: 'prod-tracked' },
  };
}

function denied(code: ErrorCode, denial: Partial<Denial>): ApiError {
  return new ApiError(code, 'access to profile "prod" is denied', {
    status: 403,
    denial: {
      effect: 'deny',
      rule: 'prod-tracked',
      reason: 'Production needs tracked server sessions',
      requiresServerMode: true,
      requiresSessionTracking: true,
      sessionTable: 'sentinel-sessions',
      mode: 'cli',
      profile: 'prod',
      alternatives: [],
      ...denial,
    },
  });
}

/** Runs `sentinel <argv>` with the real exec definition and `api`; collects what sentinel itself writes. */
async function sentinel(api: SentinelApi, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const exec = execCommand()
    .exitOverride()
    .action(async (args: string[], options, command: Command) => {
      process.exitCode = await executeCommand(args, options, command, async () => api);
    });
  const program = new Command('sentinel').exitOverride().addOption(new Option('--output <format>').default('text')).addCommand(exec);
  try {
    process.exitCode = undefined;
    await program.parseAsync(['node', 'sentinel', ...argv]);
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, stdout, stderr };
  } catch (error) {
    // As run() in src/cli/program.ts: commander's own errors are usage errors.
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    throw error;
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-exec-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.stubEnv('SENTINEL_PROFILE', undefined);
  vi.stubEnv('SENTINEL_SESSION_TABLE', undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** A child script that writes what it saw (env names, and fetched key ids) to a file as JSON. */
function reporter(file: string, fetches = 0): string[] {
  const script = `
    const env = process.env;
    const fetchOnce = async () => {
      const response = await fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN } });
      const body = await response.json();
      return { status: response.status, accessKeyId: body.AccessKeyId };
    };
    (async () => {
      const fetched = [];
      for (let i = 0; i < ${fetches}; i++) fetched.push(await fetchOnce());
      const seen = {};
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'SENTINEL_PROFILE', 'SENTINEL_SESSION_ID', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) seen[key] = env[key] ?? null;
      require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ seen, fetched }));
      process.exit(5);
    })();`;
  return [NODE, '-e', script];
}

describe('sentinel exec (cli mode)', () => {
  it('runs the command with the vended credentials and passes its exit code on', async () => {
    const file = path.join(dir, 'cli.json');
    const { api, calls } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--profile', 'prod', '--duration', '15m', '--', ...reporter(file));
    expect(result).toEqual({ code: 5, stdout: '', stderr: '' });
    expect(calls).toEqual([{ profile: 'prod', mode: 'cli', durationSeconds: 900 }]);
    const { seen } = JSON.parse(await readFile(file, 'utf8')) as { seen: Record<string, string | null> };
    expect(seen).toEqual({
      AWS_ACCESS_KEY_ID: 'ASIASENTINELDEV00001',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      SENTINEL_PROFILE: 'prod',
      SENTINEL_SESSION_ID: SESSION.id,
      AWS_PROFILE: null,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: null,
    });
    // No server session to end in cli mode: the keys stay valid until they expire.
    expect(api.endSession).not.toHaveBeenCalled();
  });

  it('sends the session table from SENTINEL_SESSION_TABLE', async () => {
    vi.stubEnv('SENTINEL_SESSION_TABLE', 'sentinel-team');
    const { api, calls } = fakeApi((_, n) => granted(n));
    expect((await sentinel(api, 'exec', '--profile', 'dev', '--', NODE, '-e', '0')).code).toBe(0);
    expect(calls).toEqual([{ profile: 'dev', mode: 'cli', sessionTable: 'sentinel-team' }]);
  });

  it('turns a denial into guidance naming the user command, exit 3, nothing on stdout, nothing run', async () => {
    const file = path.join(dir, 'never.json');
    const { api } = fakeApi(() => denied('SERVER_SESSION_REQUIRED', {}));
    const result = await sentinel(api, 'exec', '--profile', 'prod', '--', 'node', '-e', 'console.log("hi there")', file);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- node -e \'console.log("hi there")\' ' +
        `${file}\nThis requirement can never be bypassed by an access request or break-glass.\n`,
    );
    await expect(readFile(file)).rejects.toThrow();
  });

  it('refuses to nest', async () => {
    vi.stubEnv('SENTINEL_PROFILE', 'dev');
    const { api } = fakeApi((_, n) => granted(n));
    await expect(sentinel(api, 'exec', '--profile', 'prod', '--', NODE, '-e', '0')).rejects.toMatchObject({
      code: 'NESTED_EXEC',
      message: 'already running under "sentinel exec" for profile "dev" (SENTINEL_PROFILE is set): exit that command or shell first',
    });
    expect(api.credentials).not.toHaveBeenCalled();
  });

  it('says so when the command cannot be started: exit 127', async () => {
    const { api } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--profile', 'dev', '--', 'sentinel-no-such-command-x');
    expect(result).toEqual({ code: 127, stdout: '', stderr: 'sentinel: cannot run "sentinel-no-such-command-x": command not found\n' });
  });

  it.each([
    [['--duration', '10m'], "error: option '--duration <duration>' argument '10m' is invalid."],
    [['--duration', '3600'], "error: option '--duration <duration>' argument '3600' is invalid."],
    [['--lazy'], "error: option '--lazy' needs --server"],
    [['--recheck', '30s'], "error: option '--recheck <duration>' needs --server"],
    [['--server', '--recheck', '4s'], "error: option '--recheck <duration>' argument '4s' is invalid. Expected a duration such as 30s, 1m or 5m, from 5s to 1h."],
    [['--server', '--recheck', '30'], "error: option '--recheck <duration>' argument '30' is invalid."],
    [['--server', '--recheck', '1h1s'], "error: option '--recheck <duration>' argument '1h1s' is invalid."],
    [['--server-port', '8080'], "error: option '--server-port <port>' needs --server"],
    [['--server', '--server-port', '70000'], "error: option '--server-port <port>' argument '70000' is invalid."],
    [['--profile', 'a b'], "error: option '--profile <profile>' argument 'a b' is invalid."],
  ])('is a usage error (exit 2) with %j', async (options, message) => {
    const { api } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--profile', 'dev', ...options, '--', NODE, '-e', '0');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(api.credentials).not.toHaveBeenCalled();
  });
});

describe('sentinel exec --server', () => {
  it('serves the child from the credentials it holds: one API call before it starts, none per request; then ends the session', async () => {
    const file = path.join(dir, 'server.json');
    const { api, calls } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--server', '--profile', 'prod', '--', ...reporter(file, 5));
    expect(result).toEqual({ code: 5, stdout: '', stderr: '' });
    const { seen, fetched } = JSON.parse(await readFile(file, 'utf8')) as { seen: Record<string, string | null>; fetched: unknown[] };
    expect(seen).toMatchObject({ AWS_ACCESS_KEY_ID: null, AWS_REGION: 'eu-west-1', SENTINEL_PROFILE: 'prod', SENTINEL_SESSION_ID: SESSION.id });
    expect(seen['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
    expect(fetched).toEqual(Array(5).fill({ status: 200, accessKeyId: 'ASIASENTINELDEV00001' }));
    expect(calls).toEqual([{ profile: 'prod', mode: 'server' }]);
    // Well within the first 30 s: no re-check yet.
    expect(api.checkSession).not.toHaveBeenCalled();
    expect(api.endSession).toHaveBeenCalledExactlyOnceWith(SESSION.id, { sessionTable: SESSION.table });
  });

  it('--recheck 5s: the endpoint re-checks the session every 5 s while the command runs', async () => {
    const { api } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--server', '--recheck', '5s', '--profile', 'prod', '--', NODE, '-e', 'setTimeout(() => {}, 5600)');
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.checkSession).toHaveBeenCalledExactlyOnceWith(SESSION.id, { profile: 'prod', sessionTable: SESSION.table });
  });

  it('with --lazy asks nothing before the child asks; GET /session then names the session and region its environment could not', async () => {
    const file = path.join(dir, 'lazy.json');
    const { api, calls } = fakeApi((_, n) => granted(n));
    const script = `
      const env = process.env;
      const session = () => fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI.replace(/credentials$/, 'session'), { headers: { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN } }).then((r) => r.json());
      (async () => {
        const before = await session();
        const response = await fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN } });
        const key = (await response.json()).AccessKeyId;
        require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ env: [env.SENTINEL_SESSION_ID ?? null, env.AWS_REGION ?? null], before, key, after: await session() }));
      })();`;
    vi.stubEnv('AWS_REGION', undefined);
    const result = await sentinel(api, 'exec', '--server', '--lazy', '--profile', 'prod', '--', NODE, '-e', script);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      env: [null, null],
      before: { profile: 'prod', sessionId: null, sessionTable: null, region: null },
      key: 'ASIASENTINELDEV00001',
      after: { profile: 'prod', sessionId: SESSION.id, sessionTable: SESSION.table, region: 'eu-west-1' },
    });
    expect(calls).toEqual([{ profile: 'prod', mode: 'server' }]);
    expect(api.endSession).toHaveBeenCalledExactlyOnceWith(SESSION.id, { sessionTable: SESSION.table });
  });

  it('shows a denial before anything runs', async () => {
    const file = path.join(dir, 'never-server.json');
    const { api } = fakeApi(() => denied('SESSION_TRACKING_REQUIRED', { requiresServerMode: false, sessionTable: null, mode: 'server' }));
    const result = await sentinel(api, 'exec', '--server', '--profile', 'prod', '--', ...reporter(file, 1));
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('policy requires session tracking for profile "prod". Add --session-table <table> flag\n');
    await expect(readFile(file)).rejects.toThrow();
  });

  it('refuses the child once the API refuses, and says why once (a denial as its guidance)', async () => {
    const file = path.join(dir, 'refused.json');
    const { api } = fakeApi(() => denied('POLICY_DENY', { requiresServerMode: false, requiresSessionTracking: false, sessionTable: null, mode: 'server', rule: 'freeze', reason: 'frozen' }));
    const result = await sentinel(api, 'exec', '--server', '--lazy', '--profile', 'prod', '--', ...reporter(file, 3));
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('access to profile "prod" is denied: frozen (rule "freeze")\n');
    const { fetched } = JSON.parse(await readFile(file, 'utf8')) as { fetched: unknown[] };
    expect(fetched).toEqual(Array(3).fill({ status: 403 }));
    expect(api.credentials).toHaveBeenCalledOnce();
  });

  it("gives the child AWS files of its own, the caller's non-credential settings only, and removes them when it exits", async () => {
    const file = path.join(dir, 'files.json');
    const callerConfig = path.join(dir, 'caller-config');
    await writeFile(callerConfig, '[profile mine]\nregion = ap-south-1\ncredential_process = /bin/false\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
    vi.stubEnv('AWS_CONFIG_FILE', callerConfig);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'caller-credentials'));
    vi.stubEnv('AWS_PROFILE', 'mine');
    const temporary = path.join(dir, 'tmp-files');
    await mkdir(temporary);
    vi.stubEnv('TMPDIR', temporary);
    const script = `
      const fs = require('fs');
      const env = process.env;
      const read = (name) => fs.readFileSync(env[name], 'utf8');
      fs.writeFileSync(${JSON.stringify(file)}, JSON.stringify({
        configFile: env.AWS_CONFIG_FILE,
        config: read('AWS_CONFIG_FILE').split('\\n').filter((line) => line !== '' && !line.startsWith('#')),
        credentials: read('AWS_SHARED_CREDENTIALS_FILE'),
        boto: env.BOTO_CONFIG === env.AWS_SHARED_CREDENTIALS_FILE,
        profile: env.AWS_PROFILE ?? null,
      }));`;
    const { api } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--server', '--profile', 'prod', '--', NODE, '-e', script);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    const seen = JSON.parse(await readFile(file, 'utf8')) as { configFile: string };
    expect(seen).toEqual({ configFile: expect.any(String), config: ['[default]', 'region = ap-south-1'], credentials: '', boto: true, profile: null });
    expect(path.dirname(path.dirname(seen.configFile))).toBe(temporary);
    expect(await readdir(temporary)).toEqual([]);
  });

  it('removes the files when the command cannot be started', async () => {
    // A temporary directory of its own, so that nothing else writes there meanwhile.
    const temporary = path.join(dir, 'tmp');
    await mkdir(temporary);
    vi.stubEnv('TMPDIR', temporary);
    const { api } = fakeApi((_, n) => granted(n));
    const result = await sentinel(api, 'exec', '--server', '--profile', 'prod', '--', path.join(dir, 'no-such-command'));
    expect(result.code).toBe(127);
    expect(await readdir(temporary)).toEqual([]);
  });

  it('keeps the child exit code when the session cannot be ended, and says so', async () => {
    const { api } = fakeApi((_, n) => granted(n));
    api.endSession.mockRejectedValueOnce(new ApiError('API_UNREACHABLE', 'cannot reach the Sentinel API: connection refused'));
    const result = await sentinel(api, 'exec', '--server', '--profile', 'prod', '--', NODE, '-e', 'process.exit(4)');
    expect(result).toEqual({
      code: 4,
      stdout: '',
      stderr: `sentinel: could not end session ${SESSION.id} (it stays active until it expires): cannot reach the Sentinel API: connection refused\n`,
    });
  });
});
