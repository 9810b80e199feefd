/**
 * The policy linter as it was before src/policy/lint.ts compared rules through indexes
 * (src/policy/lintIndex.ts) and looked up "did you mean" names with
 * src/policy/lintSuggest.ts: every rule against every earlier rule, every name against
 * every other with `closest`. Quadratic, and obviously so, which makes it the oracle of
 * test/unit/policy/lint.property.test.ts: the linter must say exactly what this says.
 *
 * Kept as it was, apart from imports and this comment. A change to what the linter
 * reports is made here too, in the same way.
 */
import { STS_MIN_DURATION_SECONDS } from '../../../src/api/constants.js';
import { closest, didYouMean } from '../../../src/policy/suggest.js';
import { MODES, WEEKDAYS } from '../../../src/policy/types.js';
import type { Effect, Policy, PolicyIssue, Rule, SourcePosition, TimeWindow } from '../../../src/policy/types.js';
import type { LintOptions } from '../../../src/policy/lint.js';

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** Overlap descriptions list at most this many pieces before "and more". */
const MAX_DESCRIBED_PIECES = 4;

/** What `lintPolicy` returns, found pairwise. */
export function pairwiseLintPolicy(policy: Policy, options: LintOptions): PolicyIssue[] {
  const linter = new Linter(policy, options);
  return linter.run();
}

/** A set of names a condition accepts; `null` means any name. */
type NameSet = ReadonlySet<string> | null;

/** Half-open range of minutes of the local week (0 = sunday 00:00). */
interface Interval {
  start: number;
  end: number;
}

/**
 * The local (weekday, minute) slots a time condition accepts, in one timezone.
 * `null` stands for "every moment", whatever the zone.
 */
interface TimeSet {
  timezone: string;
  /** Sorted, merged, non-empty; never the whole week (that is `null`). */
  intervals: Interval[];
}

/** One rule reduced to the sets of requests it matches, dimension by dimension. */
interface RuleShape {
  profiles: NameSet;
  users: NameSet;
  modes: NameSet;
  time: TimeSet | null;
  /** Why the rule matches no request at all, when it matches none. */
  never: string | undefined;
}

/** Where a warning points: the entry's position (line 1 when it has none) and the document path. */
interface Place {
  position: SourcePosition | undefined;
  path: string;
}

interface Draft {
  position: SourcePosition;
  path: string;
  message: string;
}

class Linter {
  private readonly drafts: Draft[] = [];
  private readonly shapes: RuleShape[];
  /** Rules that can never apply (shadowed or matching nothing): no further pairwise warnings about them. */
  private readonly unreachable = new Set<number>();
  /** How often each user name occurs in the document; computed on first use. */
  private counts: Map<string, number> | undefined;

  constructor(
    private readonly policy: Policy,
    private readonly options: LintOptions,
  ) {
    this.shapes = policy.rules.map((rule) => shapeOf(policy, rule));
  }

