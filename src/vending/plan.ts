/**
 * The decision half of issuance (STYLE.md 16): from the request, the caller, the policy
 * and what the deployment allows, a pure function decides everything an issuance will
 * do — the profile, the effective decision (after any approved request or active
 * break-glass), the session table, the duration cap, the names STS gets, the session
 * record to write — and the facts the decision line reports. src/vending/issue.ts
 * carries the plan out. Nothing here reads a clock, a random source or a table.
 */

import { STS_MIN_DURATION_SECONDS } from '../api/constants.js';
import type { CredentialsRequest } from '../api/contract.js';
import type { Denial } from '../api/denial.js';
import { SentinelError } from '../errors.js';
import { roleSessionName, sourceIdentity } from '../identity/names.js';
import type { Caller } from '../identity/types.js';
import { denialFacts } from '../policy/denial.js';
import { isVisibleProfile, unknownProfile } from '../policy/profiles.js';
import type { LoadedPolicy } from '../policy/source.js';
import type { Decision, EvaluationRequest, Profile } from '../policy/types.js';
import { foreignTable } from '../sessions/tables.js';
import type { SessionRecord } from '../sessions/types.js';
import { denialCode, denialMessage } from './errors.js';

/** The deployment settings issuance depends on (a slice of SentinelConfig). */
export interface VendingSettings {
  tablePrefix: string;
  defaultSessionTable?: string;
  maxSessionLifetimeSeconds: number;
  auditRetentionSeconds: number;
}

/**
 * Something that lifts a refusal for one user and profile until `endsAt`: an approved
 * access request (`via` = `apr-<8 hex>`) or an active break-glass event (`bg-<8 hex>`).
 */
export interface Grant {
  kind: 'approval' | 'breakglass';
  /** The request's or event's id (hex); its first 8 digits name it in `via`. */
  id: string;
  endsAt: Date;
}

/** What the decision line reports about the decision, known once the plan is made. */
export interface DecisionFacts {
  effect: Decision['effect'] | null;
  rule: string | null;
  ruleIndex: number | null;
  reason: string | null;
  via: string;
  sessionId: string | null;
  sessionTable: string | null;
  sourceIdentity: string | null;
  roleArn: string | null;
  durationSeconds: number | null;
  policyVersion: number | null;
}

export interface PlanInput {
  request: CredentialsRequest;
  caller: Caller;
  loaded: LoadedPolicy;
  now: Date;
  settings: VendingSettings;
  /** Drawn by the caller: the request id in SourceIdentity (8 hex) and a new session's id (32 hex). */
  ids: { requestId: string; sessionId: string };
  /** Approved requests and active break-glass events of this user for this profile. */
  grants?: readonly Grant[];
}

/** A refusal: the error the caller gets and what the decision line says about it. */
export interface Refusal {
  kind: 'refuse';
  error: SentinelError;
  facts: DecisionFacts;
}

/** Everything an issuance does, decided. */
export interface IssuancePlan {
  kind: 'issue';
  facts: DecisionFacts;
  user: string;
  profile: string;
  roleArn: string;
  region: string | undefined;
  /** The matching rule's name, for the response's `decision`. */
  rule: string;
  /** The table the session lives in; null when the issuance is not tracked. */
  table: string | null;
  /** A new session to write before STS is called, a server-mode session to refresh, or none. */
  session: { kind: 'create'; record: SessionRecord } | { kind: 'refresh'; id: string } | null;
  sourceIdentity: string;
  roleSessionName: string;
  /** The duration before the session's lifetime cap, which a refresh applies once it knows when the session started. */
  durationBeforeLifetime: number;
  durationSeconds: number;
}

/** Credentials last an hour unless the request asks otherwise (as `aws sts assume-role`). */
const DEFAULT_DURATION_SECONDS = 3600;
/** A server-mode rule without `max_server_duration` caps credentials at 15 minutes. */
const DEFAULT_MAX_SERVER_DURATION_SECONDS = 900;
const DIRECT = 'direct';

