/**
 * The policy's stored document: the validated {@link Policy} a push produced from its
 * YAML text, as JSON, so that a function instance reads a new version without parsing
 * YAML. The YAML package's parse is 85–90 % of loading a policy from its text (about 2 s
 * at 10,000 rules on a 2-core machine); `JSON.parse` of the same policy takes tens of
 * milliseconds. Every cold start and every push meets that cost once per instance.
 *
 * The text stays the truth (`GET /v1/policy` and `sentinel policy pull` return it,
 * comments and all): the document is derived from it at the push, by the same parser
 * that validated it, and is only ever a shortcut. Whatever is not exactly what this
 * build writes — another {@link POLICY_DOCUMENT_FORMAT}, a shape it does not expect —
 * decodes to `undefined`, and the reader parses the text as before.
 *
 * The format number says what the JSON means: bump it whenever what the parser
 * produces for the same text changes (a field added, renamed or read differently), so
 * that documents written by an older build are not read by a newer one as if they
 * meant the same. test/unit/policy/document.test.ts holds a document of this format as
 * the parser produces it today and fails when that changes.
 */

import { isRecord } from '../records.js';
import { EFFECTS, MODES, type Policy } from './types.js';

/** The meaning of the JSON this build writes (see above). */
export const POLICY_DOCUMENT_FORMAT = 1;

/** The document of a policy the parser produced (or one built in code to the same types). */
export function encodePolicyDocument(policy: Policy): string {
  return JSON.stringify({ format: POLICY_DOCUMENT_FORMAT, policy });
}

/**
 * The policy a document holds, or undefined when it is not a document of this format
 * (the caller then parses the text). The document was written by a push from a text
 * this parser validated; the checks here are of shape (every field of the `Policy`
 * types has its type), which is what the compiler and evaluator rely on, so that a
 * damaged or foreign document is never evaluated: a list where a name list belongs, a
 * string where a number does, an unknown effect or mode.
 */
export function decodePolicyDocument(json: string): Policy | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.format !== POLICY_DOCUMENT_FORMAT || !isRecord(parsed.policy)) return undefined;
  const policy = parsed.policy;
  const { profiles, groups, rules, approvals, breakglass, admins } = policy;
  const fits =
    policy.version === '1' &&
    (profiles === undefined || (isRecord(profiles) && Object.values(profiles).every(isProfile))) &&
    isRecord(groups) &&
    Object.values(groups).every(isNames) &&
    isListOf(rules, isRule) &&
    isListOf(approvals, isApproval) &&
    isListOf(breakglass, isBreakglass) &&
    isNames(admins);
  if (!fits) return undefined;
  // The parser builds its name-keyed records without a prototype (a group called `constructor` is only a group); JSON.parse does not.
  const decoded = { ...policy, groups: withoutPrototype(groups) } as unknown as Policy;
  if (isRecord(profiles)) decoded.profiles = withoutPrototype(profiles) as Policy['profiles'];
  return decoded;
}

type Check = (value: unknown) => boolean;

function isListOf(value: unknown, check: Check): boolean {
  return Array.isArray(value) && value.every(check);
}

const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isNames: Check = (value) => isListOf(value, isString);

/** `value` is absent or passes `check`. */
function optional(value: unknown, check: Check): boolean {
  return value === undefined || check(value);
}

const EFFECT_NAMES: ReadonlySet<unknown> = new Set(EFFECTS);
const MODE_NAMES: ReadonlySet<unknown> = new Set(MODES);

const isPosition: Check = (value) => isRecord(value) && isNumber(value.line) && isNumber(value.col);

const isProfile: Check = (value) =>
  isRecord(value) && isString(value.roleArn) && optional(value.maxDurationSeconds, isNumber) && optional(value.region, isString);

const isTime: Check = (value) =>
  isRecord(value) &&
  isString(value.timezone) &&
  optional(value.days, (days) => isListOf(days, isNumber)) &&
  optional(value.hours, (hours) => isRecord(hours) && isNumber(hours.start) && isNumber(hours.end));

const isConditions: Check = (value) =>
  isRecord(value) &&
  optional(value.profiles, isNames) &&
  optional(value.users, isNames) &&
  optional(value.groups, isNames) &&
  optional(value.mode, (modes) => isListOf(modes, (mode) => MODE_NAMES.has(mode))) &&
  optional(value.time, isTime);

const isRule: Check = (value) =>
  isRecord(value) &&
  isString(value.name) &&
  EFFECT_NAMES.has(value.effect) &&
  isConditions(value.conditions) &&
  optional(value.reason, isString) &&
  optional(value.maxServerDurationSeconds, isNumber) &&
  optional(value.sessionTable, isString) &&
  optional(value.position, isPosition);

const isApproval: Check = (value) =>
  isRecord(value) &&
  isString(value.name) &&
  isNames(value.profiles) &&
  isNames(value.approvers) &&
  isNames(value.approverGroups) &&
  optional(value.minApprovals, isNumber) &&
  optional(value.maxDurationSeconds, isNumber) &&
  optional(value.autoApprove, (auto) => isRecord(auto) && isNames(auto.users) && optional(auto.maxDurationSeconds, isNumber)) &&
  optional(value.position, isPosition);

const isRateLimit: Check = (value) =>
  isRecord(value) && ['cooldownSeconds', 'maxPerUser', 'maxPerProfile', 'windowSeconds'].every((key) => optional(value[key], isNumber));

const isBreakglass: Check = (value) =>
  isRecord(value) &&
  isString(value.name) &&
  isNames(value.profiles) &&
  isNames(value.users) &&
  isNames(value.reasonCodes) &&
  optional(value.maxDurationSeconds, isNumber) &&
  optional(value.rateLimit, isRateLimit) &&
  optional(value.position, isPosition);

function withoutPrototype<T>(record: Record<string, T>): Record<string, T> {
  const copy = Object.create(null) as Record<string, T>;
  for (const [name, value] of Object.entries(record)) copy[name] = value;
  return copy;
}
