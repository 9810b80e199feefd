/**
 * `sentinel sessions list` through runSessionsList: the table (aligned, times to the
 * minute, hostile server strings escaped), no sessions, one page and the note that more
 * may exist, --all following every cursor, the query each page is asked with, JSON
 * output, and a refusal.
 */
import { describe, expect, it } from 'vitest';
import type { ListSessionsResponse, SessionView } from '../../../../src/api/contract.js';
import type { SessionsListOptions } from '../../../../src/cli/commands/sessionsList.js';
import { runSessionsList } from '../../../../src/cli/commands/sessionsList.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { ACCOUNT, NOW, fakeApi, harness, outcome } from './harness.js';
import type { HarnessOptions } from './harness.js';
import { id, session } from './sessionFixtures.js';

const ALICE = { user: 'alice', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, admin: false };

const ENDED = session({
  id: id('b'),
  profile: 'dev',
  mode: 'cli',
  status: 'ended',
  createdAt: '2025-03-13T17:05:00.000Z',
  lastAccessAt: '2025-03-13T17:05:40.000Z',
  expiresAt: '2025-03-13T18:05:00.000Z',
  requestCount: 1,
  endedAt: '2025-03-13T17:30:00.000Z',
});

const TABLE = [
  'ID                                USER   PROFILE  MODE    STATUS  STARTED            LAST ACCESS        REQUESTS  EXPIRES',
  '0123456789abcdef0123456789abcdef  alice  prod     server  active  2025-03-14T09:00Z  2025-03-14T09:29Z        17  2025-03-14T09:45Z',
  'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  alice  dev      cli     ended   2025-03-13T17:05Z  2025-03-13T17:05Z         1  2025-03-13T18:05Z',
];

/** An API whose listing answers `pages` in turn, recording every query; whoami is alice. */
function pagedApi(pages: ListSessionsResponse[]) {
  const queries: Array<Record<string, string>> = [];
  let whoamis = 0;
  const api = fakeApi({
    whoami: async () => {
      whoamis += 1;
      return ALICE;
    },
    listSessions: async (query) => {
      queries.push(query);
      const page = pages[queries.length - 1];
      if (page === undefined) throw new Error('asked for a page after the last cursor');
      return page;
    },
  });
  return { api, queries, whoamis: () => whoamis };
}

function list(api: ReturnType<typeof pagedApi>['api'], options: SessionsListOptions = {}, harnessOptions: HarnessOptions = {}) {
  return outcome(harness(api, harnessOptions), (context) => runSessionsList(options, context));
}