  run(): PolicyIssue[] {
    const ruleUsers = this.ruleUserWarnings();
    this.policy.rules.forEach((rule, index) => {
      this.reachability(rule, index);
      this.overlaps(rule, index);
      this.sessionTable(rule, index);
      const at = { position: rule.position, path: `rules[${index}].conditions.profiles` };
      this.undefinedProfiles(`rule ${ruleRef(rule, index)}`, rule.conditions.profiles ?? [], at);
      for (const draft of ruleUsers.get(index) ?? []) this.drafts.push(draft);
      this.approvalCoverage(rule, index);
      this.serverDuration(rule, index);
      this.originalFormat(rule, index);
    });
    this.policy.approvals.forEach((entry, index) => {
      const what = `approvals entry "${entry.name}" (approvals[${index}])`;
      const at = (field: string): Place => ({ position: entry.position, path: `approvals[${index}].${field}` });
      this.undefinedProfiles(what, entry.profiles, at('profiles'));
      this.likelyTypos(entry.approvers, at('approvers'), (name) => `approver "${name}" in ${what}`, 'cannot approve through this entry');
      this.durationCap(what, entry.profiles, entry.maxDurationSeconds, at('max_duration'), 'approved requests');
      const auto = entry.autoApprove;
      if (auto !== undefined) {
        this.likelyTypos(auto.users, at('auto_approve.users'), (name) => `auto_approve user "${name}" in ${what}`, 'is not auto-approved');
        this.durationCap(`auto_approve of ${what}`, entry.profiles, auto.maxDurationSeconds, at('auto_approve.max_duration'), 'auto-approved requests');
      }
    });
    this.policy.breakglass.forEach((entry, index) => {
      const what = `breakglass entry "${entry.name}" (breakglass[${index}])`;
      const at = (field: string): Place => ({ position: entry.position, path: `breakglass[${index}].${field}` });
      this.undefinedProfiles(what, entry.profiles, at('profiles'));
      this.likelyTypos(entry.users, at('users'), (name) => `break-glass user "${name}" in ${what}`, 'cannot use break-glass through this entry');
      this.durationCap(what, entry.profiles, entry.maxDurationSeconds, at('max_duration'), 'break-glass sessions');
    });
    this.likelyTypos(this.policy.admins, { position: undefined, path: 'admins' }, (name) => `admin "${name}" in \`admins\``, 'gets no admin rights');
    this.unqualifiedRoleSessions();

    const issues = this.drafts.map(
      (draft): PolicyIssue => ({
        file: this.options.file,
        line: draft.position.line,
        col: draft.position.col,
        message: draft.message,
        path: draft.path,
        severity: 'warning',
      }),
    );
    // Array#sort is stable: warnings at the same position keep the order they were found in.
    return issues.sort((a, b) => a.line - b.line || a.col - b.col);
  }

  private warn(position: SourcePosition | undefined, path: string, message: string): void {
    this.drafts.push({ position: position ?? { line: 1, col: 1 }, path, message });
  }

  // ---- 1, 2: rules that can never apply -----------------------------------

  private reachability(rule: Rule, index: number): void {
    const shape = this.shapes[index]!;
    if (shape.never !== undefined) {
      this.unreachable.add(index);
      this.warn(rule.position, `rules[${index}]`, `rule ${ruleRef(rule, index)} can never match: ${shape.never}. Fix the condition or delete the rule.`);
      return;
    }
    // Name the first rule that covers this one: it is the earliest place where every
    // request of this rule is certain to stop, so moving this rule above it is enough.
    for (let earlier = 0; earlier < index; earlier++) {
      const other = this.shapes[earlier]!;
      if (other.never !== undefined || !covers(other, shape)) continue;
      this.unreachable.add(index);
      const winner = this.policy.rules[earlier]!;
      if (rule.effect === 'deny' && canAllow(winner.effect, shape.modes)) {
        const how =
          winner.effect === 'allow'
            ? 'allows them'
            : winner.effect === 'require_server'
              ? 'allows those in server mode'
              : 'allows those in server mode with a session table';
        this.warn(
          rule.position,
          `rules[${index}]`,
          `deny rule ${ruleRef(rule, index)} can never apply: ${winner.effect} rule ${ruleRef(winner, earlier)} above it matches every request it matches and ${how}, because the first matching rule wins — move the deny above "${winner.name}".`,
        );
      } else {
        this.warn(
          rule.position,
          `rules[${index}]`,
          `rule ${ruleRef(rule, index, true)} can never apply: rule ${ruleRef(winner, earlier, true)} above it matches every request it matches, and the first matching rule wins. Delete "${rule.name}", or move it above "${winner.name}" if it should take precedence.`,
        );
      }
      return;
    }
  }

  // ---- 3: partially overlapping time windows -------------------------------

