/**
 * `sentinel sessions show` and `sessions end` through their run functions, and every
 * session command as program.ts parses it (the real argument parser, the API client
 * replaced by a fake): option values as typed, usage errors before any request, the
 * original Sentinel's aliases with the same options, hidden from the main help.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { runSessionsEnd } from '../../../../src/cli/commands/sessionsEnd.js';
import { runSessionsShow } from '../../../../src/cli/commands/sessionsShow.js';
import { credentialsCacheDir, CredentialsCache } from '../../../../src/cli/credentials/cache.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { run } from '../../../../src/cli/program.js';
import { ACCOUNT, fakeApi, harness, NOW, outcome } from './harness.js';
import { id, session } from './sessionFixtures.js';

const ID = '0123456789abcdef0123456789abcdef';

/** The API the commands get when run through program.ts (see the mock below); each test sets it. */
let programApi: SentinelApi = fakeApi({});

vi.mock('../../../../src/cli/api/fromCommand.js', () => ({ apiFor: async () => programApi }));

describe('sentinel sessions show', () => {
  it('prints one field per line, labels aligned; revocation fields only when the session has them', async () => {
    const active = await outcome(harness(fakeApi({ showSession: async () => ({ session: session() }) })), (context) => runSessionsShow({ id: ID }, context));
    expect(active).toEqual({
      code: 0,
      stdout: [
        `id               ${ID}`,
        'user             alice',
        'profile          prod',
        'mode             server',
        'status           active',
        'started          2025-03-14T09:00:12.345Z',
        'last access      2025-03-14T09:29:59.999Z',
        'requests         17',
        'expires          2025-03-14T09:45:12.000Z',
        `role             arn:aws:iam::${ACCOUNT}:role/sentinel-prod-operator`,
        `caller           arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice`,
        `account          ${ACCOUNT}`,
        'source identity  sentinel.alice.direct.4973b874',
        'table            sentinel-sessions',
        '',
      ].join('\n'),
      stderr: '',
    });
    const revoked = session({ status: 'revoked', revokedBy: 'admin', revokedReason: 'incident 42', revokedAt: '2025-03-14T09:31:00.000Z', endedAt: '2025-03-14T09:32:00.000Z' });
    const shown = await outcome(harness(fakeApi({ showSession: async () => ({ session: revoked }) })), (context) => runSessionsShow({ id: ID }, context));
    expect(shown.stdout.split('\n').slice(9, 13)).toEqual([
      'revoked by       admin',
      'revoked reason   incident 42',
      'revoked at       2025-03-14T09:31:00.000Z',
      'ended at         2025-03-14T09:32:00.000Z',
    ]);
  });

  it('shows a hostile reason or profile as visible escapes, one line each', async () => {
    const hostile = session({ status: 'revoked', profile: 'prod\u001b[31m', revokedBy: 'admin', revokedReason: 'a\nb\u001b]0;t\u0007\u202e', revokedAt: '2025-03-14T09:31:00.000Z' });
    const result = await outcome(harness(fakeApi({ showSession: async () => ({ session: hostile }) })), (context) => runSessionsShow({ id: ID }, context));
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(result.stdout).not.toContain(raw);
    expect(result.stdout).toContain('\nprofile          prod\\u001b[31m\n');
    expect(result.stdout).toContain('\nrevoked reason   a\\u000ab\\u001b]0;t\\u0007\\u202e\n');
  });

  it('prints the API answer { session } as JSON, and sends --session-table', async () => {
    const queries: Array<Record<string, string>> = [];
    const api = fakeApi({
      showSession: async (_id, query) => {
        queries.push(query);
        return { session: session() };
      },
    });
    const result = await outcome(harness(api, { format: 'json' }), (context) => runSessionsShow({ id: ID, sessionTable: 'sentinel-team-sessions' }, context));
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify({ session: session() }, null, 2)}\n`, stderr: '' });
    expect(queries).toEqual([{ sessionTable: 'sentinel-team-sessions' }]);
  });

  it("reports the API's NOT_FOUND (also what someone else's session looks like), exit 1", async () => {
    const api = fakeApi({ showSession: async () => Promise.reject(new ApiError('NOT_FOUND', `session ${ID} does not exist`, { status: 404 })) });
    expect(await outcome(harness(api), (context) => runSessionsShow({ id: ID }, context))).toEqual({ code: 1, stdout: '', stderr: `sentinel: session ${ID} does not exist\n` });
  });
});

describe('sentinel sessions end', () => {
  it('ends the session and says when; JSON: the API answer', async () => {
    const bodies: unknown[] = [];
    const api = fakeApi({
      endSession: async (sessionId, body) => {
        bodies.push({ sessionId, body });
        return { id: sessionId, status: 'ended', endedAt: '2025-03-14T09:30:00.000Z' };
      },
    });
    expect(await outcome(harness(api), (context) => runSessionsEnd({ id: ID }, context))).toEqual({ code: 0, stdout: `ended session ${ID} at 2025-03-14T09:30:00.000Z\n`, stderr: '' });
    const json = await outcome(harness(api, { format: 'json' }), (context) => runSessionsEnd({ id: ID, sessionTable: 'sentinel-team-sessions' }, context));
    expect(JSON.parse(json.stdout)).toEqual({ id: ID, status: 'ended', endedAt: '2025-03-14T09:30:00.000Z' });
    expect(bodies).toEqual([
      { sessionId: ID, body: {} },
      { sessionId: ID, body: { sessionTable: 'sentinel-team-sessions' } },
    ]);
  });

  it("reports the API's refusal: someone else's session, one already over", async () => {
    const api = fakeApi({ endSession: async () => Promise.reject(new ApiError('SESSION_REVOKED', `session ${ID} was revoked by admin: incident 42`, { status: 403 })) });
    expect(await outcome(harness(api), (context) => runSessionsEnd({ id: ID }, context))).toEqual({ code: 1, stdout: '', stderr: `sentinel: session ${ID} was revoked by admin: incident 42\n` });
  });
});

describe('sessions end and revoke drop the cached credentials of the session on this machine', () => {
  const OTHER = 'fedcba9876543210fedcba9876543210';
  const CREDENTIALS = { accessKeyId: 'ASIASENTINELDEV00001', secretAccessKey: 'sentinel-dev-secret-1', sessionToken: 'sentinel-dev:token-1', expiration: '2025-03-14T10:30:00.000Z' };
  let cacheHome: string;
  let dir: string;

  beforeEach(async () => {
    cacheHome = await mkdtemp(path.join(tmpdir(), 'sentinel-sessions-cache-'));
    dir = credentialsCacheDir({ XDG_CACHE_HOME: cacheHome });
    // Two entries as sentinel credentials writes them: one of the session, one of another.
    for (const [profile, sessionId] of [['dev', ID], ['staging', OTHER]] as const) {
      const principal = { id: 'p'.repeat(64), secret: Buffer.alloc(32, 1) };
      const key = { apiUrl: 'http://127.0.0.1:4280', region: 'us-east-1', principal: principal.id, profile, durationSeconds: null, mode: 'credential_process' as const };
      expect(await new CredentialsCache({ dir, key, principal, now: () => NOW }).write(CREDENTIALS, sessionId)).toBeUndefined();
    }
  });

  afterEach(async () => {
    await rm(cacheHome, { recursive: true, force: true });
  });

  const entries = async (): Promise<number> => (await readdir(dir)).filter((name) => name.endsWith('.json')).length;

  it('end: the session\'s entry goes, the other stays, and the text says so; JSON is the API answer alone', async () => {
    const api = fakeApi({ endSession: async (sessionId) => ({ id: sessionId, status: 'ended', endedAt: '2025-03-14T09:30:00.000Z' }) });
    const env = { XDG_CACHE_HOME: cacheHome };
    expect(await outcome(harness(api, { env }), (context) => runSessionsEnd({ id: ID }, context))).toEqual({
      code: 0,
      stdout: `ended session ${ID} at 2025-03-14T09:30:00.000Z\nremoved its credentials from this machine's credentials cache (sentinel credentials asks the API next time)\n`,
      stderr: '',
    });
    expect(await entries()).toBe(1);
    const json = await outcome(harness(api, { env, format: 'json' }), (context) => runSessionsEnd({ id: OTHER }, context));
    expect(JSON.parse(json.stdout)).toEqual({ id: OTHER, status: 'ended', endedAt: '2025-03-14T09:30:00.000Z' });
    expect(await entries()).toBe(0);
  });

  it('end of a session that is over already drops its entry too, and reports the refusal', async () => {
    const api = fakeApi({ endSession: async () => Promise.reject(new ApiError('SESSION_REVOKED', `session ${ID} was revoked by admin: incident 42`, { status: 403 })) });
    expect(await outcome(harness(api, { env: { XDG_CACHE_HOME: cacheHome } }), (context) => runSessionsEnd({ id: ID }, context))).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: session ${ID} was revoked by admin: incident 42\n`,
    });
    expect(await entries()).toBe(1);
  });

  it('end refused for another reason (not the owner) keeps the entry', async () => {
    const api = fakeApi({ endSession: async () => Promise.reject(new ApiError('NOT_OWNER', 'not yours', { status: 403 })) });
    expect((await outcome(harness(api, { env: { XDG_CACHE_HOME: cacheHome } }), (context) => runSessionsEnd({ id: ID }, context))).code).toBe(1);
    expect(await entries()).toBe(2);
  });
});

describe('the session commands as typed (program.ts, the real argument parser)', () => {
  let stdout = '';
  let stderr = '';

  function capture(): void {
    stdout = '';
    stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  }

  afterEach(() => {
    process.exitCode = undefined;
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** `sentinel args…` against `api`: exit code, stdout, stderr. */
  async function sentinel(api: SentinelApi, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    programApi = api;
    capture();
    // As in CI, whatever terminal the tests run on: no one to confirm a revocation.
    const stderrTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true, writable: true });
    try {
      const code = await run(['node', 'sentinel', ...args]);
      return { code, stdout, stderr };
    } finally {
      if (stderrTTY === undefined) delete (process.stderr as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(process.stderr, 'isTTY', stderrTTY);
      vi.restoreAllMocks();
    }
  }

  /** Records the queries of a listing that answers nothing. */
  function listing() {
    const queries: Array<Record<string, string>> = [];
    const api = fakeApi({
      whoami: async () => ({ user: 'alice', arn: 'arn', accountId: ACCOUNT, admin: false }),
      listSessions: async (query) => {
        queries.push(query);
        return { sessions: [session()] };
      },
    });
    return { api, queries };
  }

  it('sessions list: every option reaches the query as typed; $SENTINEL_SESSION_TABLE is the table unless --session-table names one', async () => {
    vi.stubEnv('SENTINEL_SESSION_TABLE', 'sentinel-env-sessions');
    const { api, queries } = listing();
    const result = await sentinel(api, 'sessions', 'list', '--user', 'role:deploy/ci-42', '--profile', 'prod', '--status', 'expired', '--since', '2025-03-14T10:30:00+01:00', '--limit', '100', '--all');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ID +USER/);
    await sentinel(api, 'sessions', 'list', '--profile', 'dev', '--session-table', 'sentinel-team-sessions');
    expect(queries).toEqual([
      { user: 'role:deploy/ci-42', profile: 'prod', status: 'expired', since: '2025-03-14T09:30:00.000Z', limit: '100', sessionTable: 'sentinel-env-sessions' },
      { profile: 'dev', sessionTable: 'sentinel-team-sessions' },
    ]);
  });

  it('sessions list --since 2h counts back from now', async () => {
    const { api, queries } = listing();
    const before = Date.now();
    await sentinel(api, 'sessions', 'list', '--since', '2h');
    const since = Date.parse(queries[0]?.since ?? '');
    expect(since).toBeGreaterThanOrEqual(before - 7_200_000 - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() - 7_200_000 + 1000);
  });

  it('refuses bad option values with a usage error (exit 2) naming what is allowed, before any request', async () => {
    const api = fakeApi({});
    const cases: Array<[string[], string]> = [
      [['sessions', 'list', '--status', 'open'], "error: option '--status <status>' argument 'open' is invalid. Allowed choices are pending, active, revoked, ended, expired, failed."],
      [['sessions', 'list', '--limit', '0'], "error: option '--limit <n>' argument '0' is invalid. Expected a whole number from 1 to 100."],
      [['sessions', 'list', '--limit', '101'], "error: option '--limit <n>' argument '101' is invalid. Expected a whole number from 1 to 100."],
      [['sessions', 'list', '--limit', '5x'], "error: option '--limit <n>' argument '5x' is invalid. Expected a whole number from 1 to 100."],
      [['sessions', 'list', '--since', 'yesterday'], "error: option '--since <time>' argument 'yesterday' is invalid. Expected an RFC 3339 timestamp such as 2025-03-14T09:30:00Z, or a duration back from now such as 30m or 24h."],
      [['sessions', 'list', '--since', '2025-03-14'], "error: option '--since <time>' argument '2025-03-14' is invalid. Expected an RFC 3339 timestamp"],
      [['sessions', 'list', '--user', 'alice smith'], "error: option '--user <user>' argument 'alice smith' is invalid. Expected a Sentinel user name such as alice, iam:erin or role:deploy/ci-42"],
      [['sessions', 'list', '--profile', 'prod/x'], "error: option '--profile <profile>' argument 'prod/x' is invalid. Profile names are 1 to 64 letters"],
      [['sessions', 'show', 'ABC'], "error: command-argument value 'ABC' is invalid for argument 'id'. Expected a session id: 32 lowercase hex digits"],
      [['sessions', 'show'], "error: missing required argument 'id'"],
      [['sessions', 'end', id('g')], "error: command-argument value 'gggggggggggggggggggggggggggggggg' is invalid for argument 'id'."],
      [['sessions', 'revoke', ID], "error: required option '--reason <text>' not specified"],
      [['sessions', 'revoke', '--reason', 'x', '--yes'], 'error: name exactly one of a session ID, --user <user> or --profile <profile>'],
      [['sessions', 'revoke', ID, '--user', 'alice', '--reason', 'x', '--yes'], 'error: name exactly one of a session ID, --user <user> or --profile <profile>'],
      [['sessions', 'revoke', ID, '--reason', '', '--yes'], "error: option '--reason <text>' is invalid: the reason must not be empty"],
      [['sessions', 'revoke', ID, '--reason', 'x'], 'error: not on a terminal, so no one can confirm the revocation: pass --yes to revoke without asking'],
      [['sessions', 'revoke', '--user', 'alice', '--reason', 'x'], 'error: not on a terminal, so no one can confirm the revocation: pass --yes to revoke without asking'],
    ];
    for (const [args, message] of cases) {
      const result = await sentinel(api, ...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr.startsWith(message), `${args.join(' ')}: ${result.stderr}`).toBe(true);
    }
  });

  it('sessions revoke, show and end as typed reach the API with the id, reason and table', async () => {
    const calls: unknown[] = [];
    const api = fakeApi({
      whoami: async () => ({ user: 'admin', arn: 'arn', accountId: ACCOUNT, admin: true }),
      revokeSession: async (sessionId, body) => {
        calls.push(['revoke', sessionId, body]);
        return { session: session({ status: 'revoked', revokedBy: 'admin', revokedReason: body.reason, revokedAt: new Date().toISOString() }), alreadyRevoked: false, aws: { status: 'denied' } };
      },
      revokeSessions: async (body) => {
        calls.push(['revokeSessions', body]);
        return { revoked: 1, skipped: 0, awsPending: 0 };
      },
      showSession: async (sessionId, query) => {
        calls.push(['show', sessionId, query]);
        return { session: session() };
      },
      endSession: async (sessionId, body) => {
        calls.push(['end', sessionId, body]);
        return { id: sessionId, status: 'ended', endedAt: '2025-03-14T09:30:00.000Z' };
      },
    });
    expect((await sentinel(api, 'sessions', 'revoke', ID, '--reason', 'incident 42', '-y', '--session-table', 'sentinel-team-sessions')).code).toBe(0);
    expect((await sentinel(api, '--output', 'json', 'sessions', 'revoke', '--profile', 'prod', '--reason', 'incident 42', '--yes')).stdout).toBe(
      `${JSON.stringify({ profile: 'prod', revoked: 1, skipped: 0, awsPending: 0 }, null, 2)}\n`,
    );
    expect((await sentinel(api, 'sessions', 'show', ID)).code).toBe(0);
    expect((await sentinel(api, 'sessions', 'end', ID, '--session-table', 'sentinel-team-sessions')).stdout).toBe(`ended session ${ID} at 2025-03-14T09:30:00.000Z\n`);
    expect(calls).toEqual([
      ['revoke', ID, { reason: 'incident 42', sessionTable: 'sentinel-team-sessions' }],
      ['revokeSessions', { profile: 'prod', reason: 'incident 42' }],
      ['show', ID, {}],
      ['end', ID, { sessionTable: 'sentinel-team-sessions' }],
    ]);
  });

  it("the original Sentinel's server-sessions, server-session and server-revoke work with the same options", async () => {
    const { api, queries } = listing();
    const shown: string[] = [];
    const revoked: unknown[] = [];
    api.showSession = async (sessionId) => {
      shown.push(sessionId);
      return { session: session() };
    };
    api.revokeSession = async (sessionId, body) => {
      revoked.push([sessionId, body]);
      return { session: session({ status: 'revoked', revokedBy: 'alice', revokedReason: body.reason, revokedAt: new Date().toISOString() }), alreadyRevoked: false, aws: { status: 'denied' } };
    };
    expect((await sentinel(api, 'server-sessions', '--profile', 'prod', '--status', 'active', '--limit', '10')).stdout).toMatch(/^ID +USER +PROFILE/);
    expect((await sentinel(api, 'server-session', ID, '--output', 'json')).stdout).toBe(`${JSON.stringify({ session: session() }, null, 2)}\n`);
    expect((await sentinel(api, 'server-revoke', ID, '--reason', 'incident 42', '--yes')).stdout).toMatch(new RegExp(`^revoked session ${ID} `));
    expect((await sentinel(api, 'server-revoke', ID, '--reason', 'incident 42')).code).toBe(2);
    expect((await sentinel(api, 'server-sessions', '--status', 'open')).code).toBe(2);
    expect({ queries, shown, revoked }).toEqual({ queries: [{ profile: 'prod', status: 'active', limit: '10' }], shown: [ID], revoked: [[ID, { reason: 'incident 42' }]] });
  });

  it('lists sessions in the main help and keeps the aliases out of it', async () => {
    const help = (await sentinel(fakeApi({}), '--help')).stdout;
    expect(help).toMatch(/\n {2}sessions +list, show, revoke and end sessions\n/);
    expect(help).not.toContain('server-');
    expect((await sentinel(fakeApi({}), 'sessions', '--help')).stdout).toMatch(/list \[options\][\s\S]*show \[options\] <id>[\s\S]*revoke \[options\] \[id\][\s\S]*end \[options\] <id>/);
  });

  it('reports an API refusal from the real context: text on stderr, the error document with --output json', async () => {
    const api = fakeApi({ revokeSession: async () => Promise.reject(new ApiError('NOT_ADMIN', 'only admins may revoke sessions', { status: 403, requestId: 'req-2' })), whoami: async () => ({ user: 'bob', arn: 'arn', accountId: ACCOUNT, admin: false }) });
    expect(await sentinel(api, 'sessions', 'revoke', ID, '--reason', 'x', '--yes')).toEqual({ code: 1, stdout: '', stderr: 'sentinel: only admins may revoke sessions\n' });
    const json = await sentinel(api, 'sessions', 'revoke', ID, '--reason', 'x', '--yes', '--output', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'NOT_ADMIN', message: 'only admins may revoke sessions', requestId: 'req-2' } });
  });
});