describe('sentinel sessions list', () => {
  it('prints an aligned table: full ids, times in UTC to the minute, request counts aligned right', async () => {
    const { api } = pagedApi([{ sessions: [session(), ENDED] }]);
    expect(await list(api)).toEqual({ code: 0, stdout: `${TABLE.join('\n')}\n`, stderr: '' });
  });

  it('says "no sessions" and exits 0 when there are none', async () => {
    const { api } = pagedApi([{ sessions: [] }]);
    expect(await list(api)).toEqual({ code: 0, stdout: 'no sessions\n', stderr: '' });
  });

  it('shows escape sequences and bidi controls the server sent as visible escapes, and keeps the columns aligned', async () => {
    const hostile = session({ profile: 'prod\u001b[2J\u001b]0;owned\u0007', user: 'mallory\u202e' });
    const { api } = pagedApi([{ sessions: [hostile, ENDED] }]);
    const result = await list(api);
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(result.stdout).not.toContain(raw);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[1]).toContain('mallory\\u202e  prod\\u001b[2J\\u001b]0;owned\\u0007  server');
    // Every column starts at the same place on every line: STARTED, say.
    const started = lines.map((line) => line.indexOf(line === lines[0] ? 'STARTED' : '2025-03-1'));
    expect(new Set(started).size).toBe(1);
  });

  it('shows one page and notes on stderr that more may exist when the answer has a cursor', async () => {
    const { api, queries } = pagedApi([{ sessions: [session()], cursor: 'page-2' }, { sessions: [ENDED] }]);
    const result = await list(api);
    expect(result).toEqual({ code: 0, stdout: `${[TABLE[0], TABLE[1]].join('\n')}\n`, stderr: 'sentinel: more sessions may exist: pass --all to list them all\n' });
    expect(queries).toHaveLength(1);
  });

  it('with --all follows every cursor to the end, with the same query each time', async () => {
    const { api, queries } = pagedApi([{ sessions: [session()], cursor: 'page-2' }, { sessions: [], cursor: 'page-3' }, { sessions: [ENDED] }]);
    expect(await list(api, { all: true, status: 'active', limit: 1 })).toEqual({ code: 0, stdout: `${TABLE.join('\n')}\n`, stderr: '' });
    expect(queries).toEqual([
      { user: 'alice', status: 'active', limit: '1' },
      { user: 'alice', status: 'active', limit: '1', cursor: 'page-2' },
      { user: 'alice', status: 'active', limit: '1', cursor: 'page-3' },
    ]);
  });

  it('without --all goes past empty pages (a --status filter empties them) to the first that has sessions', async () => {
    const { api, queries } = pagedApi([{ sessions: [], cursor: 'page-2' }, { sessions: [session()], cursor: 'page-3' }, { sessions: [ENDED] }]);
    const result = await list(api, { status: 'active' });
    expect(result.stdout).toBe(`${[TABLE[0], TABLE[1]].join('\n')}\n`);
    expect(result.stderr).toBe('sentinel: more sessions may exist: pass --all to list them all\n');
    expect(queries).toHaveLength(2);
  });

  it('asks for your own sessions by name (whoami) when neither --user nor --profile is given', async () => {
    const mine = pagedApi([{ sessions: [] }]);
    await list(mine.api);
    expect({ queries: mine.queries, whoamis: mine.whoamis() }).toEqual({ queries: [{ user: 'alice' }], whoamis: 1 });

    const theirs = pagedApi([{ sessions: [] }]);
    await list(theirs.api, { user: 'bob' });
    const profile = pagedApi([{ sessions: [] }]);
    await list(profile.api, { profile: 'prod' });
    expect({ user: theirs.queries, profile: profile.queries, whoamis: theirs.whoamis() + profile.whoamis() }).toEqual({ user: [{ user: 'bob' }], profile: [{ profile: 'prod' }], whoamis: 0 });
  });

  it('sends every filter: --since as an ISO time (a duration counts back from now), --limit, --session-table', async () => {
    const { api, queries } = pagedApi([{ sessions: [] }, { sessions: [] }]);
    await list(api, { user: 'iam:erin', profile: 'prod', status: 'revoked', since: { agoSeconds: 3600 }, limit: 20, sessionTable: 'sentinel-team-sessions' });
    await list(api, { profile: 'prod', since: { at: new Date('2025-03-14T10:30:00+01:00') } });
    expect(queries).toEqual([
      { user: 'iam:erin', profile: 'prod', status: 'revoked', since: new Date(NOW - 3_600_000).toISOString(), limit: '20', sessionTable: 'sentinel-team-sessions' },
      { profile: 'prod', since: '2025-03-14T09:30:00.000Z' },
    ]);
  });

  it('with --output json prints { sessions } — every page with --all — and nothing else on stdout', async () => {
    const { api } = pagedApi([{ sessions: [session()], cursor: 'page-2' }, { sessions: [ENDED] }]);
    const all = await list(api, { all: true }, { format: 'json' });
    expect(all).toEqual({ code: 0, stdout: `${JSON.stringify({ sessions: [session(), ENDED] }, null, 2)}\n`, stderr: '' });

    const one = await list(pagedApi([{ sessions: [session()], cursor: 'page-2' }]).api, {}, { format: 'json' });
    expect(JSON.parse(one.stdout)).toEqual({ sessions: [session()] });
    expect(one.stderr).toBe('sentinel: more sessions may exist: pass --all to list them all\n');
  });

  it('escapes what a terminal would act on in the JSON document too; the data stays the same', async () => {
    const hostile: SessionView = session({ profile: 'prod\u009b2J\u202e' });
    const result = await list(pagedApi([{ sessions: [hostile] }]).api, {}, { format: 'json' });
    for (const raw of ['\u009b', '\u202e']) expect(result.stdout).not.toContain(raw);
    expect(JSON.parse(result.stdout)).toEqual({ sessions: [hostile] });
  });

  it('stops with API_BAD_RESPONSE when a page comes back with the cursor it was asked with (it would never end)', async () => {
    const { api, queries } = pagedApi([{ sessions: [session()], cursor: 'same' }, { sessions: [ENDED], cursor: 'same' }, { sessions: [] }]);
    const result = await list(api, { all: true });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sentinel: the API answered a page of sessions with the cursor it was sent; stopped listing\n' });
    expect(queries).toHaveLength(2);
  });

  it("reports the API's refusal of another user's sessions with its message, exit 1", async () => {
    const api = fakeApi({
      listSessions: async () => Promise.reject(new ApiError('NOT_ADMIN', 'only admins may list the sessions of other users; "bob" is not in the policy\'s admins', { status: 403, requestId: 'req-1' })),
    });
    expect(await list(api, { user: 'alice' })).toEqual({ code: 1, stdout: '', stderr: 'sentinel: only admins may list the sessions of other users; "bob" is not in the policy\'s admins\n' });
    const json = await list(api, { user: 'alice' }, { format: 'json' });
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NOT_ADMIN', requestId: 'req-1' } });
  });
});
