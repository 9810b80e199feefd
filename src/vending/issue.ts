/**
 * The issuance pipeline (DESIGN.md, Issuance order), fail closed at every step:
 *
 * validate → identity → rate limit → [refresh: one conditional UpdateItem] → load
 * policy (cached) → evaluate → resolve profile → write the session item (conditional
 * put; if it fails nothing is issued) → STS AssumeRole → mark the session issued →
 * one decision log line → response.
 *
 * The input is already schema-valid and the caller already resolved from what AWS
 * verified (the HTTP stack does both); this module holds every decision after that.
 */

import type { CredentialsRequest, CredentialsResponse, ErrorCode } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import { roleSessionName, sourceIdentity } from '../identity/names.js';
import type { Caller } from '../identity/types.js';
import { denialFacts } from '../policy/denial.js';
import { didYouMean } from '../policy/suggest.js';
import type { Decision, Profile } from '../policy/types.js';
import type { SessionRecord, SessionStore } from '../sessions/types.js';
import { denialCode, denialMessage } from './errors.js';
import type { Clock, CredentialIssuer, IssuedCredentials, PolicySource, RateLimiter, SessionTableDirectory } from './ports.js';
import { visibleProfiles } from './profiles.js';
import { checkClientSessionTable, checkSessionTable } from './tables.js';

/** The deployment settings issuance depends on (a slice of SentinelConfig). */
export interface VendingSettings {
  tablePrefix: string;
  defaultSessionTable?: string;
  maxSessionLifetimeSeconds: number;
  auditRetentionSeconds: number;
}

/** One line per credential request, whatever its outcome. Never any credential or token. */
export interface DecisionLine {
  time: string;
  requestId: string;
  user: string;
  callerArn: string;
  accountId: string;
  profile: string;
  mode: string;
  /** `issued`, or the error code the caller got. */
  outcome: 'issued' | ErrorCode;
  effect: Decision['effect'] | null;
  rule: string | null;
  ruleIndex: number | null;
  reason: string | null;
  via: string;
  refresh: boolean;
  sessionId: string | null;
  sessionTable: string | null;
  sourceIdentity: string | null;
  roleArn: string | null;
  durationSeconds: number | null;
  policyVersion: number | null;
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
  /** Whether a client-named session table is provisioned. */
  sessionTables: SessionTableDirectory;
  issuer: CredentialIssuer;
  clock: Clock;
  /** `bytes` random bytes as lowercase hex. */
  randomHex(bytes: number): string;
  decisions: DecisionLog;
}

/** Who asked and under which request id (the API Gateway request id, for the log). */
export interface VendingContext {
  caller: Caller;
  requestId: string;
  /** When the request arrived, for `latencyMs`. */
  receivedAt: Date;
}

/** Credentials last an hour unless the request asks otherwise (as `aws sts assume-role`). */
const DEFAULT_DURATION_SECONDS = 3600;
/** A server-mode rule without `max_server_duration` caps credentials at 15 minutes. */
const DEFAULT_MAX_SERVER_DURATION_SECONDS = 900;
/** STS refuses shorter AssumeRole sessions. */
const STS_MIN_SECONDS = 900;
/** Approvals and break-glass come later; every issuance today is direct. */
const VIA = 'direct';

/**
 * Issues (or, with `sessionId`, refreshes) credentials for one request.
 *
 * Throws `SentinelError`s with the codes of DESIGN.md: `DenialError` for policy
 * refusals (with denial facts), session state codes for refreshes, `UNAVAILABLE` for
 * any dependency failure. Exactly one decision line is recorded either way.
 */
export async function vendCredentials(request: CredentialsRequest, context: VendingContext, deps: VendingDeps): Promise<CredentialsResponse> {
  const line = startLine(request, context);
  try {
    const response = await issue(request, context, deps, line);
    line.outcome = 'issued';
    return response;
  } catch (error) {
    line.outcome = error instanceof SentinelError ? (error.code as ErrorCode) : 'INTERNAL';
    throw error;
  } finally {
    line.latencyMs = Math.max(0, deps.clock.now().getTime() - context.receivedAt.getTime());
    deps.decisions.record(line);
  }
}

