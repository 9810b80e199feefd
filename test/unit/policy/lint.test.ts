import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import { lintPolicy, type LintOptions } from '../../../src/policy/lint.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import { EFFECTS, MODES } from '../../../src/policy/types.js';
import type {
  ApprovalRule,
  BreakglassRule,
  Effect,
  EvaluationRequest,
  Policy,
  PolicyIssue,
  Rule,
  RuleConditions,
  TimeWindow,
} from '../../../src/policy/types.js';

// ---- factories --------------------------------------------------------------

const ROLE = 'arn:aws:iam::111122223333:role/operator';
const MON_FRI = [1, 2, 3, 4, 5];

/** Minutes since midnight from "HH:MM". */
function hm(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function window(timezone: string, from: string | undefined, to: string | undefined, days?: number[]): TimeWindow {
  const time: TimeWindow = { timezone };
  if (days !== undefined) time.days = days;
  if (from !== undefined && to !== undefined) time.hours = { start: hm(from), end: hm(to) };
  return time;
}

function rule(name: string, effect: Effect, conditions: RuleConditions = {}, extra: Partial<Rule> = {}): Rule {
  return { name, effect, conditions, ...extra };
}

/** Line of rule `index` in the imaginary document the factories build. */
function lineOf(index: number): number {
  return 10 + index * 5;
}

/**
 * A clean document: profiles prod and dev, no people sections (so no user
 * warnings unless a test adds some), each rule placed at {@link lineOf}.
 */
function policyOf(rules: Rule[], extra: Partial<Policy> = {}): Policy {
  return {
    version: '1',
    profiles: { prod: { roleArn: ROLE, maxDurationSeconds: 3600 }, dev: { roleArn: ROLE } },
    groups: {},
    rules: rules.map((entry, index) => ({ position: { line: lineOf(index), col: 5 }, ...entry })),
    approvals: [],
    breakglass: [],
    admins: [],
    ...extra,
  };
}

function approval(name: string, profiles: string[], approvers: string[], extra: Partial<ApprovalRule> = {}): ApprovalRule {
  return { name, profiles, approvers, approverGroups: [], position: { line: 80, col: 5 }, ...extra };
}

function breakglass(name: string, profiles: string[], users: string[], extra: Partial<BreakglassRule> = {}): BreakglassRule {
  return { name, profiles, users, reasonCodes: ['incident'], position: { line: 90, col: 5 }, ...extra };
}

/** Approvals for both profiles by the people the tests use, so require_approval rules are not flagged. */
const EVERYONE_APPROVES = [approval('approvers', ['prod', 'dev'], ['alice', 'bob', 'carol', 'dave'])];

function lint(policy: Policy, options: Partial<LintOptions> = {}): PolicyIssue[] {
  return lintPolicy(policy, { file: 'policy.yaml', ...options });
}

/** The one warning expected, with its location checked. */
function only(issues: PolicyIssue[], path: string, line: number): PolicyIssue {
  expect(issues.map((issue) => issue.message)).toHaveLength(1);
  const issue = issues[0]!;
  expect(issue).toMatchObject({ file: 'policy.yaml', severity: 'warning', path, line });
  return issue;
}

// ---- 1, 2: unreachable rules ----------------------------------------------------

describe('rules that can never apply', () => {
  it('reports a rule hidden by a broader rule above it, naming both and what to do', () => {
    const issues = lint(
      policyOf([
        rule('ops', 'require_server', { profiles: ['prod', 'dev'] }),
        rule('alice-prod', 'require_approval', { profiles: ['prod'], users: ['alice'], mode: ['cli'] }),
      ], { approvals: EVERYONE_APPROVES }),
    );
    const issue = only(issues, 'rules[1]', lineOf(1));
    expect(issue.col).toBe(5);
    expect(issue.message).toBe(
      'rule "alice-prod" (rules[1], require_approval) can never apply: rule "ops" (rules[0], require_server) above it matches every request it matches, and the first matching rule wins. Delete "alice-prod", or move it above "ops" if it should take precedence.',
    );
  });

  it('stays silent when the earlier rule is narrower in one dimension', () => {
    const later = rule('later', 'deny', { profiles: ['prod', 'dev'], users: ['alice'], mode: ['cli', 'server'] });
    const narrower: RuleConditions[] = [
      { profiles: ['prod'], users: ['alice'], mode: ['cli', 'server'] },
      { profiles: ['prod', 'dev'], users: ['alice'], mode: ['cli'] },
      { profiles: ['prod', 'dev'], users: ['bob'], mode: ['cli', 'server'] },
      { profiles: ['prod', 'dev'], users: ['alice'], mode: ['cli', 'server'], time: window('UTC', '00:00', '23:00') },
    ];
    for (const conditions of narrower) {
      expect(lint(policyOf([rule('earlier', 'require_server', conditions), later]))).toEqual([]);
    }
  });

  it('counts users who reach the later rule through group membership', () => {
    const groups = { platform: ['alice', 'bob'], sre: ['carol'] };
    const viaGroup = lint(
      policyOf([rule('platform', 'require_server', { groups: ['platform'] }), rule('alice', 'require_approval', { users: ['alice'] })], { groups, approvals: EVERYONE_APPROVES }),
    );
    expect(only(viaGroup, 'rules[1]', lineOf(1)).message).toContain('rule "platform" (rules[0], require_server) above it');

    const groupInUsers = lint(
      policyOf([rule('named', 'require_server', { users: ['alice', 'bob', 'carol'] }), rule('team', 'require_approval', { groups: ['platform'] })], { groups, approvals: EVERYONE_APPROVES }),
    );
    expect(only(groupInUsers, 'rules[1]', lineOf(1)).message).toContain('"team" (rules[1], require_approval) can never apply');

    // bob is in platform but not in the earlier rule's users: he still reaches "team".
    const partly = lint(
      policyOf([rule('named', 'require_server', { users: ['alice', 'carol'] }), rule('team', 'require_approval', { groups: ['platform'] })], { groups, approvals: EVERYONE_APPROVES }),
    );
    expect(partly).toEqual([]);
  });

  it('never treats a list of users as covering a rule that matches any user', () => {
    const groups = { everyone: ['alice', 'bob'] };
    const issues = lint(
      policyOf([rule('known', 'require_server', { groups: ['everyone'], users: ['alice'] }), rule('anyone', 'require_approval', { profiles: ['prod'] })], {
        groups,
        approvals: [approval('prod-approvers', ['prod'], ['alice'], { approverGroups: ['everyone'] })],
      }),
    );
    expect(issues).toEqual([]);
  });

  it('treats a rule listing every mode like one listing none', () => {
    const issues = lint(
      policyOf([rule('all-modes', 'require_server', { mode: ['server', 'cli', 'credential_process'] }), rule('any', 'require_approval', { profiles: ['dev'] })], {
        approvals: [approval('dev-approvers', ['dev'], ['erin'])],
      }),
    );
    expect(issues.filter((issue) => issue.path === 'rules[1]').map((issue) => issue.message)).toEqual([
      expect.stringContaining('"any" (rules[1], require_approval) can never apply: rule "all-modes" (rules[0], require_server)'),
    ]);
  });

  it('reports only the first rule that hides a later one', () => {
    const issues = lint(
      policyOf([
        rule('first', 'require_server', { profiles: ['prod'] }),
        rule('second', 'require_server', {}),
        rule('third', 'require_approval', { profiles: ['prod'], mode: ['server'] }),
      ], { approvals: EVERYONE_APPROVES }),
    );
    const third = issues.filter((issue) => issue.path === 'rules[2]');
    expect(third).toHaveLength(1);
    expect(third[0]!.message).toContain('rule "first" (rules[0], require_server) above it');
  });

  describe('time windows', () => {
    // Both rules have the same effect, so partial overlaps (another warning) stay out of these cases.
    const later = (time: TimeWindow): Rule => rule('later', 'require_server', { profiles: ['dev'], time });
    const approvals = [approval('dev-approvers', ['dev'], ['erin'])];
    const check = (earlier: TimeWindow | undefined, laterTime: TimeWindow): PolicyIssue[] =>
      lint(policyOf([rule('earlier', 'require_server', earlier === undefined ? {} : { time: earlier }), later(laterTime)], { approvals }));

    it('an earlier rule without a time condition hides a later rule with one', () => {
      only(check(undefined, window('Europe/Paris', '09:00', '17:00', MON_FRI)), 'rules[1]', lineOf(1));
    });

    it('an earlier window in the same zone that contains the later one hides it', () => {
      const issues = check(window('Europe/Paris', '08:00', '18:00', MON_FRI), window('Europe/Paris', '09:00', '17:00', [1, 3]));
      expect(only(issues, 'rules[1]', lineOf(1)).message).toContain('can never apply');
    });

    it('a later rule without a time condition is not hidden by a windowed one', () => {
      const issues = lint(
        policyOf([rule('earlier', 'require_server', { time: window('UTC', '00:00', '23:59') }), rule('later', 'require_approval', { profiles: ['dev'] })], { approvals }),
      );
      expect(issues).toEqual([]);
    });

    it('a window covering the whole week hides later rules in any zone', () => {
      only(check(window('UTC', undefined, undefined, [0, 1, 2, 3, 4, 5, 6]), window('Asia/Tokyo', '09:00', '10:00')), 'rules[1]', lineOf(1));
    });

    it('the same hours in a different zone are not a certain cover', () => {
      expect(check(window('Europe/Paris', '08:00', '18:00', MON_FRI), window('Europe/London', '09:00', '17:00', MON_FRI))).toEqual([]);
    });

    it('days only partly covered are not a cover', () => {
      expect(check(window('UTC', '08:00', '18:00', MON_FRI), window('UTC', '09:00', '17:00', [5, 6]))).toEqual([]);
    });

    it('hours only partly covered are not a cover', () => {
      expect(check(window('UTC', '09:00', '17:00', MON_FRI), window('UTC', '08:00', '10:00', MON_FRI))).toEqual([]);
    });

    it("the early hours of a window across midnight belong to the previous day's entry", () => {
      // friday 22:00–06:00 runs into saturday morning.
      only(check(window('UTC', '22:00', '06:00', [5]), window('UTC', '01:00', '03:00', [6])), 'rules[1]', lineOf(1));
      // saturday 22:00–06:00 runs into sunday morning, not saturday's.
      expect(check(window('UTC', '22:00', '06:00', [6]), window('UTC', '01:00', '03:00', [6]))).toEqual([]);
    });

    it('a wrapping later window is hidden only when both halves are covered', () => {
      const later = window('UTC', '23:00', '01:00', [1]);
      only(check(window('UTC', '22:00', '02:00', [1]), later), 'rules[1]', lineOf(1));
      expect(check(window('UTC', '22:00', '23:59', [1]), later)).toEqual([]);
    });
  });

  it('reports a rule whose groups have no members as matching nothing, not as hidden', () => {
    const issues = lint(
      policyOf([rule('everyone', 'require_server', {}), rule('nobody', 'require_server', { groups: ['oncall'] })], { groups: { oncall: [] } }),
    );
    expect(only(issues, 'rules[1]', lineOf(1)).message).toBe(
      'rule "nobody" (rules[1]) can never match: it names no users and no one is a member of its group "oncall". Fix the condition or delete the rule.',
    );
  });

  it('reports an empty hour range built in code as matching nothing', () => {
    const issues = lint(policyOf([rule('never', 'require_server', { time: window('UTC', '09:00', '09:00') })]));
    expect(only(issues, 'rules[0]', lineOf(0)).message).toContain('its hours start and end at the same time (09:00)');
  });
});

describe('a deny made unreachable by a rule that allows', () => {
  it('says the deny can never apply and to move it above the allow', () => {
    const issues = lint(policyOf([rule('devs', 'allow', { profiles: ['prod', 'dev'] }), rule('no-prod-cli', 'deny', { profiles: ['prod'], mode: ['cli'] })]));
    expect(only(issues, 'rules[1]', lineOf(1)).message).toBe(
      'deny rule "no-prod-cli" (rules[1]) can never apply: allow rule "devs" (rules[0]) above it matches every request it matches and allows them, because the first matching rule wins — move the deny above "devs".',
    );
  });

  it('also when the rule above is require_server_session and the deny covers server mode', () => {
    const issues = lint(policyOf([rule('tracked', 'require_server_session', {}, { sessionTable: 'sentinel-sessions' }), rule('no-prod', 'deny', { profiles: ['prod'] })]));
    expect(only(issues, 'rules[1]', lineOf(1)).message).toBe(
      'deny rule "no-prod" (rules[1]) can never apply: require_server_session rule "tracked" (rules[0]) above it matches every request it matches and allows those in server mode with a session table, because the first matching rule wins — move the deny above "tracked".',
    );
  });

  it('uses the plain message when the rule above denies those requests anyway', () => {
    const serverOnly = lint(policyOf([rule('server-only', 'require_server', {}), rule('no-cli', 'deny', { mode: ['cli'] })]));
    const message = only(serverOnly, 'rules[1]', lineOf(1)).message;
    expect(message).toContain('rule "no-cli" (rules[1], deny) can never apply');
    expect(message).not.toContain('move the deny above');

    const twoDenies = lint(policyOf([rule('deny-all', 'deny', {}), rule('deny-prod', 'deny', { profiles: ['prod'] })]));
    expect(only(twoDenies, 'rules[1]', lineOf(1)).message).toContain('rule "deny-prod" (rules[1], deny) can never apply: rule "deny-all" (rules[0], deny)');
  });

  it('stays silent when the deny comes first', () => {
    expect(lint(policyOf([rule('no-prod-cli', 'deny', { profiles: ['prod'], mode: ['cli'] }), rule('devs', 'allow', { profiles: ['prod', 'dev'] })]))).toEqual([]);
  });
});

// ---- 3: overlapping time windows ------------------------------------------------

describe('partially overlapping time windows', () => {
  const office = window('Europe/Paris', '09:00', '17:00', MON_FRI);

  it('says where they overlap and which rule wins there', () => {
    const issues = lint(
      policyOf([rule('office', 'allow', { profiles: ['prod'], time: office }), rule('evening-freeze', 'deny', { time: window('Europe/Paris', '16:00', '20:00', MON_FRI) })]),
    );
    expect(only(issues, 'rules[1]', lineOf(1)).message).toBe(
      'rules "office" (rules[0], allow) and "evening-freeze" (rules[1], deny) have partially overlapping time windows (monday–friday 16:00–17:00, Europe/Paris) and can match the same requests: there the first match wins, so "office" applies and "evening-freeze" does not. Make the windows meet without overlapping, or put the rule that should win first.',
    );
  });

  it('describes an overlap across midnight', () => {
    const issues = lint(
      policyOf([
        rule('night', 'allow', { time: window('UTC', '22:00', '06:00', [5]) }),
        rule('weekend-freeze', 'deny', { time: window('UTC', '05:00', '08:00', [6]) }),
      ]),
    );
    expect(only(issues, 'rules[1]', lineOf(1)).message).toContain('(saturday 05:00–06:00, UTC)');
  });

  it('stays silent for windows that only meet, sit in different zones, or nest', () => {
    const evening = (timezone: string, from: string): Rule => rule('evening', 'deny', { time: window(timezone, from, '20:00', MON_FRI) });
    const officeRule = rule('office', 'allow', { time: office });
    expect(lint(policyOf([officeRule, evening('Europe/Paris', '17:00')]))).toEqual([]);
    expect(lint(policyOf([officeRule, evening('Europe/London', '16:00')]))).toEqual([]);
    // A narrower exception first is the usual pattern, not a surprise.
    expect(lint(policyOf([rule('lunch-freeze', 'deny', { time: window('Europe/Paris', '12:00', '13:00', MON_FRI) }), officeRule]))).toEqual([]);
  });

  it('stays silent when the rules cannot match the same request or agree', () => {
    const evening = window('Europe/Paris', '16:00', '20:00', MON_FRI);
    expect(lint(policyOf([rule('office', 'allow', { profiles: ['prod'], time: office }), rule('evening', 'deny', { profiles: ['dev'], time: evening })]))).toEqual([]);
    expect(lint(policyOf([rule('office', 'allow', { users: ['alice'], time: office }), rule('evening', 'deny', { users: ['bob'], time: evening })]))).toEqual([]);
    expect(lint(policyOf([rule('office', 'allow', { mode: ['cli'], time: office }), rule('evening', 'deny', { mode: ['server'], time: evening })]))).toEqual([]);
    expect(lint(policyOf([rule('office', 'deny', { time: office }), rule('evening', 'deny', { time: evening })]))).toEqual([]);
  });

  it('does not add an overlap warning for a rule already reported as unreachable', () => {
    const issues = lint(
      policyOf([
        rule('office', 'allow', { time: window('UTC', '08:00', '18:00', MON_FRI) }),
        rule('core', 'deny', { time: window('UTC', '09:00', '17:00', MON_FRI) }),
        rule('late', 'require_server', { time: window('UTC', '16:00', '20:00', MON_FRI) }),
      ]),
    );
    expect(issues.map((issue) => [issue.path, issue.message.slice(0, 40)])).toEqual([
      ['rules[1]', 'deny rule "core" (rules[1]) can never ap'],
      ['rules[2]', 'rules "office" (rules[0], allow) and "la'],
    ]);
  });
});

// ---- 4: require_server_session without a table ------------------------------------

describe('require_server_session without a session table', () => {
  const tracked = (extra: Partial<Rule> = {}): Rule => rule('tracked', 'require_server_session', { profiles: ['prod'] }, extra);

  it('warns that it relies on the caller or the deployment default', () => {
    const message = only(lint(policyOf([tracked()])), 'rules[0]', lineOf(0)).message;
    expect(message).toContain('require_server_session rule "tracked" (rules[0]) names no session_table');
    expect(message).toContain("--session-table");
    expect(message).toContain('SENTINEL_DEFAULT_SESSION_TABLE');
    expect(message).toContain('denies everyone it matches');
  });

  it('treats an empty default like no default', () => {
    only(lint(policyOf([tracked()]), { defaultSessionTable: '' }), 'rules[0]', lineOf(0));
  });

  it('stays silent with a table on the rule or a deployment default, and for other effects', () => {
    expect(lint(policyOf([tracked({ sessionTable: 'sentinel-sessions' })]))).toEqual([]);
    expect(lint(policyOf([tracked()]), { defaultSessionTable: 'sentinel-sessions' })).toEqual([]);
    expect(lint(policyOf([rule('server', 'require_server', { profiles: ['prod'] })]))).toEqual([]);
  });
});

// ---- 5: profiles in an original-format document -----------------------------------

describe('profiles named without a profiles section', () => {
  it('warns for each rule, approvals and breakglass entry naming profiles', () => {
    const policy = policyOf([rule('prod-users', 'allow', { profiles: ['prod', 'staging'] }), rule('anything', 'deny')], {
      profiles: undefined,
      groups: { sre: ['carol'] },
      approvals: [approval('prod-approvers', ['prod'], [], { approverGroups: ['sre'] })],
      breakglass: [breakglass('oncall', ['prod'], ['carol'])],
    });
    const issues = lint(policy);
    expect(issues.map((issue) => [issue.path, issue.line, issue.message])).toEqual([
      [
        'rules[0].conditions.profiles',
        lineOf(0),
        'rule "prod-users" (rules[0]) names profiles "prod", "staging", but the document has no `profiles` section, so Sentinel cannot vend credentials for them. Add a `profiles` section with a role_arn for each.',
      ],
      [
        'approvals[0].profiles',
        80,
        'approvals entry "prod-approvers" (approvals[0]) names profile "prod", but the document has no `profiles` section, so Sentinel cannot vend credentials for it. Add a `profiles` section with a role_arn for each.',
      ],
      ['breakglass[0].profiles', 90, expect.stringContaining('breakglass entry "oncall" (breakglass[0]) names profile "prod", but the document has no `profiles` section')],
    ]);
  });

  it('stays silent when the document has a profiles section', () => {
    expect(lint(policyOf([rule('prod-users', 'allow', { profiles: ['prod'] })]))).toEqual([]);
  });
});

// ---- 6: user names ------------------------------------------------------------------

describe('user names', () => {
  const groups = { platform: ['alice', 'bob'] };

  it('warns about a rule user no people section names, with a suggestion', () => {
    const issues = lint(policyOf([rule('typo', 'allow', { users: ['alise'] })], { groups }));
    expect(only(issues, 'rules[0].conditions.users', lineOf(0)).message).toBe(
      'user "alise" appears only in rules: rule "typo" (rules[0]) names it, but no group, admins, approvals or breakglass entry does (did you mean "alice"?). A misspelt user silently matches no one: check the spelling, or add the user to a group.',
    );
  });

  it('warns once per user, naming every rule and placed at the first', () => {
    const issues = lint(
      policyOf([rule('a', 'allow', { users: ['deploy-bot'], profiles: ['dev'] }), rule('b', 'require_server', { users: ['deploy-bot'], profiles: ['prod'] })], { groups }),
    );
    expect(only(issues, 'rules[0].conditions.users', lineOf(0)).message).toContain(
      'user "deploy-bot" appears only in rules: rules "a" (rules[0]) and "b" (rules[1]) name it, but no group',
    );
  });

  it('stays silent for users named in people sections, and in documents without any', () => {
    const policy = policyOf(
      [rule('team', 'allow', { users: ['alice', 'carol', 'dave', 'erin'] })],
      {
        groups,
        admins: ['erin'],
        approvals: [approval('a', ['prod'], ['carol'])],
        breakglass: [breakglass('b', ['prod'], ['dave'])],
      },
    );
    expect(lint(policy)).toEqual([]);
    expect(lint(policyOf([rule('team', 'allow', { users: ['whoever'] })]))).toEqual([]);
  });

  it('flags an approver that looks like a misspelt known name', () => {
    const issues = lint(policyOf([], { groups: { sre: ['carol', 'dave'] }, approvals: [approval('prod-approvers', ['prod'], ['carl'], { approverGroups: ['sre'] })] }));
    expect(only(issues, 'approvals[0].approvers', 80).message).toBe(
      'approver "carl" in approvals entry "prod-approvers" (approvals[0]) appears nowhere else in the document and looks like a typo (did you mean "carol"?): if it is, "carol" cannot approve through this entry. Correct the name, or ignore this if "carl" is a different person.',
    );
  });

  it('flags admins and break-glass users the same way; admins sit at line 1', () => {
    const issues = lint(
      policyOf([], {
        groups: { sre: ['ops-erin', 'bobby'] },
        admins: ['ops-erln'],
        breakglass: [breakglass('oncall', ['prod'], ['boby'])],
      }),
    );
    expect(issues.map((issue) => [issue.path, issue.line, issue.col])).toEqual([
      ['admins', 1, 1],
      ['breakglass[0].users', 90, 5],
    ]);
    expect(issues[0]!.message).toContain('admin "ops-erln" in `admins` appears nowhere else in the document and looks like a typo (did you mean "ops-erin"?)');
    expect(issues[1]!.message).toContain('break-glass user "boby" in breakglass entry "oncall" (breakglass[0])');
    expect(issues[1]!.message).toContain('"bobby" cannot use break-glass through this entry');
  });

  it('flags an auto_approve user the same way', () => {
    const issues = lint(
      policyOf([], {
        groups: { bots: ['deploy-bot'] },
        approvals: [approval('prod-approvers', ['prod'], [], { approverGroups: ['bots'], autoApprove: { users: ['deploy-bto'] } })],
      }),
    );
    expect(only(issues, 'approvals[0].auto_approve.users', 80).message).toBe(
      'auto_approve user "deploy-bto" in approvals entry "prod-approvers" (approvals[0]) appears nowhere else in the document and looks like a typo (did you mean "deploy-bot"?): if it is, "deploy-bot" is not auto-approved. Correct the name, or ignore this if "deploy-bto" is a different person.',
    );
  });

  it('does not flag names used elsewhere or unlike any other', () => {
    const policy = policyOf([], {
      groups: { sre: ['carol', 'carl'] },
      approvals: [approval('prod-approvers', ['prod'], ['carl', 'zed'], { approverGroups: ['sre'] })],
    });
    expect(lint(policy)).toEqual([]);
  });
});

// ---- 7: require_approval nobody can approve -----------------------------------------

describe('require_approval rules without approvers', () => {
  const needsApproval = (profiles?: string[]): Rule => rule('prod-approval', 'require_approval', profiles === undefined ? {} : { profiles });

  it('warns when no approvals entry covers the profiles', () => {
    const issues = lint(policyOf([needsApproval(['prod'])], { approvals: [approval('dev-approvers', ['dev'], ['erin'])] }));
    expect(only(issues, 'rules[0]', lineOf(0)).message).toBe(
      'require_approval rule "prod-approval" (rules[0]) covers profile "prod" that no approvals entry lists: no one can approve those requests, so they are always refused. Add an approvals entry for them, or change the rule.',
    );
  });

  it('counts an entry whose approver groups are empty as no approver', () => {
    const issues = lint(
      policyOf([needsApproval(['prod'])], { groups: { sre: [] }, approvals: [approval('prod-approvers', ['prod'], [], { approverGroups: ['sre'] })] }),
    );
    expect(only(issues, 'rules[0]', lineOf(0)).message).toContain('covers profile "prod" that no approvals entry lists');
  });

  it('for a rule matching any profile, names the defined profiles nobody approves', () => {
    const issues = lint(policyOf([needsApproval()], { approvals: [approval('prod-approvers', ['prod'], ['erin'])] }));
    expect(only(issues, 'rules[0]', lineOf(0)).message).toContain('matches any profile, but no approvals entry lists profile "dev": for that profile no one can approve');
  });

  it('in a document without profiles, warns for an any-profile rule only when no one can approve anything', () => {
    const original = { profiles: undefined };
    expect(only(lint(policyOf([needsApproval()], original)), 'rules[0]', lineOf(0)).message).toContain(
      'the document has no approvals entry with an approver',
    );
    expect(lint(policyOf([needsApproval()], { ...original, approvals: [approval('a', ['prod'], ['erin'])] })).map((issue) => issue.path)).toEqual([
      'approvals[0].profiles',
    ]);
  });

  it('stays silent when every profile has approvers', () => {
    const approvals = [approval('prod-approvers', ['prod'], [], { autoApprove: { users: ['bot'] } }), approval('dev-approvers', ['dev'], ['erin'])];
    expect(lint(policyOf([needsApproval(['prod'])], { approvals }))).toEqual([]);
    expect(lint(policyOf([needsApproval()], { approvals }))).toEqual([]);
  });
});

// ---- 8: max_server_duration below STS's floor -------------------------------------

describe('max_server_duration below 15 minutes', () => {
  it('warns that server-mode issuance will be refused', () => {
    const issues = lint(policyOf([rule('short', 'require_server', {}, { maxServerDurationSeconds: 600 })]));
    expect(only(issues, 'rules[0].max_server_duration', lineOf(0)).message).toBe(
      'rule "short" (rules[0]) sets max_server_duration to 10m, below the 15m STS accepts: every server-mode issuance under this rule will be refused. Use at least 15m.',
    );
  });

  it('accepts exactly 15 minutes', () => {
    expect(lint(policyOf([rule('ok', 'require_server', {}, { maxServerDurationSeconds: 900 })]))).toEqual([]);
  });
});

// ---- 9: durations above the profile's ---------------------------------------------

describe('approval and break-glass durations above the profile maximum', () => {
  it('warns that the grant will be capped', () => {
    const issues = lint(
      policyOf([], {
        approvals: [approval('prod-approvers', ['prod', 'dev'], ['erin'], { maxDurationSeconds: 4 * 3600 })],
        admins: ['erin'],
      }),
    );
    expect(only(issues, 'approvals[0].max_duration', 80).message).toBe(
      'approvals entry "prod-approvers" (approvals[0]) sets max_duration 4h, but profile "prod" allows at most 1h: approved requests for "prod" will be capped at 1h. Lower max_duration to 1h, or raise the profile\'s max_duration.',
    );
  });

  it('checks auto_approve and break-glass durations too', () => {
    const issues = lint(
      policyOf([], {
        approvals: [approval('prod-approvers', ['prod'], ['erin'], { autoApprove: { users: ['bot'], maxDurationSeconds: 5400 } })],
        breakglass: [breakglass('oncall', ['prod'], ['erin'], { maxDurationSeconds: 7200 })],
        admins: ['erin'],
      }),
    );
    expect(issues.map((issue) => [issue.path, issue.message.slice(issue.message.indexOf('sets'))])).toEqual([
      ['approvals[0].auto_approve.max_duration', expect.stringContaining('sets max_duration 1h30m, but profile "prod" allows at most 1h: auto-approved requests')],
      ['breakglass[0].max_duration', expect.stringContaining('sets max_duration 2h, but profile "prod" allows at most 1h: break-glass sessions')],
    ]);
  });

  it('stays silent at the limit or when the profile sets none', () => {
    const approvals = [approval('prod-approvers', ['prod'], ['erin'], { maxDurationSeconds: 3600 }), approval('dev-approvers', ['dev'], ['erin'], { maxDurationSeconds: 43200 })];
    expect(lint(policyOf([], { approvals, admins: ['erin'] }))).toEqual([]);
  });
});

// ---- the list as a whole --------------------------------------------------------

describe('the warning list', () => {
  it('is sorted by position, with unplaced entries first', () => {
    const policy = policyOf([rule('a', 'require_server_session', { profiles: ['prod'] }, { position: { line: 40, col: 3 } }), rule('b', 'require_server', { profiles: ['dev'] }, { position: { line: 12, col: 3 }, maxServerDurationSeconds: 60 })], {
      admins: ['ops-erln'],
      groups: { ops: ['ops-erin'] },
    });
    expect(lint(policy).map((issue) => [issue.line, issue.path])).toEqual([
      [1, 'admins'],
      [12, 'rules[1].max_server_duration'],
      [40, 'rules[0]'],
    ]);
  });

  it('leaves the policy untouched', () => {
    const policy = policyOf([rule('a', 'allow', { time: window('UTC', '22:00', '06:00', [5]) }), rule('b', 'deny', { time: window('UTC', '01:00', '02:00', [6]) })]);
    const before = structuredClone(policy);
    expect(lint(policy)).toHaveLength(1);
    expect(policy).toEqual(before);
  });
});

// ---- from YAML ------------------------------------------------------------------

describe('documents from YAML', () => {
  it('points at the rule in the file', () => {
    const text = [
      'version: "1"',
      'profiles:',
      '  prod: { role_arn: "arn:aws:iam::111122223333:role/prod", max_duration: 1h }',
      'groups:',
      '  platform: [alice, bob]',
      'rules:',
      '  - name: platform',
      '    effect: allow',
      '    conditions: { groups: [platform] }',
      '  - name: no-bob',
      '    effect: deny',
      '    conditions: { users: [bob], profiles: [prod] }',
      '  - name: tracked',
      '    effect: require_server_session',
      '    max_server_duration: 5m',
      '',
    ].join('\n');
    const issues = lintPolicy(parsePolicy(text, 'sentinel.yaml'), { file: 'sentinel.yaml' });
    expect(issues.map((issue) => [issue.file, issue.line, issue.col, issue.path])).toEqual([
      ['sentinel.yaml', 10, 5, 'rules[1]'],
      ['sentinel.yaml', 13, 5, 'rules[2]'],
      ['sentinel.yaml', 13, 5, 'rules[2].max_server_duration'],
    ]);
    expect(issues[0]!.message).toContain('deny rule "no-bob" (rules[1]) can never apply: allow rule "platform" (rules[0])');
  });

  it('finds nothing to say about the example in DESIGN.md once the tables are known', () => {
    const text = `version: "1"
profiles:
  prod:
    role_arn: arn:aws:iam::111122223333:role/prod-operator
    max_duration: 4h
    region: eu-west-1
groups:
  platform: [alice, bob]
  sre: [carol, dave]
rules:
  - name: prod-tracked
    effect: require_server_session
    conditions:
      profiles: [prod]
      users: [alice, bob]
      groups: [platform]
      mode: [server]
      time: { days: [monday, friday], hours: { start: "09:00", end: "17:00" }, timezone: Europe/Paris }
    reason: Production needs tracked server sessions
    max_server_duration: 15m
    session_table: sentinel-sessions
approvals:
  - name: prod-approvers
    profiles: [prod]
    approvers: [carol, dave]
    approver_groups: [sre]
    max_duration: 4h
    auto_approve: { users: [oncall-bot], max_duration: 1h }
breakglass:
  - name: oncall
    profiles: [prod]
    users: [alice, bob]
    reason_codes: [incident, security]
    max_duration: 1h
    rate_limit: { cooldown: 30m, max_per_user: 3, max_per_profile: 10, window: 24h }
admins: [ops-erin]
`;
    expect(lintPolicy(parsePolicy(text, 'sentinel.yaml'), { file: 'sentinel.yaml' })).toEqual([]);
  });

  it('warns about profiles in an original-format document', () => {
    const text = 'version: "1"\nrules:\n  - name: prod\n    effect: allow\n    conditions:\n      profiles: [prod]\n';
    const issues = lintPolicy(parsePolicy(text, 'old.yaml'), { file: 'old.yaml' });
    expect(issues.map((issue) => [issue.line, issue.col, issue.path])).toEqual([[3, 5, 'rules[0].conditions.profiles']]);
    expect(issues[0]!.message).toContain('names profile "prod", but the document has no `profiles` section');
  });
});

// ---- what the original format accepted ------------------------------------------

describe('original-format leftovers', () => {
  const text = [
    'version: "1"',
    'rules:',
    '  - name: office',
    '    effect: allow',
    '    conditions:',
    '      time: { days: [], hours: { start: "09:00", end: "17:00" } }',
    '  - name: blocked',
    '    effect: deny',
    '    conditions: { users: [mallory] }',
    '    session_table: sentinel-sessions',
  ].join('\n');

  it('warns about `days: []` and a deny rule\'s session_table: what they mean and what to write instead', () => {
    expect(lintPolicy(parsePolicy(text, 'old.yaml'), { file: 'old.yaml' })).toEqual([
      {
        file: 'old.yaml',
        line: 3,
        col: 5,
        path: 'rules[0].conditions.time.days',
        severity: 'warning',
        message:
          'rule "office" (rules[0]) has an empty `days` list, which means every day (as in the original Sentinel), not no day. Remove `days` to say every day, or list the weekdays the rule is for.',
      },
      {
        file: 'old.yaml',
        line: 7,
        col: 5,
        path: 'rules[1].session_table',
        severity: 'warning',
        message:
          'deny rule "blocked" (rules[1]) names session_table "sentinel-sessions", which is ignored: a deny rule issues no credentials, so there is no session to track. Remove session_table from the rule.',
      },
    ]);
  });

  it('reads an empty days list as every day when judging reachability, as the evaluator does', () => {
    const everyDay = window('UTC', undefined, undefined, []);
    const issues = lint(policyOf([rule('always', 'require_server', { time: everyDay }), rule('later', 'require_server', { profiles: ['dev'], time: window('UTC', '09:00', '10:00', [1]) })]));
    expect(issues.map((issue) => issue.path)).toEqual(['rules[0].conditions.time.days', 'rules[1]']);
    expect(issues[1]!.message).toContain('rule "later" (rules[1], require_server) can never apply: rule "always" (rules[0], require_server) above it');
    expect(issues.some((issue) => issue.message.includes('can never match'))).toBe(false);
  });

  it('stays silent about a session_table on rules that issue credentials', () => {
    for (const effect of ['allow', 'require_approval', 'require_server', 'require_server_session'] as const) {
      expect(lint(policyOf([rule('r', effect, { profiles: ['dev'] }, { sessionTable: 'sentinel-sessions' })], { approvals: EVERYONE_APPROVES }))).toEqual([]);
    }
  });
});

// ---- soundness ------------------------------------------------------------------

const USERS = ['alice', 'bob', 'carol', 'dave'];
const PROFILES = ['prod', 'dev', 'stage'];
const ZONES = ['UTC', 'America/New_York'];

// Mostly whole three-hour marks, so that windows often contain one another (the interesting case).
const minuteArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }).map((step) => step * 180) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1439 }) },
);
const windowArb: fc.Arbitrary<TimeWindow> = fc
  .record(
    {
      timezone: fc.constantFrom(...ZONES),
      // minLength 0: `days: []` means every day, for the linter as for the evaluator.
      days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 7 }),
      hours: fc.record({ start: minuteArb, end: minuteArb }),
    },
    { requiredKeys: ['timezone'] },
  )
  .filter((time) => time.hours === undefined || time.hours.start !== time.hours.end);
