/**
 * planRequest: whether a request may be made, and the record it makes. A request is
 * only accepted when an approval could make it useful, names an approval rule that
 * covers the profile and could reach its quorum; several rules combine (union of
 * approvers, the largest min_approvals, the smallest max_duration).
 */
import { describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import { planRequest } from '../../../src/requests/plan.js';
import type { RequestPlanInput } from '../../../src/requests/plan.js';
import { approvalTerms, approvableProfiles, isApproverFor } from '../../../src/requests/rules.js';
import { loaded } from '../vending/fakes.js';

const NOW = new Date('2025-03-14T09:30:00.000Z');
const ID = '3f2a9c0d1e2b4c5d6e7f8091a2b3c4d5';
const caller = (user: string): Caller => ({ user, arn: `arn:aws:iam::000000000000:user/${user}`, accountId: '000000000000', kind: 'person', principal: `person/${user}` });
const SETTINGS = { defaultSessionTable: 'sentinel-sessions', auditRetentionSeconds: 7_776_000 };

function plan(user: string, profile: string, extra: Partial<RequestPlanInput> = {}, policy = loaded()) {
  return planRequest({ request: { profile, justification: 'INC-4711: rotate the key', ...(extra.request ?? {}) }, caller: caller(user), loaded: policy, now: NOW, id: ID, settings: SETTINGS, ...extra });
}

function refusal(make: () => unknown): { code: string; message: string } {
  try {
    make();
  } catch (error) {
    if (error instanceof SentinelError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

const COMBINED = loaded(`
version: "1"
profiles:
  prod: { role_arn: "arn:aws:iam::111122223333:role/prod" }
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
  hidden: { role_arn: "arn:aws:iam::111122223333:role/hidden" }
groups:
  sre: [carol, dave]
rules:
  - { name: dev-open, effect: allow, conditions: { profiles: [dev] } }
approvals:
  - { name: first, profiles: [prod], approvers: [bob], min_approvals: 1, max_duration: 4h, auto_approve: { users: [bot], max_duration: 2h } }
  - { name: second, profiles: [prod, dev], approvers: [erin], approver_groups: [sre], min_approvals: 2, max_duration: 2h }
  - { name: third, profiles: [prod], approvers: [frank], auto_approve: { users: [bot2] } }
`);

describe('planRequest on the example policy', () => {
  it('alice asks for prod-admin: pending, one approval, the rule\'s duration, 24 h to be decided, ttl past that', () => {
    expect(plan('alice', 'prod-admin')).toEqual({
      id: ID,
      requester: 'alice',
      requesterPrincipal: 'person/alice',
      profile: 'prod-admin',
      justification: 'INC-4711: rotate the key',
      durationSeconds: 3600,
      status: 'pending',
      createdAt: NOW.toISOString(),
      expiresAt: '2025-03-15T09:30:00.000Z',
      minApprovals: 1,
      approvals: [],
      ttl: Date.parse('2025-03-15T09:30:00.000Z') / 1000 + 7_776_000,
    });
  });

  it('billing needs two of bob, admin and iam:erin', () => {
    expect(plan('alice', 'billing')).toMatchObject({ status: 'pending', minApprovals: 2 });
    // bob asking leaves admin and iam:erin: still two.
    expect(plan('bob', 'billing')).toMatchObject({ minApprovals: 2 });
  });

  it('refuses a profile no approval rule covers: the command that works when one does, else that nobody could approve it', () => {
    // alice can get dev from the example policy: that is the answer, not the missing approval rule.
    expect(refusal(() => plan('alice', 'dev'))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'you can already get profile "dev" (rule "dev-engineers" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>',
    });
    const policy = loaded(`${'version: "1"'}
profiles:
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
  ops: { role_arn: "arn:aws:iam::111122223333:role/ops" }
  tracked: { role_arn: "arn:aws:iam::111122223333:role/tracked" }
rules:
  - { name: dev-cli-only, effect: allow, conditions: { profiles: [dev], mode: [credential_process] } }
  - { name: ops-closed, effect: deny, conditions: { profiles: [ops], users: [alice] } }
  - { name: tracked-server, effect: require_server, conditions: { profiles: [tracked] } }
approvals:
  - { name: other, profiles: [ops], approvers: [bob] }
`);
    // Allowed in one mode only: that mode's command.
    expect(refusal(() => plan('alice', 'dev', {}, policy))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'you can already get profile "dev" (rule "dev-cli-only" allows it): no request is needed; use: sentinel credentials --profile dev',
    });
    // Allowed only in server mode: the exec --server that works.
    expect(refusal(() => plan('alice', 'tracked', {}, policy))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'you can already get profile "tracked" (rule "tracked-server" allows it): no request is needed; use: sentinel exec --server --profile tracked -- <cmd>',
    });
    // Refused outright with an approval rule for it: the request is made.
    expect(plan('alice', 'ops', {}, policy)).toMatchObject({ status: 'pending', profile: 'ops' });
  });

  it('refuses a profile no approval rule covers and nothing lets the caller get: nobody could approve it', () => {
    // require_approval with no approval entry for the profile: visible to alice, and no request could ever be approved.
    const policy = loaded(`${'version: "1"'}
profiles:
  dev: { role_arn: "arn:aws:iam::111122223333:role/dev" }
rules:
  - { name: dev-approval, effect: require_approval, conditions: { profiles: [dev] } }
`);
    expect(refusal(() => plan('alice', 'dev', {}, policy))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'no approval rule covers profile "dev", so nobody could approve a request for it; ask an admin',
    });
  });

  it('refuses a request for what the caller can already get, naming the command that works', () => {
    expect(refusal(() => plan('alice', 'dev', {}, COMBINED))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'you can already get profile "dev" (rule "dev-open" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>',
    });
  });

  it('refuses a profile only a server-mode requirement refuses: no approval lifts it', () => {
    // prod for alice: require_server_session, allowed in server mode with the default table.
    const policy = loaded(`${'version: "1"'}
profiles:
  prod: { role_arn: "arn:aws:iam::111122223333:role/prod" }
rules:
  - { name: prod-tracked, effect: require_server_session, conditions: { profiles: [prod] } }
approvals:
  - { name: a, profiles: [prod], approvers: [bob] }
`);
    expect(refusal(() => plan('alice', 'prod', {}, policy))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'you can already get profile "prod" (rule "prod-tracked" allows it): no request is needed; use: sentinel exec --server --profile prod -- <cmd>',
    });
    expect(refusal(() => plan('alice', 'prod', { settings: { auditRetentionSeconds: 0 } }, policy))).toEqual({
      code: 'INVALID_REQUEST',
      message:
        'profile "prod" is refused only for a server-mode requirement (rule "prod-tracked": server mode with session tracking), which no access request can lift; use: sentinel exec --server --session-table <table> --profile prod -- <cmd>',
    });
  });

  it('answers a profile that does not exist, or that the caller may not see and no rule covers, as unknown', () => {
    expect(refusal(() => plan('alice', 'prodd'))).toEqual({ code: 'UNKNOWN_PROFILE', message: 'no profile "prodd" in the policy (did you mean "prod"?)' });
    const hidden = refusal(() => plan('alice', 'hidden', {}, COMBINED));
    expect(hidden.code).toBe('UNKNOWN_PROFILE');
  });

  it('accepts a request for a profile the policy plainly denies, when an approval rule covers it', () => {
    // carol is in no rule of the example: prod-admin is a default deny for her, which an approval lifts.
    expect(plan('carol', 'prod-admin')).toMatchObject({ status: 'pending', requester: 'carol' });
  });

  it('refuses a duration above the rule\'s max_duration', () => {
    expect(refusal(() => plan('alice', 'prod-admin', { request: { profile: 'prod-admin', justification: 'INC-4711: rotate the key', durationSeconds: 7200 } }))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'durationSeconds: at most 3600 (1h) for profile "prod-admin" (approval rule "prod-admin-approvers")',
    });
  });

  it('refuses a request nobody but the requester could approve', () => {
    // bob is prod-admin's only approver.
    expect(refusal(() => plan('bob', 'prod-admin'))).toEqual({
      code: 'INVALID_REQUEST',
      message: 'a request of "bob" for profile "prod-admin" needs 1 distinct approvers other than the requester, but approval rule "prod-admin-approvers" names only 0: it could never be approved; ask an admin',
    });
  });
});

