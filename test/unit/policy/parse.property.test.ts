import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPolicy, parsePolicy, PolicyValidationError } from '../../../src/policy/parse.js';

const EXAMPLE = readFileSync('examples/policy.yaml', 'utf8');

/**
 * The contract under test: whatever the input, `loadPolicy` returns (never throws),
 * gives a policy exactly when it reports no issue, every issue points inside the
 * file; and `parsePolicy` throws nothing but a PolicyValidationError.
 */
function checkContract(text: string): void {
  const result = loadPolicy(text, 'fuzz.yaml');
  expect(result.policy === undefined).toBe(result.issues.length > 0);
  const lines = text.split('\n').length;
  for (const issue of result.issues) {
    expect(issue.file).toBe('fuzz.yaml');
    expect(issue.severity).toBe('error');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.line).toBeLessThanOrEqual(lines + 1);
    expect(issue.col).toBeGreaterThanOrEqual(1);
    expect(issue.message.length).toBeGreaterThan(0);
  }
  try {
    parsePolicy(text, 'fuzz.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
  }
}

const KEYS = [
  'version', 'profiles', 'groups', 'rules', 'approvals', 'breakglass', 'admins', 'name', 'effect', 'conditions',
  'reason', 'max_server_duration', 'session_table', 'users', 'mode', 'time', 'days', 'hours', 'start', 'end',
  'timezone', 'role_arn', 'max_duration', 'region', 'approvers', 'approver_groups', 'auto_approve', 'reason_codes',
  'rate_limit', 'cooldown', 'max_per_user', 'max_per_profile', 'window', 'dev', 'prod', 'platform',
];
const SCALARS = fc.oneof(
  fc.constantFrom('1', 'allow', 'deny', 'require_server_session', 'server', 'cli', 'monday', '09:00', '22:00', '15m', 'Europe/Paris',
    'arn:aws:iam::111122223333:role/x', 'alice', 'dev', 'prod', 'platform', 'sentinel-sessions', 'incident', ''),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

/** Documents shaped like policies: the right keys, wrong and right values at random. */
const policyShaped = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    SCALARS,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
  ),
})).node;

describe('parser robustness (fast-check)', () => {
  it('any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkContract), { numRuns: 300 });
  });

  it('any YAML value', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => checkContract(stringify(value))), { numRuns: 300 });
  });

  it('policy-shaped documents with random values', () => {
    fc.assert(
      fc.property(policyShaped, fc.boolean(), (body, withVersion) => {
        const doc = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : { rules: body };
        checkContract(stringify(withVersion ? { version: '1', ...doc } : doc));
      }),
      { numRuns: 400 },
    );
  });

  it('the example policy with a random edit', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: EXAMPLE.length }),
        fc.nat({ max: 40 }),
        fc.string({ maxLength: 12 }),
        (at, cut, insert) => checkContract(EXAMPLE.slice(0, at) + insert + EXAMPLE.slice(at + cut)),
      ),
      { numRuns: 150 },
    );
  });

  it('YAML features users do not expect in a policy (tags, anchors, merge keys, flow style)', () => {
    const samples = [
      'version: !!binary aGVsbG8=\nrules: []\n',
      'version: "1"\nrules: !!set { a, b }\n',
      'version: "1"\nbase: &b { effect: allow }\nrules:\n  - { <<: *b, name: x }\n',
      'version: "1"\nrules: *undefined\n',
      'version: "1"\nrules: [{ name: x, effect: allow, conditions: { time: { hours: { start: 2020-01-01, end: "10:00" } } } }]\n',
      '? [complex, key]\n: value\n',
      'version: "1"\nrules:\n  - name: x\n    effect: allow\n    conditions: { users: [!custom alice] }\n',
    ];
    for (const sample of samples) {
      checkContract(sample);
      expect(loadPolicy(sample).policy).toBeUndefined();
    }
  });
});