/** The facts of a request no decision has been made for yet. */
export function noFacts(request: CredentialsRequest): DecisionFacts {
  return {
    effect: null,
    rule: null,
    ruleIndex: null,
    reason: null,
    via: DIRECT,
    sessionId: request.sessionId ?? null,
    sessionTable: null,
    sourceIdentity: null,
    roleArn: null,
    durationSeconds: null,
    policyVersion: null,
  };
}

/** What the policy allows one request: the effective decision, its profile and session table. */
export interface Access {
  kind: 'allow';
  decision: Decision;
  via: string;
  grantEndsAt: Date | undefined;
  profile: Profile;
  table: string | null;
  facts: DecisionFacts;
}

/**
 * The policy's answer to one request, after grants: a refusal (with the error the
 * caller gets) or what it allows. Shared by issuance and the server-mode re-check, so
 * both refuse exactly alike. For a session (`sessionId`) the rule is judged with the
 * session's own table, and a policy that now tracks the profile elsewhere is a conflict.
 */
export function decideAccess(input: Omit<PlanInput, 'ids'>): Access | Refusal {
  const { request, caller, loaded, now, settings } = input;
  const ofSession = request.sessionId !== undefined;
  const before: DecisionFacts = { ...noFacts(request), policyVersion: loaded.version };

  const profiles = loaded.policy.profiles ?? {};
  const profile: Profile | undefined = Object.hasOwn(profiles, request.profile) ? profiles[request.profile] : undefined;
  const context = settings.defaultSessionTable === undefined ? {} : { defaultSessionTable: settings.defaultSessionTable };
  if (profile === undefined) return refuse(unknownProfile(loaded, caller.user, request.profile, now, context), before);

  const sessionTable = ofSession ? (request.sessionTable ?? settings.defaultSessionTable) : undefined;
  const requestedTable = ofSession ? sessionTable : request.sessionTable;
  const evaluation: EvaluationRequest = { user: caller.user, profile: request.profile, mode: request.mode, time: now, ...(requestedTable === undefined ? {} : { sessionTable: requestedTable }) };
  const evaluated = loaded.compiled.evaluate(evaluation, context);
  const { decision, via, grantEndsAt } = applyGrants(evaluated, input.grants ?? [], now);
  const facts: DecisionFacts = { ...before, effect: decision.effect, rule: decision.rule, ruleIndex: decision.ruleIndex, reason: decision.reason, via };
  if (decision.effect !== 'allow') {
    // A profile the caller may not see is refused as if it did not exist (the log keeps the real decision).
    if (!isVisibleProfile(loaded, caller.user, request.profile, now, context)) return refuse(unknownProfile(loaded, caller.user, request.profile, now, context), facts);
    const denial = denialFacts(loaded.policy, evaluation, decision);
    if (denial === undefined) return refuse(new SentinelError('INTERNAL', 'a refusing decision produced no denial facts'), facts);
    return refuse(new SentinelError(denialCode(decision), denialMessage(request.profile, decision), { denial }), facts);
  }

  const table = decision.sessionTable;
  if (ofSession && table !== sessionTable) {
    const message = `the policy now tracks profile "${request.profile}" in table "${table ?? 'none'}", not "${sessionTable ?? 'none'}": start a new session`;
    return refuse(new SentinelError('CONFLICT', message), facts);
  }
  const foreign = table === null ? undefined : foreignTable(table, settings.tablePrefix);
  if (foreign !== undefined) return refuse(foreign, facts);
  return { kind: 'allow', decision, via, grantEndsAt, profile, table, facts };
}

/**
 * Decides one credential request. Never throws for a refusal: it returns one, with the
 * facts the decision line records. For a refresh the plan's duration assumes the
 * session started now; {@link refreshDuration} applies the real start once the
 * refresh write has returned the session.
 */
