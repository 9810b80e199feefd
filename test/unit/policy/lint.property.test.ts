import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintPolicy, type LintOptions } from '../../../src/policy/lint.js';
import { NameSuggestions } from '../../../src/policy/lintSuggest.js';
import { closest, didYouMean } from '../../../src/policy/suggest.js';
import { EFFECTS, MODES } from '../../../src/policy/types.js';
import type { ApprovalRule, BreakglassRule, Policy, Profile, Rule, RuleConditions, SourcePosition, TimeWindow } from '../../../src/policy/types.js';
import { pairwiseLintPolicy } from './lintReference.js';

/**
 * The linter compares a rule only with the earlier rules its indexes name, and looks up
 * "did you mean" names without measuring every pair. Whatever the policy, it must say
 * exactly what the pairwise linter it replaced says (./lintReference.ts): the same
 * warnings, in the same order, word for word.
 */

/** Names a slip apart: case, a swap, a letter more or less, and a capital that lower-cases to two code units. */
const PEOPLE = ['alice', 'Alice', 'ailce', 'alicia', 'bob', 'bob2', 'carol', 'carlo', 'dave', 'İris', 'i̇ris', 'zoë', 'deploy/ci-42', 'role:deploy/ci-42'];
/** Named by rules only: no people section lists them. */
const STRANGERS = ['mallory', 'Mallory', 'malory', 'trent'];
/** g1–g3 get members; `empty` has none; `ghost` and `constructor` are never defined. */
const GROUP_NAMES = ['g1', 'g2', 'g3', 'empty', 'ghost', 'constructor'];
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Kolkata'];

interface Pools {
  profiles: readonly string[];
  users: readonly string[];
  minRules: number;
  maxRules: number;
}

const SMALL: Pools = { profiles: ['prod', 'dev', 'stage', 'audit'], users: [...PEOPLE, ...STRANGERS], minRules: 0, maxRules: 30 };
/** Enough rules and names that the index lists differ in length and each rule is filed under many names. */
const LARGER: Pools = {
  profiles: Array.from({ length: 24 }, (_, i) => `team${i % 6}-${['prod', 'dev', 'stage', 'audit'][i % 4]}`),
  users: [...PEOPLE, ...STRANGERS, ...Array.from({ length: 40 }, (_, i) => `user${i}@example.com`)],
  minRules: 60,
  maxRules: 160,
};

// Mostly whole three-hour marks, so that windows often nest, meet or overlap in part.
const minute = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 7 }).map((step) => step * 180) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1439 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1439 }).map((m) => m + 0.5) },
);

const timeWindow: fc.Arbitrary<TimeWindow> = fc.record(
  {
    timezone: fc.constantFrom(...ZONES),
    // `days: []` is every day; numbers outside 0–6 can come from code, not from YAML.
    days: fc.oneof(
      { weight: 4, arbitrary: fc.subarray([0, 1, 2, 3, 4, 5, 6]) },
      { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: -1, max: 8 }), { maxLength: 3 }) },
    ),
    hours: fc.record({ start: minute, end: minute }),
  },
  { requiredKeys: ['timezone'] },
);

const position: fc.Arbitrary<SourcePosition> = fc.record({ line: fc.integer({ min: 1, max: 40 }), col: fc.integer({ min: 1, max: 3 }) });

function conditions(pools: Pools): fc.Arbitrary<RuleConditions> {
  return fc.record(
    {
      profiles: fc.subarray([...pools.profiles], { maxLength: 4 }),
      users: fc.subarray([...pools.users], { maxLength: 4 }),
      groups: fc.subarray(GROUP_NAMES, { maxLength: 2 }),
      mode: fc.subarray([...MODES]),
      time: timeWindow,
    },
    { requiredKeys: [] },
  );
}

