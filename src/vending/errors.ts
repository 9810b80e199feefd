/**
 * The refusals the issuance pipeline raises with policy facts attached.
 */

import type { ErrorCode } from '../api/contract.js';
import type { Decision } from '../policy/types.js';

/**
 * The stable code of a refusing decision: the server-mode requirements get their own
 * codes (the CLI words each differently), `require_approval` its own, the rest `POLICY_DENY`.
 */
export function denialCode(decision: Decision): ErrorCode {
  if (decision.effect === 'require_approval') return 'APPROVAL_REQUIRED';
  if (decision.requiresServerMode && decision.requiresSessionTracking) return 'SERVER_SESSION_REQUIRED';
  if (decision.requiresServerMode) return 'SERVER_MODE_REQUIRED';
  if (decision.requiresSessionTracking) return 'SESSION_TRACKING_REQUIRED';
  return 'POLICY_DENY';
}

/** The one-line message of a refusal; the CLI renders the full guidance from `denial`. */
export function denialMessage(profile: string, decision: Decision): string {
  if (decision.effect === 'require_approval') return `profile "${profile}" requires an approved access request: ${decision.reason}`;
  return `access to profile "${profile}" is denied: ${decision.reason}`;
}
