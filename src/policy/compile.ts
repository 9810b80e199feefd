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
 * decision of a fresh policy does the work of the millionth. What bounds a first pass is
 * memory that is not in the cache yet (the compile itself pushes out what came before),
 * so a decision reads as few places as it can: two Maps, then one record per name, flat
 * numbers side by side (see {@link Index}), then only the rule it returns. The compile
 * writes what decisions read last: the rules, then the Maps.
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
  /**
   * Decides one request; always equal to `evaluatePolicy(policy, request, context)`.
   * The default deny is one frozen object, shared by every call: copy it to change it.
   */
  evaluate(request: EvaluationRequest, context?: EvaluationContext): Decision;
}

/** One bit per mode; a mode the policy never names gets a bit no rule lists. */
const MODE_BITS: ReadonlyMap<string, number> = new Map<Mode, number>([
  ['server', 1],
  ['cli', 2],
  ['credential_process', 4],
]);
const SERVER_BIT = 1;
const UNLISTED_MODE_BIT = 8;
/** A rule without a mode condition accepts every bit, including the unlisted one. */
const ANY_MODE = 0b1111;
/** Beside a rule's mode bits: it has a time window or a residual check, so its object must be read. */
const CHECK_RULE = 0b1_0000;
const ALL_DAYS = 0b111_1111;

const DENY = 0;
const ALLOW = 1;
const REQUIRE_APPROVAL = 2;
const REQUIRE_SERVER = 3;
const REQUIRE_SERVER_SESSION = 4;
const EFFECT_KINDS: Readonly<Record<Rule['effect'], number>> = {
  deny: DENY,
  allow: ALLOW,
  require_approval: REQUIRE_APPROVAL,
  require_server: REQUIRE_SERVER,
  require_server_session: REQUIRE_SERVER_SESSION,
};

/**
 * Pairs one rule may be filed under (profiles × users, group members counted). A rule
 * for a few people on a few profiles is filed per pair; one for a large group, or for
 * many profiles, is walked from its smaller side.
 */
const PAIR_LIMIT = 128;
/** Pair filings of the whole policy (12 bytes each while compiling, about 8 after); later rules are filed as broad ones. */
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
  /** The effect as a number (see {@link EFFECT_KINDS}): a document's strings need not be the engine's interned ones. */
  readonly kind: number;
  readonly window: CompiledWindow | null;
  readonly reason: string;
  readonly maxServerDurationSeconds: number | null;
  /** The rule's own table; null when it names none (or names ''). */
  readonly sessionTable: string | null;
}

/**
 * A list entry: the rule's index shifted left by {@link ITEM_SHIFT}, its mode bits and
 * {@link CHECK_RULE} below. Entries compare as their rule indices do, and a decision
 * rejects a rule of the wrong mode without reading anything of the rule.
 */
const ITEM_SHIFT = 5;
/** Rules an entry can name (2^26 - 1, far beyond any document); above every entry: no candidate. */
const MAX_RULES = 2 ** (31 - ITEM_SHIFT) - 1;
const NO_ITEM = 0x7fff_ffff;

/** The default deny, shared: the same for every request no rule matches, and nothing to allocate. */
const DEFAULT_DENY: Decision = Object.freeze(defaultDeny());

/**
 * The index: two Maps from names to offsets in two flat arrays of numbers, where the
 * record of a name holds everything a decision reads for it, in a few adjacent words.
 * A decision on a cold cache (the first requests after a compile, a function instance
 * woken after idling) then costs the two Map lookups and a handful of memory reads.
 *
 * A profile's record, at `profiles.get(name)` in `profileData`: its entry count, then
 * its entries. A user's record, at `users.get(name)` in `userData`:
 * - its entry count and its entries;
 * - its pair count `n`, then the `n` pair keys (the profiles' record offsets, ascending),
 *   then `n` values: an entry when the pair has one rule, else `-offset` of the pair's
 *   list (count, then entries), which follows in the record.
 * Every profile a pair names has a record, empty if need be, so that its offset is its key.
 *
 * A class, not an object literal: V8 builds a literal's boilerplate the second time the
 * literal runs, which in a process is the second compile (a function instance's first
 * policy push), and building it deoptimised the already optimised `evaluate`, `firstMatch`
 * and `walk`: the first requests after that push were decided by unoptimised code, at
 * less than half the rate of any later push (see docs/performance.md, "The first decisions
 * after a push"). A constructed object has the same shape from the first compile on.
 */