  private overlaps(rule: Rule, index: number): void {
    if (this.unreachable.has(index)) return;
    const shape = this.shapes[index]!;
    for (let earlier = 0; earlier < index; earlier++) {
      if (this.unreachable.has(earlier)) continue;
      const first = this.policy.rules[earlier]!;
      const other = this.shapes[earlier]!;
      if (first.effect === rule.effect) continue;
      if (!intersects(other.profiles, shape.profiles) || !intersects(other.users, shape.users) || !intersects(other.modes, shape.modes)) continue;
      // Windows in different zones move against each other with daylight saving: no certain claim.
      if (other.time === null || shape.time === null || other.time.timezone !== shape.time.timezone) continue;
      const common = intersect(other.time.intervals, shape.time.intervals);
      if (common.length === 0) continue;
      if (contains(other.time.intervals, shape.time.intervals) || contains(shape.time.intervals, other.time.intervals)) continue;
      this.warn(
        rule.position,
        `rules[${index}]`,
        `rules ${ruleRef(first, earlier, true)} and ${ruleRef(rule, index, true)} have partially overlapping time windows (${describeIntervals(common)}, ${shape.time.timezone}) and can match the same requests: there the first match wins, so "${first.name}" applies and "${rule.name}" does not. Make the windows meet without overlapping, or put the rule that should win first.`,
      );
    }
  }

  // ---- 4: require_server_session without a table -------------------------

  private sessionTable(rule: Rule, index: number): void {
    if (rule.effect !== 'require_server_session' || rule.sessionTable) return;
    if (this.options.defaultSessionTable) return;
    this.warn(
      rule.position,
      `rules[${index}]`,
      `require_server_session rule ${ruleRef(rule, index)} names no session_table: it depends on the caller's --session-table (SENTINEL_SESSION_TABLE) or the deployment default SENTINEL_DEFAULT_SESSION_TABLE, and where neither is set it denies everyone it matches. Add session_table: sentinel-sessions (or your sessions table) to the rule.`,
    );
  }

  // ---- 5: profiles in an original-format document --------------------------

  private undefinedProfiles(what: string, profiles: readonly string[], at: Place): void {
    if (this.policy.profiles !== undefined || profiles.length === 0) return;
    const names = [...new Set(profiles)];
    const listed = names.map((name) => `"${name}"`).join(', ');
    this.warn(
      at.position,
      at.path,
      `${what} names ${names.length === 1 ? 'profile' : 'profiles'} ${listed}, but the document has no \`profiles\` section, so Sentinel cannot vend credentials for ${names.length === 1 ? 'it' : 'them'}. Add a \`profiles\` section with a role_arn for each.`,
    );
  }

  // ---- 6: user names that appear nowhere else -------------------------------

  /** Everyone the people sections name: group members, admins, approvers, auto-approve and break-glass users. */
  private people(): Set<string> {
    const people = new Set<string>(this.policy.admins);
    for (const members of Object.values(this.policy.groups)) for (const member of members) people.add(member);
    for (const entry of this.policy.approvals) {
      for (const user of entry.approvers) people.add(user);
      for (const user of entry.autoApprove?.users ?? []) people.add(user);
    }
    for (const entry of this.policy.breakglass) for (const user of entry.users) people.add(user);
    return people;
  }

  /** One warning per user found only in rules, placed at the first rule naming it. */
  private ruleUserWarnings(): Map<number, Draft[]> {
    const byRule = new Map<number, Draft[]>();
    const people = this.people();
    // A document with no people sections names users only in rules; that is not suspicious.
    if (people.size === 0) return byRule;
    const mentions = new Map<string, number[]>();
    this.policy.rules.forEach((rule, index) => {
      for (const user of new Set(rule.conditions.users ?? [])) {
        if (people.has(user)) continue;
        const list = mentions.get(user) ?? [];
        list.push(index);
        mentions.set(user, list);
      }
    });
    const candidates = new Set([...people, ...mentions.keys()]);
    for (const [user, indexes] of mentions) {
      const first = indexes[0]!;
      const rule = this.policy.rules[first]!;
      const named = indexes.map((i) => ruleRef(this.policy.rules[i]!, i));
      const by = named.length === 1 ? `rule ${named[0]!} names it` : `rules ${named.slice(0, -1).join(', ')} and ${named[named.length - 1]!} name it`;
      const drafts = byRule.get(first) ?? [];
      drafts.push({
        position: rule.position ?? { line: 1, col: 1 },
        path: `rules[${first}].conditions.users`,
        message: `user "${user}" appears only in rules: ${by}, but no group, admins, approvals or breakglass entry does${didYouMean(user, candidates)}. A misspelt user silently matches no one: check the spelling, or add the user to a group.`,
      });
      byRule.set(first, drafts);
    }
    return byRule;
  }

