/**
 * The structured facts behind a refusal, as the API sends them and the CLI renders them.
 *
 * Facts only: which rule, why, what was missing and what the caller may try instead.
 * Words and commands are the CLI's job (src/cli/guidance.ts), so the API and the
 * local `sentinel policy eval` explain a denial the same way.
 */

import type { Decision, EvaluationRequest, Mode, Policy } from './types.js';

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
}

/**
 * The denial facts for a decision, or undefined when the decision allows.
 *
 * A plain deny or `require_approval` can be lifted by an approved access request, so
 * `request` is offered when an approvals entry lists the profile (nobody could approve
 * a request for any other); `breakglass` only when a break-glass entry names both the
 * profile and the user, since nobody else could invoke it.
 */
export function denialFacts(policy: Policy, request: EvaluationRequest, decision: Decision): Denial | undefined {
  if (decision.effect === 'allow') return undefined;
  const serverModeDenial = decision.requiresServerMode || decision.requiresSessionTracking;
  const alternatives: DenialAlternative[] = [];
  if (!serverModeDenial) {
    if (policy.approvals.some((entry) => entry.profiles.includes(request.profile))) alternatives.push('request');
    const breakglass = policy.breakglass.some(
      (entry) => entry.profiles.includes(request.profile) && entry.users.includes(request.user),
    );
    if (breakglass) alternatives.push('breakglass');
  }
  return {
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
}
