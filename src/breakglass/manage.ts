/**
 * Break-glass (DESIGN.md, Approvals and break-glass; docs/api.md, Break-glass): emergency
 * access a `breakglass` rule of the policy allows a named user for named profiles, with
 * a reason code and a justification, for a bounded time and within quotas.
 *
 * - invoke: the rule decides (pure: {@link planInvocation}), then ONE transaction writes
 *   the event and passes every quota (src/breakglass/DynamoBreakglassStore.ts): one
 *   active event per principal and profile, the cooldown, `max_per_user`,
 *   `max_per_profile`. Quotas count per principal (`Caller.principal`), as the rate
 *   limiter does, never per a name the caller picks.
 * - close: the invoker or an admin, one conditional update; then the "one active event"
 *   guard is released by a second write (see {@link closeBreakglass}).
 * - list: Queries only (`by-invoker`, `by-profile`), never a Scan.
 * - {@link breakglassGrants}: the active events of a user for a profile, as issuance's grants.
 *
 * Quota windows are FIXED, aligned to multiples of the window since the Unix epoch (a
 * 24 h window runs from 00:00 UTC to 00:00 UTC): `max_per_user: 3` allows three in each
 * such window, so up to six can fall within 24 h across a boundary.
 */

import type { Notifier } from '../notify/events.js';
import { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX, STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS } from '../api/constants.js';
import type { BreakglassView, CloseBreakglassRequest, InvokeBreakglassRequest, ListBreakglassQuery, ListBreakglassResponse } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import { isAdmin } from '../policy/admins.js';
import { formatDuration } from '../policy/duration.js';
import { breakglassRulesFor, reasonCodesOf } from '../policy/denial.js';
import type { PolicySource } from '../policy/source.js';
import type { BreakglassRule, Policy } from '../policy/types.js';
import type { CursorCodec, CursorScope } from '../sessions/cursor.js';
import type { Grant } from '../vending/plan.js';
import { effectiveStatus } from './types.js';
import type { BreakglassIndex, BreakglassRecord, BreakglassStore, InvocationGuards, QuotaWindow } from './types.js';

/** What break-glass logs: structured lines an alarm can match on `alert`. */
export interface BreakglassLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

/** The `alert` of each line (a CloudWatch metric filter on `{ $.alert = "SentinelBreakglassInvoked" }`). */
export const BREAKGLASS_ALERTS = {
  invoked: 'SentinelBreakglassInvoked',
  closed: 'SentinelBreakglassClosed',
  refused: 'SentinelBreakglassRefused',
} as const;

export interface BreakglassDeps {
  breakglass: BreakglassStore;
  policies: PolicySource;
  bootstrapAdmins: readonly string[];
  cursors: CursorCodec;
  settings: { auditRetentionSeconds: number };
  /** `bytes` random bytes as hex: the event id. */
  randomHex(bytes: number): string;
  log: BreakglassLog;
  /** Where `breakglass.invoked` and `breakglass.closed` go (src/notify); absent, nowhere. */
  notifier?: Notifier;
}

/** An event lasts an hour unless the rule's `max_duration` or the request says otherwise. */
export const DEFAULT_BREAKGLASS_SECONDS = 3600;
/**
 * The longest event: STS's longest credentials. Also what lets {@link breakglassGrants}
 * read only the last 12 hours of a user's events.
 */
export const MAX_BREAKGLASS_SECONDS = STS_MAX_DURATION_SECONDS;
/** The quota window of a rule that sets `max_per_user` or `max_per_profile` but no `window`. */
export const DEFAULT_QUOTA_WINDOW_SECONDS = 86_400;
/** The guard item outlives both the event and the cooldown by a day. */
const GUARD_RETENTION_SECONDS = 86_400;

/** The event as the API shows it: camelCase, the effective status at `now`, no principal or ARN. */
export function breakglassView(record: BreakglassRecord, now: string): BreakglassView {
  return {
    id: record.id,
    invoker: record.invoker,
    profile: record.profile,
    reasonCode: record.reasonCode,
    justification: record.justification,
    durationSeconds: record.durationSeconds,
    status: effectiveStatus(record, now),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    rule: record.rule,
    ...(record.closedAt === undefined ? {} : { closedAt: record.closedAt }),
    ...(record.closedBy === undefined ? {} : { closedBy: record.closedBy }),
    ...(record.closedReason === undefined ? {} : { closedReason: record.closedReason }),
  };
}

