/**
 * The compiled policy evaluator: the same decisions as `evaluatePolicy`, with the
 * work of reading the document done once.
 *
 * Rules are indexed by profile and by user (groups expanded to their members), so a
 * request only looks at the rules that name both its profile (or any profile) and its
 * user (or any user), still in document order: the first of those that matches on
 * mode and time is the first match of the whole list. The candidate list of each
 * (profile, user) pair is worked out on first use and remembered.
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
const ANY_MODE = -1;
const ALL_DAYS = 0b111_1111;

/**
 * Memoised candidate lists are bounded: there are (known profiles + 1) × (known users
 * + 1) of them at most, which a large policy makes large. Past this many remembered
 * rule references (~8 MB) the memo starts again from empty.
 */
const MAX_MEMOISED_REFERENCES = 1_000_000;

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

interface CompiledRule {
  readonly index: number;
  readonly name: string;
  readonly effect: Rule['effect'];
  readonly modes: number;
  readonly window: CompiledWindow | null;
  readonly reason: string;
  readonly maxServerDurationSeconds: number | null;
  /** The rule's own table; null when it names none (or names ''). */
  readonly sessionTable: string | null;
}

/** Candidate lists for one profile (or for every profile the policy never names). */
interface ProfileSlot {
  /** Rule indices that may apply to this profile, ascending. */
  readonly ruleIndices: readonly number[];
  byUser: Map<string, readonly CompiledRule[]>;
  /** Candidates for users the policy never names. */
  unknownUser: readonly CompiledRule[] | undefined;
}

/**
 * Compiles `policy` for repeated evaluation. The policy must not be changed
 * afterwards (compile a new one instead).
 */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const rules = policy.rules.map(compileRule);
  const { byName: profileIndex, anyList: anyProfile } = indexRules(policy.rules, (rule) => namedProfiles(rule));
  const { byName: userIndex, anyList: anyUser } = indexRules(policy.rules, (rule) => namedUsers(policy, rule));

  const slots = new Map<string, ProfileSlot>();
  for (const [profile, ruleIndices] of profileIndex) slots.set(profile, newSlot(ruleIndices));
  const unknownProfile = newSlot(anyProfile);
  let memoised = 0;

  function candidatesFor(slot: ProfileSlot, userIndices: readonly number[]): CompiledRule[] {
    const list = intersect(slot.ruleIndices, userIndices).map((index) => rules[index] as CompiledRule);
    // +1: an empty list still costs a Map entry.
    memoised += list.length + 1;
    if (memoised > MAX_MEMOISED_REFERENCES) {
      for (const each of slots.values()) clearSlot(each);
      clearSlot(unknownProfile);
      memoised = list.length + 1;
    }
    return list;
  }

  function candidates(profile: string, user: string): readonly CompiledRule[] {
    const slot = slots.get(profile) ?? unknownProfile;
    const known = slot.byUser.get(user);
    if (known !== undefined) return known;
    const userIndices = userIndex.get(user);
    if (userIndices === undefined) return (slot.unknownUser ??= candidatesFor(slot, anyUser));
    const list = candidatesFor(slot, userIndices);
    slot.byUser.set(user, list);
    return list;
  }

  return {
    policy,
    evaluate(request: EvaluationRequest, context?: EvaluationContext): Decision {
      const list = candidates(request.profile, request.user);
      const modeBit = MODE_BITS.get(request.mode) ?? UNLISTED_MODE_BIT;
      let ms = Number.NaN;
      for (const rule of list) {
        if ((rule.modes & modeBit) === 0) continue;
        if (rule.window !== null) {
          // Read the clock only once a rule needs it, as the reference does.
          if (Number.isNaN(ms)) ms = request.time.getTime();
          if (!inWindow(rule.window, ms)) continue;
        }
        return decision(rule, request, context);
      }
      return defaultDeny();
    },
  };
}

function newSlot(ruleIndices: readonly number[]): ProfileSlot {
  return { ruleIndices, byUser: new Map(), unknownUser: undefined };
}

function clearSlot(slot: ProfileSlot): void {
  slot.byUser = new Map();
  slot.unknownUser = undefined;
}

/** Names a rule is restricted to, or undefined when it applies to every name. */
type NamesOf = (rule: Rule) => ReadonlySet<string> | undefined;

/**
 * For every name some rule restricts itself to: the ascending indices of the rules
 * that apply to it (its own rules and every unrestricted rule). `anyList` holds the
 * unrestricted rules alone, for names no rule mentions.
 */
function indexRules(rules: readonly Rule[], namesOf: NamesOf): { byName: Map<string, number[]>; anyList: number[] } {
  const named = rules.map(namesOf);
  const byName = new Map<string, number[]>();
  for (const names of named) for (const name of names ?? []) if (!byName.has(name)) byName.set(name, []);
  const anyList: number[] = [];
  // Rules are visited in order, so every list comes out sorted without a sort.
  for (const [index, names] of named.entries()) {
    if (names === undefined) {
      anyList.push(index);
      for (const list of byName.values()) list.push(index);
    } else {
      for (const name of names) byName.get(name)?.push(index);
    }
  }
  return { byName, anyList };
}

function namedProfiles(rule: Rule): ReadonlySet<string> | undefined {
  const profiles = rule.conditions.profiles;
  return profiles === undefined || profiles.length === 0 ? undefined : new Set(profiles);
}

/** The rule's users plus the members of its groups; undefined when it names neither. */
function namedUsers(policy: Policy, rule: Rule): ReadonlySet<string> | undefined {
  const users = rule.conditions.users ?? [];
  const groups = rule.conditions.groups ?? [];
  if (users.length === 0 && groups.length === 0) return undefined;
  const names = new Set(users);
  for (const group of groups) {
    // An unknown group adds nobody; hasOwn keeps "constructor" from meaning Object's.
    if (!Object.hasOwn(policy.groups, group)) continue;
    for (const member of policy.groups[group] ?? []) names.add(member);
  }
  return names;
}

/** Two ascending index lists → the indices in both, ascending. */
function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) {
      i++;
    } else {
      j++;
    }
  }
  return out;
}

function compileRule(rule: Rule, index: number): CompiledRule {
  const mode = rule.conditions.mode;
  let modes = ANY_MODE;
  if (mode !== undefined && mode.length > 0) {
    modes = 0;
    for (const each of mode) modes |= MODE_BITS.get(each) ?? 0;
  }
  return {
    index,
    name: rule.name,
    effect: rule.effect,
    modes,
    window: compileWindow(rule),
    reason: rule.reason ?? defaultReason(rule.effect, rule.name),
    maxServerDurationSeconds: rule.maxServerDurationSeconds ?? null,
    sessionTable: rule.sessionTable === undefined || rule.sessionTable === '' ? null : rule.sessionTable,
  };
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
