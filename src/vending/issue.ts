/**
 * The issuance pipeline (DESIGN.md, Issuance order), fail closed at every step:
 *
 * validate → load policy (cached) → plan (pure: evaluate, overrides, profile, table,
 * duration, names; src/vending/plan.ts) → count the request (rate limit) → [refresh: one
 * conditional UpdateItem] or [new session: conditional put; if it fails nothing is
 * issued] → STS AssumeRole → mark the session issued → one decision log line → response.
 *
 * Every request is counted before anything else is read or written for it, and a
 * request over the limit is refused as before any decision. Where the plan writes a
 * session, the count goes in the same round trip as the session write
 * (CountedSessionWrites: one TransactWriteItems); when that cannot be done, the two are
 * written apart, as they always were. So an allowed issuance costs two DynamoDB round
 * trips (the write before STS, the mark after), and a refusal one (the count).
 *
 * A refusal the plan makes writes nothing but the count: a refresh the policy now
 * refuses does not touch its session. The input is already schema-valid and the caller
 * already resolved from what AWS verified (the HTTP stack does both).
 */

import type { CredentialsRequest, CredentialsResponse, ErrorCode } from '../api/contract.js';
import type { Clock } from '../clock.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import type { PolicySource } from '../policy/source.js';
import { checkClientSessionTable, checkSessionTable } from '../sessions/tables.js';
import type { SessionTableDirectory } from '../sessions/tables.js';
import type { SessionStore } from '../sessions/types.js';
import { fullDurationStart, grantsMayLift, noFacts, planIssuance, refreshDuration, ttlFor } from './plan.js';
import type { DecisionFacts, IssuancePlan, VendingSettings } from './plan.js';
import type { CountedSessionWrites, CredentialIssuer, GrantSource, IssuedCredentials, RateLimiter } from './ports.js';

export type { VendingSettings } from './plan.js';

/** One line per credential request, whatever its outcome. Never any credential or token. */
export interface DecisionLine extends DecisionFacts {
  time: string;
  requestId: string;
  user: string;
  callerArn: string;
  accountId: string;
  profile: string;
  mode: string;
  /** `issued`, or the error code the caller got. */
  outcome: 'issued' | ErrorCode;
  refresh: boolean;
  latencyMs: number;
}

export interface DecisionLog {
  record(line: DecisionLine): void;
  /** A secondary failure that must not hide the first one (its detail goes only to the log). */
  warn(message: string, error: unknown): void;
}

export interface VendingDeps {
  settings: VendingSettings;
  sessions: SessionStore;
  policies: PolicySource;
  rateLimiter: RateLimiter;
  /** The session write with the request's count in one round trip; absent, they are always written apart. */
  counted?: CountedSessionWrites;
  /** Whether a client-named session table is provisioned. */
  sessionTables: SessionTableDirectory;
  issuer: CredentialIssuer;
  clock: Clock;
  /** `bytes` random bytes as lowercase hex. */
  randomHex(bytes: number): string;
  decisions: DecisionLog;
  /** Approved requests and active break-glass events; absent, nothing lifts a refusal. */
  grants?: GrantSource;
}

/** Who asked and under which request id (the API Gateway request id, for the log). */
export interface VendingContext {
  caller: Caller;
  requestId: string;
  /** When the request arrived, for `latencyMs`. */
  receivedAt: Date;
}

/**
 * Issues (or, with `sessionId`, refreshes) credentials for one request.
 *
 * Throws `SentinelError`s with the codes of DESIGN.md: policy refusals with denial
 * facts, session state codes for refreshes, `UNAVAILABLE` for any dependency failure.
 * Exactly one decision line is recorded either way, built from the plan and the outcome.
 */
export async function vendCredentials(request: CredentialsRequest, context: VendingContext, deps: VendingDeps): Promise<CredentialsResponse> {
  let facts = noFacts(request);
  let outcome: DecisionLine['outcome'] = 'INTERNAL';
  try {
    const { plan, counted, now } = await decide(request, context, deps);
    facts = plan.facts;
    if (plan.kind === 'refuse') throw plan.error;
    const durationSeconds = await writeSession(plan, counted, now, context.caller, deps);
    facts = { ...plan.facts, durationSeconds };
    const response = await issue(plan, durationSeconds, deps);
    outcome = 'issued';
    return response;
  } catch (error) {
    outcome = error instanceof SentinelError ? error.code : 'INTERNAL';
    throw error;
  } finally {
    deps.decisions.record(decisionLine(request, context, facts, outcome, deps.clock.now()));
  }
}

/**
 * Checks what needs no policy, loads the policy and plans. Writes nothing, except for a
 * refusal: that is counted here (a caller over the limit hears so rather than the
 * refusal), before any grant that might lift it is read.
 */
