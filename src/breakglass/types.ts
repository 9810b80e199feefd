/**
 * The break-glass event and the port that stores it (DESIGN.md, Approvals and
 * break-glass; Tables: breakglass).
 *
 * Field names here are camelCase; the adapter maps them to the table's snake_case
 * attribute names. Timestamps are ISO-8601 UTC with `Z`; `ttl` is epoch seconds.
 *
 * The quota bookkeeping (one active event and the cooldown per principal and profile,
 * the per-user and per-profile counters) lives in the config table, written in the
 * same transaction as the event: see {@link BreakglassStore.invoke}.
 */

import type { BreakglassStatus } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import { formatDuration } from '../policy/duration.js';

export { BREAKGLASS_STATUSES } from '../api/contract.js';
export type { BreakglassStatus } from '../api/contract.js';

/** One break-glass event as stored. `status` is the stored one; readers use {@link effectiveStatus}. */
export interface BreakglassRecord {
  /** 32 hex digits; its first 8 name it in `via` (`bg-<8 hex>`). */
  id: string;
  /** The caller's user (DESIGN.md, Identity): whose event it is, who may close it. */
  invoker: string;
  /** The principal AWS fixed (`Caller.principal`): what the quotas count. */
  invokerPrincipal: string;
  /** The ARN AWS verified, kept as evidence. */
  invokerArn: string;
  profile: string;
  reasonCode: string;
  justification: string;
  durationSeconds: number;
  status: BreakglassStatus;
  createdAt: string;
  /** `createdAt` + `durationSeconds`: grants end here even if nobody closes the event. */
  expiresAt: string;
  /** The `breakglass` rule that allowed it. */
  rule: string;
  closedAt?: string;
  closedBy?: string;
  closedReason?: string;
  /** Epoch seconds: `expiresAt` plus the audit retention period. */
  ttl: number;
}

/**
 * The limits one invocation must pass, decided from the rule (src/breakglass/manage.ts)
 * and checked by the store in the invocation's one transaction. Times are ISO strings
 * except the window starts, which are epoch seconds (the counters' keys).
 */
export interface InvocationGuards {
  /** Counted per principal, never per a name the caller picks. */
  principal: string;
  profile: string;
  rule: string;
  now: string;
  /** The new event's expiry: the principal has an active event for the profile until then. */
  activeUntil: string;
  /** `now` − cooldown: the previous invocation must have started at or before it; absent without a cooldown. */
  cooldownCutoff?: string;
  cooldownSeconds?: number;
  /** `max_per_user` in the fixed window that holds `now`; absent without the limit. */
  perUser?: QuotaWindow;
  /** `max_per_profile` in the fixed window that holds `now`; absent without the limit. */
  perProfile?: QuotaWindow;
  /** Epoch seconds: when the guard item may go (after both the event and the cooldown are over, plus a day). */
  guardTtl: number;
}

/** A fixed window: `[start, start + seconds)` in epoch seconds, `start` a multiple of `seconds`. */
export interface QuotaWindow {
  limit: number;
  seconds: number;
  start: number;
}

/** Which guard refused an invocation, with what the refusal message needs. */
export type GuardRefusal =
  | { kind: 'active'; activeUntil: string; activeId?: string }
  | { kind: 'cooldown'; lastAt: string }
  | { kind: 'perUser'; count: number }
  | { kind: 'perProfile'; count: number };

/** The indexes a listing may read (src/provisioning/schemas.ts), each sorted by `created_at`. */
export type BreakglassIndex = 'by-invoker' | 'by-profile';

/** What {@link BreakglassStore.list} reads. */
export interface BreakglassQuery {
  index: BreakglassIndex;
  /** The partition value: an invoker's user name or a profile name. */
  key: string;
  /** Only events whose effective status at `now` is this one. */
  status?: BreakglassStatus;
  /** With `by-invoker`: only this profile. */
  profile?: string;
  /** Only events created at or after this ISO time (the index's sort key). */
  since?: string;
  limit: number;
  now: string;
  /** The `next` of the previous page. */
  startKey?: Record<string, unknown>;
}

export interface BreakglassPage {
  events: BreakglassRecord[];
  next?: Record<string, unknown>;
}

/**
 * Where break-glass events live: the breakglass table for the events, the config table
 * for the quota bookkeeping.
 *
 * Errors: DynamoDB failures are translated once for every store (src/aws/dynamoErrors.ts):
 * `UNAVAILABLE` (503 with Retry-After) or `INTERNAL`. State errors are described per method.
 */
