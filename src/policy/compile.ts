/**
 * The compiled policy evaluator: the same decisions as `evaluatePolicy`, with the
 * work of reading the document done once.
 *
 * Every rule is filed, once per name it carries, under what it names:
 * - neither profiles nor users/groups: `everyone`;
 * - profiles only: each of its profiles;
 * - users or groups only: each of its users (group members included);
 * - both: each (user, profile) pair it names. A broad rule, one naming more pairs than
 *   {@link PAIR_LIMIT} or coming after the policy's {@link MAX_PAIRS}, is filed under
 *   each name of its smaller side instead, and checked against the other when walked.
 *
 * A request for (profile, user) can only match a rule of four lists: `everyone`, its
 * profile's, its user's and its pair's. Each is in document order; the decision walks
 * them together, lowest rule index first, checking on each candidate what its list does
 * not guarantee. So the first candidate that matches is the first match of the whole
 * list, and a rule's time window (which throws for an unknown zone or an invalid Date)
 * is read exactly when the reference reads it.
 *
 * Everything is built at compile time, in memory linear in the document, so the first
 * decision of a fresh policy does the work of the millionth. The lists are flat integer
 * arrays (rule indices): a decision reads a few adjacent numbers rather than chasing
 * objects, and the garbage collector has next to nothing to move when it promotes a
 * freshly compiled policy.
 *
 * The matching logic is written independently of the reference evaluator on purpose:
 * the property tests compare the two, and would prove nothing if they shared it.
 */
import { defaultDeny, defaultReason } from './outcome.js';
import { MINUTES_PER_DAY, localMinuteOfWeekFast } from './time.js';
import type { Decision, EvaluationContext, EvaluationRequest, Mode, Policy, Rule } from './types.js';

/** A policy prepared for fast evaluation. */
export interface CompiledPolicy {
  /** The document it was compiled from. */
  readonly policy: Policy;
  /** Decides one request; always equal to `evaluatePolicy(policy, request, context)`. */
  evaluate(request: EvaluationRequest, context?: EvaluationContext): Decision;
}

/** One bit per mode; a mode the policy never names gets a bit no rule lists. */
const MODE_BITS: ReadonlyMap<string, number> = new Map<Mode, number>([
  ['server', 1],
  ['cli', 2],
  ['credential_process', 4],
]);
const UNLISTED_MODE_BIT = 8;
/** A rule without a mode condition accepts every bit, including the unlisted one. */
const ANY_MODE = 0b1111;
/** Beside a rule's mode bits: it has a time window or a residual check, so its object must be read. */
const CHECK_RULE = 0b1_0000;
const ALL_DAYS = 0b111_1111;

/**
 * Pairs one rule may be filed under (profiles × users, group members counted). A rule
 * for a few people on a few profiles is filed per pair; one for a large group, or for
 * many profiles, is walked from its smaller side.
 */
const PAIR_LIMIT = 128;
/** Pair filings of the whole policy (12 bytes each while compiling, 4 after); later rules are filed as broad ones. */
const MAX_PAIRS = 1_048_576;

interface CompiledWindow {
  readonly timeZone: string;
  readonly hasHours: boolean;
  readonly wraps: boolean;
  readonly start: number;
  readonly end: number;
  /** Bit d set when weekday d is allowed. */
  readonly days: number;
  /** Bit d set when weekday d-1 is allowed: the early part of a wrapping window. */
  readonly previousDays: number;
}

/**
 * What is left to check on a rule once its list has been chosen; null when nothing is.
 * Only broad rules have something left: `profiles` when filed under their users,
 * `users` (the named users, then each known group's members) when filed under their
 * profiles.
 */
interface Residual {
  readonly profiles: ReadonlySet<string> | null;
  readonly users: readonly ReadonlySet<string>[] | null;
}

interface CompiledRule extends Residual {
  readonly index: number;
  readonly name: string;
  readonly effect: Rule['effect'];
  readonly window: CompiledWindow | null;
  readonly reason: string;
  readonly maxServerDurationSeconds: number | null;
  /** The rule's own table; null when it names none (or names ''). */
  readonly sessionTable: string | null;
}