export function planIssuance(input: PlanInput): IssuancePlan | Refusal {
  const { request, caller, now, settings } = input;
  const access = decideAccess(input);
  if (access.kind === 'refuse') return access;
  const { decision, via, grantEndsAt, profile, table, facts: decided } = access;
  const refreshing = request.sessionId !== undefined;

  const capped = durationCap(request, decision, profile, grantEndsAt, now);
  if ('refusal' in capped) return refuse(capped.refusal, decided);
  const durationBeforeLifetime = Math.min(request.durationSeconds ?? DEFAULT_DURATION_SECONDS, capped.cap);
  const lifetime = lifetimeCap(durationBeforeLifetime, now, now, settings, request.sessionId);
  if (lifetime instanceof SentinelError) return refuse(lifetime, decided);

  const identity = sourceIdentity(caller.user, via, input.ids.requestId);
  const session: IssuancePlan['session'] = refreshing
    ? { kind: 'refresh', id: request.sessionId as string }
    : table === null
      ? null
      : { kind: 'create', record: newSession(input.ids.sessionId, caller, request, profile, identity, now, lifetime, settings) };
  return {
    kind: 'issue',
    facts: {
      ...decided,
      sessionId: session === null ? null : session.kind === 'create' ? session.record.id : session.id,
      sessionTable: table,
      sourceIdentity: identity,
      roleArn: profile.roleArn,
      durationSeconds: lifetime,
    },
    user: caller.user,
    profile: request.profile,
    roleArn: profile.roleArn,
    region: profile.region,
    rule: decision.rule,
    table,
    session,
    sourceIdentity: identity,
    roleSessionName: roleSessionName(caller.user, input.ids.requestId),
    durationBeforeLifetime,
    durationSeconds: lifetime,
  };
}

/** How a grant names itself in `via`, SourceIdentity and the decision line: `apr-<8 hex>` or `bg-<8 hex>`. */
export function grantVia(grant: Pick<Grant, 'kind' | 'id'>): string {
  return `${grant.kind === 'approval' ? 'apr' : 'bg'}-${grant.id.slice(0, 8)}`;
}

/**
 * Whether a grant could change this refusal: a plain deny or `require_approval` of a
 * known profile. Only then are grants read, so an allowed issuance never pays for them,
 * and the server-mode requirements (never lifted) never ask.
 */
export function grantsMayLift(refusal: Refusal): boolean {
  const { effect } = refusal.facts;
  return (effect === 'deny' || effect === 'require_approval') && (refusal.error.code === 'POLICY_DENY' || refusal.error.code === 'APPROVAL_REQUIRED' || refusal.error.code === 'UNKNOWN_PROFILE');
}

/**
 * The override hook of DESIGN.md's issuance order: a plain deny or `require_approval`
 * is lifted by a grant still open at `now` (the one open longest wins); the server-mode
 * requirements never are. Returns the effective decision, its `via` and when the grant ends.
 */
export function applyGrants(decision: Decision, grants: readonly Grant[], now: Date): { decision: Decision; via: string; grantEndsAt?: Date } {
  if (decision.effect === 'allow' || decision.requiresServerMode || decision.requiresSessionTracking) return { decision, via: DIRECT };
  const open = grants.filter((grant) => grant.endsAt.getTime() > now.getTime()).sort((a, b) => b.endsAt.getTime() - a.endsAt.getTime());
  const grant = open[0];
  if (grant === undefined) return { decision, via: DIRECT };
  const via = grantVia(grant);
  const reason = grant.kind === 'approval' ? `approved request ${grant.id}` : `break-glass ${grant.id}`;
  return { decision: { ...decision, effect: 'allow', reason }, via, grantEndsAt: grant.endsAt };
}

/**
 * What the request may get before the session's lifetime: the profile's `max_duration`
 * (default 1 h), in server mode the rule's `max_server_duration` (default 15 m), and
 * what is left of a grant's window. A cap below STS's 900 s floor is a refusal here,
 * never an STS error.
 */
