import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import type { Decision, Effect, EvaluationContext, EvaluationRequest, Mode, Policy, Rule } from '../../../src/policy/types.js';

type Evaluator = (policy: Policy, request: EvaluationRequest, context?: EvaluationContext) => Decision;

// Every expectation below holds for the reference and for the compiled evaluator alike.
const evaluators: [string, Evaluator][] = [
  ['evaluatePolicy', evaluatePolicy],
  ['compilePolicy', (policy, request, context) => compilePolicy(policy).evaluate(request, context)],
];

const NOW = new Date('2024-05-14T10:00:00Z');

function policyOf(rules: Rule[], groups: Record<string, string[]> = {}): Policy {
  return { version: '1', groups, rules, approvals: [], breakglass: [], admins: [] };
}

function request(overrides: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return { user: 'alice', profile: 'prod', mode: 'cli', time: NOW, ...overrides };
}

const DEFAULT_DENY: Decision = {
  effect: 'deny',
  rule: '',
  ruleIndex: -1,
  reason: 'no matching rule',
  requiresServerMode: false,
  requiresSessionTracking: false,
  sessionTable: null,
  maxServerDurationSeconds: null,
};

/** Where the effective session table comes from, and what the request and deployment say. */
const TABLE_SOURCES = {
  rule: { rule: 'rule-table', request: 'request-table', deployment: 'default-table', effective: 'rule-table' },
  request: { rule: undefined, request: 'request-table', deployment: 'default-table', effective: 'request-table' },
  deployment: { rule: undefined, request: undefined, deployment: 'default-table', effective: 'default-table' },
  none: { rule: undefined, request: undefined, deployment: undefined, effective: null },
} as const;
type TableSource = keyof typeof TABLE_SOURCES;

/** What a user sees: [effect, requiresServerMode, requiresSessionTracking, table shown]. */
type Outcome = [Decision['effect'], boolean, boolean, 'table' | null];

/**
 * The outcome of each effect, spelled out per mode and per "is there an effective
 * table": 'table' means the decision carries the effective table (null when none).
 */
const OUTCOMES: Record<Effect, Record<Mode, { withTable: Outcome; withoutTable: Outcome }>> = {
  allow: {
    server: { withTable: ['allow', false, false, 'table'], withoutTable: ['allow', false, false, 'table'] },
    cli: { withTable: ['allow', false, false, 'table'], withoutTable: ['allow', false, false, 'table'] },
    credential_process: { withTable: ['allow', false, false, 'table'], withoutTable: ['allow', false, false, 'table'] },
  },
  deny: {
    server: { withTable: ['deny', false, false, null], withoutTable: ['deny', false, false, null] },
    cli: { withTable: ['deny', false, false, null], withoutTable: ['deny', false, false, null] },
    credential_process: { withTable: ['deny', false, false, null], withoutTable: ['deny', false, false, null] },
  },
  require_approval: {
    server: { withTable: ['require_approval', false, false, 'table'], withoutTable: ['require_approval', false, false, 'table'] },
    cli: { withTable: ['require_approval', false, false, 'table'], withoutTable: ['require_approval', false, false, 'table'] },
    credential_process: {
      withTable: ['require_approval', false, false, 'table'],
      withoutTable: ['require_approval', false, false, 'table'],
    },
  },
  require_server: {
    server: { withTable: ['allow', false, false, 'table'], withoutTable: ['allow', false, false, 'table'] },
    cli: { withTable: ['deny', true, false, 'table'], withoutTable: ['deny', true, false, 'table'] },
    credential_process: { withTable: ['deny', true, false, 'table'], withoutTable: ['deny', true, false, 'table'] },
  },
  require_server_session: {
    server: { withTable: ['allow', false, false, 'table'], withoutTable: ['deny', false, true, 'table'] },
    cli: { withTable: ['deny', true, true, 'table'], withoutTable: ['deny', true, true, 'table'] },
    credential_process: { withTable: ['deny', true, true, 'table'], withoutTable: ['deny', true, true, 'table'] },
  },
};

const DEFAULT_REASONS: Record<Effect, string> = {
  allow: 'allowed by rule "r"',
  deny: 'denied by rule "r"',
  require_approval: 'rule "r" requires an approved access request',
  require_server: 'rule "r" requires server mode',
  require_server_session: 'rule "r" requires server mode with session tracking',
};

