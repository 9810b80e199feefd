import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/policy/duration.js';
import { formatIssue, loadPolicy, parsePolicy, PolicyValidationError } from '../../../src/policy/parse.js';
import type { PolicyIssue } from '../../../src/policy/types.js';

const ARN = 'arn:aws:iam::111122223333:role/dev';

/** A valid document with one profile, one group and room for the case under test. */
function doc(body: string): string {
  return `version: "1"\nprofiles:\n  dev:\n    role_arn: ${ARN}\ngroups:\n  team: [alice]\n${body}`;
}

function errorsOf(text: string): PolicyIssue[] {
  const result = loadPolicy(text, 'p.yaml');
  expect(result.policy).toBeUndefined();
  return result.issues;
}

describe('original-format documents', () => {
  it('load unchanged: version + rules only, every condition, version as a number', () => {
    const text = [
      'version: 1',
      'rules:',
      '  - name: office-hours',
      '    effect: allow',
      '    conditions:',
      '      profiles: [production]',
      '      users: [alice]',
      '      time:',
      '        days: [monday, tuesday]',
      '        hours: { start: "09:00", end: "17:00" }',
      '        timezone: America/New_York',
      '    reason: office hours only',
      '  - name: nobody-else',
      '    effect: deny',
      '    conditions: {}',
    ].join('\n');
    const policy = parsePolicy(text, 'legacy.yaml');
    expect(policy).toEqual({
      version: '1',
      groups: {},
      approvals: [],
      breakglass: [],
      admins: [],
      rules: [
        {
          name: 'office-hours',
          effect: 'allow',
          reason: 'office hours only',
          position: { line: 3, col: 5 },
          conditions: {
            profiles: ['production'],
            users: ['alice'],
            time: { days: [1, 2], hours: { start: 540, end: 1020 }, timezone: 'America/New_York' },
          },
        },
        { name: 'nobody-else', effect: 'deny', position: { line: 13, col: 5 }, conditions: {} },
      ],
    });
    expect(policy.profiles).toBeUndefined();
  });

  it('load what the original accepted and this format would not write: `days: []` and session_table on a deny rule', () => {
    const text = [
      'version: "1"',
      'rules:',
      '  - name: every-day',
      '    effect: allow',
      '    conditions:',
      '      time: { days: [], hours: { start: "09:00", end: "17:00" } }',
      '  - name: no-days-at-all',
      '    effect: allow',
      '    conditions:',
      '      time:',
      '        days:',
      '        timezone: Europe/Paris',
      '  - name: blocked',
      '    effect: deny',
      '    session_table: sentinel-sessions',
    ].join('\n');
    const result = loadPolicy(text, 'legacy.yaml');
    expect(result.issues).toEqual([]);
    // Kept as written (the linter points at them); both evaluators read an empty list as every day.
    expect(result.policy?.rules.map((rule) => rule.conditions.time)).toEqual([
      { days: [], hours: { start: 540, end: 1020 }, timezone: 'UTC' },
      { days: [], timezone: 'Europe/Paris' },
      undefined,
    ]);
    expect(result.policy?.rules[2]).toMatchObject({ effect: 'deny', sessionTable: 'sentinel-sessions' });
  });

  it('still refuses a session_table on a deny rule that is not a table name', () => {
    const issues = errorsOf('version: "1"\nrules:\n  - { name: r, effect: deny, session_table: "a b" }\n');
    expect(issues.map((issue) => issue.message)).toEqual(['invalid DynamoDB table name "a b" (expected e.g. sentinel-sessions)']);
  });
});