/** Lists of rule indices, one per key: key `k` holds `items[offsets[k]]` … `items[offsets[k + 1] - 1]`. */
interface Lists {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

/**
 * The index, as flat arrays of numbers: what one decision reads sits in a few adjacent
 * words (a user's two list starts side by side, a pair's profile beside its list start),
 * so a decision on a cold cache costs a handful of memory reads.
 */
interface Index {
  /** By rule index. */
  readonly rules: readonly CompiledRule[];
  /** By rule index: the mode bits it accepts, and {@link CHECK_RULE}. */
  readonly ruleBits: Int32Array;
  readonly everyone: Int32Array;
  /** Ids of the profiles and users some rule is filed under. */
  readonly profileIds: ReadonlyMap<string, number>;
  readonly userIds: ReadonlyMap<string, number>;
  /** Profile `p`'s rules: `profileItems[profileStarts[p]]` … up to `profileStarts[p + 1]`. */
  readonly profileStarts: Int32Array;
  readonly profileItems: Int32Array;
  /** Two numbers per user (and after the last): at `2u` the start of its rules in `userItems`, at `2u + 1` its first pair. */
  readonly userStarts: Int32Array;
  readonly userItems: Int32Array;
  /** Two numbers per pair (and after the last): at `2x` its profile id, at `2x + 1` the start of its rules in `pairItems`. */
  readonly pairStarts: Int32Array;
  readonly pairItems: Int32Array;
}

/**
 * Compiles `policy` for repeated evaluation. The policy must not be changed
 * afterwards (compile a new one instead).
 */
export function compilePolicy(policy: Policy, limits: FilingLimits = DEFAULT_LIMITS): CompiledPolicy {
  return new IndexedPolicy(policy, buildIndex(policy, limits));
}

/**
 * When a rule naming both users and profiles is filed per pair. The defaults are the
 * ones to use; the tests lower them so that small policies take the broad-rule paths.
 */
export interface FilingLimits {
  /** Pairs one rule may be filed under. */
  readonly pairLimit: number;
  /** Pair filings of the whole policy. */
  readonly maxPairs: number;
}

const DEFAULT_LIMITS: FilingLimits = { pairLimit: PAIR_LIMIT, maxPairs: MAX_PAIRS };

/**
 * One class for every compiled policy, rather than a closure per compile: the engine then
 * keeps one optimised `evaluate` for all of them, and a freshly compiled policy (a cold
 * start, a policy push) runs it from its first request.
 */
class IndexedPolicy implements CompiledPolicy {
  constructor(
    readonly policy: Policy,
    private readonly index: Index,
  ) {}

  evaluate(request: EvaluationRequest, context?: EvaluationContext): Decision {
    const index = this.index;
    const rule = firstMatch(index, request, index.profileIds.get(request.profile) ?? -1, index.userIds.get(request.user) ?? -1);
    return rule === undefined ? defaultDeny() : decision(rule, request, context);
  }
}

/** Growable list of small integers, in `stride`-wide records. */
class Records {
  values = new Int32Array(1024);
  count = 0;

  constructor(readonly stride: number) {}

  push(a: number, b: number, c = 0): void {
    const at = this.count * this.stride;
    if (at + this.stride > this.values.length) {
      const bigger = new Int32Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[at] = a;
    this.values[at + 1] = b;
    if (this.stride > 2) this.values[at + 2] = c;
    this.count += 1;
  }
}

/** Compiles and files every rule as the module comment says. */
function buildIndex(policy: Policy, limits: FilingLimits): Index {
  const profileIds = new Map<string, number>();
  const userIds = new Map<string, number>();
  const idOf = (ids: Map<string, number>, name: string): number => {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = ids.size));
    return id;
  };
  const everyone: number[] = [];
  /** (profile id, rule), (user id, rule) and (user id, profile id, rule) filings, in document order. */
  const toProfiles = new Records(2);
  const toUsers = new Records(2);
  const toPairs = new Records(3);
  const groupSets = new Map<string, ReadonlySet<string>>();
  /** The current rule's users, group members included, each once (one Set for all rules). */
  const listed = new Set<string>();