  /** How often each name occurs anywhere in the document (people sections and rule conditions). */
  private nameCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    const add = (names: readonly string[]): void => {
      for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    };
    add(this.policy.admins);
    for (const members of Object.values(this.policy.groups)) add(members);
    for (const entry of this.policy.approvals) {
      add(entry.approvers);
      add(entry.autoApprove?.users ?? []);
    }
    for (const entry of this.policy.breakglass) add(entry.users);
    for (const rule of this.policy.rules) add(rule.conditions.users ?? []);
    return counts;
  }

  /**
   * Names written once in the whole document that are one slip away from another
   * name: most likely a typo, and a misspelt approver, admin or break-glass user
   * quietly leaves the intended person without the right.
   */
  private likelyTypos(names: readonly string[], at: Place, who: (name: string) => string, consequence: string): void {
    this.counts ??= this.nameCounts();
    const counts = this.counts;
    for (const name of new Set(names)) {
      if ((counts.get(name) ?? 0) !== 1) continue;
      const match = closest(name, counts.keys());
      if (match === undefined) continue;
      this.warn(
        at.position,
        at.path,
        `${who(name)} appears nowhere else in the document and looks like a typo (did you mean "${match}"?): if it is, "${match}" ${consequence}. Correct the name, or ignore this if "${name}" is a different person.`,
      );
    }
  }

  // ---- 7: require_approval with nobody to approve ---------------------------

  private approvalCoverage(rule: Rule, index: number): void {
    if (rule.effect !== 'require_approval') return;
    const usable = this.policy.approvals.filter((entry) => this.hasApprover(entry.approvers, entry.approverGroups, entry.autoApprove?.users ?? []));
    const covered = (profile: string): boolean => usable.some((entry) => entry.profiles.includes(profile));
    const explicit = rule.conditions.profiles ?? [];
    const consequence = 'no one can approve those requests, so they are always refused. Add an approvals entry for them, or change the rule.';
    if (explicit.length > 0) {
      const missing = [...new Set(explicit)].filter((profile) => !covered(profile));
      if (missing.length === 0) return;
      this.warn(
        rule.position,
        `rules[${index}]`,
        `require_approval rule ${ruleRef(rule, index)} covers ${plural('profile', missing)} that no approvals entry lists: ${consequence}`,
      );
      return;
    }
    // The rule matches any profile: name the defined ones nobody can approve, or, in a
    // document without profiles, only the case where no entry can approve anything.
    if (this.policy.profiles !== undefined) {
      const missing = Object.keys(this.policy.profiles).filter((profile) => !covered(profile));
      if (missing.length === 0) return;
      this.warn(
        rule.position,
        `rules[${index}]`,
        `require_approval rule ${ruleRef(rule, index)} matches any profile, but no approvals entry lists ${plural('profile', missing)}: for ${missing.length === 1 ? 'that profile' : 'those profiles'} ${consequence}`,
      );
    } else if (usable.length === 0) {
      this.warn(
        rule.position,
        `rules[${index}]`,
        `require_approval rule ${ruleRef(rule, index)} matches any profile, but the document has no approvals entry with an approver: ${consequence}`,
      );
    }
  }

  private hasApprover(approvers: readonly string[], groups: readonly string[], auto: readonly string[]): boolean {
    if (approvers.length > 0 || auto.length > 0) return true;
    return groups.some((group) => (Object.hasOwn(this.policy.groups, group) ? (this.policy.groups[group]?.length ?? 0) > 0 : false));
  }

  // ---- 8: max_server_duration below STS's floor ----------------------------

  private serverDuration(rule: Rule, index: number): void {
    const seconds = rule.maxServerDurationSeconds;
    if (seconds === undefined || seconds >= STS_MIN_DURATION_SECONDS) return;
    this.warn(
      rule.position,
      `rules[${index}].max_server_duration`,
      `rule ${ruleRef(rule, index)} sets max_server_duration to ${formatDuration(seconds)}, below the 15m STS accepts: every server-mode issuance under this rule will be refused. Use at least 15m.`,
    );
  }

  // ---- 9: max_duration above the profile's ----------------------------------

  private durationCap(what: string, profiles: readonly string[], seconds: number | undefined, at: Place, grants: string): void {
    const defined = this.policy.profiles;
    if (seconds === undefined || defined === undefined) return;
    for (const name of new Set(profiles)) {
      if (!Object.hasOwn(defined, name)) continue;
      const limit = defined[name]?.maxDurationSeconds;
      if (limit === undefined || seconds <= limit) continue;
      this.warn(
        at.position,
        at.path,
        `${what} sets max_duration ${formatDuration(seconds)}, but profile "${name}" allows at most ${formatDuration(limit)}: ${grants} for "${name}" will be capped at ${formatDuration(limit)}. Lower max_duration to ${formatDuration(limit)}, or raise the profile's max_duration.`,
      );
    }
  }

  // ---- 10: what the original format accepted and this one would not write ---

  /**
   * `days: []` and a deny rule's `session_table` load unchanged (DESIGN.md, Policy
   * document), but read as mistakes: say what they mean and what to write instead.
   */
  /**
   * `deploy/ci-42`, the spelling of an assumed-role session before users were qualified
   * by kind: a bare name is an Identity Center person's sign-in name, so this one could
   * only ever mean the role session `role:deploy/ci-42`, and it matches no one.
   */
  private unqualifiedRoleSessions(): void {
    const places: Array<[readonly string[], Place]> = [
      ...this.policy.rules.map((rule, index): [readonly string[], Place] => [rule.conditions.users ?? [], { position: rule.position, path: `rules[${index}].conditions.users` }]),
      ...Object.entries(this.policy.groups).map(([group, members]): [readonly string[], Place] => [members, { position: undefined, path: `groups.${group}` }]),
      ...this.policy.approvals.map((entry, index): [readonly string[], Place] => [[...entry.approvers, ...(entry.autoApprove?.users ?? [])], { position: entry.position, path: `approvals[${index}]` }]),
      ...this.policy.breakglass.map((entry, index): [readonly string[], Place] => [entry.users, { position: entry.position, path: `breakglass[${index}].users` }]),
      [this.policy.admins, { position: undefined, path: 'admins' }],
    ];
    for (const [names, at] of places) {
      for (const name of names) {
        if (!name.includes('/') || name.includes(':')) continue;
        this.warn(
          at.position,
          at.path,
          `user "${name}" in ${at.path} matches no one: a bare name is an Identity Center person's sign-in name; an assumed-role session is written "role:${name}" (or "<account>:role:${name}" for another account, see docs/identity.md)`,
        );
      }
    }
  }

  private originalFormat(rule: Rule, index: number): void {
    if (rule.conditions.time?.days?.length === 0) {
      this.warn(
        rule.position,
        `rules[${index}].conditions.time.days`,
        `rule ${ruleRef(rule, index)} has an empty \`days\` list, which means every day (as in the original Sentinel), not no day. Remove \`days\` to say every day, or list the weekdays the rule is for.`,
      );
    }
    if (rule.effect === 'deny' && rule.sessionTable !== undefined) {
      this.warn(
        rule.position,
        `rules[${index}].session_table`,
        `deny rule ${ruleRef(rule, index)} names session_table ${JSON.stringify(rule.sessionTable)}, which is ignored: a deny rule issues no credentials, so there is no session to track. Remove session_table from the rule.`,
      );
    }
  }
}