/**
 * The rule that lets `user` break glass for `profile` with `reasonCode`: the first of
 * {@link breakglassRulesFor} (the rules a denial offers, src/policy/denial.ts) that has
 * the code.
 *
 * @throws SentinelError `POLICY_DENY` when no rule names the user and the profile (the
 *   same words whether the profile exists or not); `INVALID_REQUEST` when rules do but
 *   none has the reason code (their codes are named: the caller may use them).
 */
export function matchingRule(policy: Policy, user: string, profile: string, reasonCode: string): BreakglassRule {
  const candidates = breakglassRulesFor(policy, user, profile);
  if (candidates.length === 0) throw new SentinelError('POLICY_DENY', `no break-glass rule lets "${user}" break glass for profile "${profile}"`);
  const rule = candidates.find((candidate) => candidate.reasonCodes.includes(reasonCode));
  if (rule === undefined) {
    const codes = reasonCodesOf(candidates).map((code) => `"${code}"`).join(', ');
    throw new SentinelError('INVALID_REQUEST', `reason code "${reasonCode}" is not one of break-glass rule "${candidates[0]?.name ?? ''}"'s: use one of ${codes}`);
  }
  return rule;
}

/** The fixed window holding `nowSeconds`: `[start, start + seconds)`, `start` a multiple of `seconds` since the epoch. */
export function fixedWindow(nowSeconds: number, seconds: number, limit: number): QuotaWindow {
  return { limit, seconds, start: Math.floor(nowSeconds / seconds) * seconds };
}

/** What one invocation writes and must pass, decided. */
export interface InvocationPlan {
  record: BreakglassRecord;
  guards: InvocationGuards;
}

/**
 * Decides one invocation (pure): the rule, the duration (at most the rule's
 * `max_duration`, default it or 1 h, never past 12 h), the event and the guards.
 *
 * @throws SentinelError `POLICY_DENY`, `UNKNOWN_PROFILE`, `INVALID_REQUEST` (reason code,
 *   duration) as {@link matchingRule} and the duration rules say.
 */
export function planInvocation(request: InvokeBreakglassRequest, caller: Caller, policy: Policy, now: Date, id: string, settings: BreakglassDeps['settings']): InvocationPlan {
  const rule = matchingRule(policy, caller.user, request.profile, request.reasonCode);
  // A document in the original format has no `profiles`: a rule may name a profile nothing could vend.
  if (!Object.hasOwn(policy.profiles ?? {}, request.profile)) throw new SentinelError('UNKNOWN_PROFILE', `no profile "${request.profile}" in the policy`);
  const max = Math.min(rule.maxDurationSeconds ?? DEFAULT_BREAKGLASS_SECONDS, MAX_BREAKGLASS_SECONDS);
  if (max < STS_MIN_DURATION_SECONDS) {
    throw new SentinelError('INVALID_REQUEST', `break-glass rule "${rule.name}" allows at most ${formatDuration(max)}, below the ${formatDuration(STS_MIN_DURATION_SECONDS)} credentials last at least: no event could be used`);
  }
  const durationSeconds = request.durationSeconds ?? max;
  if (durationSeconds > max) throw new SentinelError('INVALID_REQUEST', `durationSeconds: break-glass rule "${rule.name}" allows at most ${max} s (${formatDuration(max)})`);

  const nowSeconds = Math.floor(now.getTime() / 1000);
  const expires = new Date(now.getTime() + durationSeconds * 1000);
  const record: BreakglassRecord = {
    id,
    invoker: caller.user,
    invokerPrincipal: caller.principal,
    invokerArn: caller.arn,
    profile: request.profile,
    reasonCode: request.reasonCode,
    justification: request.justification,
    durationSeconds,
    status: 'active',
    createdAt: now.toISOString(),
    expiresAt: expires.toISOString(),
    rule: rule.name,
    ttl: Math.ceil(expires.getTime() / 1000) + settings.auditRetentionSeconds,
  };
  const limits = rule.rateLimit ?? {};
  const cooldown = limits.cooldownSeconds;
  const window = limits.windowSeconds ?? DEFAULT_QUOTA_WINDOW_SECONDS;
  const guards: InvocationGuards = {
    principal: caller.principal,
    profile: request.profile,
    rule: rule.name,
    now: record.createdAt,
    activeUntil: record.expiresAt,
    ...(cooldown === undefined ? {} : { cooldownSeconds: cooldown, cooldownCutoff: new Date(now.getTime() - cooldown * 1000).toISOString() }),
    ...(limits.maxPerUser === undefined ? {} : { perUser: fixedWindow(nowSeconds, window, limits.maxPerUser) }),
    ...(limits.maxPerProfile === undefined ? {} : { perProfile: fixedWindow(nowSeconds, window, limits.maxPerProfile) }),
    guardTtl: Math.max(Math.ceil(expires.getTime() / 1000), nowSeconds + (cooldown ?? 0)) + GUARD_RETENTION_SECONDS,
  };
  return { record, guards };
}

