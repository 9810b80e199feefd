/**
 * The pure half of issuance: what planIssuance decides, and the override hook that
 * approvals and break-glass will feed.
 */

import { person } from '../../support/callers.js';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/policy/types.js';
import { applyGrants, planIssuance } from '../../../src/vending/plan.js';
import type { Grant, PlanInput } from '../../../src/vending/plan.js';
import { loaded } from './fakes.js';

const NOW = new Date('2026-11-18T10:00:00Z');
const SETTINGS = { tablePrefix: 'sentinel-', defaultSessionTable: 'sentinel-sessions', maxSessionLifetimeSeconds: 12 * 3600, auditRetentionSeconds: 90 * 86_400 };
const ALICE = person('alice');

function input(request: PlanInput['request'], extra: Partial<PlanInput> = {}): PlanInput {
  return { request, caller: ALICE, loaded: loaded(), now: NOW, settings: SETTINGS, ids: { requestId: 'a1b2c3d4', sessionId: '0123456789abcdef0123456789abcdef' }, ...extra };
}

const DENY: Decision = { effect: 'deny', rule: 'closed', ruleIndex: 2, reason: 'closed', requiresServerMode: false, requiresSessionTracking: false, sessionTable: null, maxServerDurationSeconds: null };

describe('planIssuance', () => {
  it('plans a tracked server-mode issuance: the session record, names, duration and facts', () => {
    const plan = planIssuance(input({ profile: 'prod', mode: 'server' }));
    expect(plan.kind).toBe('issue');
    if (plan.kind !== 'issue') return;
    expect(plan).toMatchObject({
      profile: 'prod',
      table: 'sentinel-sessions',
      sourceIdentity: 'sentinel.alice.direct.a1b2c3d4',
      roleSessionName: 'sentinel-alice-a1b2c3d4',
      durationSeconds: 900,
      session: { kind: 'create', record: { id: '0123456789abcdef0123456789abcdef', status: 'pending', user: 'alice', profile: 'prod', createdAt: NOW.toISOString(), expiresAt: '2026-11-18T10:15:00.000Z' } },
    });
    expect(plan.facts).toMatchObject({ effect: 'allow', via: 'direct', sessionId: '0123456789abcdef0123456789abcdef', sessionTable: 'sentinel-sessions', durationSeconds: 900, policyVersion: 1 });
  });

  it('is pure: the same input gives the same plan', () => {
    const request = { profile: 'prod', mode: 'server' } as const;
    expect(planIssuance(input(request))).toEqual(planIssuance(input(request)));
  });

  it('returns a refusal with its facts instead of throwing', () => {
    const plan = planIssuance(input({ profile: 'prod', mode: 'cli' }));
    expect(plan.kind).toBe('refuse');
    if (plan.kind !== 'refuse') return;
    expect(plan.error.code).toBe('SERVER_SESSION_REQUIRED');
    expect(plan.facts).toMatchObject({ effect: 'deny', sourceIdentity: null, sessionId: null, policyVersion: 1 });
  });

  it('an open grant lifts a require_approval refusal: via names it and the window caps the duration', () => {
    const grant: Grant = { kind: 'approval', id: 'deadbeef00112233', endsAt: new Date(NOW.getTime() + 1200 * 1000) };
    const policy = loaded(`version: "1"
profiles:
  audit: { role_arn: "arn:aws:iam::111122223333:role/audit" }
rules:
  - name: audit-needs-approval
    effect: require_approval
    conditions: { profiles: [audit] }
`);
    const plan = planIssuance(input({ profile: 'audit', mode: 'cli', durationSeconds: 3600 }, { loaded: policy, grants: [grant] }));
    expect(plan.kind).toBe('issue');
    if (plan.kind !== 'issue') return;
    expect(plan.sourceIdentity).toBe('sentinel.alice.apr-deadbeef.a1b2c3d4');
    expect(plan.durationSeconds).toBe(1200);
    expect(plan.facts.via).toBe('apr-deadbeef');
    const without = planIssuance(input({ profile: 'audit', mode: 'cli' }, { loaded: policy }));
    expect(without.kind === 'refuse' && without.error.code).toBe('APPROVAL_REQUIRED');
  });

  it('a grant with less than 900 s left is a clear denial, not an STS error', () => {
    const policy = loaded(`version: "1"
profiles:
  audit: { role_arn: "arn:aws:iam::111122223333:role/audit" }
rules: []
`);
    const grant: Grant = { kind: 'approval', id: 'deadbeef', endsAt: new Date(NOW.getTime() + 600 * 1000) };
    const plan = planIssuance(input({ profile: 'audit', mode: 'cli' }, { loaded: policy, grants: [grant] }));
    expect(plan.kind === 'refuse' && [plan.error.code, plan.error.message]).toEqual([
      'POLICY_DENY',
      'the access window for profile "audit" ends in 600 s, less than the 900 s STS minimum: ask for a new one',
    ]);
  });
});

describe('applyGrants', () => {
  it('never lifts the server-mode requirements', () => {
    const grant: Grant = { kind: 'breakglass', id: 'cafe0000', endsAt: new Date(NOW.getTime() + 3600_000) };
    const serverOnly = { ...DENY, requiresServerMode: true };
    expect(applyGrants(serverOnly, [grant], NOW)).toEqual({ decision: serverOnly, via: 'direct' });
    const tracking = { ...DENY, requiresSessionTracking: true };
    expect(applyGrants(tracking, [grant], NOW)).toEqual({ decision: tracking, via: 'direct' });
  });

  it('lifts a plain deny with the grant open longest, and ignores ended ones', () => {
    const ended: Grant = { kind: 'approval', id: '11111111aaaa', endsAt: new Date(NOW.getTime() - 1) };
    const short: Grant = { kind: 'approval', id: '22222222bbbb', endsAt: new Date(NOW.getTime() + 1000_000) };
    const long: Grant = { kind: 'breakglass', id: '33333333cccc', endsAt: new Date(NOW.getTime() + 2000_000) };
    const result = applyGrants(DENY, [ended, short, long], NOW);
    expect(result.via).toBe('bg-33333333');
    expect(result.decision.effect).toBe('allow');
    expect(result.grantEndsAt).toEqual(long.endsAt);
    expect(applyGrants(DENY, [ended], NOW)).toEqual({ decision: DENY, via: 'direct' });
  });

  it('leaves an allow as it is', () => {
    const allow: Decision = { ...DENY, effect: 'allow' };
    expect(applyGrants(allow, [{ kind: 'approval', id: 'abcdef12', endsAt: new Date(NOW.getTime() + 3600_000) }], NOW)).toEqual({ decision: allow, via: 'direct' });
  });
});