async function issue(request: CredentialsRequest, context: VendingContext, deps: VendingDeps, line: DecisionLine): Promise<CredentialsResponse> {
  const { caller } = context;
  const { settings } = deps;
  const now = deps.clock.now();
  const refreshing = request.sessionId !== undefined;
  if (refreshing && request.mode !== 'server') {
    throw new SentinelError('INVALID_REQUEST', 'sessionId refreshes a server-mode session: send it with mode "server"');
  }
  if (request.sessionTable !== undefined) checkSessionTable(request.sessionTable, settings.tablePrefix);

  await deps.rateLimiter.consume(caller.user, now);
  if (request.sessionTable !== undefined) await checkClientSessionTable(request.sessionTable, settings, deps.sessionTables);

  // A refresh first proves, in one conditional write, that the session is still the
  // caller's and still active; a revoke written before it wins, one written after it
  // is caught by markIssued below.
  let refreshed: SessionRecord | undefined;
  const refreshTable = request.sessionTable ?? settings.defaultSessionTable;
  if (request.sessionId !== undefined) {
    if (refreshTable === undefined) {
      throw new SentinelError('INVALID_REQUEST', 'this deployment has no default session table: send the session\'s table as sessionTable');
    }
    refreshed = await deps.sessions.refresh(refreshTable, { id: request.sessionId, user: caller.user, profile: request.profile, now: now.toISOString() });
    line.sessionId = refreshed.id;
    line.sessionTable = refreshTable;
  }

  const loaded = await deps.policies.current(now);
  line.policyVersion = loaded.version;
  const evaluationContext = settings.defaultSessionTable === undefined ? {} : { defaultSessionTable: settings.defaultSessionTable };
  const profiles = loaded.policy.profiles ?? {};
  const profile: Profile | undefined = Object.hasOwn(profiles, request.profile) ? profiles[request.profile] : undefined;
  if (profile === undefined) {
    const known = visibleProfiles(loaded, caller.user, now, evaluationContext).map((entry) => entry.name);
    throw new SentinelError('UNKNOWN_PROFILE', `no profile "${request.profile}" in the policy${didYouMean(request.profile, known)}`);
  }

  const evaluation = { user: caller.user, profile: request.profile, mode: request.mode, time: now, ...(refreshed === undefined ? optionalTable(request.sessionTable) : { sessionTable: refreshTable }) };
  const decision = loaded.compiled.evaluate(evaluation, evaluationContext);
  line.effect = decision.effect;
  line.rule = decision.rule;
  line.ruleIndex = decision.ruleIndex;
  line.reason = decision.reason;
  if (decision.effect !== 'allow') {
    const denial = denialFacts(loaded.policy, evaluation, decision);
    if (denial === undefined) throw new SentinelError('INTERNAL', 'a refusing decision produced no denial facts');
    throw new SentinelError(denialCode(decision), denialMessage(request.profile, decision), { denial });
  }
  line.roleArn = profile.roleArn;

  const table = decision.sessionTable;
  if (refreshed !== undefined && table !== refreshTable) {
    throw new SentinelError('CONFLICT', `the policy now tracks profile "${request.profile}" in table "${table ?? 'none'}", not "${refreshTable}": start a new session`);
  }
  if (table !== null) checkSessionTable(table, settings.tablePrefix);

  const durationSeconds = grantedDuration(request, decision, profile, refreshed, now, settings);
  line.durationSeconds = durationSeconds;

  const requestId = deps.randomHex(4);
  const identity = sourceIdentity(caller.user, VIA, requestId);
  line.sourceIdentity = identity;

  let session: SessionRecord | undefined = refreshed;
  if (session === undefined && table !== null) {
    session = newSession(deps.randomHex(16), caller, request, profile, identity, now, durationSeconds, settings);
    line.sessionId = session.id;
    line.sessionTable = table;
    // Written before STS is called: if this fails, nothing is issued.
    await deps.sessions.create(table, session);
  }

  let credentials: IssuedCredentials;
  try {
    credentials = await deps.issuer.issue({
      roleArn: profile.roleArn,
      roleSessionName: roleSessionName(caller.user, requestId),
      sourceIdentity: identity,
      durationSeconds,
      ...(session === undefined ? {} : { sessionId: session.id }),
    });
  } catch (error) {
    // A new session whose first issuance failed is marked failed. A refresh keeps its
    // session: the credentials issued before are still valid, the next refresh may work.
    if (session !== undefined && refreshed === undefined && table !== null) {
      await deps.sessions.markFailed(table, session.id, deps.clock.now().toISOString()).catch((markError: unknown) => {
        // The session stays `active` until its planned expiry: nothing was issued under it.
        deps.decisions.warn('could not mark the session failed after STS failed', markError);
      });
    }
    throw error;
  }

  const expiresAt = credentials.expiration.toISOString();
  if (session !== undefined && table !== null) {
    // Conditional on the session still being active: if a revoke landed while STS was
    // answering, this throws and the credentials are dropped, never returned.
    await deps.sessions.markIssued(table, session.id, { expiresAt, ttl: ttlFor(credentials.expiration, settings) });
  }

  return {
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: expiresAt,
    },
    session: session === undefined || table === null ? null : { id: session.id, table, expiresAt },
    sourceIdentity: identity,
    profile: request.profile,
    ...(profile.region === undefined ? {} : { region: profile.region }),
    decision: { effect: 'allow', rule: decision.rule },
  };
}

