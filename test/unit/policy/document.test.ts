import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { decodePolicyDocument, encodePolicyDocument, POLICY_DOCUMENT_FORMAT } from '../../../src/policy/document.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import { MODES, type EvaluationRequest } from '../../../src/policy/types.js';

const FIXTURE = 'test/unit/policy/fixtures/document-format-1';
const FIXTURE_TEXT = readFileSync(`${FIXTURE}.yaml`, 'utf8');
const EXAMPLE_TEXT = readFileSync('examples/policy.yaml', 'utf8');

function roundTrip(text: string): void {
  const parsed = parsePolicy(text, 'p.yaml');
  const decoded = decodePolicyDocument(encodePolicyDocument(parsed));
  expect(decoded).toEqual(parsed);
  expect(Object.getPrototypeOf(decoded?.groups)).toBeNull();
  if (parsed.profiles !== undefined) expect(Object.getPrototypeOf(decoded?.profiles)).toBeNull();
}

describe('the policy document', () => {
  it('decodes to exactly what the parser made of the text, for every field the parser reads', () => {
    roundTrip(FIXTURE_TEXT);
    roundTrip(EXAMPLE_TEXT);
    // The original format: no profiles section at all.
    roundTrip('version: "1"\nrules:\n  - name: all\n    effect: allow\n');
  });

  it(`is pinned: a document of format ${POLICY_DOCUMENT_FORMAT} stored by an earlier build reads as the parser reads its text today`, () => {
    // When this fails, the parser makes something else of the same text: bump
    // POLICY_DOCUMENT_FORMAT (src/policy/document.ts) so that stored documents of the old
    // format are read from their text again, and write a new fixture for the new format.
    const stored = readFileSync(`${FIXTURE}.json`, 'utf8');
    expect(JSON.parse(stored)).toMatchObject({ format: POLICY_DOCUMENT_FORMAT });
    expect(decodePolicyDocument(stored)).toEqual(parsePolicy(FIXTURE_TEXT, 'document-format-1.yaml'));
  });

  it('decides every request as the policy it was made from', () => {
    const parsed = parsePolicy(FIXTURE_TEXT);
    const fromText = compilePolicy(parsed);
    const fromDocument = compilePolicy(decodePolicyDocument(encodePolicyDocument(parsed))!);
    const request = fc.record({
      user: fc.constantFrom('alice', 'bob', 'carol', 'iam:erin', 'role:deploy/ci-42', 'constructor', '__proto__', 'mallory'),
      profile: fc.constantFrom('dev', 'prod', 'constructor', 'toString', 'other'),
      mode: fc.constantFrom(...MODES),
      time: fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }),
    });
    fc.assert(
      fc.property(request, (one: EvaluationRequest) => {
        expect(fromDocument.evaluate(one)).toEqual(fromText.evaluate(one));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a group or profile named like an Object property a plain name', () => {
    const policy = decodePolicyDocument(
      JSON.stringify({
        format: POLICY_DOCUMENT_FORMAT,
        policy: { version: '1', groups: { ['__proto__']: ['alice'] }, rules: [], approvals: [], breakglass: [], admins: [] },
      }),
    );
    expect(policy).toBeDefined();
    expect(Object.keys(policy!.groups)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(policy!.groups)).toBeNull();
    expect(Object.hasOwn(policy!.groups, 'constructor')).toBe(false);
  });

  const valid = JSON.parse(encodePolicyDocument(parsePolicy(FIXTURE_TEXT))) as { format: number; policy: Record<string, unknown> };

  /** The valid fixture document with `change` applied to a copy of it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case reaches into the JSON to damage one field
  function altered(change: (document: { format: unknown; policy: Record<string, any> }) => void): string {
    const copy = structuredClone(valid);
    change(copy);
    return JSON.stringify(copy);
  }

  it.each([
    ['not JSON', '{"format": 1, "policy": '],
    ['JSON but no object', '[1, 2]'],
    ['another format', altered((d) => (d.format = POLICY_DOCUMENT_FORMAT + 1))],
    ['no format', altered((d) => (d.format = undefined))],
    ['another policy version', altered((d) => (d.policy.version = '2'))],
    ['rules that are not a list', altered((d) => (d.policy.rules = { 0: d.policy.rules[0] }))],
    ['a rule of an unknown effect', altered((d) => (d.policy.rules[1].effect = 'allow_everything'))],
    ['a rule without conditions', altered((d) => delete d.policy.rules[0].conditions)],
    ['users as one string (which `includes` would match by substring)', altered((d) => (d.policy.rules[1].conditions.users = 'carol'))],
    ['an unknown mode', altered((d) => (d.policy.rules[1].conditions.mode = ['sudo']))],
    ['weekdays by name', altered((d) => (d.policy.rules[1].conditions.time.days = ['monday']))],
    ['hours as text', altered((d) => (d.policy.rules[1].conditions.time.hours.start = '22:00'))],
    ['a time window without a timezone', altered((d) => delete d.policy.rules[1].conditions.time.timezone)],
    ['a duration as text', altered((d) => (d.policy.rules[1].maxServerDurationSeconds = '15m'))],
    ['a group whose members are not names', altered((d) => (d.policy.groups.platform = [1, 2]))],
    ['groups that are a list', altered((d) => (d.policy.groups = [['alice']]))],
    ['a profile without a role', altered((d) => delete d.policy.profiles.dev.roleArn)],
    ['an approval without approver groups', altered((d) => delete d.policy.approvals[0].approverGroups)],
    ['an auto-approval without users', altered((d) => delete d.policy.approvals[0].autoApprove.users)],
    ['a break-glass rate limit in text', altered((d) => (d.policy.breakglass[0].rateLimit.cooldownSeconds = '30m'))],
    ['admins as one string', altered((d) => (d.policy.admins = 'ops-erin'))],
    ['no admins', altered((d) => delete d.policy.admins)],
  ])('is no document of this build (the text is read instead) when it is %s', (_case, json) => {
    expect(decodePolicyDocument(json)).toBeUndefined();
  });

  it('reads the unaltered fixture (so that each refusal above is the alteration\'s)', () => {
    expect(decodePolicyDocument(altered(() => undefined))).toEqual(parsePolicy(FIXTURE_TEXT));
  });
});