  const rules = policy.rules.map((rule, index): CompiledRule => {
    const named = rule.conditions.profiles;
    const ruleProfiles = named === undefined || named.length === 0 ? null : [...new Set(named)];
    let left: Residual = NOTHING_LEFT;
    if (!listUsers(policy, rule, listed)) {
      if (ruleProfiles === null) everyone.push(index);
      else for (const profile of ruleProfiles) toProfiles.push(idOf(profileIds, profile), index);
    } else if (listed.size === 0) {
      // Only groups no one defines, or empty ones: the rule matches nobody, and is filed nowhere.
    } else if (ruleProfiles === null) {
      for (const user of listed) toUsers.push(idOf(userIds, user), index);
    } else if (ruleProfiles.length * listed.size <= limits.pairLimit && toPairs.count + ruleProfiles.length * listed.size <= limits.maxPairs) {
      const ids = ruleProfiles.map((profile) => idOf(profileIds, profile));
      for (const user of listed) {
        const id = idOf(userIds, user);
        for (const profile of ids) toPairs.push(id, profile, index);
      }
    } else if (ruleProfiles.length <= listed.size) {
      left = { profiles: null, users: userSets(policy, rule, groupSets) };
      for (const profile of ruleProfiles) toProfiles.push(idOf(profileIds, profile), index);
    } else {
      left = { profiles: new Set(ruleProfiles), users: null };
      for (const user of listed) toUsers.push(idOf(userIds, user), index);
    }
    return compileRule(rule, index, left);
  });
  const byProfile = lists(toProfiles, profileIds.size);
  const byUser = lists(toUsers, userIds.size);
  const pairs = pairTable(toPairs, userIds.size, profileIds.size);
  const userStarts = new Int32Array(2 * (userIds.size + 1));
  for (let user = 0; user <= userIds.size; user++) {
    userStarts[2 * user] = byUser.offsets[user] as number;
    userStarts[2 * user + 1] = pairs.pairsOfUser[user] as number;
  }
  const pairCount = pairs.pairProfiles.length;
  const pairStarts = new Int32Array(2 * (pairCount + 1));
  for (let pair = 0; pair <= pairCount; pair++) {
    pairStarts[2 * pair] = pair < pairCount ? (pairs.pairProfiles[pair] as number) : -1;
    pairStarts[2 * pair + 1] = pairs.pairRules.offsets[pair] as number;
  }
  const ruleBits = Int32Array.from(rules, (rule, index) => modeBits(policy.rules[index] as Rule) | (needsCheck(rule) ? CHECK_RULE : 0));
  return {
    rules,
    ruleBits,
    everyone: Int32Array.from(everyone),
    profileIds,
    userIds,
    profileStarts: byProfile.offsets,
    profileItems: byProfile.items,
    userStarts,
    userItems: byUser.items,
    pairStarts,
    pairItems: pairs.pairRules.items,
  };
}

const NOTHING_LEFT: Residual = { profiles: null, users: null };

/**
 * Fills `listed` with the rule's users and the members of its groups, each once;
 * false when the rule names no user and no group (it applies to every user).
 */
function listUsers(policy: Policy, rule: Rule, listed: Set<string>): boolean {
  const { users, groups } = rule.conditions;
  listed.clear();
  if ((users?.length ?? 0) === 0 && (groups?.length ?? 0) === 0) return false;
  for (const user of users ?? []) listed.add(user);
  for (const group of groups ?? []) {
    // An unknown group adds nobody; hasOwn keeps "constructor" from meaning Object's.
    if (Object.hasOwn(policy.groups, group)) for (const member of policy.groups[group] ?? []) listed.add(member);
  }
  return true;
}

/** The sets a broad rule's user is checked against; a group's member set is built once, for every rule naming it. */
function userSets(policy: Policy, rule: Rule, groupSets: Map<string, ReadonlySet<string>>): ReadonlySet<string>[] {
  const { users, groups } = rule.conditions;
  const sets: ReadonlySet<string>[] = users !== undefined && users.length > 0 ? [new Set(users)] : [];
  for (const group of new Set(groups)) {
    if (!Object.hasOwn(policy.groups, group)) continue;
    let members = groupSets.get(group);
    if (members === undefined) groupSets.set(group, (members = new Set(policy.groups[group] ?? [])));
    sets.push(members);
  }
  return sets;
}

function needsCheck(rule: CompiledRule): boolean {
  return rule.window !== null || rule.profiles !== null || rule.users !== null;
}

function modeBits(rule: Rule): number {
  const mode = rule.conditions.mode;
  if (mode === undefined || mode.length === 0) return ANY_MODE;
  let bits = 0;
  for (const each of mode) bits |= MODE_BITS.get(each) ?? 0;
  return bits;
}

function compileRule(rule: Rule, index: number, left: Residual): CompiledRule {
  return {
    index,
    name: rule.name,
    effect: rule.effect,
    profiles: left.profiles,
    users: left.users,
    window: compileWindow(rule),
    reason: rule.reason ?? defaultReason(rule.effect, rule.name),
    maxServerDurationSeconds: rule.maxServerDurationSeconds ?? null,
    sessionTable: rule.sessionTable === undefined || rule.sessionTable === '' ? null : rule.sessionTable,
  };
}