// ---- rule shapes ----------------------------------------------------------

function listSet(values: readonly string[] | undefined): NameSet {
  return values === undefined || values.length === 0 ? null : new Set(values);
}

function shapeOf(policy: Policy, rule: Rule): RuleShape {
  const { conditions } = rule;
  const modes = listSet(conditions.mode);
  const users = userSet(policy, conditions.users, conditions.groups);
  const time = conditions.time === undefined ? null : timeSet(conditions.time);
  let never: string | undefined;
  if (users !== null && users.size === 0) {
    never = `it names no users and no one is a member of its ${plural('group', conditions.groups ?? [])}`;
  } else if (time !== null && time.intervals.length === 0) {
    never = emptyWindowReason(conditions.time!);
  }
  return {
    profiles: listSet(conditions.profiles),
    users,
    // Listing every mode is the same as listing none.
    modes: modes !== null && MODES.every((mode) => modes.has(mode)) ? null : modes,
    time: time !== null && isWholeWeek(time.intervals) ? null : time,
    never,
  };
}

/** Users named directly plus the members of the named groups; `null` when neither is given (any user). */
function userSet(policy: Policy, users: readonly string[] | undefined, groups: readonly string[] | undefined): NameSet {
  if ((users === undefined || users.length === 0) && (groups === undefined || groups.length === 0)) return null;
  const set = new Set(users ?? []);
  for (const group of groups ?? []) {
    // An unknown group matches nobody (hasOwn: "constructor" is not a group).
    if (!Object.hasOwn(policy.groups, group)) continue;
    for (const member of policy.groups[group] ?? []) set.add(member);
  }
  return set;
}