const conditionsArb: fc.Arbitrary<RuleConditions> = fc.record(
  {
    profiles: fc.subarray(PROFILES),
    users: fc.subarray(USERS),
    groups: fc.subarray(['g1', 'g2']),
    mode: fc.subarray([...MODES]),
    time: windowArb,
  },
  { requiredKeys: [] },
);
const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    rules: fc.array(fc.record({ effect: fc.constantFrom(...EFFECTS), conditions: conditionsArb }), { minLength: 2, maxLength: 5 }),
    g1: fc.subarray(USERS),
    g2: fc.subarray(USERS),
  })
  .map(({ rules, g1, g2 }) => ({
    version: '1',
    groups: { g1, g2 },
    rules: rules.map((entry, index) => ({ name: `r${index}`, ...entry })),
    approvals: [],
    breakglass: [],
    admins: [],
  }));
const requestArb: fc.Arbitrary<EvaluationRequest> = fc.record({
  user: fc.constantFrom(...USERS, 'mallory'),
  profile: fc.constantFrom(...PROFILES, 'sandbox'),
  mode: fc.constantFrom(...MODES),
  time: fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-12-31T23:59:59Z'), noInvalidDate: true }),
});

/** Whether the reference evaluator lets `rule` alone match `request`. */
function matches(policy: Policy, rule: Rule, request: EvaluationRequest): boolean {
  return evaluatePolicy({ ...policy, rules: [rule] }, request).ruleIndex === 0;
}

