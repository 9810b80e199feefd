/**
 * The parts of a decision that are wording, not matching logic: shared by the
 * reference and the compiled evaluator (which must still match independently).
 */
import type { Decision, Effect } from './types.js';

/** The decision when no rule matches: deny, with no rule named (DESIGN.md). */
export function defaultDeny(): Decision {
  return {
    effect: 'deny',
    rule: '',
    ruleIndex: -1,
    reason: 'no matching rule',
    requiresServerMode: false,
    requiresSessionTracking: false,
    sessionTable: null,
    maxServerDurationSeconds: null,
  };
}

/** The reason given for a rule that has none of its own. */
export function defaultReason(effect: Effect, name: string): string {
  switch (effect) {
    case 'allow':
      return `allowed by rule "${name}"`;
    case 'deny':
      return `denied by rule "${name}"`;
    case 'require_approval':
      return `rule "${name}" requires an approved access request`;
    case 'require_server':
      return `rule "${name}" requires server mode`;
    case 'require_server_session':
      return `rule "${name}" requires server mode with session tracking`;
  }
}
