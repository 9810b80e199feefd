import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../src/identity/types.js';
import { checkSession } from '../../../src/vending/check.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import { person } from '../../support/callers.js';
import { caught } from '../../support/caught.js';
import { harness } from './fakes.js';
import type { Harness } from './fakes.js';

// Behaviour of the server-mode re-check the mutation run (npm run test:mutation) showed untested.

const alice: Caller = person('alice');

async function started(h: Harness, sessionTable?: string): Promise<string> {
  const request = { profile: 'prod', mode: 'server' as const, ...(sessionTable === undefined ? {} : { sessionTable }) };
  const first = await vendCredentials(request, { caller: alice, requestId: 'r', receivedAt: h.clock.time }, h.deps);
  if (first.session === null) throw new Error('expected a session');
  return first.session.id;
}

describe('checkSession: the session table the client names', () => {
  it('checks a session in a provisioned team table the request names', async () => {
    const h = harness();
    const id = await started(h, 'sentinel-team-sessions');
    const answer = await checkSession(id, { profile: 'prod', sessionTable: 'sentinel-team-sessions' }, alice, h.deps);
    expect(answer.session).toMatchObject({ id, status: 'active', requestCount: 2 });
    expect(h.sessions.table('sentinel-team-sessions').get(id)?.requestCount).toBe(2);
  });

  it('refuses a table under the prefix that is not a provisioned sessions table, and writes nothing', async () => {
    const h = harness();
    const id = await started(h);
    const error = await caught(checkSession(id, { profile: 'prod', sessionTable: 'sentinel-other-sessions' }, alice, h.deps));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('sentinel-other-sessions');
    expect(h.sessions.table('sentinel-sessions').get(id)?.requestCount).toBe(1);
  });

  it('refuses a table outside the deployment prefix', async () => {
    const h = harness();
    const id = await started(h);
    const error = await caught(checkSession(id, { profile: 'prod', sessionTable: 'someone-elses-table' }, alice, h.deps));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(h.consumed).toEqual(['person/alice']);
  });

  it('the deployment default needs no provisioning check, even when named explicitly', async () => {
    const h = harness();
    h.deps.sessionTables = { isSessionsTable: async () => false };
    const id = await started(h);
    const answer = await checkSession(id, { profile: 'prod', sessionTable: 'sentinel-sessions' }, alice, h.deps);
    expect(answer.session.requestCount).toBe(2);
  });
});

describe('checkSession: grants', () => {
  it("keeps a session under an approval open only with the checking user's grant for this profile", async () => {
    const h = harness();
    const reads: Array<{ user: string; profile: string }> = [];
    const endsAt = new Date(h.clock.time.getTime() + 45 * 60_000);
    h.deps.grants = {
      grantsFor: async ({ user, profile }) => {
        reads.push({ user, profile });
        return user === 'alice' && profile === 'prod-admin' ? [{ kind: 'approval', id: 'abcdef0123456789abcdef0123456789', endsAt }] : [];
      },
    };
    const first = await vendCredentials({ profile: 'prod-admin', mode: 'server' }, { caller: alice, requestId: 'r', receivedAt: h.clock.time }, h.deps);
    const id = first.session?.id as string;
    const answer = await checkSession(id, { profile: 'prod-admin' }, alice, h.deps);
    expect(answer.decision).toEqual({ effect: 'allow', rule: 'prod-admin-approval' });
    expect(reads.at(-1)).toEqual({ user: 'alice', profile: 'prod-admin' });
  });
});