function rule(pools: Pools): fc.Arbitrary<Omit<Rule, 'name'>> {
  return fc.record(
    {
      effect: fc.constantFrom(...EFFECTS),
      conditions: conditions(pools),
      sessionTable: fc.constantFrom('', 'sentinel-sessions'),
      maxServerDurationSeconds: fc.constantFrom(300, 900, 3600),
      position,
    },
    { requiredKeys: ['effect', 'conditions'] },
  );
}

function approval(pools: Pools): fc.Arbitrary<Omit<ApprovalRule, 'name'>> {
  return fc.record(
    {
      profiles: fc.subarray([...pools.profiles], { maxLength: 3 }),
      approvers: fc.subarray(PEOPLE, { maxLength: 2 }),
      approverGroups: fc.subarray(GROUP_NAMES, { maxLength: 2 }),
      maxDurationSeconds: fc.constantFrom(1800, 7200),
      autoApprove: fc.record({ users: fc.subarray(PEOPLE, { maxLength: 2 }), maxDurationSeconds: fc.constantFrom(1800, 7200) }, { requiredKeys: ['users'] }),
      position,
    },
    { requiredKeys: ['profiles', 'approvers', 'approverGroups'] },
  );
}

function breakglass(pools: Pools): fc.Arbitrary<BreakglassRule> {
  return fc
    .record(
      {
        profiles: fc.subarray([...pools.profiles], { maxLength: 3 }),
        users: fc.subarray(PEOPLE, { maxLength: 2 }),
        maxDurationSeconds: fc.constantFrom(1800, 7200),
        position,
      },
      { requiredKeys: ['profiles', 'users'] },
    )
    .map((entry) => ({ name: 'glass', reasonCodes: ['incident'], ...entry }));
}

function profiles(pools: Pools): fc.Arbitrary<Record<string, Profile> | undefined> {
  const section = fc.subarray([...pools.profiles], { minLength: 1 }).chain((names) =>
    fc.tuple(...names.map(() => fc.option(fc.constantFrom(3600, 14_400), { nil: undefined }))).map((limits) =>
      Object.fromEntries(names.map((name, i): [string, Profile] => [name, limits[i] === undefined ? { roleArn: 'arn:aws:iam::111122223333:role/x' } : { roleArn: 'arn:aws:iam::111122223333:role/x', maxDurationSeconds: limits[i] }])),
    ),
  );
  // Absent: a document of the original format.
  return fc.option(section, { nil: undefined, freq: 4 });
}

function policy(pools: Pools): fc.Arbitrary<Policy> {
  return fc
    .record({
      profiles: profiles(pools),
      g1: fc.subarray([...pools.users], { maxLength: 6 }),
      g2: fc.subarray(PEOPLE, { maxLength: 4 }),
      g3: fc.subarray([...pools.users]),
      rules: fc.array(rule(pools), { minLength: pools.minRules, maxLength: pools.maxRules, size: 'max' }),
      approvals: fc.array(approval(pools), { maxLength: 2 }),
      breakglass: fc.array(breakglass(pools), { maxLength: 2 }),
      admins: fc.subarray(PEOPLE, { maxLength: 2 }),
    })
    .map(({ profiles: defined, g1, g2, g3, rules, approvals, ...people }): Policy => {
      const built: Policy = {
        version: '1',
        groups: { g1, g2, g3, empty: [] },
        rules: rules.map((entry, index) => ({ name: `r${index}`, ...entry })),
        approvals: approvals.map((entry, index) => ({ name: `approve-${index}`, ...entry })),
        ...people,
      };
      if (defined !== undefined) built.profiles = defined;
      return built;
    });
}

const options: fc.Arbitrary<LintOptions> = fc.record({ file: fc.constant('p.yaml'), defaultSessionTable: fc.constantFrom('', 'sentinel-sessions') }, { requiredKeys: ['file'] });

