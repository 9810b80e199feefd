/**
 * `sentinel breakglass`, `… list`, `… close`: what each prints (text and JSON, hostile
 * server strings escaped), what is refused before any request, the API's refusals as
 * reported, and the commands as typed through program.ts (the real argument parser:
 * the invocation is the group's default subcommand, so `breakglass --profile …` and
 * `breakglass list --profile …` both reach the right command).
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BreakglassView, InvokeBreakglassRequest } from '../../../../src/api/contract.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { runBreakglassInvoke } from '../../../../src/cli/commands/breakglass.js';
import type { BreakglassInvokeOptions } from '../../../../src/cli/commands/breakglass.js';
import { runBreakglassClose } from '../../../../src/cli/commands/breakglassClose.js';
import { runBreakglassList } from '../../../../src/cli/commands/breakglassList.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { run } from '../../../../src/cli/program.js';
import { fakeApi, harness, outcome } from './harness.js';
import type { HarnessOptions } from './harness.js';

let programApi: SentinelApi = fakeApi({});

vi.mock('../../../../src/cli/api/fromCommand.js', () => ({ apiFor: async () => programApi }));

const ID = '0badc0de0123456789abcdef01234567';

function view(overrides: Partial<BreakglassView> = {}): BreakglassView {
  return {
    id: ID,
    invoker: 'alice',
    profile: 'prod-admin',
    reasonCode: 'incident',
    justification: 'the payment queue is stuck',
    durationSeconds: 3600,
    status: 'active',
    createdAt: '2025-03-14T09:30:00.000Z',
    expiresAt: '2025-03-14T10:30:00.000Z',
    rule: 'prod-admin-oncall',
    ...overrides,
  };
}

const OPTIONS: BreakglassInvokeOptions = { profile: 'prod-admin', reasonCode: 'incident', justification: 'the payment queue is stuck' };

function invoking(answer: BreakglassView | Error = view()) {
  const requests: InvokeBreakglassRequest[] = [];
  const api = fakeApi({
    invokeBreakglass: async (body) => {
      requests.push(body);
      if (answer instanceof Error) throw answer;
      return { event: answer };
    },
  });
  return { api, requests };
}

const invoke = (api: SentinelApi, options: BreakglassInvokeOptions = OPTIONS, harnessOptions: HarnessOptions = {}) => outcome(harness(api, harnessOptions), (context) => runBreakglassInvoke(options, context));

describe('sentinel breakglass (invoke)', () => {
  it('prints the event, the exact sentinel exec that now works, and how to close it', async () => {
    const { api, requests } = invoking();
    expect(await invoke(api, { ...OPTIONS, duration: 1800 })).toEqual({
      code: 0,
      stdout: [
        `break-glass event ${ID} is active for profile prod-admin until 2025-03-14T10:30:00.000Z (every use is logged and alerted)`,
        '  rule           prod-admin-oncall',
        '  reason code    incident',
        '  justification  the payment queue is stuck',
        '  started        2025-03-14T09:30:00.000Z',
        '  expires        2025-03-14T10:30:00.000Z',
        'Now: sentinel exec --profile prod-admin -- <cmd>',
        `When done: sentinel breakglass close ${ID} --reason "…"`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(requests).toEqual([{ profile: 'prod-admin', reasonCode: 'incident', justification: 'the payment queue is stuck', durationSeconds: 1800 }]);
  });

  it('the printed commands repeat the global options that said where the API is and who signs, quoted as shell words', async () => {
    const { api } = invoking();
    const { stdout } = await invoke(api, { ...OPTIONS, globals: { awsProfile: "on call's", api: 'https://api.example/' } });
    expect(stdout).toContain("Now: sentinel --api https://api.example/ --aws-profile 'on call'\\''s' exec --profile prod-admin -- <cmd>");
  });

  it('--output json: the API\'s answer', async () => {
    const { api } = invoking();
    const result = await invoke(api, OPTIONS, { format: 'json' });
    expect(JSON.parse(result.stdout)).toEqual({ event: view() });
  });

  it('shows what the server sent as visible escapes, never raw', async () => {
    const { api } = invoking(view({ justification: 'fix\u001b]0;owned\u0007 it', profile: 'prod\u202e' }));
    const { stdout } = await invoke(api);
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(stdout).not.toContain(raw);
    expect(stdout).toContain('fix\\u001b]0;owned\\u0007 it');
  });

  it.each([
    [{ reasonCode: 'Incident!' }, "error: option '--reason-code <code>' is invalid: must be a reason code such as \"incident\""],
    [{ justification: 'because' }, "error: option '--justification <text>' is invalid: must be at least 10 characters"],
  ])('refuses %o before any request, as the API would', async (bad, message) => {
    const { api, requests } = invoking();
    expect(await invoke(api, { ...OPTIONS, ...bad })).toEqual({ code: 2, stdout: '', stderr: `${message}\n(run with --help for usage)\n` });
    expect(requests).toEqual([]);
  });

  it('reports the API\'s refusal (a quota: its message says when) and exits 1', async () => {
    const refusal = new ApiError('RATE_LIMITED', 'break-glass refused: at most 3 break-glass invocations by you per 24h window (rule "prod-admin-oncall"; fixed windows, the next starts at 2025-03-15T00:00:00.000Z)', { status: 429 });
    const { api } = invoking(refusal);
    expect(await invoke(api)).toEqual({ code: 1, stdout: '', stderr: `sentinel: ${refusal.message}\n` });
  });
});

describe('sentinel breakglass list', () => {
  function listing(pages: Array<{ events: BreakglassView[]; cursor?: string }>) {
    const queries: Array<Record<string, string>> = [];
    const api = fakeApi({
      listBreakglass: async (query) => {
        queries.push(query);
        return pages[queries.length - 1] ?? { events: [] };
      },
    });
    return { api, queries };
  }

  it('a table, newest first; the query as given', async () => {
    const { api, queries } = listing([{ events: [view(), view({ id: 'e'.repeat(32), invoker: 'bob', status: 'closed', closedBy: 'admin' })] }]);
    const result = await outcome(harness(api), (context) => runBreakglassList({ all: true, profile: 'prod-admin', status: 'active', limit: 20 }, context));
    expect(result).toEqual({
      code: 0,
      stdout: [
        'ID                                INVOKER  PROFILE     REASON    STATUS  STARTED            EXPIRES            CLOSED BY',
        `${ID}  alice    prod-admin  incident  active  2025-03-14T09:30Z  2025-03-14T10:30Z`,
        `${'e'.repeat(32)}  bob      prod-admin  incident  closed  2025-03-14T09:30Z  2025-03-14T10:30Z  admin`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(queries).toEqual([{ scope: 'all', profile: 'prod-admin', status: 'active', limit: '20' }]);
  });

  it('no events; an empty page with a cursor is followed; a note when more may exist', async () => {
    const { api } = listing([{ events: [] }]);
    expect(await outcome(harness(api), (context) => runBreakglassList({}, context))).toEqual({ code: 0, stdout: 'no break-glass events\n', stderr: '' });
    const more = listing([{ events: [], cursor: 'c1' }, { events: [view()], cursor: 'c2' }]);
    const result = await outcome(harness(more.api), (context) => runBreakglassList({ status: 'closed' }, context));
    expect(more.queries).toEqual([{ status: 'closed' }, { status: 'closed', cursor: 'c1' }]);
    expect(result.stderr).toBe('sentinel: more events may exist: pass a larger --limit (up to 100) or a --status\n');
  });

  it('--all needs --profile (checked before any request); --output json is { events }', async () => {
    const { api, queries } = listing([{ events: [view()] }]);
    expect(await outcome(harness(api), (context) => runBreakglassList({ all: true }, context))).toMatchObject({ code: 2, stderr: expect.stringContaining("error: option '--all' needs '--profile <profile>'") });
    expect(queries).toEqual([]);
    const json = await outcome(harness(api, { format: 'json' }), (context) => runBreakglassList({}, context));
    expect(JSON.parse(json.stdout)).toEqual({ events: [view()] });
  });
});

describe('sentinel breakglass close', () => {
  const closed = view({ status: 'closed', closedBy: 'alice', closedAt: '2025-03-14T09:45:00.000Z', closedReason: 'fixed' });

  it('closes and says what, by whom and why', async () => {
    const calls: Array<[string, unknown]> = [];
    const api = fakeApi({ closeBreakglass: async (id, body) => (calls.push([id, body]), { event: closed }) });
    expect(await outcome(harness(api), (context) => runBreakglassClose({ id: ID, reason: 'fixed' }, context))).toEqual({
      code: 0,
      stdout: [
        `closed break-glass event ${ID} (invoker alice, profile prod-admin)`,
        'closed by alice at 2025-03-14T09:45:00.000Z: fixed',
        'No new credentials are issued under it; credentials already handed out work until they expire (an admin can revoke their sessions: sentinel sessions revoke).',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(calls).toEqual([[ID, { reason: 'fixed' }]]);
  });

  it('refuses an empty reason before any request; reports NOT_OWNER', async () => {
    const api = fakeApi({ closeBreakglass: async () => Promise.reject(new ApiError('NOT_OWNER', `break-glass event ${ID} belongs to another user: only its invoker or an admin may close it`, { status: 403 })) });
    expect((await outcome(harness(api), (context) => runBreakglassClose({ id: ID, reason: '' }, context))).code).toBe(2);
    expect(await outcome(harness(api), (context) => runBreakglassClose({ id: ID, reason: 'mine' }, context))).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: break-glass event ${ID} belongs to another user: only its invoker or an admin may close it\n`,
    });
  });
});

describe('the break-glass commands as typed (program.ts, the real argument parser)', () => {
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

  function recording() {
    const calls: Array<[string, unknown]> = [];
    const api = fakeApi({
      invokeBreakglass: async (body) => (calls.push(['invoke', body]), { event: view() }),
      listBreakglass: async (query) => (calls.push(['list', query]), { events: [view()] }),
      closeBreakglass: async (id, body) => (calls.push(['close', { id, ...body }]), { event: view({ status: 'closed' }) }),
    });
    return { api, calls };
  }

  it('breakglass --profile … invokes (--duration parsed as exec parses it); breakglass invoke … is the same', async () => {
    const { api, calls } = recording();
    const result = await sentinel(api, '--aws-profile', 'alice', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'incident', '--justification', 'the payment queue is stuck', '--duration', '30m');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Now: sentinel --aws-profile alice exec --profile prod-admin -- <cmd>');
    await sentinel(api, 'breakglass', 'invoke', '--profile', 'prod-admin', '--reason-code', 'security', '--justification', 'the payment queue is stuck');
    expect(calls).toEqual([
      ['invoke', { profile: 'prod-admin', reasonCode: 'incident', justification: 'the payment queue is stuck', durationSeconds: 1800 }],
      ['invoke', { profile: 'prod-admin', reasonCode: 'security', justification: 'the payment queue is stuck' }],
    ]);
  });

  it('breakglass list --all --profile P --status S: the options reach list, not the invocation; --output json anywhere', async () => {
    const { api, calls } = recording();
    const result = await sentinel(api, 'breakglass', 'list', '--all', '--profile', 'prod-admin', '--status', 'active', '--output', 'json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ events: [view()] });
    expect(calls).toEqual([['list', { scope: 'all', profile: 'prod-admin', status: 'active' }]]);
    expect((await sentinel(api, 'breakglass', 'list')).code).toBe(0);
    expect(calls[1]).toEqual(['list', {}]);
  });

  it('breakglass close ID --reason R', async () => {
    const { api, calls } = recording();
    expect((await sentinel(api, 'breakglass', 'close', ID, '--reason', 'fixed')).code).toBe(0);
    expect(calls).toEqual([['close', { id: ID, reason: 'fixed' }]]);
  });

  it.each([
    [['breakglass'], "error: required option '--profile <profile>' not specified"],
    [['breakglass', '--profile', 'prod-admin', '--justification', 'the payment queue is stuck'], "error: required option '--reason-code <code>' not specified"],
    [['breakglass', 'lsit'], "error: unknown command 'breakglass lsit': use list, close, or invoke with --profile <profile>"],
    [['breakglass', '--profile', 'prod-admin', '--reason-code', 'incident', '--justification', 'the payment queue is stuck', '--duration', '5m'], "error: option '--duration <duration>' argument '5m' is invalid."],
    [['breakglass', 'close', 'nope', '--reason', 'x'], "error: command-argument value 'nope' is invalid for argument 'id'."],
    [['breakglass', 'list', '--status', 'open'], "error: option '--status <status>' argument 'open' is invalid."],
  ])('usage errors exit 2 before any request: %j', async (args, message) => {
    const { api, calls } = recording();
    const result = await sentinel(api, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(calls).toEqual([]);
  });
});
