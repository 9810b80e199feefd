/**
 * The reference policy evaluator: rules tried in order, first match wins, written to
 * read like the specification rather than to be fast. `compilePolicy` must give the
 * same decision for every policy and request; the property tests hold it to that.
 */
import { defaultDeny, defaultReason } from './outcome.js';
import { localTime } from './time.js';
import type { Decision, EvaluationContext, EvaluationRequest, Policy, Rule, TimeWindow } from './types.js';

/**
 * Decides one request against `policy`.
 *
 * Never throws for a validated policy; for a policy built in code with an unknown
 * timezone, throws `RangeError` when (and only when) a rule with that timezone is
 * reached, as the compiled evaluator does.
 */
export function evaluatePolicy(policy: Policy, request: EvaluationRequest, context: EvaluationContext = {}): Decision {
  for (const [index, rule] of policy.rules.entries()) {
    if (ruleMatches(policy, rule, request)) return decide(rule, index, request, context);
  }
  return defaultDeny();
}

function isAny(list: readonly unknown[] | undefined): boolean {
  return list === undefined || list.length === 0;
}

function ruleMatches(policy: Policy, rule: Rule, request: EvaluationRequest): boolean {
  const { profiles, users, groups, mode, time } = rule.conditions;
  if (!isAny(profiles) && !profiles?.includes(request.profile)) return false;
  if (!(isAny(users) && isAny(groups)) && !isUserListed(policy, users, groups, request.user)) return false;
  if (!isAny(mode) && !mode?.includes(request.mode)) return false;
  if (time !== undefined && !inWindow(time, request.time)) return false;
  return true;
}

function isUserListed(policy: Policy, users: string[] | undefined, groups: string[] | undefined, user: string): boolean {
  if (users?.includes(user) === true) return true;
  // hasOwn: a group called "constructor" must not find Object.prototype's member.
  return (groups ?? []).some((group) => Object.hasOwn(policy.groups, group) && policy.groups[group]?.includes(user) === true);
}

/**
 * Local wall clock in the window's zone; the early hours of a wrapping window belong to
 * the previous day. No days, or an empty list (`days: []` of the original format), is every day.
 */
function inWindow(window: TimeWindow, time: Date): boolean {
  const { weekday, minuteOfDay } = localTime(time, window.timezone);
  const dayOk = (day: number): boolean => isAny(window.days) || window.days?.includes(day) === true;
  const hours = window.hours;
  if (hours === undefined) return dayOk(weekday);
  if (hours.start < hours.end) return hours.start <= minuteOfDay && minuteOfDay < hours.end && dayOk(weekday);
  if (hours.start > hours.end) {
    return (minuteOfDay >= hours.start && dayOk(weekday)) || (minuteOfDay < hours.end && dayOk((weekday + 6) % 7));
  }
  return false;
}

/** An empty table name is no table (an unset environment variable often arrives as ''). */
function effectiveTable(rule: Rule, request: EvaluationRequest, context: EvaluationContext): string | null {
  return rule.sessionTable || request.sessionTable || context.defaultSessionTable || null;
}

function decide(rule: Rule, index: number, request: EvaluationRequest, context: EvaluationContext): Decision {
  const table = effectiveTable(rule, request, context);
  const base = {
    rule: rule.name,
    ruleIndex: index,
    reason: rule.reason ?? defaultReason(rule.effect, rule.name),
    maxServerDurationSeconds: rule.maxServerDurationSeconds ?? null,
  };
  const server = request.mode === 'server';
  switch (rule.effect) {
    case 'allow':
      return { ...base, effect: 'allow', requiresServerMode: false, requiresSessionTracking: false, sessionTable: table };
    case 'deny':
      return { ...base, effect: 'deny', requiresServerMode: false, requiresSessionTracking: false, sessionTable: null };
    case 'require_approval':
      return { ...base, effect: 'require_approval', requiresServerMode: false, requiresSessionTracking: false, sessionTable: table };
    case 'require_server':
      return server
        ? { ...base, effect: 'allow', requiresServerMode: false, requiresSessionTracking: false, sessionTable: table }
        : { ...base, effect: 'deny', requiresServerMode: true, requiresSessionTracking: false, sessionTable: table };
    case 'require_server_session':
      return server && table !== null
        ? { ...base, effect: 'allow', requiresServerMode: false, requiresSessionTracking: false, sessionTable: table }
        : { ...base, effect: 'deny', requiresServerMode: !server, requiresSessionTracking: true, sessionTable: table };
  }
}
