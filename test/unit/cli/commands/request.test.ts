/**
 * The access-request commands (`sentinel request`, `requests`, `approve`, `deny`,
 * `cancel`) through their run functions and as program.ts parses them (the real
 * argument parser, the API client replaced by a fake): what is printed for each outcome,
 * the exact commands to run next (repeating the global options given), --wait on a
 * terminal and in a log, exit codes, JSON output, hostile server text escaped, and
 * usage errors before any request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessRequestView } from '../../../../src/api/contract.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { runRequest } from '../../../../src/cli/commands/request.js';
import type { RequestOptions } from '../../../../src/cli/commands/request.js';
import { runRequestList } from '../../../../src/cli/commands/requestList.js';
import { runApprove } from '../../../../src/cli/commands/requestApprove.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { run } from '../../../../src/cli/program.js';
import { fakeApi, harness, outcome } from './harness.js';
import type { HarnessOptions } from './harness.js';

const ID = '3f2a9c0d1e2b4c5d6e7f8091a2b3c4d5';
const JUSTIFICATION = 'INC-4711: rotate the leaked deploy key';

function view(overrides: Partial<AccessRequestView> = {}): AccessRequestView {
  return {
    id: ID,
    requester: 'alice',
    profile: 'prod-admin',
    justification: JUSTIFICATION,
    durationSeconds: 3600,
    status: 'pending',
    createdAt: '2025-03-14T09:30:00.000Z',
    expiresAt: '2025-03-15T09:30:00.000Z',
    minApprovals: 1,
    approvals: [],
    ...overrides,
  };
}

const APPROVED = view({
  status: 'approved',
  approvals: [{ approver: 'bob', at: '2025-03-14T09:31:00.000Z', comment: 'ok' }],
  decidedAt: '2025-03-14T09:31:00.000Z',
  windowEndsAt: '2025-03-14T10:31:00.000Z',
});

const OPTIONS: RequestOptions = { profile: 'prod-admin', justification: JUSTIFICATION };

/** An API that creates `created` and then shows `shown` in turn, recording what it was sent. */
function requestApi(created: AccessRequestView, shown: AccessRequestView[] = []) {
  const bodies: unknown[] = [];
  let shows = 0;
  const api = fakeApi({
    createRequest: async (body) => {
      bodies.push(body);
      return { request: created };
    },
    showRequest: async (id) => {
      expect(id).toBe(created.id);
      const next = shown[shows];
      shows += 1;
      if (next === undefined) throw new Error('asked again after the decision');
      return { request: next };
    },
  });
  return { api, bodies, shows: () => shows };
}

function request(api: SentinelApi, options: RequestOptions = OPTIONS, harnessOptions: HarnessOptions = {}, sleeps: number[] = []) {
  return outcome(harness(api, harnessOptions), (context) =>
    runRequest(options, context, {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }),
  );
}

