/**
 * The server-mode re-check (src/vending/check.ts) over the in-memory ports: the policy
 * first (a refusal writes nothing), then the session's state in one conditional write.
 */

import { person } from '../../support/callers.js';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../src/identity/types.js';
import { checkSession } from '../../../src/vending/check.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import { caught } from '../../support/caught.js';
import { harness, SERVER_FREEZE_POLICY } from './fakes.js';
import type { Harness } from './fakes.js';

const alice: Caller = person('alice');
const bob: Caller = person('bob');

async function started(h: Harness): Promise<string> {
  const first = await vendCredentials({ profile: 'prod', mode: 'server' }, { caller: alice, requestId: 'r', receivedAt: h.clock.time }, h.deps);
  if (first.session === null) throw new Error('expected a session');
  return first.session.id;
}

describe('checkSession', () => {
  it('answers the session state and the decision, counts the access, and issues nothing', async () => {
    const h = harness();
    const id = await started(h);
    h.clock.time = new Date('2026-11-18T10:05:00Z');
    const answer = await checkSession(id, { profile: 'prod' }, alice, h.deps);
    expect(answer).toEqual({
      session: { id, status: 'active', expiresAt: '2026-11-18T10:15:00.000Z', lastAccessAt: '2026-11-18T10:05:00.000Z', requestCount: 2 },
      decision: { effect: 'allow', rule: 'prod-tracked' },
      policyVersion: 1,
    });
    expect(JSON.stringify(answer)).not.toMatch(/secret|token|ASIA/i);
    expect(h.issuer.calls).toHaveLength(1);
  });

  it('refuses a revoked session with its own code', async () => {
    const h = harness();
    const id = await started(h);
    const stored = h.sessions.table('sentinel-sessions').get(id);
    if (stored !== undefined) stored.status = 'revoked';
    expect((await caught(checkSession(id, { profile: 'prod' }, alice, h.deps))).code).toBe('SESSION_REVOKED');
  });

  it('a policy that now denies refuses the check with its denial, and nothing is written', async () => {
    const h = harness();
    const id = await started(h);
    h.setPolicy(SERVER_FREEZE_POLICY);
    const error = await caught(checkSession(id, { profile: 'prod' }, alice, h.deps));
    expect([error.code, error.message, error.denial?.rule]).toEqual(['POLICY_DENY', 'access to profile "prod" is denied: change freeze', 'freeze']);
    expect(h.sessions.table('sentinel-sessions').get(id)?.requestCount).toBe(1);
  });

  it("nobody checks another's session", async () => {
    const h = harness();
    const id = await started(h);
    expect((await caught(checkSession(id, { profile: 'prod' }, bob, h.deps))).code).toBe('NOT_OWNER');
  });

  it('is not counted by the rate limiter, which bounds credentials issued: it counts in the session instead', async () => {
    const h = harness();
    const id = await started(h);
    await checkSession(id, { profile: 'prod' }, alice, h.deps);
    expect(h.consumed).toEqual(['person/alice']);
    h.rateLimited.value = true;
    const answer = await checkSession(id, { profile: 'prod' }, alice, h.deps);
    expect(answer.session.requestCount).toBe(3);
    expect(h.consumed).toEqual(['person/alice']);
  });

  it('needs a session table when the deployment has no default', async () => {
    const h = harness({ defaultSessionTable: null });
    const error = await caught(checkSession('0123456789abcdef0123456789abcdef', { profile: 'prod' }, alice, h.deps));
    expect([error.code, error.message]).toEqual(['INVALID_REQUEST', "this deployment has no default session table: send the session's table as sessionTable"]);
  });
});