function durationCap(request: CredentialsRequest, decision: Decision, profile: Profile, grantEndsAt: Date | undefined, now: Date): { cap: number } | { refusal: SentinelError } {
  let cap = profile.maxDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (request.mode === 'server') {
    const serverCap = decision.maxServerDurationSeconds ?? DEFAULT_MAX_SERVER_DURATION_SECONDS;
    if (serverCap < STS_MIN_DURATION_SECONDS) {
      const message = `rule "${decision.rule}" caps server-mode credentials at ${serverCap} s, below the 900 s STS minimum: an admin must raise its max_server_duration`;
      return { refusal: new SentinelError('POLICY_DENY', message, { denial: capDenial(request, decision, `max_server_duration ${serverCap}s is below STS's 900 s minimum`) }) };
    }
    cap = Math.min(cap, serverCap);
  }
  if (grantEndsAt !== undefined) {
    const left = Math.floor((grantEndsAt.getTime() - now.getTime()) / 1000);
    if (left < STS_MIN_DURATION_SECONDS) {
      const message = `the access window for profile "${request.profile}" ends in ${left} s, less than the 900 s STS minimum: ask for a new one`;
      return { refusal: new SentinelError('POLICY_DENY', message, { denial: capDenial(request, decision, 'the access window ends in less than 900 s') }) };
    }
    cap = Math.min(cap, left);
  }
  return { cap };
}

function capDenial(request: CredentialsRequest, decision: Decision, reason: string): Denial {
  return {
    effect: 'deny',
    rule: decision.rule,
    reason,
    requiresServerMode: false,
    requiresSessionTracking: false,
    sessionTable: decision.sessionTable,
    mode: request.mode,
    profile: request.profile,
    alternatives: [],
  };
}

/** `duration` capped by what is left of a session that started at `startedAt`; less than STS's minimum ends the session. */
function lifetimeCap(duration: number, startedAt: Date, now: Date, settings: VendingSettings, sessionId: string | undefined): number | SentinelError {
  const left = Math.floor((startedAt.getTime() + settings.maxSessionLifetimeSeconds * 1000 - now.getTime()) / 1000);
  if (left < STS_MIN_DURATION_SECONDS) {
    return new SentinelError('SESSION_EXPIRED', `session ${sessionId ?? ''} has reached its ${settings.maxSessionLifetimeSeconds} s lifetime: start a new session`);
  }
  return Math.min(duration, left);
}

/** A refresh's duration once the refresh write has returned the session (its start caps the lifetime). */
export function refreshDuration(plan: IssuancePlan, session: SessionRecord, now: Date, settings: VendingSettings): number | SentinelError {
  return lifetimeCap(plan.durationBeforeLifetime, new Date(session.createdAt), now, settings, session.id);
}

/**
 * The earliest session start for which a refresh at `now` gets the whole
 * `durationBeforeLifetime`: for any session created then or later, {@link refreshDuration}
 * returns exactly that. A refresh written without reading the session back proves this
 * bound instead (src/sessions/DynamoSessionStore.ts, refreshWith).
 */
export function fullDurationStart(plan: IssuancePlan, now: Date, settings: VendingSettings): string {
  const needed = Math.max(plan.durationBeforeLifetime, STS_MIN_DURATION_SECONDS);
  return new Date(now.getTime() + (needed - settings.maxSessionLifetimeSeconds) * 1000).toISOString();
}

function refuse(error: SentinelError, facts: DecisionFacts): Refusal {
  return { kind: 'refuse', error, facts };
}

function newSession(id: string, caller: Caller, request: CredentialsRequest, profile: Profile, identity: string, now: Date, durationSeconds: number, settings: VendingSettings): SessionRecord {
  const createdAt = now.toISOString();
  const plannedExpiry = new Date(now.getTime() + durationSeconds * 1000);
  return {
    id,
    user: caller.user,
    callerArn: caller.arn,
    accountId: caller.accountId,
    profile: request.profile,
    roleArn: profile.roleArn,
    mode: request.mode,
    status: 'pending',
    sourceIdentity: identity,
    createdAt,
    lastAccessAt: createdAt,
    expiresAt: plannedExpiry.toISOString(),
    requestCount: 1,
    ttl: ttlFor(plannedExpiry, settings),
  };
}

/** Audit evidence outlives the credentials by the retention period. */
export function ttlFor(expiry: Date, settings: VendingSettings): number {
  return Math.floor(expiry.getTime() / 1000) + settings.auditRetentionSeconds;
}
