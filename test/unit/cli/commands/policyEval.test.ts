/**
 * `sentinel policy eval` through runPolicyEval: the decision as text with the guidance a
 * denied user would get, the documented JSON, the clock as the default time, and an
 * invalid policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyEval } from '../../../../src/cli/commands/policyEval.js';
import type { PolicyEvalOptions } from '../../../../src/cli/commands/policyEval.js';
import { fakeApi, harness, outcome } from './harness.js';
import { BAD, EXAMPLE, OFFICE_HOURS, scratch } from './policies.js';

const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({ 'bad.yaml': BAD, 'office-hours.yaml': OFFICE_HOURS });
});
afterAll(() => files.remove());

const evaluate = (options: Partial<PolicyEvalOptions>, format: 'text' | 'json' = 'text') =>
  outcome(harness(fakeApi({}), { format }), (context) =>
    runPolicyEval({ policy: EXAMPLE, user: 'alice', profile: 'dev', mode: 'cli', ...options }, context),
  );

describe('sentinel policy eval', () => {
  it('shows effect, rule and reason for an allow, and no guidance', async () => {
    expect(await evaluate({})).toEqual({ code: 0, stdout: 'effect: allow\nrule: dev-engineers (rules[0])\nreason: Engineers may use dev freely\n', stderr: '' });
  });

  it('shows a denial with the guidance the user would get, and still exits 0', async () => {
    expect(await evaluate({ profile: 'prod', defaultSessionTable: 'sentinel-sessions' })).toEqual({
      code: 0,
      stdout:
        'effect: deny\n' +
        'rule: prod-tracked (rules[2])\n' +
        'reason: Production needs tracked server sessions\n' +
        'session table: sentinel-sessions\n' +
        'max server duration: 900s\n' +
        '\n' +
        'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n' +
        `${NEVER_BYPASSED}\n`,
      stderr: '',
    });
  });

  it('shows the session table of an allow in server mode', async () => {
    const result = await evaluate({ user: 'bob', profile: 'prod', mode: 'server', sessionTable: 'team-sessions', defaultSessionTable: 'sentinel-sessions' });
    expect(result.stdout).toBe('effect: allow\nrule: prod-tracked (rules[2])\nreason: Production needs tracked server sessions\nsession table: team-sessions\nmax server duration: 900s\n');
  });

  it('prints exactly the documented keys, in order, with --output json', async () => {
    const result = await evaluate({ user: 'mallory' }, 'json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const decision = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(decision)).toEqual(['effect', 'rule', 'ruleIndex', 'reason', 'requiresServerMode', 'requiresSessionTracking', 'sessionTable', 'maxServerDurationSeconds']);
    expect(decision).toEqual({
      effect: 'deny',
      rule: '',
      ruleIndex: -1,
      reason: 'no matching rule',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      maxServerDurationSeconds: null,
    });
  });

  it('evaluates at the time now without --time (Friday 10:30 in Paris), and at --time when given', async () => {
    const policy = files.file('office-hours.yaml');
    expect((await evaluate({ policy })).stdout).toMatch(/^effect: allow\n/);
    const sunday = await evaluate({ policy, time: new Date('2025-03-16T10:30:00+01:00') });
    expect(sunday.stdout).toMatch(/^effect: deny\nrule: \(no matching rule\)\n/);
  });

  it('exits 1 on an invalid policy, with its errors on stderr and nothing on stdout', async () => {
    const bad = files.file('bad.yaml');
    const result = await evaluate({ policy: bad });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(`${bad}:4:13: `)).toBe(true);
  });

  it('exits 1 on a missing policy file', async () => {
    const missing = files.file('missing.yaml');
    expect(await evaluate({ policy: missing })).toEqual({ code: 1, stdout: '', stderr: `${missing}: cannot read file: no such file or directory\n` });
  });
});