function startLine(request: CredentialsRequest, context: VendingContext): DecisionLine {
  return {
    time: context.receivedAt.toISOString(),
    requestId: context.requestId,
    user: context.caller.user,
    callerArn: context.caller.arn,
    accountId: context.caller.accountId,
    profile: request.profile,
    mode: request.mode,
    outcome: 'INTERNAL',
    effect: null,
    rule: null,
    ruleIndex: null,
    reason: null,
    via: VIA,
    refresh: request.sessionId !== undefined,
    sessionId: request.sessionId ?? null,
    sessionTable: null,
    sourceIdentity: null,
    roleArn: null,
    durationSeconds: null,
    policyVersion: null,
    latencyMs: 0,
  };
}

function optionalTable(table: string | undefined): { sessionTable?: string } {
  return table === undefined ? {} : { sessionTable: table };
}

/**
 * The request's duration (default 1 h), capped by the profile's `max_duration`, in
 * server mode by the rule's `max_server_duration` (default 15 m), and by what is left
 * of the session's hard lifetime. A cap below STS's 900 s floor is a refusal here,
 * never an STS error.
 */
function grantedDuration(
  request: CredentialsRequest,
  decision: Decision,
  profile: Profile,
  refreshed: SessionRecord | undefined,
  now: Date,
  settings: VendingSettings,
): number {
  let cap = profile.maxDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (request.mode === 'server') {
    const serverCap = decision.maxServerDurationSeconds ?? DEFAULT_MAX_SERVER_DURATION_SECONDS;
    if (serverCap < STS_MIN_SECONDS) {
      throw new SentinelError('POLICY_DENY', `rule "${decision.rule}" caps server-mode credentials at ${serverCap} s, below the 900 s STS minimum: an admin must raise its max_server_duration`, { denial: {
        effect: 'deny',
        rule: decision.rule,
        reason: `max_server_duration ${serverCap}s is below STS's 900 s minimum`,
        requiresServerMode: false,
        requiresSessionTracking: false,
        sessionTable: decision.sessionTable,
        mode: request.mode,
        profile: request.profile,
        alternatives: [],
      } });
    }
    cap = Math.min(cap, serverCap);
  }
  const startedAt = refreshed === undefined ? now.getTime() : Date.parse(refreshed.createdAt);
  const lifetimeLeft = Math.floor((startedAt + settings.maxSessionLifetimeSeconds * 1000 - now.getTime()) / 1000);
  if (lifetimeLeft < STS_MIN_SECONDS) {
    throw new SentinelError('SESSION_EXPIRED', `session ${refreshed?.id ?? ''} has reached its ${settings.maxSessionLifetimeSeconds} s lifetime: start a new session`);
  }
  cap = Math.min(cap, lifetimeLeft);
  return Math.min(request.durationSeconds ?? DEFAULT_DURATION_SECONDS, cap);
}

function newSession(
  id: string,
  caller: Caller,
  request: CredentialsRequest,
  profile: Profile,
  identity: string,
  now: Date,
  durationSeconds: number,
  settings: VendingSettings,
): SessionRecord {
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
    status: 'active',
    sourceIdentity: identity,
    createdAt,
    lastAccessAt: createdAt,
    expiresAt: plannedExpiry.toISOString(),
    requestCount: 1,
    ttl: ttlFor(plannedExpiry, settings),
  };
}

/** Audit evidence outlives the credentials by the retention period. */
function ttlFor(expiry: Date, settings: VendingSettings): number {
  return Math.floor(expiry.getTime() / 1000) + settings.auditRetentionSeconds;
}