describe('several approval rules for one profile', () => {
  it('combine: the union of approvers (groups expanded), the largest min_approvals, the smallest max_duration', () => {
    const terms = approvalTerms(COMBINED.policy, 'prod');
    expect(terms && { approvers: [...terms.approvers].sort(), minApprovals: terms.minApprovals, maxDurationSeconds: terms.maxDurationSeconds, rules: terms.rules.map((rule) => rule.name) }).toEqual({
      approvers: ['bob', 'carol', 'dave', 'erin', 'frank'],
      minApprovals: 2,
      // "third" has no max_duration: it counts as 1h, the smallest.
      maxDurationSeconds: 3600,
      rules: ['first', 'second', 'third'],
    });
    expect(plan('zoe', 'prod', {}, COMBINED)).toMatchObject({ minApprovals: 2, durationSeconds: 3600 });
    expect(isApproverFor(COMBINED.policy, 'carol', 'prod')).toBe(true);
    expect(isApproverFor(COMBINED.policy, 'frank', 'dev')).toBe(false);
    expect(approvableProfiles(COMBINED.policy, 'erin')).toEqual(['dev', 'prod']);
    expect(approvableProfiles(COMBINED.policy, 'zoe')).toEqual([]);
  });

  it('auto_approve: the first rule naming the requester whose max_duration the request fits', () => {
    expect(plan('bot', 'prod', { request: { profile: 'prod', justification: 'nightly rotation job', durationSeconds: 1800 } }, COMBINED)).toMatchObject({
      status: 'approved',
      decidedAt: NOW.toISOString(),
      windowEndsAt: '2025-03-14T10:00:00.000Z',
      // Its own max_duration (2h) is capped at what any request may ask for (1h).
      autoApproved: { rule: 'first', reason: '"bot" is approved automatically for up to 1h by approval rule "first"' },
    });
    // Without its own max_duration, auto_approve allows the combined one (1h).
    expect(plan('bot2', 'prod', {}, COMBINED)).toMatchObject({ status: 'approved', autoApproved: { rule: 'third' }, windowEndsAt: '2025-03-14T10:30:00.000Z' });
  });
});