export interface BreakglassStore {
  /**
   * Writes the event and passes every guard in ONE transaction (TransactWriteItems), so
   * concurrent invocations can never exceed a quota: the event's put, the principal and
   * profile's guard item (no active event, cooldown over), and the per-user and
   * per-profile counters of the current window. Nothing is written unless all pass.
   *
   * @throws BreakglassRefusedError (`CONFLICT` or `RATE_LIMITED`) naming every guard that refused.
   * @throws SentinelError `CONFLICT` when the id is taken (never in practice: 128 random bits).
   */
  invoke(record: BreakglassRecord, guards: InvocationGuards): Promise<void>;

  /**
   * Closes an active, unexpired event: one conditional UpdateItem (`status = active AND
   * expires_at > :now`, and `invoker = :by` unless `asAdmin`). Returns the closed event.
   *
   * @throws SentinelError `NOT_FOUND`; `NOT_OWNER` (someone else's event, not an admin);
   *   `CONFLICT` with the event's state when it is closed or expired.
   */
  close(request: { id: string; by: string; asAdmin: boolean; reason: string; now: string }): Promise<BreakglassRecord>;

  /**
   * Clears the "one active event" guard of the event's principal and profile, only if it
   * still names this event. Separate from {@link close} on purpose (see manage.ts).
   */
  releaseActive(event: Pick<BreakglassRecord, 'id' | 'invokerPrincipal' | 'profile'>): Promise<void>;

  /** One page, newest first, read with a Query on `by-invoker` or `by-profile` (never a Scan). */
  list(query: BreakglassQuery): Promise<BreakglassPage>;
}

/** The status a reader sees at `now`: an `active` event past `expiresAt` is `expired`. */
export function effectiveStatus(event: Pick<BreakglassRecord, 'status' | 'expiresAt'>, now: string): BreakglassStatus {
  return event.status === 'active' && event.expiresAt <= now ? 'expired' : event.status;
}

/** Whole seconds from `now` until `until` (ISO or epoch seconds), at least 1: a Retry-After. */
function secondsUntil(until: string | number, now: string): number {
  const untilMs = typeof until === 'number' ? until * 1000 : Date.parse(until);
  return Math.max(1, Math.ceil((untilMs - Date.parse(now)) / 1000));
}

/** One refusal in words, and the seconds until it clears by itself. */
function describe(refusal: GuardRefusal, guards: InvocationGuards): { text: string; retryAfter: number } {
  const { profile, rule, now } = guards;
  switch (refusal.kind) {
    case 'active': {
      const event = refusal.activeId === undefined ? '' : ` (event ${refusal.activeId})`;
      return { text: `an active break-glass exists for you and profile "${profile}" until ${refusal.activeUntil}${event}: use it, or close it before invoking another`, retryAfter: secondsUntil(refusal.activeUntil, now) };
    }
    case 'cooldown': {
      const cooldown = guards.cooldownSeconds ?? 0;
      const ends = new Date(Date.parse(refusal.lastAt) + cooldown * 1000).toISOString();
      return { text: `break-glass for profile "${profile}" has a cooldown of ${formatDuration(cooldown)} (rule "${rule}"): your last one started at ${refusal.lastAt}, the next may start at ${ends}`, retryAfter: secondsUntil(ends, now) };
    }
    case 'perUser':
    case 'perProfile': {
      const window = (refusal.kind === 'perUser' ? guards.perUser : guards.perProfile) as QuotaWindow;
      const ends = window.start + window.seconds;
      const whose = refusal.kind === 'perUser' ? 'by you' : `of profile "${profile}"`;
      return {
        text: `at most ${window.limit} break-glass invocations ${whose} per ${formatDuration(window.seconds)} window (rule "${rule}"; fixed windows, the next starts at ${new Date(ends * 1000).toISOString()})`,
        retryAfter: secondsUntil(ends, now),
      };
    }
  }
}

/**
 * An invocation its guards refused. `CONFLICT` (409) while the principal has an active
 * event for the profile (waiting for it to expire, or closing it, is the answer);
 * otherwise `RATE_LIMITED` (429) with `Retry-After` = the seconds until every refusing
 * limit has cleared (the cooldown ends, the window rolls over). The message names every
 * guard that refused.
 */
export class BreakglassRefusedError extends SentinelError {
  readonly refusals: readonly GuardRefusal[];

  constructor(refusals: readonly GuardRefusal[], guards: InvocationGuards, options: { cause?: unknown } = {}) {
    const described = refusals.map((refusal) => describe(refusal, guards));
    const active = refusals.some((refusal) => refusal.kind === 'active');
    const message = `break-glass refused: ${described.map((part) => part.text).join('; ')}`;
    super(active ? 'CONFLICT' : 'RATE_LIMITED', message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(active ? {} : { retryAfterSeconds: Math.max(...described.map((part) => part.retryAfter)) }),
    });
    this.refusals = refusals;
  }
}