const EFFECT_NAMES = Object.keys(OUTCOMES) as Effect[];
const MODE_NAMES: Mode[] = ['server', 'cli', 'credential_process'];
const SOURCE_NAMES = Object.keys(TABLE_SOURCES) as TableSource[];

const cases = EFFECT_NAMES.flatMap((effect) =>
  MODE_NAMES.flatMap((mode) => SOURCE_NAMES.map((source) => ({ effect, mode, source }))),
);

describe.each(evaluators)('%s', (_name, evaluate) => {
  describe('effect × mode × session-table source', () => {
    it.each(cases)('$effect in $mode mode, table from $source', ({ effect, mode, source }) => {
      const tables = TABLE_SOURCES[source];
      const rule: Rule = { name: 'r', effect, conditions: { profiles: ['prod'] }, maxServerDurationSeconds: 900 };
      if (tables.rule !== undefined) rule.sessionTable = tables.rule;
      const req = request({ mode });
      if (tables.request !== undefined) req.sessionTable = tables.request;
      const context: EvaluationContext = tables.deployment === undefined ? {} : { defaultSessionTable: tables.deployment };

      const outcomes = OUTCOMES[effect][mode];
      const [shown, requiresServerMode, requiresSessionTracking, table] =
        tables.effective === null ? outcomes.withoutTable : outcomes.withTable;
      expect(evaluate(policyOf([rule]), req, context)).toEqual({
        effect: shown,
        rule: 'r',
        ruleIndex: 0,
        reason: DEFAULT_REASONS[effect],
        requiresServerMode,
        requiresSessionTracking,
        sessionTable: table === 'table' ? tables.effective : null,
        maxServerDurationSeconds: 900,
      });
    });

    it('treats an empty request or deployment table as no table', () => {
      const rule: Rule = { name: 'tracked', effect: 'require_server_session', conditions: {} };
      expect(evaluate(policyOf([rule]), request({ mode: 'server', sessionTable: '' }), { defaultSessionTable: '' })).toEqual({
        effect: 'deny',
        rule: 'tracked',
        ruleIndex: 0,
        reason: 'rule "tracked" requires server mode with session tracking',
        requiresServerMode: false,
        requiresSessionTracking: true,
        sessionTable: null,
        maxServerDurationSeconds: null,
      });
      // An empty request table falls through to the deployment default.
      expect(evaluate(policyOf([rule]), request({ mode: 'server', sessionTable: '' }), { defaultSessionTable: 'sentinel-sessions' })).toMatchObject({
        effect: 'allow',
        sessionTable: 'sentinel-sessions',
      });
    });
  });

  describe('reasons and durations', () => {
    it("uses the rule's own reason when it has one", () => {
      const rule: Rule = {
        name: 'prod-tracked',
        effect: 'require_server',
        conditions: {},
        reason: 'Production needs server mode',
        maxServerDurationSeconds: 3600,
      };
      expect(evaluate(policyOf([rule]), request())).toEqual({
        effect: 'deny',
        rule: 'prod-tracked',
        ruleIndex: 0,
        reason: 'Production needs server mode',
        requiresServerMode: true,
        requiresSessionTracking: false,
        sessionTable: null,
        maxServerDurationSeconds: 3600,
      });
    });

    it.each(EFFECT_NAMES)('names the rule in the default reason of %s', (effect) => {
      const rule: Rule = { name: 'team "ops"', effect, conditions: {} };
      expect(evaluate(policyOf([rule]), request()).reason).toBe(DEFAULT_REASONS[effect].replace('"r"', '"team "ops""'));
    });
  });

  describe('default deny', () => {
    it('denies with no rule, no table and no flags when nothing matches', () => {
      const rules: Rule[] = [{ name: 'staging', effect: 'allow', conditions: { profiles: ['staging'] }, sessionTable: 't' }];
      expect(evaluate(policyOf(rules), request({ sessionTable: 'mine' }), { defaultSessionTable: 'd' })).toEqual(DEFAULT_DENY);
    });

    it('denies everything under a policy without rules', () => {
      expect(evaluate(policyOf([]), request({ mode: 'server' }))).toEqual(DEFAULT_DENY);
    });
  });

  describe('conditions', () => {
    const groups = { platform: ['alice', 'bob'], sre: ['carol'] };

    it.each([
      ['listed in users', { users: ['alice'] }, 'alice', true],
      ['not listed in users', { users: ['bob'] }, 'alice', false],
      ['a member of a listed group', { groups: ['platform'] }, 'bob', true],
      ['not a member of the listed group', { groups: ['sre'] }, 'bob', false],
      ['in users but not in the group (users OR groups)', { users: ['dave'], groups: ['sre'] }, 'dave', true],
      ['in the group but not in users (users OR groups)', { users: ['dave'], groups: ['sre'] }, 'carol', true],
      ['in neither users nor groups', { users: ['dave'], groups: ['sre'] }, 'alice', false],
      ['named only through an unknown group', { groups: ['ghosts'] }, 'alice', false],
      ['asking with a group name that is also an Object property', { groups: ['constructor'] }, 'alice', false],
      ['anyone, when users and groups are empty lists', { users: [], groups: [] }, 'mallory', true],
      ['anyone, when users and groups are absent', {}, 'mallory', true],
      ['the group name itself, which is not a user', { groups: ['platform'] }, 'platform', false],
    ])('user %s → match %s', (_label, conditions, user, matches) => {
      const rules: Rule[] = [{ name: 'team', effect: 'allow', conditions }];
      const decision = evaluate(policyOf(rules, groups), request({ user }));
      expect(decision).toEqual(
        matches
          ? { ...DEFAULT_DENY, effect: 'allow', rule: 'team', ruleIndex: 0, reason: 'allowed by rule "team"' }
          : DEFAULT_DENY,
      );
    });

    it.each([
      ['a listed profile', { profiles: ['prod', 'staging'] }, request(), true],
      ['an unlisted profile', { profiles: ['staging'] }, request(), false],
      ['any profile (empty list)', { profiles: [] }, request({ profile: 'anything' }), true],
      ['a listed mode', { mode: ['cli', 'server'] as Mode[] }, request({ mode: 'server' }), true],
      ['an unlisted mode', { mode: ['server'] as Mode[] }, request({ mode: 'credential_process' }), false],
      ['any mode (empty list)', { mode: [] as Mode[] }, request({ mode: 'credential_process' }), true],
      ['all conditions at once', { profiles: ['prod'], users: ['alice'], mode: ['cli'] as Mode[] }, request(), true],
      ['all but one condition', { profiles: ['prod'], users: ['alice'], mode: ['server'] as Mode[] }, request(), false],
    ])('%s → match %s', (_label, conditions, req, matches) => {
      const decision = evaluate(policyOf([{ name: 'c', effect: 'deny', conditions }]), req);
      expect(decision.ruleIndex).toBe(matches ? 0 : -1);
      expect(decision.reason).toBe(matches ? 'denied by rule "c"' : 'no matching rule');
    });

    it('lets the first matching rule win, even over later allows', () => {
      const rules: Rule[] = [
        { name: 'staging-only', effect: 'allow', conditions: { profiles: ['staging'] } },
        { name: 'no-cli-prod', effect: 'deny', conditions: { profiles: ['prod'], mode: ['cli'] }, reason: 'use server mode' },
        { name: 'everyone', effect: 'allow', conditions: {} },
      ];
      expect(evaluate(policyOf(rules), request())).toEqual({
        ...DEFAULT_DENY,
        rule: 'no-cli-prod',
        ruleIndex: 1,
        reason: 'use server mode',
      });
      expect(evaluate(policyOf(rules), request({ mode: 'server' }))).toEqual({
        ...DEFAULT_DENY,
        effect: 'allow',
        rule: 'everyone',
        ruleIndex: 2,
        reason: 'allowed by rule "everyone"',
      });
    });

    it('skips a rule whose time window is closed and falls through to the next', () => {
      const rules: Rule[] = [
        {
          name: 'office-hours',
          effect: 'allow',
          conditions: { time: { timezone: 'Europe/Paris', days: [1, 2, 3, 4, 5], hours: { start: 540, end: 1020 } } },
        },
        { name: 'after-hours', effect: 'require_approval', conditions: {} },
      ];
      // tuesday 12:00 in Paris
      expect(evaluate(policyOf(rules), request()).rule).toBe('office-hours');
      // tuesday 20:00 in Paris
      expect(evaluate(policyOf(rules), request({ time: new Date('2024-05-14T18:00:00Z') }))).toEqual({
        ...DEFAULT_DENY,
        effect: 'require_approval',
        rule: 'after-hours',
        ruleIndex: 1,
        reason: 'rule "after-hours" requires an approved access request',
      });
    });

    it('reads `days: []` from an original-format document as every day, hours still applying', () => {
      const policy = parsePolicy(
        'version: "1"\nrules:\n  - name: office\n    effect: allow\n    conditions:\n      time: { days: [], hours: { start: "09:00", end: "17:00" }, timezone: Europe/Paris }\n',
      );
      // 2024-05-12 is a sunday; 10:00 UTC is 12:00 in Paris, 18:00 UTC is 20:00.
      for (let day = 12; day <= 18; day++) {
        expect(evaluate(policy, request({ time: new Date(`2024-05-${day}T10:00:00Z`) })).rule).toBe('office');
        expect(evaluate(policy, request({ time: new Date(`2024-05-${day}T18:00:00Z`) }))).toEqual(DEFAULT_DENY);
      }
    });

    it('ignores the session_table of a deny rule', () => {
      const policy = parsePolicy('version: "1"\nrules:\n  - name: blocked\n    effect: deny\n    session_table: sentinel-sessions\n');
      expect(evaluate(policy, request({ sessionTable: 'request-table' }), { defaultSessionTable: 'default-table' })).toEqual({
        ...DEFAULT_DENY,
        rule: 'blocked',
        ruleIndex: 0,
        reason: 'denied by rule "blocked"',
      });
    });
  });
});