/** [hidden, by] for every "can never apply" warning, read from what the user sees. */
function shadowClaims(issues: PolicyIssue[]): [number, number][] {
  return issues
    .filter((issue) => issue.message.includes('can never apply'))
    .map((issue) => {
      const indexes = [...issue.message.matchAll(/\(rules\[(\d+)\]/g)].map((match) => Number(match[1]));
      return [indexes[0]!, indexes[1]!];
    });
}

describe('soundness', () => {
  it('every request a hidden rule matches is matched by the rule said to hide it', () => {
    let checked = 0;
    let checkedBetweenWindows = 0;
    fc.assert(
      fc.property(policyArb, fc.array(requestArb, { minLength: 80, maxLength: 80 }), (policy, requests) => {
        for (const [hidden, by] of shadowClaims(lint(policy))) {
          expect(by).toBeLessThan(hidden);
          const bothTimed = policy.rules[hidden]!.conditions.time !== undefined && policy.rules[by]!.conditions.time !== undefined;
          for (const request of requests) {
            if (!matches(policy, policy.rules[hidden]!, request)) continue;
            checked += 1;
            if (bothTimed) checkedBetweenWindows += 1;
            expect(matches(policy, policy.rules[by]!, request)).toBe(true);
          }
        }
      }),
      { numRuns: 800 },
    );
    // The property is only worth something if claims were actually put to the test,
    // including claims that one time window contains another.
    expect(checked).toBeGreaterThan(200);
    expect(checkedBetweenWindows).toBeGreaterThan(20);
  });

  it('no request matches a rule reported as matching nothing', () => {
    fc.assert(
      fc.property(policyArb, fc.array(requestArb, { minLength: 30, maxLength: 30 }), (policy, requests) => {
        lint(policy)
          .filter((issue) => issue.message.includes('can never match'))
          .forEach((issue) => {
            const index = Number(/^rules\[(\d+)\]$/.exec(issue.path)?.[1]);
            for (const request of requests) expect(matches(policy, policy.rules[index]!, request)).toBe(false);
          });
      }),
      { numRuns: 200 },
    );
  });

  it('a copy of a rule placed below it is always reported', () => {
    fc.assert(
      fc.property(policyArb, fc.nat(), (policy, pick) => {
        const original = policy.rules[pick % policy.rules.length]!;
        const copy = { ...original, name: 'copy' };
        const withCopy = { ...policy, rules: [...policy.rules, copy] };
        const last = `rules[${withCopy.rules.length - 1}]`;
        const about = lint(withCopy).filter((issue) => issue.path === last && /can never (apply|match)/.test(issue.message));
        expect(about).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('lintPolicy: user names of the old role-session spelling', () => {
  it('warns that deploy/ci-42 matches no one and names the spelling that would', () => {
    const text = `version: "1"
groups:
  ci: [deploy/ci-7, "role:deploy/ci-8"]
rules:
  - name: ci
    effect: allow
    conditions: { users: [deploy/ci-42, "iam:erin", alice] }
`;
    const policy = parsePolicy(text, 'p.yaml');
    const messages = lintPolicy(policy, { file: 'p.yaml' }).map((issue) => issue.message);
    expect(messages).toContain(
      'user "deploy/ci-42" in rules[0].conditions.users matches no one: a bare name is an Identity Center person\'s sign-in name; an assumed-role session is written "role:deploy/ci-42" (or "<account>:role:deploy/ci-42" for another account, see docs/identity.md)',
    );
    const spelling = messages.filter((message) => message.includes('an assumed-role session is written'));
    expect(spelling.map((message) => message.split(' matches')[0])).toEqual(['user "deploy/ci-7" in groups.ci', 'user "deploy/ci-42" in rules[0].conditions.users']);
  });
});