class Index {
  constructor(
    /** By rule index. */
    readonly rules: readonly CompiledRule[],
    readonly everyone: Int32Array,
    readonly profiles: ReadonlyMap<string, number>,
    readonly profileData: Int32Array,
    readonly users: ReadonlyMap<string, number>,
    readonly userData: Int32Array,
  ) {}
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
    const rule = firstMatch(index, request, index.profiles.get(request.profile) ?? -1, index.users.get(request.user) ?? -1);
    return rule === undefined ? DEFAULT_DENY : decision(rule, request, context);
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

/**
 * The ids of the profiles, or of the users, one rule names, each once. `marks[id]` is
 * the last rule that named the id: no Set is built per rule.
 */
class RuleIds {
  ids: Int32Array = new Int32Array(64);
  count = 0;
  private marks: Int32Array = new Int32Array(1024);
  private rule = 0;

  /** Starts the next rule's list. */
  next(): void {
    this.count = 0;
    this.rule += 1;
  }

  add(id: number): void {
    if (id >= this.marks.length) this.marks = grown(this.marks, id + 1);
    if (this.marks[id] === this.rule) return;
    this.marks[id] = this.rule;
    if (this.count === this.ids.length) this.ids = grown(this.ids, this.count + 1);
    this.ids[this.count] = id;
    this.count += 1;
  }
}

/** A copy of `values` with room for at least `length` numbers. */
function grown(values: Int32Array, length: number): Int32Array {
  const bigger = new Int32Array(Math.max(length, 2 * values.length));
  bigger.set(values);
  return bigger;
}

/**
 * What the filing builds: names as ids in order of first use, and (profile, entry),
 * (user, entry) and (user, profile, entry) filings in document order. A class for the
 * reason {@link Index} is one: as a literal, its boilerplate was built in the middle of
 * a process's second compile and deoptimised the filing functions then.
 */
class Filings {
  readonly everyone: number[] = [];
  readonly profileIds = new Map<string, number>();
  readonly userIds = new Map<string, number>();
  readonly toProfiles = new Records(2);
  readonly toUsers = new Records(2);
  readonly toPairs = new Records(3);
  /** The current rule's profiles, and its users with its groups' members. */
  readonly ruleProfiles = new RuleIds();
  readonly ruleUsers = new RuleIds();
  /** A group's members as user ids, built the first time a rule names the group. */
  readonly groupIds = new Map<string, Int32Array>();
}

/** Compiles and files every rule as the module comment says, then lays the records out. */
function buildIndex(policy: Policy, limits: FilingLimits): Index {
  if (policy.rules.length > MAX_RULES) throw new RangeError(`a compiled policy holds at most ${MAX_RULES} rules`);
  const filings = new Filings();
  const filed = policy.rules.map((rule, index) => {
    const item = (index << ITEM_SHIFT) | modeBits(rule) | (rule.conditions.time === undefined ? 0 : CHECK_RULE);
    const anyProfile = !listProfiles(filings, rule);
    return listUsers(policy, filings, rule) ? fileNamed(filings, item, anyProfile, limits) : fileUnnamed(filings, item, anyProfile);
  });
  const profiles = layoutProfiles(filings);
  const users = layoutUsers(filings, profiles.offsets);
  // After the layout, so that the compile's last writes are what a decision reads.
  const groupSets = new Map<string, ReadonlySet<string>>();
  const rules = policy.rules.map((rule, index): CompiledRule => {
    const how = filed[index] ?? 'exact';
    return compileRule(rule, index, how === 'exact' ? NOTHING_LEFT : broadResidual(policy, rule, how, groupSets));
  });
  readdress(filings.profileIds, profiles.offsets);
  readdress(filings.userIds, users.offsets);
  return new Index(rules, Int32Array.from(filings.everyone), filings.profileIds, profiles.data, filings.userIds, users.data);
}

/** Turns a Map of ids into one of record offsets. */
function readdress(ids: Map<string, number>, offsets: Int32Array): void {
  for (const [name, id] of ids) ids.set(name, offsets[id] as number);
}

const idOf = (ids: Map<string, number>, name: string): number => {
  let id = ids.get(name);
  if (id === undefined) ids.set(name, (id = ids.size));
  return id;
};

/** Fills `ruleProfiles` with the rule's profiles; false when it names none (it applies to every profile). */
function listProfiles(filings: Filings, rule: Rule): boolean {
  const { ruleProfiles, profileIds } = filings;
  ruleProfiles.next();
  const named = rule.conditions.profiles;
  if (named === undefined || named.length === 0) return false;
  for (const profile of named) ruleProfiles.add(idOf(profileIds, profile));
  return true;
}

/**
 * Fills `ruleUsers` with the rule's users and the members of its groups; false when
 * the rule names no user and no group (it applies to every user).
 */
function listUsers(policy: Policy, filings: Filings, rule: Rule): boolean {
  const { ruleUsers, userIds, groupIds } = filings;
  const { users, groups } = rule.conditions;
  ruleUsers.next();
  if ((users?.length ?? 0) === 0 && (groups?.length ?? 0) === 0) return false;
  for (const user of users ?? []) ruleUsers.add(idOf(userIds, user));
  for (const group of groups ?? []) {
    // An unknown group adds nobody; hasOwn keeps "constructor" from meaning Object's.
    if (!Object.hasOwn(policy.groups, group)) continue;
    let members = groupIds.get(group);
    if (members === undefined) groupIds.set(group, (members = Int32Array.from(policy.groups[group] ?? [], (member) => idOf(userIds, member))));
    for (const member of members) ruleUsers.add(member);
  }
  return true;
}

/** Files a rule that names no user or group: under everyone, or under each of its profiles. */
function fileUnnamed(filings: Filings, item: number, anyProfile: boolean): 'exact' {
  const { ids, count } = filings.ruleProfiles;
  if (anyProfile) filings.everyone.push(item);
  else for (let x = 0; x < count; x++) filings.toProfiles.push(ids[x] as number, item);
  return 'exact';
}

/**
 * Files a rule that names users or groups (`ruleUsers` holds them): per pair when it
 * names few enough, else under its smaller side (`'broad-profiles'`, `'broad-users'`),
 * with {@link CHECK_RULE} set so that the other side is checked on the rule. `'exact'`:
 * its lists guarantee its profiles and users.
 */
function fileNamed(filings: Filings, item: number, anyProfile: boolean, limits: FilingLimits): 'exact' | 'broad-profiles' | 'broad-users' {
  const { toProfiles, toUsers, toPairs } = filings;
  const { ids: users, count: userCount } = filings.ruleUsers;
  const { ids: profiles, count: profileCount } = filings.ruleProfiles;
  // Only groups no one defines, or empty ones: the rule matches nobody, and is filed nowhere.
  if (userCount === 0) return 'exact';
  if (anyProfile) {
    for (let u = 0; u < userCount; u++) toUsers.push(users[u] as number, item);
    return 'exact';
  }
  const pairs = profileCount * userCount;
  if (pairs <= limits.pairLimit && toPairs.count + pairs <= limits.maxPairs) {
    for (let u = 0; u < userCount; u++) for (let p = 0; p < profileCount; p++) toPairs.push(users[u] as number, profiles[p] as number, item);
    return 'exact';
  }
  if (profileCount <= userCount) {
    for (let p = 0; p < profileCount; p++) toProfiles.push(profiles[p] as number, item | CHECK_RULE);
    return 'broad-profiles';
  }
  for (let u = 0; u < userCount; u++) toUsers.push(users[u] as number, item | CHECK_RULE);
  return 'broad-users';
}

/** What a broad rule leaves to check: the users when filed under its profiles, the profiles when filed under its users. */
function broadResidual(policy: Policy, rule: Rule, filed: 'broad-profiles' | 'broad-users', groupSets: Map<string, ReadonlySet<string>>): Residual {
  if (filed === 'broad-profiles') return { profiles: null, users: userSets(policy, rule, groupSets) };
  return { profiles: new Set(rule.conditions.profiles), users: null };
}

/** Each profile's record, in id order: its count, then its entries; and the records' offsets by id. */
function layoutProfiles(filings: Filings): { data: Int32Array; offsets: Int32Array } {
  const { profileIds, toProfiles } = filings;
  const profiles = profileIds.size;
  const { offsets, order } = byKey(toProfiles, 0, profiles);
  const recordOffsets = new Int32Array(profiles);
  const data = new Int32Array(profiles + toProfiles.count);
  for (let p = 0; p < profiles; p++) {
    const from = offsets[p] as number;
    const to = offsets[p + 1] as number;
    const at = from + p;
    recordOffsets[p] = at;
    data[at] = to - from;
    for (let x = from; x < to; x++) data[at + 1 + x - from] = toProfiles.values[2 * (order[x] as number) + 1] as number;
  }
  return { data, offsets: recordOffsets };
}

/**
 * Each user's record, in id order (see {@link Index}), and the records' offsets by id
 * (one more: the end). Pair filings are sorted by user, then by profile, keeping document order
 * within a pair; a profile's key is its record's offset, which grows with its id.
 */
function layoutUsers(filings: Filings, profileOffsets: Int32Array): { data: Int32Array; offsets: Int32Array } {
  const { userIds, toUsers, toPairs } = filings;
  const users = userIds.size;
  const own = byKey(toUsers, 0, users);
  const pairs = byKey(toPairs, 0, users, byKey(toPairs, 1, profileOffsets.length).order);
  const recordOffsets = new Int32Array(users + 1);
  for (let u = 0; u < users; u++) {
    const size = 1 + (own.offsets[u + 1] as number) - (own.offsets[u] as number) + pairsSize(toPairs.values, pairs.order, pairs.offsets[u] as number, pairs.offsets[u + 1] as number);
    recordOffsets[u + 1] = (recordOffsets[u] as number) + size;
  }
  const data = new Int32Array(recordOffsets[users] as number);
  for (let u = 0; u < users; u++) {
    let at = recordOffsets[u] as number;
    const from = own.offsets[u] as number;
    const to = own.offsets[u + 1] as number;
    data[at++] = to - from;
    for (let x = from; x < to; x++) data[at++] = toUsers.values[2 * (own.order[x] as number) + 1] as number;
    writePairs(data, at, toPairs.values, pairs.order, pairs.offsets[u] as number, pairs.offsets[u + 1] as number, profileOffsets);
  }
  return { data, offsets: recordOffsets };
}

/** Words the pairs part of a user's record takes, for its sorted pair filings `order[from]` … `order[to - 1]`. */
function pairsSize(values: Int32Array, order: Int32Array, from: number, to: number): number {
  let size = 1;
  for (let x = from; x < to; ) {
    const profile = values[3 * (order[x] as number) + 1] as number;
    let end = x + 1;
    while (end < to && values[3 * (order[end] as number) + 1] === profile) end++;
    size += end - x === 1 ? 2 : 3 + end - x;
    x = end;
  }
  return size;
}

/** Writes the pairs part of a user's record at `at`: count, keys, values, then the lists of pairs with more than one rule. */
function writePairs(data: Int32Array, at: number, values: Int32Array, order: Int32Array, from: number, to: number, profileOffsets: Int32Array): void {
  let pairs = 0;
  for (let x = from; x < to; x++) if (x === from || values[3 * (order[x] as number) + 1] !== values[3 * (order[x - 1] as number) + 1]) pairs++;
  data[at] = pairs;
  let key = at + 1;
  let list = at + 1 + 2 * pairs;
  for (let x = from; x < to; ) {
    const profile = values[3 * (order[x] as number) + 1] as number;
    let end = x + 1;
    while (end < to && values[3 * (order[end] as number) + 1] === profile) end++;
    data[key] = profileOffsets[profile] as number;
    if (end - x === 1) data[key + pairs] = values[3 * (order[x] as number) + 2] as number;
    else {
      data[key + pairs] = -list;
      data[list++] = end - x;
      for (let y = x; y < end; y++) data[list++] = values[3 * (order[y] as number) + 2] as number;
    }
    key++;
    x = end;
  }
}

const NOTHING_LEFT: Residual = { profiles: null, users: null };

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
    kind: EFFECT_KINDS[rule.effect],
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

/** The position of `key` among `data[from]` … `data[to - 1]` (ascending), or -1. */
function findKey(data: Int32Array, from: number, to: number, key: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = data[mid] as number;
    if (at === key) return mid;
    if (at < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** {@link MODE_BITS} without a Map lookup: this runs on every decision. */
function modeBitOf(mode: string): number {
  if (mode === 'server') return SERVER_BIT;
  if (mode === 'cli') return 2;
  if (mode === 'credential_process') return 4;
  return UNLISTED_MODE_BIT;
}

/**
 * The first rule, in document order, that matches the request, among the candidates
 * of four lists: `everyone`, the profile's, the user's and the pair's (an offset of -1
 * is a name no rule is filed under: its lists are empty). The lists are disjoint and
 * each sorted, so taking the lowest head each step visits the candidates in document order.
 */
function firstMatch(index: Index, request: EvaluationRequest, profile: number, user: number): CompiledRule | undefined {
  const { everyone, profileData, userData } = index;
  let j = 0;
  let jEnd = 0;
  if (profile >= 0) {
    j = profile + 1;
    jEnd = j + (profileData[profile] as number);
  }
  let k = 0;
  let kEnd = 0;
  let l = 0;
  let lEnd = 0;
  if (user >= 0) {
    k = user + 1;
    kEnd = k + (userData[user] as number);
    const pairs = userData[kEnd] as number;
    const key = profile < 0 || pairs === 0 ? -1 : findKey(userData, kEnd + 1, kEnd + 1 + pairs, profile);
    if (key >= 0) {
      const value = userData[key + pairs] as number;
      // One rule: the value is its entry; more: the negated offset of their list.
      l = value >= 0 ? key + pairs : 1 - value;
      lEnd = value >= 0 ? l + 1 : l + (userData[-value] as number);
    }
  }
  return walk(index, request, 0, everyone.length, j, jEnd, k, kEnd, l, lEnd);
}

/** Merges the four lists (positions in `everyone`, `profileData` and twice `userData`), checking each candidate in turn. */
function walk(index: Index, request: EvaluationRequest, i: number, iEnd: number, j: number, jEnd: number, k: number, kEnd: number, l: number, lEnd: number): CompiledRule | undefined {
  const { everyone, profileData, userData } = index;
  const modeBit = modeBitOf(request.mode);
  let ms = Number.NaN;
  for (;;) {
    let next = NO_ITEM;
    let from = 0;
    if (i < iEnd) {
      next = everyone[i] as number;
      from = 1;
    }
    if (j < jEnd && (profileData[j] as number) < next) {
      next = profileData[j] as number;
      from = 2;
    }
    if (k < kEnd && (userData[k] as number) < next) {
      next = userData[k] as number;
      from = 3;
    }
    if (l < lEnd && (userData[l] as number) < next) {
      next = userData[l] as number;
      from = 4;
    }
    if (from === 0) return undefined;
    if (from === 1) i++;
    else if (from === 2) j++;
    else if (from === 3) k++;
    else l++;

    if ((next & modeBit) === 0) continue;
    const rule = index.rules[next >> ITEM_SHIFT] as CompiledRule;
    if ((next & CHECK_RULE) === 0) return rule;
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
  if (rule.kind === DENY) return outcome(rule, 'deny', false, false, null);
  // An empty name is no table, at every level.
  const table = rule.sessionTable ?? (request.sessionTable || context?.defaultSessionTable || null);
  const server = modeBitOf(request.mode) === SERVER_BIT;
  switch (rule.kind) {
    case ALLOW:
      return outcome(rule, 'allow', false, false, table);
    case REQUIRE_APPROVAL:
      return outcome(rule, 'require_approval', false, false, table);
    case REQUIRE_SERVER:
      return server ? outcome(rule, 'allow', false, false, table) : outcome(rule, 'deny', true, false, table);
    case REQUIRE_SERVER_SESSION:
      return server && table !== null ? outcome(rule, 'allow', false, false, table) : outcome(rule, 'deny', !server, true, table);
  }
  throw new RangeError(`rule "${rule.name}" has no effect Sentinel knows`);
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
