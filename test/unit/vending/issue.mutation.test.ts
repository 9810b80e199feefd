import { describe, expect, it } from 'vitest';
import type { CredentialsRequest } from '../../../src/api/contract.js';
import type { Caller } from '../../../src/identity/types.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import { person } from '../../support/callers.js';
import { caught } from '../../support/caught.js';
import { harness } from './fakes.js';
import type { Harness } from './fakes.js';

// Behaviour the mutation run (npm run test:mutation) showed untested: what a caller and
// the decision log see on the less travelled paths of issuance.

const alice: Caller = person('alice');

function vend(h: Harness, request: CredentialsRequest, caller: Caller = alice) {
  return vendCredentials(request, { caller, requestId: 'req-1', receivedAt: h.clock.time }, h.deps);
}

/** prod tracked in the team table now: a session opened in the default table meets a moved profile. */
const PROD_IN_TEAM_TABLE = `version: "1"
profiles:
  prod: { role_arn: "arn:aws:iam::111122223333:role/prod" }
rules:
  - name: prod-team
    effect: require_server_session
    session_table: sentinel-team-sessions
    conditions: { profiles: [prod] }
`;

describe('vendCredentials: refresh requests the deployment cannot place', () => {
  it('a refresh without sessionTable on a deployment without a default table is INVALID_REQUEST, before it is counted', async () => {
    const h = harness({ defaultSessionTable: null });
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: 'a'.repeat(32) }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(h.consumed).toEqual([]);
    expect(h.issuer.calls).toEqual([]);
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ outcome: 'INVALID_REQUEST', refresh: true, sessionId: 'a'.repeat(32), effect: null });
  });

  it('a refresh naming its table works on a deployment without a default table', async () => {
    const h = harness({ defaultSessionTable: null });
    const first = await vend(h, { profile: 'prod', mode: 'server', sessionTable: 'sentinel-team-sessions' });
    expect(first.session?.table).toBe('sentinel-team-sessions');
    const again = await vend(h, { profile: 'prod', mode: 'server', sessionId: first.session?.id as string, sessionTable: 'sentinel-team-sessions' });
    expect(again.session).toMatchObject({ id: first.session?.id, table: 'sentinel-team-sessions' });
    expect(h.issuer.calls).toHaveLength(2);
  });

  it('a policy that now tracks the profile in another table refuses the refresh with CONFLICT and leaves the session as it was', async () => {
    const h = harness();
    const first = await vend(h, { profile: 'prod', mode: 'server' });
    const id = first.session?.id as string;
    h.setPolicy(PROD_IN_TEAM_TABLE);
    const error = await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: id }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('sentinel-team-sessions');
    expect(h.issuer.calls).toHaveLength(1);
    expect(h.sessions.table('sentinel-sessions').get(id)).toMatchObject({ status: 'active', requestCount: 1 });
    expect(h.lines[1]).toMatchObject({ outcome: 'CONFLICT', refresh: true, effect: 'allow', rule: 'prod-team' });
  });
});

describe('vendCredentials: an unexpected failure', () => {
  it('is logged as INTERNAL, the error reaches the caller unchanged, and the new session is marked failed', async () => {
    const h = harness();
    const failure = new TypeError('boom');
    h.issuer.failWith = failure;
    await expect(vend(h, { profile: 'dev', mode: 'cli' })).rejects.toBe(failure);
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ outcome: 'INTERNAL', effect: 'allow', rule: 'dev-engineers' });
    expect([...h.sessions.table('sentinel-sessions').values()].map((session) => session.status)).toEqual(['failed']);
  });
});