async function decide(
  request: CredentialsRequest,
  context: VendingContext,
  deps: VendingDeps,
): Promise<{ plan: ReturnType<typeof planIssuance>; counted: boolean; now: Date }> {
  const { settings } = deps;
  const now = deps.clock.now();
  if (request.sessionId !== undefined && request.mode !== 'server') {
    throw new SentinelError('INVALID_REQUEST', 'sessionId refreshes a server-mode session: send it with mode "server"');
  }
  if (request.sessionId !== undefined && request.sessionTable === undefined && settings.defaultSessionTable === undefined) {
    throw new SentinelError('INVALID_REQUEST', "this deployment has no default session table: send the session's table as sessionTable");
  }
  if (request.sessionTable !== undefined) {
    checkSessionTable(request.sessionTable, settings.tablePrefix);
    await checkClientSessionTable(request.sessionTable, settings, deps.sessionTables);
  }
  const loaded = await deps.policies.current(now);
  const input = { request, caller: context.caller, loaded, now, settings, ids: { requestId: deps.randomHex(4), sessionId: deps.randomHex(16) } };
  const plan = planIssuance(input);
  if (plan.kind === 'issue') return { plan, counted: false, now };
  await deps.rateLimiter.consume(context.caller.principal, now);
  if (deps.grants === undefined || !grantsMayLift(plan)) return { plan, counted: true, now };
  // Refused, but an approved request or a break-glass event may open the profile: read them (fails closed).
  const grants = await deps.grants.grantsFor({ user: context.caller.user, profile: request.profile, now });
  return { plan: grants.length === 0 ? plan : planIssuance({ ...input, grants }), counted: true, now };
}

/**
 * The plan's session write, before STS is called, with the request's count unless it is
 * `counted` already: a new session is put (conditional; if it fails nothing is issued);
 * a refresh is one conditional update proving the session is still the caller's and
 * still active (a revoke written before it wins, one written after it is caught by
 * markIssued). Returns the duration to ask STS for.
 */
async function writeSession(plan: IssuancePlan, counted: boolean, now: Date, caller: Caller, deps: VendingDeps): Promise<number> {
  const { table, session } = plan;
  const { principal } = caller;
  const together = counted ? undefined : deps.counted;
  if (session === null || table === null) {
    if (!counted) await deps.rateLimiter.consume(principal, now);
    return plan.durationSeconds;
  }
  if (session.kind === 'create') {
    if (together !== undefined && (await together.create(table, session.record, principal, now))) return plan.durationSeconds;
    if (!counted) await deps.rateLimiter.consume(principal, now);
    await deps.sessions.create(table, session.record);
    return plan.durationSeconds;
  }
  const refresh = { id: session.id, user: caller.user, profile: plan.profile, now: now.toISOString() };
  if (together !== undefined) {
    // Written without reading the session back: the write proves the session started late enough for the whole duration.
    const createdFrom = fullDurationStart(plan, now, deps.settings);
    if (await together.refresh(table, { ...refresh, createdFrom }, principal, now)) return plan.durationBeforeLifetime;
  }
  if (!counted) await deps.rateLimiter.consume(principal, now);
  const refreshed = await deps.sessions.refresh(table, refresh);
  const duration = refreshDuration(plan, refreshed, now, deps.settings);
  if (duration instanceof SentinelError) throw duration;
  return duration;
}

/** STS, then the conditional mark-issued update; the response. */
async function issue(plan: IssuancePlan, durationSeconds: number, deps: VendingDeps): Promise<CredentialsResponse> {
  const { table, session } = plan;
  const sessionId = session === null ? undefined : session.kind === 'create' ? session.record.id : session.id;
  let credentials: IssuedCredentials;
  try {
    credentials = await deps.issuer.issue({
      roleArn: plan.roleArn,
      roleSessionName: plan.roleSessionName,
      sourceIdentity: plan.sourceIdentity,
      durationSeconds,
      ...(sessionId === undefined ? {} : { sessionId }),
    });
  } catch (error) {
    // A new session whose first issuance failed is marked failed. A refresh keeps its
    // session: the credentials issued before are still valid, the next refresh may work.
    if (session?.kind === 'create' && table !== null) {
      await deps.sessions.markFailed(table, session.record.id, deps.clock.now().toISOString()).catch((markError: unknown) => {
        // The session stays `pending`, never refreshable, and reads as `failed` after its planned expiry.
        deps.decisions.warn('could not mark the session failed after STS failed', markError);
      });
    }
    throw error;
  }

  const expiresAt = credentials.expiration.toISOString();
  if (sessionId !== undefined && table !== null) {
    // Conditional on the session still being active: if a revoke landed while STS was
    // answering, this throws and the credentials are dropped, never returned.
    await deps.sessions.markIssued(table, sessionId, { user: plan.user, expiresAt, ttl: ttlFor(credentials.expiration, deps.settings) });
  }
  return {
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, expiration: expiresAt },
    session: sessionId === undefined || table === null ? null : { id: sessionId, table, expiresAt },
    sourceIdentity: plan.sourceIdentity,
    profile: plan.profile,
    ...(plan.region === undefined ? {} : { region: plan.region }),
    decision: { effect: 'allow', rule: plan.rule },
  };
}

/** The one line a request leaves in the log. */
function decisionLine(request: CredentialsRequest, context: VendingContext, facts: DecisionFacts, outcome: DecisionLine['outcome'], finishedAt: Date): DecisionLine {
  return {
    time: context.receivedAt.toISOString(),
    requestId: context.requestId,
    user: context.caller.user,
    callerArn: context.caller.arn,
    accountId: context.caller.accountId,
    profile: request.profile,
    mode: request.mode,
    outcome,
    refresh: request.sessionId !== undefined,
    ...facts,
    latencyMs: Math.max(0, finishedAt.getTime() - context.receivedAt.getTime()),
  };
}
