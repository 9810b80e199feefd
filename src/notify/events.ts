/**
 * The events Sentinel announces (DESIGN.md, Approvals and break-glass: events), as the
 * webhook and SNS receive them. Each names who did what and the exact command that
 * acts on it, so a chat message or a ticket can be followed without looking anything up.
 * Never a credential.
 */

export const EVENT_TYPES = [
  'request.created',
  'request.approved',
  'request.denied',
  'request.cancelled',
  'request.expired',
  'breakglass.invoked',
  'breakglass.closed',
  'session.revoked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface SentinelEvent {
  type: EventType;
  /** ISO time of the state change. */
  at: string;
  /** Who made the change (the requester, an approver, the invoker, an admin). */
  actor: string;
  /** The request, break-glass event or session. */
  id: string;
  profile: string;
  /** The user the change is about (requester, invoker, session owner). */
  user: string;
  /** One line a person reads: what happened. */
  summary: string;
  /** The command that acts on it next (`sentinel approve <id>`, `sentinel exec --profile P -- …`). */
  command?: string;
  /** The rest of what the change recorded: justification, reason, comment, window end. */
  details: Record<string, string | number | boolean>;
}

/** Where events go. Never throws and never blocks the state change for long: a failed delivery is logged. */
export interface Notifier {
  publish(event: SentinelEvent): Promise<void>;
}

/** No sink configured. */
export const NO_NOTIFIER: Notifier = { publish: async () => undefined };
