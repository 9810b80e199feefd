/**
 * Issuance decisions the mutation run (npm run test:mutation) showed untested, through
 * the pipeline as a caller meets it: which grants lift what, the denial facts of the
 * duration refusals, the exact 900 s boundaries, tables a policy may not name, and what
 * the decision log records.
 */

import { describe, expect, it } from 'vitest';
import type { CredentialsRequest } from '../../../src/api/contract.js';
import { UnavailableError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import type { Grant } from '../../../src/vending/plan.js';
import { person } from '../../support/callers.js';
import { caught } from '../../support/caught.js';
import { harness, SERVER_FREEZE_POLICY } from './fakes.js';
import type { Harness } from './fakes.js';

const alice: Caller = person('alice');
const carol: Caller = person('carol');
const EVENT_ID = '0badc0de0123456789abcdef01234567';

function vend(h: Harness, request: CredentialsRequest, caller: Caller = alice) {
  return vendCredentials(request, { caller, requestId: 'req-1', receivedAt: h.clock.time }, h.deps);
}

const inSeconds = (h: Harness, seconds: number) => new Date(h.clock.time.getTime() + seconds * 1000);

/** A grant source answering `grants` (or failing with them) for every question, counting the questions. */
function grantSource(h: Harness, grants: Grant[] | Error): { reads: number } {
  const counter = { reads: 0 };
  h.deps.grants = {
    grantsFor: async () => {
      counter.reads += 1;
      if (grants instanceof Error) throw grants;
      return grants;
    },
  };
  return counter;
}

const PLAIN_DENY = `version: "1"
profiles:
  ops: { role_arn: "arn:aws:iam::111122223333:role/ops" }
rules:
  - name: ops-closed
    effect: deny
    conditions: { profiles: [ops] }
    reason: ops is closed
  - name: ops-open
    effect: allow
    conditions: { profiles: [ops] }
`;

const SHORT_SERVER_CAP = `version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
rules:
  - name: short
    effect: require_server
    max_server_duration: 5m
`;

describe('grants', () => {
  it('an active break-glass event lifts a plain deny rule; the log names the event as break-glass', async () => {
    const h = harness();
    h.setPolicy(PLAIN_DENY);
    grantSource(h, [{ kind: 'breakglass', id: EVENT_ID, endsAt: inSeconds(h, 1800) }]);
    const response = await vend(h, { profile: 'ops', mode: 'cli' });
    expect(response.sourceIdentity).toBe('sentinel.alice.bg-0badc0de.00000001');
    expect(h.issuer.calls[0]?.durationSeconds).toBe(1800);
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', effect: 'allow', rule: 'ops-closed', via: 'bg-0badc0de', reason: `break-glass ${EVENT_ID}` });
  });

  it('a break-glass event lifts a deny of one mode of a profile the caller can see (POLICY_DENY)', async () => {
    const h = harness();
    h.setPolicy(SERVER_FREEZE_POLICY);
    grantSource(h, [{ kind: 'breakglass', id: EVENT_ID, endsAt: inSeconds(h, 1800) }]);
    const response = await vend(h, { profile: 'prod', mode: 'server' });
    expect(response.sourceIdentity).toBe('sentinel.alice.bg-0badc0de.00000001');
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', rule: 'freeze', via: 'bg-0badc0de' });
  });

  it('a break-glass event opens a profile the caller cannot otherwise even see', async () => {
    const h = harness();
    grantSource(h, [{ kind: 'breakglass', id: EVENT_ID, endsAt: inSeconds(h, 1800) }]);
    const response = await vend(h, { profile: 'dev', mode: 'cli' }, carol);
    expect(response.sourceIdentity).toBe('sentinel.carol.bg-0badc0de.00000001');
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', via: 'bg-0badc0de' });
  });

  it('a refusal no grant could lift keeps its own code even when the grant source is down', async () => {
    const h = harness();
    h.setPolicy(SHORT_SERVER_CAP);
    const source = grantSource(h, new UnavailableError('grants table down'));
    const error = await caught(vend(h, { profile: 'dev', mode: 'server' }));
    expect(error.code).toBe('POLICY_DENY');
    expect(source.reads).toBe(0);
  });

  it('a grant with exactly 900 s left still issues, for 900 s', async () => {
    const h = harness();
    grantSource(h, [{ kind: 'approval', id: 'abcdef0123456789abcdef0123456789', endsAt: inSeconds(h, 900) }]);
    const response = await vend(h, { profile: 'prod-admin', mode: 'cli' });
    expect(h.issuer.calls[0]?.durationSeconds).toBe(900);
    expect(response.credentials.expiration).toBe(inSeconds(h, 900).toISOString());
  });

  it('a grant with 899 s left is refused with denial facts the CLI can render', async () => {
    const h = harness();
    grantSource(h, [{ kind: 'approval', id: 'abcdef0123456789abcdef0123456789', endsAt: inSeconds(h, 899) }]);
    const error = await caught(vend(h, { profile: 'prod-admin', mode: 'cli' }));
    expect(error.code).toBe('POLICY_DENY');
    expect(error.denial).toEqual({
      effect: 'deny',
      rule: 'prod-admin-approval',
      reason: 'the access window ends in less than 900 s',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: 'sentinel-sessions',
      mode: 'cli',
      profile: 'prod-admin',
      alternatives: [],
    });
    expect(h.issuer.calls).toEqual([]);
  });
});

describe('duration refusals', () => {
  it('a server cap below the STS minimum carries complete denial facts', async () => {
    const h = harness();
    h.setPolicy(SHORT_SERVER_CAP);
    const error = await caught(vend(h, { profile: 'dev', mode: 'server' }));
    expect(error.denial).toEqual({
      effect: 'deny',
      rule: 'short',
      reason: "max_server_duration 300s is below STS's 900 s minimum",
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: 'sentinel-sessions',
      mode: 'server',
      profile: 'dev',
      alternatives: [],
    });
  });

  it('a refresh with exactly 900 s of the session lifetime left gets 900 s; one second later the session has ended', async () => {
    const h = harness();
    const first = await vend(h, { profile: 'prod', mode: 'server' });
    const id = first.session?.id as string;
    const stored = h.sessions.table('sentinel-sessions').get(id);
    if (stored !== undefined) stored.expiresAt = '2026-11-19T00:00:00.000Z';
    // Started 10:00 with a 12 h lifetime: 900 s are left at 21:45.
    h.clock.time = new Date('2026-11-18T21:45:00Z');
    await vend(h, { profile: 'prod', mode: 'server', sessionId: id });
    expect(h.issuer.calls[1]?.durationSeconds).toBe(900);
    h.clock.time = new Date('2026-11-18T21:45:01Z');
    expect((await caught(vend(h, { profile: 'prod', mode: 'server', sessionId: id }))).code).toBe('SESSION_EXPIRED');
  });
});

describe('tables and the decision log', () => {
  it('a rule naming a session table outside the deployment prefix issues nothing', async () => {
    const h = harness();
    h.setPolicy(`version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
rules:
  - name: elsewhere
    effect: allow
    session_table: other-team-sessions
`);
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('other-team-sessions');
    expect(h.sessions.tables.size).toBe(0);
    expect(h.issuer.calls).toEqual([]);
  });

  it('a request naming a table outside the prefix is refused before the rate limiter counts it', async () => {
    const h = harness();
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli', sessionTable: 'other-table' }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(h.consumed).toEqual([]);
  });

  it('an unknown profile is logged before any decision: no effect, no rule, the policy version', async () => {
    const h = harness();
    await caught(vend(h, { profile: 'nope', mode: 'cli' }));
    expect(h.lines[0]).toMatchObject({ outcome: 'UNKNOWN_PROFILE', effect: null, rule: null, ruleIndex: null, reason: null, policyVersion: 1, via: 'direct' });
  });

  it('an untracked issuance whose STS call fails returns the STS error and writes nothing', async () => {
    const h = harness({ defaultSessionTable: null });
    h.issuer.failWith = new UnavailableError('sts throttled');
    const error = await caught(vend(h, { profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(h.sessions.tables.size).toBe(0);
    expect(h.lines[0]).toMatchObject({ outcome: 'UNAVAILABLE', sessionId: null, sessionTable: null });
  });

  it('records how long the request took', async () => {
    const h = harness();
    h.issuer.during = async () => {
      h.clock.time = new Date(h.clock.time.getTime() + 250);
    };
    await vend(h, { profile: 'dev', mode: 'cli' });
    expect(h.lines[0]?.latencyMs).toBe(250);
  });
});
