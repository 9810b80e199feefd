import { describe, expect, it } from 'vitest';
import { denialFacts } from '../../../src/policy/denial.js';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import type { Decision, EvaluationRequest, Policy, Rule } from '../../../src/policy/types.js';

const NOW = new Date('2025-03-14T09:30:00Z');

const RULES: Rule[] = [
  { name: 'dev', effect: 'allow', conditions: { profiles: ['dev'] } },
  { name: 'staging', effect: 'require_server', conditions: { profiles: ['staging'] }, sessionTable: 'staging-sessions' },
  { name: 'prod', effect: 'require_server_session', conditions: { profiles: ['prod'] } },
  { name: 'prod-admin', effect: 'require_approval', conditions: { profiles: ['prod-admin'] } },
  { name: 'no-billing', effect: 'deny', conditions: { profiles: ['billing'] }, reason: 'Billing is closed' },
];

const POLICY: Policy = {
  version: '1',
  groups: {},
  rules: RULES,
  approvals: [{ name: 'approvers', profiles: ['prod-admin', 'billing', 'x'], approvers: ['carol'], approverGroups: [] }],
  breakglass: [
    { name: 'oncall', profiles: ['prod-admin', 'billing'], users: ['alice'], reasonCodes: ['incident'] },
    { name: 'other', profiles: ['prod'], users: ['bob'], reasonCodes: ['incident'] },
  ],
  admins: [],
};

function request(overrides: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return { user: 'alice', profile: 'prod', mode: 'cli', time: NOW, ...overrides };
}

function facts(overrides: Partial<EvaluationRequest>, defaultSessionTable?: string) {
  const req = request(overrides);
  return denialFacts(POLICY, req, evaluatePolicy(POLICY, req, defaultSessionTable === undefined ? {} : { defaultSessionTable }));
}

describe('denialFacts', () => {
  it('has nothing to say about an allow', () => {
    expect(facts({ profile: 'dev' })).toBeUndefined();
    expect(facts({ profile: 'prod', mode: 'server', sessionTable: 'sessions' })).toBeUndefined();
  });

  it('reports require_server_session outside server mode: both flags, no alternatives', () => {
    expect(facts({ profile: 'prod', mode: 'cli' })).toEqual({
      effect: 'deny',
      rule: 'prod',
      reason: 'rule "prod" requires server mode with session tracking',
      requiresServerMode: true,
      requiresSessionTracking: true,
      sessionTable: null,
      mode: 'cli',
      profile: 'prod',
      alternatives: [],
    });
  });

  it('reports require_server_session in server mode without a table: tracking only', () => {
    expect(facts({ profile: 'prod', mode: 'server' })).toMatchObject({
      requiresServerMode: false,
      requiresSessionTracking: true,
      sessionTable: null,
      mode: 'server',
      alternatives: [],
    });
  });

  it('carries the effective table of a server-mode denial', () => {
    expect(facts({ profile: 'prod', mode: 'credential_process' }, 'sentinel-sessions')).toMatchObject({
      requiresServerMode: true,
      requiresSessionTracking: true,
      sessionTable: 'sentinel-sessions',
      mode: 'credential_process',
    });
    expect(facts({ profile: 'staging' })).toMatchObject({
      rule: 'staging',
      requiresServerMode: true,
      requiresSessionTracking: false,
      sessionTable: 'staging-sessions',
      alternatives: [],
    });
  });

  it('offers no break-glass for server-mode denials even when an entry names the user and profile', () => {
    expect(facts({ user: 'bob', profile: 'prod' })?.alternatives).toEqual([]);
  });

  it('offers a request, and break-glass when an entry names both profile and user', () => {
    expect(facts({ profile: 'prod-admin' })).toEqual({
      effect: 'require_approval',
      rule: 'prod-admin',
      reason: 'rule "prod-admin" requires an approved access request',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      mode: 'cli',
      profile: 'prod-admin',
      alternatives: ['request', 'breakglass'],
      breakglassReasonCodes: ['incident'],
    });
    expect(facts({ profile: 'billing' })).toMatchObject({
      rule: 'no-billing',
      reason: 'Billing is closed',
      alternatives: ['request', 'breakglass'],
    });
  });

  it('gives the reason codes of every break-glass entry the user may invoke for the profile, in policy order, each once, and no others', () => {
    const policy: Policy = {
      ...POLICY,
      breakglass: [
        { name: 'oncall', profiles: ['prod-admin'], users: ['alice', 'bob'], reasonCodes: ['incident', 'security'] },
        { name: 'not-alice', profiles: ['prod-admin'], users: ['bob'], reasonCodes: ['audit'] },
        { name: 'other-profile', profiles: ['billing'], users: ['alice'], reasonCodes: ['billing-run'] },
        { name: 'dba', profiles: ['billing', 'prod-admin'], users: ['alice'], reasonCodes: ['outage', 'incident'] },
      ],
    };
    const denied = (user: string, profile: string) => denialFacts(policy, request({ user, profile }), evaluatePolicy(policy, request({ user, profile }), {}));
    expect(denied('alice', 'prod-admin')?.breakglassReasonCodes).toEqual(['incident', 'security', 'outage']);
    expect(denied('bob', 'prod-admin')?.breakglassReasonCodes).toEqual(['incident', 'security', 'audit']);
    // No break-glass to offer: no codes either, not even an empty list.
    const carol = denied('carol', 'prod-admin');
    expect(carol?.alternatives).toEqual(['request']);
    expect(carol).not.toHaveProperty('breakglassReasonCodes');
  });

  it('gives no reason codes with a server-mode denial, even to a user break-glass names', () => {
    const policy: Policy = { ...POLICY, breakglass: [{ name: 'all', profiles: ['prod', 'staging'], users: ['alice'], reasonCodes: ['incident'] }] };
    for (const profile of ['prod', 'staging']) {
      const denial = denialFacts(policy, request({ profile }), evaluatePolicy(policy, request({ profile }), {}));
      expect(denial?.alternatives).toEqual([]);
      expect(denial).not.toHaveProperty('breakglassReasonCodes');
    }
  });

  it('offers only a request when break-glass names the profile but not the user, or the user but not the profile', () => {
    expect(facts({ user: 'bob', profile: 'prod-admin' })?.alternatives).toEqual(['request']);
  });

  it('offers no request for a profile no approvals entry lists: nobody could approve it', () => {
    expect(facts({ user: 'alice', profile: 'unknown' })?.alternatives).toEqual([]);
    expect(denialFacts({ ...POLICY, approvals: [] }, request({ profile: 'prod-admin' }), evaluatePolicy(POLICY, request({ profile: 'prod-admin' }), {}))?.alternatives).toEqual(['breakglass']);
  });

  it('names no rule for the default deny', () => {
    expect(facts({ profile: 'unknown' })).toEqual({
      effect: 'deny',
      rule: '',
      reason: 'no matching rule',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      mode: 'cli',
      profile: 'unknown',
      alternatives: [],
    });
  });

  it('copies the decision facts without reinterpreting them', () => {
    const decision: Decision = {
      effect: 'require_approval',
      rule: 'r',
      ruleIndex: 7,
      reason: 'because',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: 'approved-sessions',
      maxServerDurationSeconds: 900,
    };
    expect(denialFacts(POLICY, request({ profile: 'x', mode: 'server' }), decision)).toEqual({
      effect: 'require_approval',
      rule: 'r',
      reason: 'because',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: 'approved-sessions',
      mode: 'server',
      profile: 'x',
      alternatives: ['request'],
    });
  });
});
