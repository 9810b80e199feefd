/**
 * `sentinel whoami` through runWhoami: what the caller sees for an ordinary user, an
 * admin, JSON output, and a refusal.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWhoami } from '../../../../src/cli/commands/whoami.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { run } from '../../../../src/cli/program.js';
import { ACCOUNT, denied, fakeApi, harness, outcome } from './harness.js';

const ALICE = { user: 'alice', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, admin: false };

describe('sentinel whoami', () => {
  it('prints user, ARN and account on one line', async () => {
    const h = harness(fakeApi({ whoami: async () => ALICE }));
    expect(await outcome(h, (context) => runWhoami({}, context))).toEqual({
      code: 0,
      stdout: `alice (arn:aws:iam::${ACCOUNT}:user/alice) in account ${ACCOUNT}\n`,
      stderr: '',
    });
  });

  it('adds a line saying so for an admin', async () => {
    const h = harness(fakeApi({ whoami: async () => ({ ...ALICE, user: 'ops-erin', arn: `arn:aws:iam::${ACCOUNT}:user/ops-erin`, admin: true }) }));
    expect((await outcome(h, (context) => runWhoami({}, context))).stdout).toBe(`ops-erin (arn:aws:iam::${ACCOUNT}:user/ops-erin) in account ${ACCOUNT}\nadmin\n`);
  });

  it('never prints a terminal control sequence the server sent, in text or JSON', async () => {
    const hostile = { ...ALICE, user: 'alice\u001b]0;pwned\u0007', arn: 'arn\u202e' };
    const text = await outcome(harness(fakeApi({ whoami: async () => hostile })), (context) => runWhoami({}, context));
    expect(text.stdout).toBe(`alice\\u001b]0;pwned\\u0007 (arn\\u202e) in account ${ACCOUNT}\n`);
    const json = await outcome(harness(fakeApi({ whoami: async () => hostile }), { format: 'json' }), (context) => runWhoami({}, context));
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(json.stdout).not.toContain(raw);
    expect(JSON.parse(json.stdout)).toEqual(hostile);
  });

  it('prints the API answer as indented JSON with --output json', async () => {
    const h = harness(fakeApi({ whoami: async () => ALICE }), { format: 'json' });
    const result = await outcome(h, (context) => runWhoami({}, context));
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(ALICE, null, 2)}\n`, stderr: '' });
  });

  it('reports a refusal on stderr as sentinel: message, exit 1', async () => {
    const h = harness(fakeApi({ whoami: async () => Promise.reject(new ApiError('INVALID_IDENTITY', 'root credentials cannot use Sentinel', { status: 403 })) }));
    expect(await outcome(h, (context) => runWhoami({}, context))).toEqual({ code: 1, stdout: '', stderr: 'sentinel: root credentials cannot use Sentinel\n' });
  });

  it('reports a denial with its guidance and exits 3', async () => {
    const h = harness(fakeApi({ whoami: async () => Promise.reject(denied()) }));
    expect(await outcome(h, (context) => runWhoami({}, context))).toEqual({
      code: 3,
      stdout: '',
      stderr: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod --justification "…"\n',
    });
  });

  it('reports a missing API URL as the error document on stdout with --output json', async () => {
    const h = harness(new ApiError('NO_API_URL', 'no Sentinel API URL: pass --api <url> or set SENTINEL_API_URL'), { format: 'json' });
    const result = await outcome(h, (context) => runWhoami({}, context));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'NO_API_URL', message: 'no Sentinel API URL: pass --api <url> or set SENTINEL_API_URL' } });
  });
});

describe('sentinel whoami, as program.ts runs it', () => {
  afterEach(() => {
    // program.run leaves the exit code for main.ts in process.exitCode.
    process.exitCode = undefined;
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('builds the context from the global options: --output json, and the API settings only when asked for', async () => {
    vi.stubEnv('SENTINEL_API_URL', undefined);
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await run(['node', 'sentinel', '--output', 'json', 'whoami']);
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'NO_API_URL' } });
  });
});
