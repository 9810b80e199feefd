/**
 * `sentinel exec` through runExec: what it hands the exec machinery
 * (src/cli/exec/execute.ts), and what the user sees for a usage error, a nested exec
 * and a denial. The machinery is the real one unless a test stands in for it.
 */
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CredentialsRequest } from '../../../../src/api/contract.js';
import { runExec } from '../../../../src/cli/commands/exec.js';
import type { ExecRunOptions } from '../../../../src/cli/commands/exec.js';
import type * as Execute from '../../../../src/cli/exec/execute.js';
import { denied, fakeApi, harness, outcome } from './harness.js';
import type { Harness } from './harness.js';

const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

const executeCommand = vi.hoisted(() => vi.fn<typeof Execute.executeCommand>());
vi.mock('../../../../src/cli/exec/execute.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Execute>();
  executeCommand.mockImplementation(actual.executeCommand);
  return { ...actual, executeCommand };
});

const exec = (h: Harness, options: ExecRunOptions) => outcome(h, (context) => runExec(options, context));

/** What sentinel writes to the process's own streams (where the exec machinery reports what it meets). */
function processOutput(): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  return { stdout: () => stdout, stderr: () => stderr };
}

beforeEach(() => {
  executeCommand.mockClear();
  vi.stubEnv('SENTINEL_PROFILE', undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('sentinel exec: what the exec machinery gets', () => {
  it('the command, the options, the output format and the context API; its exit code is the command’s', async () => {
    const api = fakeApi({});
    const h = harness(api, { format: 'json' });
    executeCommand.mockResolvedValueOnce(42);
    const result = await exec(h, { profile: 'prod', server: true, serverPort: 4321, lazy: true, recheck: '10s', sessionTable: 'team-sessions', duration: '30m', command: ['aws', 's3', 'ls'] });
    expect(result).toEqual({ code: 42, stdout: '', stderr: '' });

    expect(executeCommand).toHaveBeenCalledOnce();
    const [args, options, command, createApi] = executeCommand.mock.calls[0] ?? [];
    expect(args).toEqual(['aws', 's3', 'ls']);
    expect(options).toEqual({ profile: 'prod', server: true, serverPort: 4321, lazy: true, recheck: '10s', sessionTable: 'team-sessions', duration: '30m' });
    // The machinery reads --output from the command it is given.
    expect((command as Command).optsWithGlobals()).toEqual({ output: 'json' });
    // The API client is the context's, and built only when the machinery asks for it.
    expect(h.apiRequests()).toBe(0);
    expect(await createApi?.(command as Command)).toBe(api);
    expect(h.apiRequests()).toBe(1);
  });

  it('no command: an empty list, for the machinery to start $SHELL', async () => {
    executeCommand.mockResolvedValueOnce(0);
    await exec(harness(fakeApi({})), { profile: 'dev', command: [] });
    expect(executeCommand.mock.calls[0]?.[0]).toEqual([]);
    expect(executeCommand.mock.calls[0]?.[1]).toEqual({ profile: 'dev' });
  });
});

describe('sentinel exec: what the user sees', () => {
  it('runs the command with the credentials in its environment and exits with its exit code', async () => {
    const api = fakeApi({
      credentials: async (body) => ({
        credentials: { accessKeyId: 'ASIASENTINELDEV00001', secretAccessKey: 'secret', sessionToken: 'token', expiration: '2025-03-14T10:30:00.000Z' },
        session: null,
        sourceIdentity: 'sentinel.alice.direct.4973b874',
        profile: body.profile,
        decision: { effect: 'allow', rule: 'dev-engineers' },
      }),
    });
    const child = "process.exit(process.env.AWS_ACCESS_KEY_ID === 'ASIASENTINELDEV00001' && process.env.SENTINEL_PROFILE === 'dev' ? 7 : 1)";
    expect(await exec(harness(api), { profile: 'dev', command: [process.execPath, '-e', child] })).toEqual({ code: 7, stdout: '', stderr: '' });
  });

  it('--lazy without --server: a usage error, exit 2, nothing asked of the API', async () => {
    const h = harness(fakeApi({}));
    const result = await exec(h, { profile: 'dev', lazy: true, command: ['true'] });
    expect(result).toEqual({ code: 2, stdout: '', stderr: "error: option '--lazy' needs --server\n(run with --help for usage)\n" });
    expect(h.apiRequests()).toBe(0);
  });

  it('--recheck without --server, or below 5s: a usage error, exit 2, nothing asked of the API', async () => {
    const h = harness(fakeApi({}));
    expect(await exec(h, { profile: 'dev', recheck: '30s', command: ['true'] })).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: option '--recheck <duration>' needs --server\n(run with --help for usage)\n",
    });
    const other = harness(fakeApi({}));
    expect(await exec(other, { profile: 'dev', server: true, recheck: '1s', command: ['true'] })).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: option '--recheck <duration>' argument '1s' is invalid. Expected a duration such as 30s, 1m or 5m, from 5s to 1h.\n(run with --help for usage)\n",
    });
    expect(h.apiRequests() + other.apiRequests()).toBe(0);
  });

  it('inside another sentinel exec: refused with exit 1 on stderr', async () => {
    vi.stubEnv('SENTINEL_PROFILE', 'dev');
    const h = harness(fakeApi({}));
    expect(await exec(h, { profile: 'prod', command: ['true'] })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sentinel: already running under "sentinel exec" for profile "dev" (SENTINEL_PROFILE is set): exit that command or shell first\n',
    });
    expect(h.apiRequests()).toBe(0);
  });

  it('a denial: the guidance names the user’s own command, exit 3, and no child runs', async () => {
    const output = processOutput();
    const requests: CredentialsRequest[] = [];
    const api = fakeApi({
      credentials: async (body) => {
        requests.push(body);
        throw denied({ requiresServerMode: true, requiresSessionTracking: true, sessionTable: 'sentinel-sessions', alternatives: [] }, 'SERVER_SESSION_REQUIRED');
      },
    });
    const h = harness(api);
    // A child that ran would leave a non-zero exit code behind.
    const result = await exec(h, { profile: 'prod', command: [process.execPath, '-e', 'process.exit(9)'] });
    expect(result.code).toBe(3);
    expect(requests).toEqual([{ profile: 'prod', mode: 'cli' }]);
    // The exec machinery reports what it meets itself, on the process's stderr.
    expect(output.stderr()).toBe(
      'policy requires server mode with session tracking for profile "prod". ' +
        `Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- ${process.execPath} -e 'process.exit(9)'\n${NEVER_BYPASSED}\n`,
    );
    expect(output.stdout()).toBe('');
  });

  it('a denial with --output json: the error document on stdout, exit 3', async () => {
    const output = processOutput();
    const api = fakeApi({ credentials: async () => Promise.reject(denied()) });
    const result = await exec(harness(api, { format: 'json' }), { profile: 'prod', command: ['aws', 's3', 'ls'] });
    expect(result.code).toBe(3);
    expect(output.stderr()).toBe('');
    expect(JSON.parse(output.stdout())).toMatchObject({
      error: {
        code: 'POLICY_DENY',
        requestId: 'req-4973b874',
        denial: { effect: 'deny', rule: 'prod-oncall', profile: 'prod', alternatives: ['request'] },
        guidance: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod --justification "…"',
      },
    });
  });
});