/**
 * Sorts records by one field with a counting sort, which keeps the order it is given
 * (`input`, or record order) within a key: key `k`'s records are `order[offsets[k]]` …
 * `order[offsets[k + 1] - 1]`. Records are filed in document order, so a sort by key
 * leaves each key's rules in document order.
 */
function byKey(records: Records, field: number, keys: number, input?: Int32Array): { offsets: Int32Array; order: Int32Array } {
  const { values, count, stride } = records;
  const offsets = new Int32Array(keys + 1);
  for (let x = 0; x < count; x++) {
    const key = values[x * stride + field] as number;
    offsets[key + 1] = (offsets[key + 1] as number) + 1;
  }
  for (let key = 0; key < keys; key++) offsets[key + 1] = (offsets[key + 1] as number) + (offsets[key] as number);
  const order = new Int32Array(count);
  const next = offsets.slice(0, keys);
  for (let at = 0; at < count; at++) {
    const x = input === undefined ? at : (input[at] as number);
    const key = values[x * stride + field] as number;
    order[next[key] as number] = x;
    next[key] = (next[key] as number) + 1;
  }
  return { offsets, order };
}

/** (key, rule) filings → each key's rules, in document order. */
function lists(records: Records, keys: number): Lists {
  const { offsets, order } = byKey(records, 0, keys);
  const items = order.map((x) => records.values[x * records.stride + 1] as number);
  return { offsets, items };
}

/**
 * (user, profile, rule) filings → each user's pairs, ascending profile id, and each
 * pair's rules in document order: sorted by profile, then (keeping that order) by user.
 */
function pairTable(records: Records, users: number, profiles: number): { pairsOfUser: Int32Array; pairProfiles: Int32Array; pairRules: Lists } {
  const { values, count } = records;
  const { offsets, order } = byKey(records, 0, users, byKey(records, 1, profiles).order);
  const pairsOfUser = new Int32Array(users + 1);
  const pairProfiles = new Int32Array(count);
  const pairOffsets = new Int32Array(count + 1);
  const items = new Int32Array(count);
  let pairs = 0;
  for (let user = 0; user < users; user++) {
    pairsOfUser[user] = pairs;
    let previous = -1;
    for (let at = offsets[user] as number; at < (offsets[user + 1] as number); at++) {
      const x = order[at] as number;
      const profile = values[3 * x + 1] as number;
      if (profile !== previous) {
        pairProfiles[pairs] = profile;
        pairOffsets[pairs] = at;
        pairs += 1;
        previous = profile;
      }
      items[at] = values[3 * x + 2] as number;
    }
  }
  pairsOfUser[users] = pairs;
  pairOffsets[pairs] = count;
  return { pairsOfUser, pairProfiles: pairProfiles.slice(0, pairs), pairRules: { offsets: pairOffsets.slice(0, pairs + 1), items } };
}