/**
 * `POST /v1/breakglass`: the event, once the rule allows it and every quota has room.
 * Logged at WARN with `alert: SentinelBreakglassInvoked`; a refusal at INFO with
 * `alert: SentinelBreakglassRefused`.
 *
 * @throws SentinelError `POLICY_DENY`, `UNKNOWN_PROFILE`, `INVALID_REQUEST` (see
 *   {@link planInvocation}); `CONFLICT` while the caller has an active event for the
 *   profile; `RATE_LIMITED` (Retry-After) over the cooldown or a quota; `UNAVAILABLE`.
 */
export async function invokeBreakglass(request: InvokeBreakglassRequest, caller: Caller, now: Date, deps: BreakglassDeps): Promise<BreakglassView> {
  const loaded = await deps.policies.current(now);
  let plan: InvocationPlan;
  try {
    plan = planInvocation(request, caller, loaded.policy, now, deps.randomHex(16), deps.settings);
    await deps.breakglass.invoke(plan.record, plan.guards);
  } catch (error) {
    if (error instanceof SentinelError && error.code !== 'UNAVAILABLE' && error.code !== 'INTERNAL') {
      deps.log.info('break-glass refused', { alert: BREAKGLASS_ALERTS.refused, invoker: caller.user, principal: caller.principal, profile: request.profile, reasonCode: request.reasonCode, code: error.code, detail: error.message });
    }
    throw error;
  }
  const { record } = plan;
  deps.log.warn('break-glass invoked', {
    alert: BREAKGLASS_ALERTS.invoked,
    eventId: record.id,
    invoker: record.invoker,
    principal: record.invokerPrincipal,
    callerArn: record.invokerArn,
    profile: record.profile,
    rule: record.rule,
    reasonCode: record.reasonCode,
    justification: record.justification,
    durationSeconds: record.durationSeconds,
    expiresAt: record.expiresAt,
    policyVersion: loaded.version,
  });
  await deps.notifier?.publish({
    type: 'breakglass.invoked',
    at: record.createdAt,
    actor: record.invoker,
    id: record.id,
    profile: record.profile,
    user: record.invoker,
    summary: `${record.invoker} invoked break-glass for ${record.profile} (${record.reasonCode}) until ${record.expiresAt}`,
    command: `sentinel breakglass close ${record.id} --reason "…"`,
    details: { reasonCode: record.reasonCode, justification: record.justification, rule: record.rule, expiresAt: record.expiresAt },
  });
  return breakglassView(record, record.createdAt);
}

/** Whether the caller is one of the current policy's admins (bootstrap admins while it names none). */
async function callerIsAdmin(caller: Caller, now: Date, deps: Pick<BreakglassDeps, 'policies' | 'bootstrapAdmins'>): Promise<boolean> {
  return isAdmin(caller.user, (await deps.policies.current(now)).policy, deps.bootstrapAdmins);
}

/**
 * `POST /v1/breakglass/{id}/close`: the invoker or an admin closes an active event, one
 * conditional update (grants read the event's status, so issuance under it stops at
 * once). Then the "one active event" guard of its principal and profile is released by
 * a second, best-effort write: if that fails the event is still closed, and the guard
 * only keeps the invoker from a NEW event for that profile until the closed one's
 * planned expiry (logged at WARN). A transaction could not make this safer: closing must
 * not fail because bookkeeping did, and the guard's key (the invoker's principal) is only
 * known from the event, which the close's own answer returns.
 *
 * @throws SentinelError `NOT_FOUND`, `NOT_OWNER`, `CONFLICT` (closed, expired).
 */