/** The warnings that compare two rules or two names: the runs must reach each for the comparison to mean something. */
const PAIRWISE_KINDS: Record<string, RegExp> = {
  hidden: /can never apply: rule/,
  denyHidden: /^deny rule .* can never apply/,
  overlap: /partially overlapping time windows/,
  ruleUserSuggestion: /appears only in rules: .*\(did you mean/,
  typo: /looks like a typo/,
};

function compareOn(pools: Pools, numRuns: number): Map<string, number> {
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(policy(pools), options, (doc, lintOptions) => {
      const issues = lintPolicy(doc, lintOptions);
      expect(issues).toEqual(pairwiseLintPolicy(doc, lintOptions));
      for (const [kind, pattern] of Object.entries(PAIRWISE_KINDS)) {
        if (issues.some((issue) => pattern.test(issue.message))) seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }
    }),
    { numRuns },
  );
  return seen;
}

describe('lintPolicy', () => {
  it('says exactly what the pairwise linter says, for small policies of a few names', () => {
    const seen = compareOn(SMALL, 300);
    for (const kind of Object.keys(PAIRWISE_KINDS)) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(10);
  });

  it('says exactly what the pairwise linter says, for policies of up to 160 rules over more names', () => {
    const seen = compareOn(LARGER, 40);
    for (const kind of ['hidden', 'overlap', 'ruleUserSuggestion']) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(5);
  });
});

describe('NameSuggestions', () => {
  // Few letters, so that names are often a slip apart; capitals, one that lower-cases to
  // two code units, and an accent.
  const few = fc.constantFrom('a', 'b', 'c', 'A', 'B', '.', 'İ', 'é', 'e\u0301');
  const short = fc.array(few, { maxLength: 9 }).map((letters) => letters.join(''));
  // Or longer names of more letters, each a few edits from one of a few words.
  const more = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzAB@.');
  const edit = fc.tuple(fc.constantFrom('substitute', 'insert', 'delete', 'swap'), fc.nat(), more);
  const word = fc.array(more, { minLength: 6, maxLength: 12 }).map((letters) => letters.join(''));
  const family = fc.tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.array(edit, { maxLength: 4 })), { maxLength: 30 })).map(([words, variants]) =>
    variants.map(([which, edits]) => edits.reduce(applyEdit, words[which % words.length]!)),
  );
  const nameLists = fc.oneof(fc.array(short, { maxLength: 30 }), family);
  /** A name of the list (its position, modulo its length) or another. */
  const question = fc.oneof(short, fc.nat());
  const pick = (list: readonly string[], asked: string | number): string => (typeof asked === 'number' ? (list[asked % Math.max(1, list.length)] ?? '') : asked);

  function applyEdit(text: string, [kind, at, letter]: [string, number, string]): string {
    const i = at % (text.length + 1);
    if (kind === 'insert') return text.slice(0, i) + letter + text.slice(i);
    if (i === text.length) return text;
    if (kind === 'substitute') return text.slice(0, i) + letter + text.slice(i + 1);
    if (kind === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return i + 1 < text.length ? text.slice(0, i) + text[i + 1]! + text[i]! + text.slice(i + 2) : text;
  }

  it('answers as closest and didYouMean do, question after question', () => {
    fc.assert(
      fc.property(nameLists, fc.array(question, { minLength: 1, maxLength: 10 }), (names, asked) => {
        const list = [...new Set(names)];
        const suggestions = new NameSuggestions(list);
        for (const each of asked) {
          const input = pick(list, each);
          expect(suggestions.closest(input)).toBe(closest(input, list));
          expect(suggestions.didYouMean(input)).toBe(didYouMean(input, list));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the first of equally close names, as closest does, with repeated names too', () => {
    fc.assert(
      fc.property(nameLists, fc.nat({ max: 3 }), question, (names, repeats, asked) => {
        const list = [...names, ...names.slice(0, repeats)];
        const input = pick(list, asked);
        expect(new NameSuggestions(list).closest(input)).toBe(closest(input, list));
      }),
      { numRuns: 300 },
    );
  });
});
