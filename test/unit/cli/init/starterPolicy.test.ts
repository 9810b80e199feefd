/**
 * The starter policy `init bootstrap` pushes: valid, the caller its only admin, nothing granted.
 */
import { describe, expect, it } from 'vitest';
import { starterPolicy } from '../../../../src/cli/init/starterPolicy.js';
import { evaluatePolicy } from '../../../../src/policy/evaluate.js';
import { loadPolicy } from '../../../../src/policy/parse.js';

describe('starterPolicy', () => {
  it('is a valid policy naming the caller as the only admin, with no profiles and no rules', () => {
    const { policy, issues } = loadPolicy(starterPolicy('ops-erin', '111122223333'), 'starter.yaml');
    expect(issues).toEqual([]);
    expect(policy).toMatchObject({ version: '1', admins: ['ops-erin'], rules: [], approvals: [], breakglass: [] });
    expect(policy?.profiles).toBeUndefined();
  });

  it('grants nothing, not even to the admin it names', () => {
    const { policy } = loadPolicy(starterPolicy('ops-erin', '111122223333'));
    const decision = evaluatePolicy(policy!, { user: 'ops-erin', profile: 'dev', mode: 'server', time: new Date('2026-01-05T10:00:00Z') });
    expect([decision.effect, decision.ruleIndex]).toEqual(['deny', -1]);
  });

  it('keeps an assumed-role user name as it is', () => {
    const { policy, issues } = loadPolicy(starterPolicy('deploy-role/ci-run.42', '111122223333'));
    expect(issues).toEqual([]);
    expect(policy?.admins).toEqual(['deploy-role/ci-run.42']);
  });

  it('carries one example profile, commented out, that is valid once uncommented', () => {
    const text = starterPolicy('ops-erin', '111122223333');
    expect(text).toContain('#     role_arn: arn:aws:iam::111122223333:role/sentinel-dev');
    const uncommented = text.replace(/^# profiles:\n(?:#.*\n)+/m, (block) => block.replace(/^# /gm, ''));
    expect(uncommented).not.toBe(text);
    const { policy, issues } = loadPolicy(uncommented);
    expect(issues).toEqual([]);
    expect(policy?.profiles).toEqual({ dev: { roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev', maxDurationSeconds: 3600 } });
  });
});
