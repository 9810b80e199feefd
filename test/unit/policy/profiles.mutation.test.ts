import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { denialFacts } from '../../../src/policy/denial.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import { visibleProfiles } from '../../../src/policy/profiles.js';
import type { LoadedPolicy } from '../../../src/policy/source.js';

// What `GET /v1/profiles` and a denial show a caller, where the mutation run
// (npm run test:mutation) found it untested.

const NOW = new Date('2026-11-18T10:00:00Z');

function load(text: string): LoadedPolicy {
  const policy = parsePolicy(text);
  return { policy, compiled: compilePolicy(policy), version: 1 };
}

const POLICY = `version: "1"
profiles:
  zeta: { role_arn: "arn:aws:iam::111122223333:role/zeta", region: eu-west-1, max_duration: 30m }
  alpha: { role_arn: "arn:aws:iam::111122223333:role/alpha" }
  hidden: { role_arn: "arn:aws:iam::111122223333:role/hidden" }
approvals:
  - name: hidden-approvers
    profiles: [hidden]
    approvers: [bob]
rules:
  - name: open
    effect: allow
    conditions: { profiles: [zeta, alpha] }
  - name: tracked
    effect: require_server_session
    conditions: { profiles: [hidden], mode: [server] }
`;

describe('visibleProfiles', () => {
  it('lists the visible profiles in name order, with region and max duration only where the policy sets them', () => {
    const profiles = visibleProfiles(load(POLICY), 'alice', NOW, {});
    expect(profiles.map((profile) => profile.name)).toEqual(['alpha', 'hidden', 'zeta']);
    const [alpha, , zeta] = profiles;
    expect(alpha).not.toHaveProperty('region');
    expect(alpha).not.toHaveProperty('maxDurationSeconds');
    expect(zeta).toMatchObject({ name: 'zeta', region: 'eu-west-1', maxDurationSeconds: 1800 });
    expect(zeta?.modes.cli).toEqual({ effect: 'allow', rule: 'open', requiresServerMode: false, requiresSessionTracking: false });
  });
});

describe('denialFacts', () => {
  it('a server-mode request refused only for want of a session table offers no access request, even where approvals exist', () => {
    const { policy, compiled } = load(POLICY);
    const request = { user: 'alice', profile: 'hidden', mode: 'server' as const, time: NOW };
    const decision = compiled.evaluate(request, {});
    expect([decision.requiresServerMode, decision.requiresSessionTracking]).toEqual([false, true]);
    expect(denialFacts(policy, request, decision)?.alternatives).toEqual([]);
  });
});

describe('compilePolicy', () => {
  it("treats a rule's empty session table as none: the request's or the deployment's applies", () => {
    const policy = parsePolicy(POLICY);
    const rule = policy.rules[0];
    if (rule === undefined) throw new Error('expected a rule');
    const compiled = compilePolicy({ ...policy, rules: [{ ...rule, sessionTable: '' }] });
    expect(compiled.evaluate({ user: 'alice', profile: 'zeta', mode: 'cli', time: NOW }, { defaultSessionTable: 'sentinel-sessions' }).sessionTable).toBe('sentinel-sessions');
    expect(compiled.evaluate({ user: 'alice', profile: 'zeta', mode: 'cli', time: NOW }, {}).sessionTable).toBeNull();
  });
});