/** The pair of profile `profile` among pairs `from` … `to - 1` (one user's, ascending profile id), or -1. */
function findPair(pairStarts: Int32Array, from: number, to: number, profile: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = pairStarts[2 * mid] as number;
    if (at === profile) return mid;
    if (at < profile) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** {@link MODE_BITS} without a Map lookup: this runs on every decision. */
function modeBitOf(mode: string): number {
  if (mode === 'server') return 1;
  if (mode === 'cli') return 2;
  if (mode === 'credential_process') return 4;
  return UNLISTED_MODE_BIT;
}

/**
 * The first rule, in document order, that matches the request, among the candidates
 * of four lists: `everyone`, the profile's, the user's and the pair's (an id of -1 is
 * a name no rule is filed under: its lists are empty). The lists are disjoint and each
 * sorted, so taking the lowest head each step visits the candidates in document order.
 */
function firstMatch(index: Index, request: EvaluationRequest, profile: number, user: number): CompiledRule | undefined {
  const { everyone, profileStarts, profileItems, userStarts, userItems, pairStarts, pairItems, ruleBits } = index;
  let i = 0;
  const iEnd = everyone.length;
  let j = 0;
  let jEnd = 0;
  if (profile >= 0) {
    j = profileStarts[profile] as number;
    jEnd = profileStarts[profile + 1] as number;
  }
  let k = 0;
  let kEnd = 0;
  let l = 0;
  let lEnd = 0;
  if (user >= 0) {
    k = userStarts[2 * user] as number;
    kEnd = userStarts[2 * user + 2] as number;
    const pair = profile < 0 ? -1 : findPair(pairStarts, userStarts[2 * user + 1] as number, userStarts[2 * user + 3] as number, profile);
    if (pair >= 0) {
      l = pairStarts[2 * pair + 1] as number;
      lEnd = pairStarts[2 * pair + 3] as number;
    }
  }
  const modeBit = modeBitOf(request.mode);
  let ms = Number.NaN;
  for (;;) {
    let next = Number.POSITIVE_INFINITY;
    let from = 0;
    if (i < iEnd) {
      next = everyone[i] as number;
      from = 1;
    }
    if (j < jEnd && (profileItems[j] as number) < next) {
      next = profileItems[j] as number;
      from = 2;
    }
    if (k < kEnd && (userItems[k] as number) < next) {
      next = userItems[k] as number;
      from = 3;
    }
    if (l < lEnd && (pairItems[l] as number) < next) {
      next = pairItems[l] as number;
      from = 4;
    }
    if (from === 0) return undefined;
    if (from === 1) i++;
    else if (from === 2) j++;
    else if (from === 3) k++;
    else l++;

    const bits = ruleBits[next] as number;
    if ((bits & modeBit) === 0) continue;
    const rule = index.rules[next] as CompiledRule;
    if ((bits & CHECK_RULE) === 0) return rule;
    if (rule.profiles !== null && !rule.profiles.has(request.profile)) continue;
    if (!listsUser(rule, request.user)) continue;
    if (rule.window !== null) {
      // Read the clock only once a rule needs it, as the reference does.
      if (Number.isNaN(ms)) ms = request.time.getTime();
      if (!inWindow(rule.window, ms)) continue;
    }
    return rule;
  }
}

/** Whether a rule's residual user check passes (always, when its list already guarantees the user). */
function listsUser(rule: CompiledRule, user: string): boolean {
  if (rule.users === null) return true;
  for (const set of rule.users) if (set.has(user)) return true;
  return false;
}

function compileWindow(rule: Rule): CompiledWindow | null {
  const time = rule.conditions.time;
  if (time === undefined) return null;
  let days = ALL_DAYS;
  // An empty list (`days: []` of the original format) means every day, like no list.
  if (time.days !== undefined && time.days.length > 0) {
    days = 0;
    for (const day of time.days) if (Number.isInteger(day) && day >= 0 && day <= 6) days |= 1 << day;
  }
  const start = time.hours?.start ?? 0;
  const end = time.hours?.end ?? 0;
  return {
    timeZone: time.timezone,
    hasHours: time.hours !== undefined,
    wraps: start > end,
    start,
    end,
    days,
    previousDays: ((days << 1) | (days >> 6)) & ALL_DAYS,
  };
}

function inWindow(window: CompiledWindow, ms: number): boolean {
  const minuteOfWeek = localMinuteOfWeekFast(ms, window.timeZone);
  const weekday = (minuteOfWeek / MINUTES_PER_DAY) | 0;
  const bit = 1 << weekday;
  if (!window.hasHours) return (window.days & bit) !== 0;
  const minute = minuteOfWeek - weekday * MINUTES_PER_DAY;
  // Also right for start == end (and NaN bounds): no minute is both >= start and < end.
  if (!window.wraps) return minute >= window.start && minute < window.end && (window.days & bit) !== 0;
  return (minute >= window.start && (window.days & bit) !== 0) || (minute < window.end && (window.previousDays & bit) !== 0);
}

function decision(rule: CompiledRule, request: EvaluationRequest, context: EvaluationContext | undefined): Decision {
  if (rule.effect === 'deny') return outcome(rule, 'deny', false, false, null);
  // An empty name is no table, at every level.
  const table = rule.sessionTable ?? (request.sessionTable || context?.defaultSessionTable || null);
  const server = request.mode === 'server';
  switch (rule.effect) {
    case 'allow':
      return outcome(rule, 'allow', false, false, table);
    case 'require_approval':
      return outcome(rule, 'require_approval', false, false, table);
    case 'require_server':
      return server ? outcome(rule, 'allow', false, false, table) : outcome(rule, 'deny', true, false, table);
    case 'require_server_session':
      return server && table !== null ? outcome(rule, 'allow', false, false, table) : outcome(rule, 'deny', !server, true, table);
  }
}

function outcome(
  rule: CompiledRule,
  effect: Decision['effect'],
  requiresServerMode: boolean,
  requiresSessionTracking: boolean,
  sessionTable: string | null,
): Decision {
  return {
    effect,
    rule: rule.name,
    ruleIndex: rule.index,
    reason: rule.reason,
    requiresServerMode,
    requiresSessionTracking,
    sessionTable,
    maxServerDurationSeconds: rule.maxServerDurationSeconds,
  };
}