function emptyWindowReason(window: TimeWindow): string {
  if (window.hours !== undefined && window.hours.start === window.hours.end) {
    return `its hours start and end at the same time (${formatClock(window.hours.start)})`;
  }
  if (window.days !== undefined && window.days.length > 0 && !window.days.some(isWeekday)) return 'its time window lists no weekday';
  return 'its time window contains no minute of the week';
}

function isWeekday(day: number): boolean {
  return Number.isInteger(day) && day >= 0 && day <= 6;
}

/**
 * The minutes of the week a window accepts, judged as the evaluator does: by local
 * wall clock, with the early-morning part of a window that wraps midnight belonging
 * to the previous day's entry.
 */
function timeSet(window: TimeWindow): TimeSet {
  // No list, or an empty one (`days: []` of the original format), is every day.
  const days = window.days === undefined || window.days.length === 0 ? [0, 1, 2, 3, 4, 5, 6] : [...new Set(window.days.filter(isWeekday))];
  const pieces: Interval[] = [];
  // Minutes are whole numbers: `start <= m` holds from ceil(start), `m < end` up to ceil(end).
  const clamp = (minute: number): number => Math.min(MINUTES_PER_DAY, Math.max(0, Math.ceil(minute)));
  for (const day of days) {
    const base = day * MINUTES_PER_DAY;
    const hours = window.hours;
    if (hours === undefined) {
      pieces.push({ start: base, end: base + MINUTES_PER_DAY });
    } else if (hours.start < hours.end) {
      pieces.push({ start: base + clamp(hours.start), end: base + clamp(hours.end) });
    } else if (hours.start > hours.end) {
      pieces.push({ start: base + clamp(hours.start), end: base + MINUTES_PER_DAY });
      const next = ((day + 1) % 7) * MINUTES_PER_DAY;
      pieces.push({ start: next, end: next + clamp(hours.end) });
    }
  }
  return { timezone: window.timezone, intervals: merge(pieces) };
}

function merge(pieces: readonly Interval[]): Interval[] {
  const sorted = pieces.filter((piece) => piece.end > piece.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const piece of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && piece.start <= last.end) last.end = Math.max(last.end, piece.end);
    else out.push({ ...piece });
  }
  return out;
}

function isWholeWeek(intervals: readonly Interval[]): boolean {
  const only = intervals[0];
  return intervals.length === 1 && only !== undefined && only.start === 0 && only.end === MINUTES_PER_WEEK;
}

/** Whether merged `outer` contains every minute of merged `inner`. */
function contains(outer: readonly Interval[], inner: readonly Interval[]): boolean {
  return inner.every((piece) => outer.some((range) => range.start <= piece.start && piece.end <= range.end));
}

function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (start < end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

function coversNames(outer: NameSet, inner: NameSet): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  for (const name of inner) if (!outer.has(name)) return false;
  return true;
}

function intersects(a: NameSet, b: NameSet): boolean {
  if (a === null || b === null) return true;
  for (const name of b) if (a.has(name)) return true;
  return false;
}