describe('sentinel request', () => {
  it('makes the request and says who decides with which command', async () => {
    const { api, bodies } = requestApi(view());
    expect(await request(api, { ...OPTIONS, duration: 1800, globals: { awsProfile: 'alice', api: 'https://sentinel.example' } })).toEqual({
      code: 0,
      stdout: [
        `requested profile prod-admin for 1h: request ${ID} is pending, it needs 1 approval (it expires at 2025-03-15T09:30:00.000Z)`,
        // The approver signs as themselves: the requester's --aws-profile is not repeated, the API is.
        `An approver runs: sentinel --api https://sentinel.example approve ${ID}`,
        'Follow it with: sentinel requests --mine (or ask again with --wait)',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(bodies).toEqual([{ profile: 'prod-admin', justification: JUSTIFICATION, durationSeconds: 1800 }]);
  });

  it('names the quorum of a min_approvals 2 request', async () => {
    const { api } = requestApi(view({ profile: 'billing', minApprovals: 2 }));
    const result = await request(api, { ...OPTIONS, profile: 'billing' });
    expect(result.stdout.split('\n')[0]).toBe(`requested profile billing for 1h: request ${ID} is pending, it needs 2 approvals from distinct approvers (it expires at 2025-03-15T09:30:00.000Z)`);
  });

  it('approved at once by an auto_approve entry: says why, and the exec that works now', async () => {
    const auto = view({
      status: 'approved',
      decidedAt: '2025-03-14T09:30:00.000Z',
      windowEndsAt: '2025-03-14T10:00:00.000Z',
      autoApproved: { rule: 'prod-admin-approvers', reason: '"role:deploy/ci-42" is approved automatically for up to 30m by approval rule "prod-admin-approvers"' },
    });
    const { api } = requestApi(auto);
    expect(await request(api, { ...OPTIONS, wait: true, globals: { awsProfile: 'ci' } })).toEqual({
      code: 0,
      stdout: [
        `request ${ID} for profile prod-admin was approved automatically ("role:deploy/ci-42" is approved automatically for up to 30m by approval rule "prod-admin-approvers"): the window is open until 2025-03-14T10:00:00.000Z`,
        'Now: sentinel --aws-profile ci exec --profile prod-admin -- <cmd>',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('--wait in a log: a line per change of status, then the approval and the exact exec', async () => {
    const partial = view({ minApprovals: 2, approvals: [{ approver: 'bob', at: '2025-03-14T09:31:00.000Z' }] });
    const done = view({ ...APPROVED, minApprovals: 2, approvals: [...partial.approvals, { approver: 'admin', at: '2025-03-14T09:40:00.000Z' }], decidedAt: '2025-03-14T09:40:00.000Z', windowEndsAt: '2025-03-14T10:40:00.000Z' });
    const { api, shows } = requestApi(view({ minApprovals: 2 }), [view({ minApprovals: 2 }), partial, partial, partial, partial, done]);
    const sleeps: number[] = [];
    const result = await request(api, { ...OPTIONS, wait: true, globals: { awsProfile: 'alice' } }, {}, sleeps);
    expect(result).toEqual({
      code: 0,
      stdout: [
        `requested profile prod-admin for 1h: request ${ID} is pending, it needs 2 approvals from distinct approvers (it expires at 2025-03-15T09:30:00.000Z)`,
        `An approver runs: sentinel approve ${ID}`,
        `request ${ID} for profile prod-admin was approved by bob, admin: the window is open until 2025-03-14T10:40:00.000Z`,
        'Now: sentinel --aws-profile alice exec --profile prod-admin -- <cmd>',
        '',
      ].join('\n'),
      stderr: [`waiting for request ${ID}: pending, 0 of 2 approvals`, `waiting for request ${ID}: pending, 1 of 2 approvals (bob)`, ''].join('\n'),
    });
    expect(shows()).toBe(6);
    // Every 2 s at first, a second longer each time, then every 5 s.
    expect(sleeps).toEqual([2000, 3000, 4000, 5000, 5000, 5000]);
  });

  it('--wait on a terminal: one status line redrawn in place with the time waited, cleared at the end', async () => {
    const { api } = requestApi(view(), [APPROVED]);
    const result = await request(api, { ...OPTIONS, wait: true }, { stderrTTY: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`\r\u001b[Kwaiting for request ${ID}: pending, 0 of 1 approval… 0s\r\u001b[K`);
    expect(result.stdout).toContain(`request ${ID} for profile prod-admin was approved by bob: the window is open until 2025-03-14T10:31:00.000Z\nNow: sentinel exec --profile prod-admin -- <cmd>\n`);
  });

  it('--wait ends with the denial (exit 3, as a policy refusal), an expiry (3) or a cancellation (1)', async () => {
    const denied = view({ status: 'denied', deniedBy: 'bob', denyComment: 'use the read-only profile', decidedAt: '2025-03-14T09:35:00.000Z' });
    expect(await request(requestApi(view(), [denied]).api, { ...OPTIONS, wait: true })).toMatchObject({
      code: 3,
      stdout: expect.stringContaining(`request ${ID} for profile prod-admin was denied by bob at 2025-03-14T09:35:00.000Z: use the read-only profile\n`),
    });
    const expired = view({ status: 'expired', minApprovals: 2, approvals: [{ approver: 'bob', at: '2025-03-14T09:31:00.000Z' }] });
    expect(await request(requestApi(view(), [expired]).api, { ...OPTIONS, wait: true })).toMatchObject({
      code: 3,
      stdout: expect.stringContaining(`request ${ID} for profile prod-admin expired at 2025-03-15T09:30:00.000Z with 1 of 2 approvals (bob)\n`),
    });
    const cancelled = view({ status: 'cancelled', decidedAt: '2025-03-14T09:33:00.000Z' });
    expect(await request(requestApi(view(), [cancelled]).api, { ...OPTIONS, wait: true })).toMatchObject({ code: 1, stdout: expect.stringContaining('was cancelled at 2025-03-14T09:33:00.000Z\n') });
  });

  it('--output json: the final { request } only; the wait still shows on stderr', async () => {
    const { api } = requestApi(view(), [APPROVED]);
    const result = await request(api, { ...OPTIONS, wait: true }, { format: 'json' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ request: APPROVED });
    expect(result.stderr).toBe(`waiting for request ${ID}: pending, 0 of 1 approval\n`);
  });

  it("reports the API's refusal: a profile you can already get, with the command that works", async () => {
    const api = fakeApi({
      createRequest: async () => Promise.reject(new ApiError('INVALID_REQUEST', 'you can already get profile "dev" (rule "dev-engineers" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>', { status: 400 })),
    });
    expect(await request(api, { ...OPTIONS, profile: 'dev' })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sentinel: you can already get profile "dev" (rule "dev-engineers" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>\n',
    });
  });

  it('refuses a justification the API would refuse, before asking it', async () => {
    const h = harness(fakeApi({}));
    const result = await outcome(h, (context) => runRequest({ ...OPTIONS, justification: 'because' }, context));
    expect(result).toEqual({ code: 2, stdout: '', stderr: "error: option '--justification <text>' is invalid: must be at least 10 characters\n(run with --help for usage)\n" });
    expect(h.apiRequests()).toBe(0);
  });

  it('shows hostile server text as visible escapes', async () => {
    const { api } = requestApi(view({ profile: 'prod\u001b[2J' }), [view({ profile: 'prod\u001b[2J', status: 'denied', deniedBy: 'mallory\u202e', denyComment: 'no\u0007' })]);
    const result = await request(api, { ...OPTIONS, wait: true });
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(result.stdout + result.stderr).not.toContain(raw);
    expect(result.stdout).toContain('denied by mallory\\u202e');
  });
});

describe('sentinel requests', () => {
  it('prints an aligned table: approvals against the quorum, what UNTIL means per status, the justification last', async () => {
    const api = fakeApi({
      listRequests: async () => ({
        requests: [view({ profile: 'billing', minApprovals: 2, approvals: [{ approver: 'bob', at: '2025-03-14T09:31:00.000Z' }] }), APPROVED, view({ id: 'b'.repeat(32), status: 'denied', deniedBy: 'bob', justification: 'short one' })],
      }),
    });
    const result = await outcome(harness(api), (context) => runRequestList({}, context));
    expect(result).toEqual({
      code: 0,
      stdout: [
        'ID                                REQUESTER  PROFILE     STATUS    APPROVALS  DURATION  CREATED            UNTIL              JUSTIFICATION',
        `${ID}  alice      billing     pending   1/2        1h        2025-03-14T09:30Z  2025-03-15T09:30Z  ${JUSTIFICATION}`,
        `${ID}  alice      prod-admin  approved  1/1        1h        2025-03-14T09:30Z  2025-03-14T10:31Z  ${JUSTIFICATION}`,
        `${'b'.repeat(32)}  alice      prod-admin  denied    0/1        1h        2025-03-14T09:30Z  -                  short one`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('follows cursors up to --limit, asking each page for what is still missing, and says when more may exist', async () => {
    const queries: Array<Record<string, string>> = [];
    const api = fakeApi({
      listRequests: async (query) => {
        queries.push(query);
        return queries.length === 1 ? { requests: [view()], cursor: 'c1' } : { requests: [view(), view()], cursor: 'c2' };
      },
    });
    const result = await outcome(harness(api, { format: 'json' }), (context) => runRequestList({ pending: true, limit: 3 }, context));
    expect(queries).toEqual([
      { scope: 'approvable', limit: '3' },
      { scope: 'approvable', limit: '2', cursor: 'c1' },
    ]);
    expect((JSON.parse(result.stdout) as { requests: unknown[] }).requests).toHaveLength(3);
    expect(result.stderr).toBe('sentinel: more requests may exist: pass --limit (up to 100), or narrow with --status or --profile\n');
  });

  it('says when nothing waits for your approval', async () => {
    const api = fakeApi({ listRequests: async () => ({ requests: [] }) });
    expect(await outcome(harness(api), (context) => runRequestList({ pending: true }, context))).toEqual({ code: 0, stdout: 'no requests waiting for your approval\n', stderr: '' });
  });
});

describe('sentinel approve', () => {
  it('the completing approval: who may now use the profile until when, and the exec they run', async () => {
    const api = fakeApi({ approveRequest: async () => ({ request: APPROVED }) });
    expect(await outcome(harness(api), (context) => runApprove({ id: ID, globals: { awsProfile: 'bob' } }, context))).toEqual({
      code: 0,
      stdout: [`approved request ${ID}: alice may use profile prod-admin until 2025-03-14T10:31:00.000Z`, 'alice runs: sentinel exec --profile prod-admin -- <cmd>', ''].join('\n'),
      stderr: '',
    });
  });

  it('an approval short of the quorum says how many more are needed', async () => {
    const api = fakeApi({ approveRequest: async () => ({ request: view({ profile: 'billing', minApprovals: 2, approvals: [{ approver: 'bob', at: '2025-03-14T09:31:00.000Z' }] }) }) });
    expect((await outcome(harness(api), (context) => runApprove({ id: ID }, context))).stdout).toBe(
      `approved request ${ID} of alice for profile billing: 1 of 2 approvals (bob); it needs 1 more approval from another approver\n`,
    );
  });

  it('a second approval by the same approver: the CONFLICT as the API words it', async () => {
    const api = fakeApi({ approveRequest: async () => Promise.reject(new ApiError('CONFLICT', `"bob" has already approved request ${ID} (1 of 2 approvals)`, { status: 409 })) });
    expect(await outcome(harness(api), (context) => runApprove({ id: ID }, context))).toEqual({ code: 1, stdout: '', stderr: `sentinel: "bob" has already approved request ${ID} (1 of 2 approvals)\n` });
  });
});

/** The API the commands get when run through program.ts (see the mock below); each test sets it. */
let programApi: SentinelApi = fakeApi({});

vi.mock('../../../../src/cli/api/fromCommand.js', () => ({ apiFor: async () => programApi }));

describe('the access-request commands as typed (program.ts, the real argument parser)', () => {
  let stdout = '';
  let stderr = '';

  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  async function sentinel(api: SentinelApi, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    programApi = api;
    stdout = '';
    stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      const code = await run(['node', 'sentinel', ...args]);
      return { code, stdout, stderr };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('request: --duration as the policy writes durations, the printed commands repeat --aws-profile', async () => {
    const { api, bodies } = requestApi(view({ durationSeconds: 5400 }));
    const result = await sentinel(api, '--aws-profile', 'alice', 'request', '--profile', 'prod-admin', '--justification', JUSTIFICATION, '--duration', '1h30m');
    expect(result.code).toBe(0);
    expect(bodies).toEqual([{ profile: 'prod-admin', justification: JUSTIFICATION, durationSeconds: 5400 }]);
    expect(result.stdout).toContain('requested profile prod-admin for 1h30m');
  });

  it('requests, approve, deny, cancel: flags and ids reach the API as typed', async () => {
    const calls: unknown[] = [];
    const api = fakeApi({
      listRequests: async (query) => (calls.push(['list', query]), { requests: [] }),
      approveRequest: async (id, body) => (calls.push(['approve', id, body]), { request: APPROVED }),
      denyRequest: async (id, body) => (calls.push(['deny', id, body]), { request: view({ status: 'denied', deniedBy: 'bob' }) }),
      cancelRequest: async (id) => (calls.push(['cancel', id]), { request: view({ status: 'cancelled' }) }),
    });
    expect((await sentinel(api, 'requests')).code).toBe(0);
    expect((await sentinel(api, 'requests', '--pending', '--profile', 'billing')).code).toBe(0);
    expect((await sentinel(api, 'requests', '--all', '--profile', 'prod-admin', '--status', 'expired', '--limit', '10')).code).toBe(0);
    expect((await sentinel(api, 'approve', ID, '--comment', 'ok')).stdout).toContain(`approved request ${ID}`);
    expect((await sentinel(api, 'deny', ID)).stdout).toBe(`denied request ${ID} of alice for profile prod-admin\n`);
    expect((await sentinel(api, 'cancel', ID)).stdout).toBe(`cancelled request ${ID} for profile prod-admin\n`);
    expect(calls).toEqual([
      ['list', { scope: 'mine', limit: '50' }],
      ['list', { scope: 'approvable', profile: 'billing', limit: '50' }],
      ['list', { scope: 'all', profile: 'prod-admin', status: 'expired', limit: '10' }],
      ['approve', ID, { comment: 'ok' }],
      ['deny', ID, {}],
      ['cancel', ID],
    ]);
  });

  it('refuses bad values with a usage error (exit 2), before any request', async () => {
    const api = fakeApi({});
    const cases: Array<[string[], string]> = [
      [['request', '--profile', 'prod-admin'], "error: required option '--justification <text>' not specified"],
      [['request', '--justification', JUSTIFICATION], "error: required option '--profile <profile>' not specified"],
      [['request', '--profile', 'prod-admin', '--justification', JUSTIFICATION, '--duration', '5m'], "error: option '--duration <duration>' argument '5m' is invalid. Expected a duration such as 15m, 1h or 3600s"],
      [['request', '--profile', 'prod-admin', '--justification', JUSTIFICATION, '--duration', '3600'], "error: option '--duration <duration>' argument '3600' is invalid."],
      [['request', '--profile', 'prod-admin', '--justification', 'x\u001b[2Jy is long enough'], "error: option '--justification <text>' is invalid: must not contain control characters"],
      [['requests', '--all'], 'error: --all needs --profile <profile>'],
      [['requests', '--mine', '--pending'], 'error: give at most one of --mine, --pending and --all'],
      [['requests', '--pending', '--status', 'denied'], 'error: --pending lists pending requests'],
      [['requests', '--status', 'open'], "error: option '--status <status>' argument 'open' is invalid. Allowed choices are pending, approved, denied, cancelled, expired."],
      [['approve', 'ABC'], "error: command-argument value 'ABC' is invalid for argument 'id'. Expected a request id: 32 lowercase hex digits"],
      [['deny'], "error: missing required argument 'id'"],
      [['cancel', ID.toUpperCase()], "error: command-argument value '3F2A9C0D1E2B4C5D6E7F8091A2B3C4D5' is invalid for argument 'id'."],
    ];
    for (const [args, message] of cases) {
      const result = await sentinel(api, ...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr).toContain(message);
    }
  });
});