export async function closeBreakglass(id: string, request: CloseBreakglassRequest, caller: Caller, now: Date, deps: BreakglassDeps): Promise<BreakglassView> {
  const at = now.toISOString();
  const admin = await callerIsAdmin(caller, now, deps);
  const closed = await deps.breakglass.close({ id, by: caller.user, asAdmin: admin, reason: request.reason, now: at });
  const fields = { eventId: id, invoker: closed.invoker, profile: closed.profile, closedBy: caller.user, byAdmin: closed.invoker !== caller.user, reason: request.reason };
  deps.log.info('break-glass closed', { alert: BREAKGLASS_ALERTS.closed, ...fields });
  try {
    await deps.breakglass.releaseActive(closed);
  } catch (error) {
    deps.log.warn('break-glass closed, but its "one active event" guard could not be released: the invoker cannot invoke again for this profile until the closed event would have expired', {
      ...fields,
      guardUntil: closed.expiresAt,
      error,
    });
  }
  await deps.notifier?.publish({
    type: 'breakglass.closed',
    at,
    actor: caller.user,
    id,
    profile: closed.profile,
    user: closed.invoker,
    summary: `${caller.user} closed the break-glass of ${closed.invoker} for ${closed.profile}`,
    details: { reason: request.reason },
  });
  return breakglassView(closed, at);
}

/**
 * `GET /v1/breakglass`. `scope=mine` (default): the caller's own events (`by-invoker`,
 * `profile` filters). `scope=all`: admins only, and only with a `profile` (`by-profile`):
 * everything at once would need a Scan.
 *
 * @throws SentinelError `NOT_ADMIN`; `INVALID_REQUEST` (no profile with `scope=all`, a bad cursor).
 */
export async function listBreakglass(query: ListBreakglassQuery, caller: Caller, now: Date, deps: BreakglassDeps): Promise<ListBreakglassResponse> {
  const all = query.scope === 'all';
  if (all && !(await callerIsAdmin(caller, now, deps))) throw new SentinelError('NOT_ADMIN', `only admins may list every break-glass event; "${caller.user}" is not in the policy's admins`);
  if (all && query.profile === undefined) throw new SentinelError('INVALID_REQUEST', 'with scope=all, name a profile: listing every event would need a Scan of the table');
  const index: BreakglassIndex = all ? 'by-profile' : 'by-invoker';
  const key = all ? (query.profile as string) : caller.user;
  const limit = Math.min(query.limit ?? SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX);
  const scope: CursorScope = { op: 'breakglass-list', caller: caller.user, index, key, profile: all ? null : (query.profile ?? null), status: query.status ?? null, limit };
  const startKey = query.cursor === undefined ? undefined : deps.cursors.open(query.cursor, scope);
  const at = now.toISOString();
  const page = await deps.breakglass.list({
    index,
    key,
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(!all && query.profile !== undefined ? { profile: query.profile } : {}),
    limit,
    now: at,
    ...(startKey === undefined ? {} : { startKey }),
  });
  return {
    events: page.events.map((event) => breakglassView(event, at)),
    ...(page.next === undefined ? {} : { cursor: deps.cursors.seal(scope, page.next) }),
  };
}

/** The break-glass half of issuance's grant source (src/vending/ports.ts, GrantSource). */
export interface BreakglassGrants {
  /**
   * The user's events for the profile that are active at `now`, newest first, as grants
   * (`{ kind: 'breakglass', id, endsAt }`). Reads `by-invoker` from `now` − 12 h on (no
   * event lasts longer), so the Query stays small however long the user's history is.
   */
  activeGrants(request: { user: string; profile: string; now: Date }): Promise<Grant[]>;
}

/** Pages a user's recent events hold at most (12 h of events, one at a time per profile). */
const GRANT_PAGE = 100;

export function breakglassGrants(store: BreakglassStore): BreakglassGrants {
  return {
    async activeGrants({ user, profile, now }) {
      const at = now.toISOString();
      const since = new Date(now.getTime() - MAX_BREAKGLASS_SECONDS * 1000).toISOString();
      const grants: Grant[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await store.list({ index: 'by-invoker', key: user, profile, status: 'active', since, limit: GRANT_PAGE, now: at, ...(startKey === undefined ? {} : { startKey }) });
        for (const event of page.events) grants.push({ kind: 'breakglass', id: event.id, endsAt: new Date(event.expiresAt) });
        startKey = page.next;
      } while (startKey !== undefined);
      return grants;
    },
  };
}