/** Whether every request `later` matches is also matched by `earlier`. */
function covers(earlier: RuleShape, later: RuleShape): boolean {
  if (!coversNames(earlier.profiles, later.profiles)) return false;
  if (!coversNames(earlier.users, later.users)) return false;
  if (!coversNames(earlier.modes, later.modes)) return false;
  if (earlier.time === null) return true;
  if (later.time === null) return false;
  // Same zone means the same local clock for both rules at every instant.
  return earlier.time.timezone === later.time.timezone && contains(earlier.time.intervals, later.time.intervals);
}

/**
 * Whether a rule with `effect` can allow some of the requests of a rule matching
 * `modes`: `require_server(_session)` allows only in server mode (with a table the
 * caller can always supply), otherwise it denies too.
 */
function canAllow(effect: Effect, modes: NameSet): boolean {
  if (effect === 'allow') return true;
  if (effect === 'require_server' || effect === 'require_server_session') return modes === null || modes.has('server');
  return false;
}

// ---- wording ----------------------------------------------------------------

/** `"name" (rules[3])`, or `"name" (rules[3], deny)` with the effect. */
function ruleRef(rule: Rule, index: number, withEffect = false): string {
  return `"${rule.name}" (rules[${index}]${withEffect ? `, ${rule.effect}` : ''})`;
}

function plural(word: string, names: readonly string[]): string {
  const listed = names.map((name) => `"${name}"`).join(', ');
  return `${names.length === 1 ? word : `${word}s`} ${listed}`;
}

/** 5400 → "1h30m"; the form durations are written in the document. */
function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}

function formatClock(minute: number): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Weekday numbers → "monday–friday" or "monday, wednesday". */
function formatDays(days: readonly number[]): string {
  const sorted = [...days].sort((a, b) => a - b);
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const from = WEEKDAYS[sorted[i]!]!;
    const to = WEEKDAYS[sorted[j]!]!;
    if (j - i >= 2) runs.push(`${from}–${to}`);
    else for (let k = i; k <= j; k++) runs.push(WEEKDAYS[sorted[k]!]!);
    i = j + 1;
  }
  return runs.join(', ');
}

/**
 * Minutes of the week in words: pieces within one day grouped by their hours
 * ("monday–friday 16:00–17:00"), pieces across midnight spelt out
 * ("friday 22:00–saturday 02:00").
 */
function describeIntervals(intervals: readonly Interval[]): string {
  const pieces = intervals.map((piece) => ({ ...piece }));
  // A piece running past saturday midnight was split at the end of the week: join it again.
  const head = pieces[0];
  const tail = pieces[pieces.length - 1];
  if (pieces.length > 1 && head !== undefined && tail !== undefined && head.start === 0 && tail.end === MINUTES_PER_WEEK) {
    tail.end = MINUTES_PER_WEEK + head.end;
    pieces.shift();
  }
  const sameDay = new Map<string, number[]>();
  const parts: string[] = [];
  for (const piece of pieces) {
    const startDay = Math.floor(piece.start / MINUTES_PER_DAY);
    const endDay = Math.floor((piece.end - 1) / MINUTES_PER_DAY);
    const from = piece.start - startDay * MINUTES_PER_DAY;
    if (startDay === endDay) {
      const hours = `${formatClock(from)}–${formatClock(piece.end - startDay * MINUTES_PER_DAY)}`;
      const days = sameDay.get(hours);
      if (days === undefined) {
        sameDay.set(hours, [startDay % 7]);
        parts.push(hours);
      } else {
        days.push(startDay % 7);
      }
    } else {
      const until = piece.end - endDay * MINUTES_PER_DAY;
      parts.push(`${WEEKDAYS[startDay % 7]} ${formatClock(from)}–${WEEKDAYS[endDay % 7]} ${formatClock(until)}`);
    }
  }
  const words = parts.map((part) => {
    const days = sameDay.get(part);
    return days === undefined ? part : `${formatDays(days)} ${part}`;
  });
  return words.length > MAX_DESCRIBED_PIECES ? `${words.slice(0, MAX_DESCRIBED_PIECES).join(', ')} and more` : words.join(', ');
}