describe('full documents', () => {
  it('reads the example policy with every section', () => {
    const policy = parsePolicy(readFileSync('examples/policy.yaml', 'utf8'), 'examples/policy.yaml');
    expect(Object.keys(policy.profiles ?? {})).toEqual(['dev', 'staging', 'prod', 'prod-admin', 'billing']);
    expect(policy.profiles?.dev).toEqual({
      roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
      maxDurationSeconds: 3600,
      region: 'eu-west-1',
    });
    expect(policy.rules.map((rule) => [rule.name, rule.effect])).toEqual([
      ['dev-engineers', 'allow'],
      ['staging-server-only', 'require_server'],
      ['prod-tracked', 'require_server_session'],
      ['prod-admin-approval', 'require_approval'],
      ['billing-approval', 'require_approval'],
    ]);
    expect(policy.rules[2]?.maxServerDurationSeconds).toBe(900);
    expect(policy.rules[2]?.sessionTable).toBeUndefined();
    expect(policy.approvals[0]).toMatchObject({ name: 'prod-admin-approvers', approvers: ['bob'], approverGroups: [] });
    expect(policy.approvals[0]?.minApprovals).toBeUndefined();
    expect(policy.approvals[1]).toMatchObject({ name: 'billing-approvers', profiles: ['billing'], approvers: ['bob', 'admin', 'iam:erin'], minApprovals: 2, maxDurationSeconds: 3600 });
    expect(policy.breakglass[0]).toMatchObject({
      users: ['alice', 'bob'],
      reasonCodes: ['incident', 'security'],
      maxDurationSeconds: 3600,
      rateLimit: { cooldownSeconds: 1800, maxPerUser: 3, maxPerProfile: 10, windowSeconds: 86400 },
    });
    expect(policy.admins).toEqual(['admin']);
  });

  it('reads groups, approver groups, auto-approval, session tables, wrapped hours and aliases', () => {
    const policy = parsePolicy(
      doc(
        [
          'rules:',
          '  - name: night',
          '    effect: require_server_session',
          '    conditions:',
          '      groups: [team]',
          '      mode: [server, cli]',
          '      time: &night { hours: { start: "22:00", end: "06:00" }, timezone: Europe/Paris }',
          '    session_table: sentinel-sessions-prod',
          '    max_server_duration: 1h30m',
          '  - name: night-copy',
          '    effect: allow',
          '    conditions: { users: [bob, ci-role/build-42], time: *night }',
          'approvals:',
          '  - name: a',
          '    profiles: [dev]',
          '    approver_groups: [team]',
          '    auto_approve: { users: [oncall-bot], max_duration: 1h }',
        ].join('\n'),
      ),
    );
    expect(policy.rules[0]).toMatchObject({
      sessionTable: 'sentinel-sessions-prod',
      maxServerDurationSeconds: 5400,
      conditions: { groups: ['team'], mode: ['server', 'cli'], time: { hours: { start: 1320, end: 360 }, timezone: 'Europe/Paris' } },
    });
    expect(policy.rules[1]?.conditions).toEqual({
      users: ['bob', 'ci-role/build-42'],
      time: { hours: { start: 1320, end: 360 }, timezone: 'Europe/Paris' },
    });
    expect(policy.approvals[0]).toMatchObject({ approvers: [], approverGroups: ['team'], autoApprove: { users: ['oncall-bot'], maxDurationSeconds: 3600 } });
  });

  it('treats names such as constructor and __proto__ as plain names, never inherited properties', () => {
    const issues = errorsOf(doc('rules:\n  - { name: r, effect: allow, conditions: { profiles: [constructor], groups: [toString] } }\n'));
    expect(issues.map((issue) => issue.path)).toEqual(['rules[0].conditions.profiles[0]', 'rules[0].conditions.groups[0]']);
    const policy = parsePolicy(
      `version: "1"\nprofiles:\n  __proto__: { role_arn: ${ARN} }\ngroups:\n  __proto__: [alice]\nrules:\n  - { name: r, effect: allow, conditions: { profiles: [__proto__], groups: [__proto__] } }\n`,
    );
    expect(Object.keys(policy.profiles ?? {})).toEqual(['__proto__']);
    expect(Object.hasOwn(policy.groups, '__proto__')).toBe(true);
    expect(policy.rules[0]?.conditions).toEqual({ profiles: ['__proto__'], groups: ['__proto__'] });
  });

  it('treats empty condition lists as "any", as DESIGN.md says', () => {
    const policy = parsePolicy(doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      profiles: []\n      users:\n'));
    expect(policy.rules[0]?.conditions).toEqual({ profiles: [], users: [] });
  });
});

describe('durations', () => {
  it.each([
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2h0m5s', 7205],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '0s', '0h0m', '15', '1.5h', '1d', '15 m', '-5m', 'm', '1s1h', 'PT15M'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

/** Where an error must point: the first (or n-th) occurrence of a token in the text, or its start. */
type Marker = string | [token: string, occurrence: number] | { line: number; col: number };

function positionOf(text: string, marker: Marker): { line: number; col: number } {
  if (marker === 'START') return { line: 1, col: 1 };
  if (!Array.isArray(marker) && typeof marker === 'object') return marker;
  const [token, occurrence] = typeof marker === 'string' ? [marker, 1] : marker;
  let offset = -1;
  for (let i = 0; i < occurrence; i++) offset = text.indexOf(token, offset + 1);
  if (offset < 0) throw new Error(`marker ${JSON.stringify(marker)} not in the test document`);
  // A marker starting with a newline points just after it.
  if (token.startsWith('\n')) offset += 1;
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

/**
 * Every validation error: the document, where the error must point, the path and
 * the words a user needs to fix it.
 */
const CASES: { name: string; text: string; at: Marker; path: string; message: RegExp }[] = [
  { name: 'YAML syntax', text: 'version: "1"\nrules: [\n', at: { line: 3, col: 1 }, path: '', message: /^YAML syntax: / },
  { name: 'duplicate key', text: 'version: "1"\nrules: []\nrules: []\n', at: ['rules', 2], path: '', message: /YAML syntax: Map keys must be unique/ },
  { name: 'several documents', text: 'version: "1"\nrules: []\n---\nversion: "1"\n', at: '---', path: '', message: /multiple documents/ },
  { name: 'not a mapping', text: '- a\n- b\n', at: '- a', path: '', message: /must be a mapping with at least `version` and `rules`/ },
  { name: 'empty document', text: '', at: 'START', path: '', message: /must be a mapping/ },
  { name: 'missing version', text: 'rules: []\n', at: 'rules', path: 'version', message: /missing required key "version"/ },
  { name: 'missing rules', text: 'version: "1"\n', at: 'version', path: 'rules', message: /missing required key "rules"/ },
  { name: 'unsupported version', text: 'version: "2"\nrules: []\n', at: '"2"', path: 'version', message: /unsupported policy version "2": this Sentinel reads version "1"/ },
  { name: 'unknown top-level key', text: 'version: "1"\nrules: []\nrule: []\n', at: 'rule:', path: 'rule', message: /unknown key "rule" at the top level \(did you mean "rules"\?\)/ },
  { name: 'non-string key', text: 'version: "1"\nrules: []\n1: x\n', at: '1: x', path: '', message: /keys must be plain strings/ },
  { name: 'rules not a list', text: 'version: "1"\nrules: {}\n', at: '{}', path: 'rules', message: /`rules` must be a list, not a mapping/ },
  { name: 'empty list entry', text: 'version: "1"\nrules:\n  -\n', at: { line: 3, col: 4 }, path: 'rules[0]', message: /empty entry in `rules`/ },
  // profiles
  { name: 'profiles not a mapping', text: 'version: "1"\nprofiles: [dev]\nrules: []\n', at: '[dev]', path: 'profiles', message: /profiles must be a mapping of profile names, not a list/ },
  { name: 'bad profile name', text: 'version: "1"\nprofiles:\n  "dev prod": { role_arn: x }\nrules: []\n', at: '"dev prod"', path: 'profiles', message: /invalid profile name "dev prod"/ },
  { name: 'profile without role_arn', text: 'version: "1"\nprofiles:\n  dev:\nrules: []\n', at: 'dev:', path: 'profiles.dev.role_arn', message: /missing required key "role_arn" in `profiles.dev`/ },
  { name: 'bad role ARN', text: 'version: "1"\nprofiles:\n  dev: { role_arn: "arn:aws:iam::1234:role/x" }\nrules: []\n', at: '"arn:aws:iam::1234', path: 'profiles.dev.role_arn', message: /invalid role ARN "arn:aws:iam::1234:role\/x"/ },
  { name: 'user ARN is not a role ARN', text: `version: "1"\nprofiles:\n  dev: { role_arn: "arn:aws:iam::111122223333:user/alice" }\nrules: []\n`, at: '"arn:aws:iam::111122223333:user', path: 'profiles.dev.role_arn', message: /invalid role ARN/ },
  { name: 'misspelt profile key', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duraton: 1h }\nrules: []\n`, at: 'max_duraton', path: 'profiles.dev.max_duraton', message: /unknown key "max_duraton" in profiles.dev \(did you mean "max_duration"\?\)/ },
  { name: 'profile max_duration over 12h', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duration: 13h }\nrules: []\n`, at: '13h', path: 'profiles.dev.max_duration', message: /between 15m and 12h/ },
  { name: 'profile max_duration under STS floor', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duration: 5m }\nrules: []\n`, at: '5m', path: 'profiles.dev.max_duration', message: /between 15m and 12h/ },
  { name: 'bare-number duration', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duration: 3600 }\nrules: []\n`, at: '3600', path: 'profiles.dev.max_duration', message: /durations are strings with a unit: write "3600s"/ },
  { name: 'bad duration string', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duration: 1day }\nrules: []\n`, at: '1day', path: 'profiles.dev.max_duration', message: /invalid duration "1day"/ },
  { name: 'bad region', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, region: Ireland }\nrules: []\n`, at: 'Ireland', path: 'profiles.dev.region', message: /invalid AWS region "Ireland"/ },
  // groups and users
  { name: 'bad user name in group', text: 'version: "1"\ngroups:\n  team: [alice, "bob smith"]\nrules: []\n', at: '"bob smith"', path: 'groups.team[1]', message: /invalid user name "bob smith"/ },
  { name: 'group not a list', text: 'version: "1"\ngroups:\n  team: alice\nrules: []\n', at: 'alice', path: 'groups.team', message: /`groups.team` must be a list, not the string "alice"/ },
  { name: 'admins not a list', text: 'version: "1"\nrules: []\nadmins: erin\n', at: 'erin', path: 'admins', message: /`admins` must be a list/ },
  { name: 'admin not a string', text: 'version: "1"\nrules: []\nadmins: [42]\n', at: '42', path: 'admins[0]', message: /`admins\[0\]` must be a string, not number 42/ },
  // rules
  { name: 'rule without name', text: doc('rules:\n  - effect: allow\n'), at: 'effect: allow', path: 'rules[0].name', message: /missing required key "name" in `rules\[0\]`/ },
  { name: 'rule without effect', text: doc('rules:\n  - name: r\n'), at: 'name: r', path: 'rules[0].effect', message: /missing required key "effect"/ },
  { name: 'unknown effect', text: doc('rules:\n  - name: r\n    effect: alow\n'), at: 'alow', path: 'rules[0].effect', message: /unknown effect "alow" \(did you mean "allow"\?\); allowed: allow, deny, require_approval, require_server, require_server_session/ },
  { name: 'empty rule name', text: doc('rules:\n  - name: " "\n    effect: allow\n'), at: '" "', path: 'rules[0].name', message: /a name must be 1–128 printable characters/ },
  { name: 'duplicate rule name', text: doc('rules:\n  - { name: r, effect: allow }\n  - { name: r, effect: deny }\n'), at: ['r,', 2], path: 'rules[1].name', message: /duplicate rule name "r" \(first used by rules\[0\]\)/ },
  { name: 'unknown rule key', text: doc('rules:\n  - { name: r, effect: allow, condition: {} }\n'), at: 'condition:', path: 'rules[0].condition', message: /unknown key "condition" in rules\[0\] \(did you mean "conditions"\?\)/ },
  { name: 'unknown condition key', text: doc('rules:\n  - { name: r, effect: allow, conditions: { profile: [dev] } }\n'), at: 'profile:', path: 'rules[0].conditions.profile', message: /unknown key "profile" in rules\[0\].conditions \(did you mean "profiles"\?\)/ },
  { name: 'unknown profile in rule', text: doc('rules:\n  - { name: r, effect: allow, conditions: { profiles: [dve] } }\n'), at: 'dve', path: 'rules[0].conditions.profiles[0]', message: /unknown profile "dve" \(did you mean "dev"\?\): define it under `profiles`/ },
  { name: 'unknown group in rule', text: doc('rules:\n  - { name: r, effect: allow, conditions: { groups: [teem] } }\n'), at: 'teem', path: 'rules[0].conditions.groups[0]', message: /unknown group "teem" \(did you mean "team"\?\)/ },
  { name: 'unknown mode', text: doc('rules:\n  - { name: r, effect: allow, conditions: { mode: [servr] } }\n'), at: 'servr', path: 'rules[0].conditions.mode[0]', message: /unknown mode "servr" \(did you mean "server"\?\); allowed: server, cli, credential_process/ },
  { name: 'users not a list', text: doc('rules:\n  - { name: r, effect: allow, conditions: { users: alice } }\n'), at: 'alice }', path: 'rules[0].conditions.users', message: /must be a list, not the string "alice"/ },
  { name: 'reason not a string', text: doc('rules:\n  - { name: r, effect: allow, reason: [x] }\n'), at: '[x]', path: 'rules[0].reason', message: /`rules\[0\].reason` must be a string, not a list/ },
  { name: 'bad session table name', text: doc('rules:\n  - { name: r, effect: allow, session_table: "a b" }\n'), at: '"a b"', path: 'rules[0].session_table', message: /invalid DynamoDB table name "a b"/ },
  { name: 'max_server_duration on deny', text: doc('rules:\n  - { name: r, effect: deny, max_server_duration: 15m }\n'), at: 'max_server_duration', path: 'rules[0].max_server_duration', message: /max_server_duration has no meaning on a deny rule/ },
  { name: 'bare-number max_server_duration', text: doc('rules:\n  - { name: r, effect: require_server, max_server_duration: 900 }\n'), at: '900', path: 'rules[0].max_server_duration', message: /write "900s" rather than a bare number 900/ },
  // time windows
  { name: 'time without days or hours', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { timezone: UTC }\n'), at: '{ timezone', path: 'rules[0].conditions.time', message: /a time condition needs `days`, `hours` or both/ },
  { name: 'empty time', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time:\n'), at: 'time:', path: 'rules[0].conditions.time', message: /a time condition needs `days`, `hours` or both/ },
  { name: 'unknown weekday', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { days: [Monday] }\n'), at: 'Monday', path: 'rules[0].conditions.time.days[0]', message: /unknown weekday "Monday" \(did you mean "monday"\?\)/ },
  { name: 'abbreviated weekday', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { days: [mon] }\n'), at: 'mon]', path: 'rules[0].conditions.time.days[0]', message: /unknown weekday "mon"; allowed: sunday, monday/ },
  { name: 'unknown timezone', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { days: [monday], timezone: Europe/Pariss }\n'), at: 'Europe/Pariss', path: 'rules[0].conditions.time.timezone', message: /unknown timezone "Europe\/Pariss"/ },
  { name: 'hour without leading zero', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { hours: { start: "9:00", end: "17:00" } }\n'), at: '"9:00"', path: 'rules[0].conditions.time.hours.start', message: /invalid time of day "9:00": use HH:MM from 00:00 to 23:59/ },
  { name: 'hour 24:00', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { hours: { start: "09:00", end: "24:00" } }\n'), at: '"24:00"', path: 'rules[0].conditions.time.hours.end', message: /invalid time of day "24:00"/ },
  { name: 'hour as a number', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { hours: { start: 900, end: "17:00" } }\n'), at: '900', path: 'rules[0].conditions.time.hours.start', message: /`rules\[0\].conditions.time.hours.start` must be a string, not number 900/ },
  { name: 'hours missing end', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { hours: { start: "09:00" } }\n'), at: '{ start', path: 'rules[0].conditions.time.hours.end', message: /missing required key "end"/ },
  { name: 'empty hour window', text: doc('rules:\n  - name: r\n    effect: allow\n    conditions:\n      time: { hours: { start: "09:00", end: "09:00" } }\n'), at: ['"09:00"', 2], path: 'rules[0].conditions.time.hours.end', message: /hours start and end are equal/ },
  // approvals
  { name: 'approval without approvers', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev] }\n'), at: '{ name: a', path: 'approvals[0]', message: /approval rule "a" names no one/ },
  { name: 'approval with empty profiles', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [], approvers: [bob] }\n'), at: ['[]', 2], path: 'approvals[0].profiles', message: /`approvals\[0\].profiles` must list at least one entry/ },
  { name: 'approval with unknown approver group', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approver_groups: [sre] }\n'), at: 'sre', path: 'approvals[0].approver_groups[0]', message: /unknown group "sre"/ },
  { name: 'auto_approve without users', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob], auto_approve: { max_duration: 1h } }\n'), at: '{ max_duration', path: 'approvals[0].auto_approve.users', message: /missing required key "users"/ },
  { name: 'min_approvals zero', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob], min_approvals: 0 }\n'), at: '0 }', path: 'approvals[0].min_approvals', message: /`approvals\[0\].min_approvals` must be a positive whole number/ },
  { name: 'min_approvals a fraction', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob, carol], min_approvals: 1.5 }\n'), at: '1.5', path: 'approvals[0].min_approvals', message: /must be a positive whole number/ },
  { name: 'min_approvals a string', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob, carol], min_approvals: "2" }\n'), at: '"2"', path: 'approvals[0].min_approvals', message: /must be a positive whole number/ },
  { name: 'min_approvals above the named approvers', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob, carol], min_approvals: 3 }\n'), at: '3 }', path: 'approvals[0].min_approvals', message: /approval rule "a" needs 3 distinct approvers but names only 2: no request could ever be approved/ },
  { name: 'min_approvals counting a repeated approver once', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob, bob], min_approvals: 2 }\n'), at: '2 }', path: 'approvals[0].min_approvals', message: /needs 2 distinct approvers but names only 1/ },
  { name: 'duplicate approval name', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: [bob] }\n  - { name: a, profiles: [dev], approvers: [bob] }\n'), at: ['a,', 2], path: 'approvals[1].name', message: /duplicate approval rule name "a"/ },
  // break-glass
  { name: 'break-glass without users', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], reason_codes: [incident] }\n'), at: '{ name: b', path: 'breakglass[0].users', message: /missing required key "users"/ },
  { name: 'bad reason code', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], users: [alice], reason_codes: [Incident] }\n'), at: 'Incident', path: 'breakglass[0].reason_codes[0]', message: /invalid reason code "Incident"/ },
  { name: 'rate limit zero', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], users: [alice], reason_codes: [incident], rate_limit: { max_per_user: 0 } }\n'), at: '0 }', path: 'breakglass[0].rate_limit.max_per_user', message: /must be a positive whole number/ },
  { name: 'rate limit unknown key', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], users: [alice], reason_codes: [incident], rate_limit: { per_user: 1 } }\n'), at: 'per_user', path: 'breakglass[0].rate_limit.per_user', message: /unknown key "per_user"/ },
  { name: 'unknown profile in break-glass', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [prod], users: [alice], reason_codes: [incident] }\n'), at: 'prod', path: 'breakglass[0].profiles[0]', message: /unknown profile "prod"/ },
];

describe('min_approvals', () => {
  const approvals = (entry: string) => parsePolicy(doc(`rules: []\napprovals:\n  - ${entry}\n`), 'p.yaml').approvals[0];

  it('is absent unless written (a request then needs one approval)', () => {
    expect(approvals('{ name: a, profiles: [dev], approvers: [bob] }')).not.toHaveProperty('minApprovals');
  });

  it('reads a quorum up to the number of named approvers', () => {
    expect(approvals('{ name: a, profiles: [dev], approvers: [bob, carol, dave], min_approvals: 3 }')).toMatchObject({ approvers: ['bob', 'carol', 'dave'], minApprovals: 3 });
    expect(approvals('{ name: a, profiles: [dev], approvers: [bob, carol], min_approvals: 1 }')?.minApprovals).toBe(1);
  });

  it('with approver groups, accepts any count: their members may make it up', () => {
    expect(approvals('{ name: a, profiles: [dev], approvers: [bob], approver_groups: [team], min_approvals: 4 }')).toMatchObject({ approverGroups: ['team'], minApprovals: 4 });
  });

  it('sits beside max_duration and auto_approve', () => {
    expect(approvals('{ name: a, profiles: [dev], approvers: [bob, carol], min_approvals: 2, max_duration: 4h, auto_approve: { users: [bot] } }')).toMatchObject({
      minApprovals: 2,
      maxDurationSeconds: 14_400,
      autoApprove: { users: ['bot'] },
    });
  });
});

describe('validation errors', () => {
  it.each(CASES)('$name', ({ text, at, path, message }) => {
    const { line, col } = positionOf(text, at);
    const issues = errorsOf(text);
    const match = issues.find((issue) => message.test(issue.message));
    expect(match, `issues were: ${issues.map(formatIssue).join(' | ')}`).toBeDefined();
    expect(match).toMatchObject({ file: 'p.yaml', line, col, path, severity: 'error' });
  });

  it('reports every error of a document at once, in document order', () => {
    const text = doc(
      'admins: [ok, "not ok"]\nrules:\n  - { name: r, effect: alow }\n  - { name: s, effect: allow, conditions: { mode: [tty] } }\n',
    );
    const issues = errorsOf(text);
    expect(issues.map((issue) => ({ line: issue.line, col: issue.col, path: issue.path }))).toEqual([
      { ...positionOf(text, '"not ok"'), path: 'admins[1]' },
      { ...positionOf(text, 'alow'), path: 'rules[0].effect' },
      { ...positionOf(text, 'tty'), path: 'rules[1].conditions.mode[0]' },
    ]);
  });

  it('parsePolicy throws a typed error carrying every issue', () => {
    const error = (() => {
      try {
        parsePolicy('version: "3"\nrules: {}\n', 'bad.yaml');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PolicyValidationError);
    const typed = error as PolicyValidationError;
    expect(typed.code).toBe('INVALID_POLICY');
    expect(typed.issues).toHaveLength(2);
    expect(typed.message).toBe('bad.yaml:1:10: unsupported policy version "3": this Sentinel reads version "1" (and 1 more)');
  });

  it('formats issues as file:line:col: message', () => {
    const [issue] = errorsOf('version: "1"\nrules: []\nadmin: []\n');
    expect(formatIssue(issue!)).toBe(
      'p.yaml:3:1: unknown key "admin" at the top level (did you mean "admins"?); allowed: version, profiles, groups, rules, approvals, breakglass, admins',
    );
  });

  it('refuses documents over the size limit before parsing them', () => {
    const issues = errorsOf(`version: "1"\nrules: []\n#${'x'.repeat(4 * 1024 * 1024)}\n`);
    expect(issues).toEqual([{ file: 'p.yaml', line: 1, col: 1, path: '', severity: 'error', message: 'policy is larger than 4194304 bytes' }]);
  });

  it('bounds alias expansion (no "billion laughs")', () => {
    const lines = ['version: "1"', 'a0: &a0 [x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(8).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('rules:', '  - name: r', '    effect: allow', '    conditions: { users: *a11 }');
    const issues = errorsOf(lines.join('\n'));
    expect(issues.some((issue) => /too many alias references|unknown key "a0"/.test(issue.message))).toBe(true);
  });
});

/** What a terminal would act on: C0, DEL, C1, bidi controls, line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: the test's own list of them
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

describe('control characters', () => {
  const ESC = '\u001b';
  const hostile = (reason: string) => doc(`rules:\n  - name: x\n    effect: deny\n    reason: ${reason}\n`);
  const only = (text: string): PolicyIssue => {
    const issues = errorsOf(text);
    expect(issues.map(formatIssue)).toHaveLength(1);
    return issues[0]!;
  };

  it('refuses a reason that would retitle the terminal, at file:line:col, naming the rule and the character', () => {
    const text = hostile('"Freeze\\e]0;pwned\\a until Monday"');
    expect(only(text)).toEqual({
      file: 'p.yaml',
      ...positionOf(text, '"Freeze'),
      path: 'rules[0].reason',
      severity: 'error',
      message:
        'reason of rule "x" contains a control character (U+001B): policy text is shown in terminals, which act on such characters (retitle the window, erase lines, reorder text); remove it',
    });
  });

  it('refuses a control character in a comment too, at its line and column (policy pull prints the document as stored)', () => {
    const { issues } = loadPolicy(`version: "1"\n# title \u001b]0;pwned\u0007\nrules: []\n`, 'p.yaml');
    expect(issues).toEqual([
      expect.objectContaining({ line: 2, col: 9, message: expect.stringMatching(/^a comment of the document contains a control character \(U\+001B\)/) }),
    ]);
  });

  it('counts the column of a comment character in characters, past accents, emoji and CRLF line ends', () => {
    const { issues } = loadPolicy('version: "1"\r\n# café 😀 \u202e\r\nrules: []\r\n', 'p.yaml');
    expect(issues).toEqual([
      expect.objectContaining({ line: 2, col: 10, message: expect.stringMatching(/^a comment of the document contains a control character \(U\+202E\)/) }),
    ]);
  });

  it('accepts comments in any script, emoji included', () => {
    expect(loadPolicy('version: "1"\n# café 😀 — 日本語 ✓\nrules: [] # ünïcödé\n', 'p.yaml').issues).toEqual([]);
  });

  it('refuses control characters written raw in the file as well as escaped', () => {
    const text = hostile(`ok${ESC}[2Kerased`);
    expect(only(text)).toMatchObject({ ...positionOf(text, 'ok'), path: 'rules[0].reason', message: expect.stringMatching(/^reason of rule "x" contains a control character \(U\+001B\)/) });
  });

  it.each([
    ['\\x01', 'U+0001'],
    ['\\t', 'U+0009'],
    ['\\x7f', 'U+007F'],
    ['\\x9b', 'U+009B'],
    ['\\x80', 'U+0080'],
    ...['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069', '200E', '200F', '061C'].map((hex) => [`\\u${hex}`, `U+${hex}`]),
  ])('refuses %s in a reason as %s', (escape, code) => {
    const issue = only(hostile(`"before${escape}after"`));
    expect(issue.message).toMatch(new RegExp(`^reason of rule "x" contains a control character \\(${code.replace('+', '\\+')}\\)`));
  });

  it.each([
    ['"two\\nlines"', 'U+000A'],
    ['"cr\\r"', 'U+000D'],
    ['"nel\\N"', 'U+0085'],
    ['"ls\\L"', 'U+2028'],
    ['"ps\\P"', 'U+2029'],
    ['|\n      two\n      lines', 'U+000A'],
  ])('refuses a line break in a reason (%j), saying how to write it on one line', (value, code) => {
    const issue = only(hostile(value));
    expect(issue.message).toBe(
      `reason of rule "x" contains a line break (${code}): names and reasons are shown on one line; write it on one line (a YAML \`>-\` block folds lines without keeping a line break)`,
    );
  });

  it('accepts a folded `>-` reason spread over several lines', () => {
    const policy = parsePolicy(hostile('>-\n      Production is frozen\n      until Monday'));
    expect(policy.rules[0]?.reason).toBe('Production is frozen until Monday');
  });

  it('refuses a rule name holding an erase-line sequence, without echoing it', () => {
    const text = doc('rules:\n  - name: "ok\\e[2K"\n    effect: allow\n');
    expect(only(text)).toMatchObject({
      ...positionOf(text, '"ok'),
      path: 'rules[0].name',
      message: expect.stringMatching(/^name of rules\[0\] contains a control character \(U\+001B\): /),
    });
  });

  const FIELDS: { name: string; text: string; path: string; what: string }[] = [
    { name: 'profile role_arn', text: `version: "1"\nprofiles:\n  dev: { role_arn: "${ARN}\\u202E" }\nrules: []\n`, path: 'profiles.dev.role_arn', what: '`profiles.dev.role_arn`' },
    { name: 'profile region', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, region: "eu\\e[2K" }\nrules: []\n`, path: 'profiles.dev.region', what: '`profiles.dev.region`' },
    { name: 'profile max_duration', text: `version: "1"\nprofiles:\n  dev: { role_arn: ${ARN}, max_duration: "1h\\x9b" }\nrules: []\n`, path: 'profiles.dev.max_duration', what: '`profiles.dev.max_duration`' },
    { name: 'group member', text: 'version: "1"\ngroups:\n  team: ["al\\u202Eice"]\nrules: []\n', path: 'groups.team[0]', what: '`groups.team[0]`' },
    { name: 'admin', text: 'version: "1"\nrules: []\nadmins: ["erin\\a"]\n', path: 'admins[0]', what: '`admins[0]`' },
    { name: 'effect', text: doc('rules:\n  - { name: r, effect: "allow\\e" }\n'), path: 'rules[0].effect', what: '`rules[0].effect`' },
    { name: 'condition user', text: doc('rules:\n  - { name: r, effect: allow, conditions: { users: ["bob\\u2066"] } }\n'), path: 'rules[0].conditions.users[0]', what: '`rules[0].conditions.users[0]`' },
    { name: 'condition group', text: doc('rules:\n  - { name: r, effect: allow, conditions: { groups: ["team\\u2069"] } }\n'), path: 'rules[0].conditions.groups[0]', what: '`rules[0].conditions.groups[0]`' },
    { name: 'condition profile', text: doc('rules:\n  - { name: r, effect: allow, conditions: { profiles: ["dev\\x9d"] } }\n'), path: 'rules[0].conditions.profiles[0]', what: '`rules[0].conditions.profiles[0]`' },
    { name: 'mode', text: doc('rules:\n  - { name: r, effect: allow, conditions: { mode: ["cli\\e"] } }\n'), path: 'rules[0].conditions.mode[0]', what: '`rules[0].conditions.mode[0]`' },
    { name: 'weekday', text: doc('rules:\n  - { name: r, effect: allow, conditions: { time: { days: ["monday\\e"] } } }\n'), path: 'rules[0].conditions.time.days[0]', what: '`rules[0].conditions.time.days[0]`' },
    { name: 'timezone', text: doc('rules:\n  - { name: r, effect: allow, conditions: { time: { days: [monday], timezone: "UTC\\u202E" } } }\n'), path: 'rules[0].conditions.time.timezone', what: '`rules[0].conditions.time.timezone`' },
    { name: 'hour', text: doc('rules:\n  - { name: r, effect: allow, conditions: { time: { hours: { start: "09:00\\e", end: "17:00" } } } }\n'), path: 'rules[0].conditions.time.hours.start', what: '`rules[0].conditions.time.hours.start`' },
    { name: 'session_table', text: doc('rules:\n  - { name: r, effect: allow, session_table: "sentinel\\e" }\n'), path: 'rules[0].session_table', what: '`rules[0].session_table`' },
    { name: 'approval name', text: doc('rules: []\napprovals:\n  - { name: "a\\e]0;x\\a", profiles: [dev], approvers: [bob] }\n'), path: 'approvals[0].name', what: 'name of approvals[0]' },
    { name: 'approver', text: doc('rules: []\napprovals:\n  - { name: a, profiles: [dev], approvers: ["bob\\u202D"] }\n'), path: 'approvals[0].approvers[0]', what: '`approvals[0].approvers[0]`' },
    { name: 'break-glass name', text: doc('rules: []\nbreakglass:\n  - { name: "b\\u202B", profiles: [dev], users: [alice], reason_codes: [incident] }\n'), path: 'breakglass[0].name', what: 'name of breakglass[0]' },
    { name: 'reason code', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], users: [alice], reason_codes: ["incident\\e"] }\n'), path: 'breakglass[0].reason_codes[0]', what: '`breakglass[0].reason_codes[0]`' },
    { name: 'rate limit duration', text: doc('rules: []\nbreakglass:\n  - { name: b, profiles: [dev], users: [alice], reason_codes: [incident], rate_limit: { cooldown: "30m\\e" } }\n'), path: 'breakglass[0].rate_limit.cooldown', what: '`breakglass[0].rate_limit.cooldown`' },
    { name: 'version', text: 'version: "1\\e"\nrules: []\n', path: 'version', what: '`version`' },
    { name: 'top-level key', text: 'version: "1"\nrules: []\n"rules\\e[2K": []\n', path: '', what: 'a key at the top level' },
    { name: 'rule key', text: doc('rules:\n  - { name: r, effect: allow, "reason\\u202E": x }\n'), path: 'rules[0]', what: 'a key in `rules[0]`' },
    { name: 'profile name', text: `version: "1"\nprofiles:\n  "dev\\e": { role_arn: ${ARN} }\nrules: []\n`, path: 'profiles', what: 'a profile name in `profiles`' },
    { name: 'group name', text: 'version: "1"\ngroups:\n  "te\\u2068am": [alice]\nrules: []\n', path: 'groups', what: 'a group name in `groups`' },
  ];

  it.each(FIELDS)('refuses them in every string field: $name', ({ text, path, what }) => {
    const issue = only(text);
    expect(issue.path).toBe(path);
    expect(issue.message).toMatch(/ contains a control character \(U\+[0-9A-F]{4}\): /);
    expect(issue.message.startsWith(`${what} contains`)).toBe(true);
  });

  it('never puts a control character into any message, whatever else is wrong with the value', () => {
    const texts = [
      ...FIELDS.map((field) => field.text),
      doc(`rules:\n  - { name: r, effect: allow, conditions: { users: "${ESC}]0;x" } }\n`),
      doc('rules:\n  - { name: r, effect: allow, conditions: "\\u202Eevil" }\n'),
      `version: "1"\nrules: []\nadmins: "\\x9b2K"\n`,
      `version: "1"\nprofiles:\n  "\\u202E": x\nrules: []\n`,
      `version: "1"\nrules: !tag${ESC} []\n`,
    ];
    for (const text of texts) {
      for (const issue of errorsOf(text)) expect(formatIssue(issue)).not.toMatch(TERMINAL_CONTROL);
    }
  });
});