describe('compilePolicy', () => {
  it('keeps answering correctly for many users and profiles the policy never names', () => {
    const rules: Rule[] = [
      { name: 'alice-prod', effect: 'allow', conditions: { profiles: ['prod'], users: ['alice'] } },
      { name: 'anyone-dev', effect: 'allow', conditions: { profiles: ['dev'] } },
    ];
    const compiled = compilePolicy(policyOf(rules));
    for (let i = 0; i < 2000; i++) {
      expect(compiled.evaluate(request({ user: `user-${i}`, profile: `dev` })).rule).toBe('anyone-dev');
      expect(compiled.evaluate(request({ user: `user-${i}`, profile: `profile-${i}` }))).toEqual(DEFAULT_DENY);
    }
    expect(compiled.evaluate(request()).rule).toBe('alice-prod');
  });

  it('keeps deciding correctly after its memo of candidate lists fills up and starts over', () => {
    // 1,000 rules for everyone × 1,200 named users: more remembered rules than the memo keeps.
    const users = Array.from({ length: 1200 }, (_, i) => `user-${i}`);
    const rules: Rule[] = [
      ...Array.from({ length: 1000 }, (_, i): Rule => ({ name: `server-${i}`, effect: 'deny', conditions: { mode: ['server'] } })),
      { name: 'named', effect: 'allow', conditions: { users } },
    ];
    const compiled = compilePolicy(policyOf(rules));
    for (const round of [1, 2]) {
      for (const user of users) {
        const decision = compiled.evaluate(request({ user, profile: `p-${round}` }));
        expect(decision.ruleIndex).toBe(1000);
      }
    }
    expect(compiled.evaluate(request({ user: 'user-7', mode: 'server' })).rule).toBe('server-0');
  });

  it('shares one frozen default deny, so a caller changing it gets an error rather than changing later decisions', () => {
    const compiled = compilePolicy(policyOf([{ name: 'alice-prod', effect: 'allow', conditions: { profiles: ['prod'], users: ['alice'] } }]));
    const denied = compiled.evaluate(request({ user: 'mallory' }));
    expect(denied).toEqual(DEFAULT_DENY);
    expect(compiled.evaluate(request({ profile: 'staging' }))).toBe(denied);
    expect(() => {
      (denied as { reason: string }).reason = 'changed';
    }).toThrow(TypeError);
    expect(compiled.evaluate(request({ user: 'mallory' })).reason).toBe('no matching rule');
    expect({ ...denied, reason: 'copied' }.reason).toBe('copied');
  });
});
