/**
 * The structured facts behind a refusal, as the API sends them and the CLI renders them.
 *
 * Facts only: which rule, why, what was missing and what the caller may try instead.
 * Words and commands are the CLI's job (src/cli/guidance.ts), so the API and the
 * local `sentinel policy eval` explain a denial the same way.
 */

import type { BreakglassRule, Decision, EvaluationRequest, Mode, Policy } from './types.js';

/** What a denied caller may try instead: an access request, or break-glass. */
export type DenialAlternative = 'request' | 'breakglass';

/**
 * The `denial` member of an HTTP error body (DESIGN.md, HTTP API).
 *
 * `effect` tells a plain deny from a rule that wants an approved request (DESIGN.md
 * lists the other fields; this one lets every surface word the two differently).
 * `rule` is empty when no rule matched (the default deny), as in a Decision.
 * `sessionTable` is the effective table, or null when none is known. `alternatives`
 * is empty for the server-mode denials: no approval or break-glass can ever bypass them.
 * `breakglassReasonCodes` is there exactly when `alternatives` holds `breakglass`: the
 * reason codes the caller may give, those of every break-glass entry naming both the
 * profile and the user, in policy order, each once, so that the CLI can print the
 * `sentinel breakglass` command whole. Nothing is disclosed that the caller could not
 * learn by invoking break-glass with a wrong code, which names the right ones.
 */
export interface Denial {
  effect: 'deny' | 'require_approval';
  rule: string;
  reason: string;
  requiresServerMode: boolean;
  requiresSessionTracking: boolean;
  sessionTable: string | null;
  mode: Mode;
  profile: string;
  alternatives: DenialAlternative[];
  breakglassReasonCodes?: string[];
}

/**
 * The break-glass rules that let `user` break glass for `profile`, in document order:
 * those naming both (break-glass rules name users only; the parser has no groups there).
 * The one definition of who may break glass for what, shared by the denial's offer and
 * `POST /v1/breakglass` (src/breakglass/manage.ts), so the two cannot disagree.
 */
export function breakglassRulesFor(policy: Policy, user: string, profile: string): BreakglassRule[] {
  return policy.breakglass.filter((rule) => rule.profiles.includes(profile) && rule.users.includes(user));
}

/** The reason codes `rules` accept, in order, each once. */
export function reasonCodesOf(rules: readonly BreakglassRule[]): string[] {
  return [...new Set(rules.flatMap((rule) => rule.reasonCodes))];
}

/**
 * The denial facts for a decision, or undefined when the decision allows.
 *
 * A plain deny or `require_approval` can be lifted by an approved access request, so
 * `request` is offered when an approvals entry lists the profile (nobody could approve
 * a request for any other); `breakglass` only when a break-glass entry names both the
 * profile and the user, since nobody else could invoke it, with the reason codes those
 * entries accept.
 */
export function denialFacts(policy: Policy, request: EvaluationRequest, decision: Decision): Denial | undefined {
  if (decision.effect === 'allow') return undefined;
  const serverModeDenial = decision.requiresServerMode || decision.requiresSessionTracking;
  const alternatives: DenialAlternative[] = [];
  let reasonCodes: string[] | undefined;
  if (!serverModeDenial) {
    if (policy.approvals.some((entry) => entry.profiles.includes(request.profile))) alternatives.push('request');
    const breakglass = breakglassRulesFor(policy, request.user, request.profile);
    if (breakglass.length > 0) {
      alternatives.push('breakglass');
      reasonCodes = reasonCodesOf(breakglass);
    }
  }
  const denial: Denial = {
    effect: decision.effect,
    rule: decision.rule,
    reason: decision.reason,
    requiresServerMode: decision.requiresServerMode,
    requiresSessionTracking: decision.requiresSessionTracking,
    sessionTable: decision.sessionTable,
    mode: request.mode,
    profile: request.profile,
    alternatives,
  };
  if (reasonCodes !== undefined) denial.breakglassReasonCodes = reasonCodes;
  return denial;
}
