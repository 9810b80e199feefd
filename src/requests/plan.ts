/**
 * The decision half of making an access request (STYLE.md 16): from the request, the
 * caller and the policy, a pure function decides whether the request may be made and
 * returns the record to write, or throws the refusal. src/requests/manage.ts writes it.
 *
 * A request is refused when it could never matter:
 *
 * - the profile does not exist, or the caller may not know it exists (no mode would do
 *   anything for them, and no approval entry lists it): `UNKNOWN_PROFILE`, as everywhere;
 * - the caller can already get the profile: `INVALID_REQUEST` naming the command that
 *   works (before the next refusal: that command is what they need);
 * - no approval entry lists the profile, so nobody could approve it: `INVALID_REQUEST`;
 * - every refusal the caller meets is a server-mode requirement (`require_server`,
 *   `require_server_session`), which no approval lifts (DESIGN.md): `INVALID_REQUEST`
 *   naming the `exec --server` command that works;
 * - the approvers other than the requester are fewer than `min_approvals`: it could never be approved.
 */

import type { CreateRequestRequest } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import { formatDuration } from '../policy/duration.js';
import { isVisibleProfile, unknownProfile } from '../policy/profiles.js';
import type { LoadedPolicy } from '../policy/source.js';
import type { Decision, EvaluationContext, Mode } from '../policy/types.js';
import { MODES } from '../policy/types.js';
import { approvalTerms, autoApproval } from './rules.js';
import { REQUEST_LIFETIME_SECONDS, type AccessRequestRecord } from './types.js';

export interface RequestPlanInput {
  request: CreateRequestRequest;
  caller: Caller;
  loaded: LoadedPolicy;
  now: Date;
  /** The new request's id (32 hex), drawn by the caller. */
  id: string;
  settings: { defaultSessionTable?: string; auditRetentionSeconds: number };
}

/** The record of a new request: `pending`, or `approved` at once by an `auto_approve` entry. */
export function planRequest(input: RequestPlanInput): AccessRequestRecord {
  const { request, caller, loaded, now } = input;
  const user = caller.user;
  const context: EvaluationContext = input.settings.defaultSessionTable === undefined ? {} : { defaultSessionTable: input.settings.defaultSessionTable };
  const profiles = loaded.policy.profiles ?? {};
  if (!Object.hasOwn(profiles, request.profile)) throw unknownProfile(loaded, user, request.profile, now, context);
  const terms = approvalTerms(loaded.policy, request.profile);
  if (terms === undefined) {
    // A profile an approval entry lists may be asked for by anyone; any other stays hidden from those who may not see it.
    if (!isVisibleProfile(loaded, user, request.profile, now, context)) throw unknownProfile(loaded, user, request.profile, now, context);
    // No request could be approved; if something already works, that is the answer.
    const working = workingAccess(decisions(loaded, user, request.profile, now, context), request.profile);
    if (working !== undefined) throw working;
    throw new SentinelError('INVALID_REQUEST', `no approval rule covers profile "${request.profile}", so nobody could approve a request for it; ask an admin`);
  }
  refusePointless(loaded, user, request.profile, now, context);

  const durationSeconds = request.durationSeconds ?? terms.maxDurationSeconds;
  if (durationSeconds > terms.maxDurationSeconds) {
    throw new SentinelError(
      'INVALID_REQUEST',
      `durationSeconds: at most ${terms.maxDurationSeconds} (${formatDuration(terms.maxDurationSeconds)}) for profile "${request.profile}" (approval rule ${ruleNames(terms.rules)})`,
    );
  }
  const auto = autoApproval(terms, user, durationSeconds);
  if (auto === undefined) {
    const others = [...terms.approvers].filter((approver) => approver !== user).length;
    if (others < terms.minApprovals) {
      throw new SentinelError(
        'INVALID_REQUEST',
        `a request of "${user}" for profile "${request.profile}" needs ${terms.minApprovals} distinct approvers other than the requester, but approval rule ${ruleNames(terms.rules)} names only ${others}: it could never be approved; ask an admin`,
      );
    }
  }

  const createdAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + REQUEST_LIFETIME_SECONDS * 1000).toISOString();
  const windowEndsAt = auto === undefined ? undefined : new Date(now.getTime() + durationSeconds * 1000).toISOString();
  const record: AccessRequestRecord = {
    id: input.id,
    requester: user,
    requesterPrincipal: caller.principal,
    profile: request.profile,
    justification: request.justification,
    durationSeconds,
    status: auto === undefined ? 'pending' : 'approved',
    createdAt,
    expiresAt,
    minApprovals: terms.minApprovals,
    approvals: [],
    ttl: requestTtl(expiresAt, windowEndsAt, input.settings.auditRetentionSeconds),
  };
  if (auto !== undefined && windowEndsAt !== undefined) Object.assign(record, { decidedAt: createdAt, windowEndsAt, autoApproved: auto });
  return record;
}

/**
 * `ttl` of a request: the later of its expiry and its window's end, plus the audit
 * retention, so the evidence outlives any credentials issued under it.
 */
export function requestTtl(expiresAt: string, windowEndsAt: string | undefined, retentionSeconds: number): number {
  const end = Math.max(Date.parse(expiresAt), windowEndsAt === undefined ? 0 : Date.parse(windowEndsAt));
  return Math.floor(end / 1000) + retentionSeconds;
}

/** The decisions of every mode for `user` and `profile` now. */
function decisions(loaded: LoadedPolicy, user: string, profile: string, now: Date, context: EvaluationContext): Record<Mode, Decision> {
  const out = {} as Record<Mode, Decision>;
  for (const mode of MODES) out[mode] = loaded.compiled.evaluate({ user, profile, mode, time: now }, context);
  return out;
}

/**
 * Refuses a request no approval could make useful: some mode's refusal must be one an
 * approved request lifts (a plain deny or `require_approval`, DESIGN.md, Issuance order).
 */
function refusePointless(loaded: LoadedPolicy, user: string, profile: string, now: Date, context: EvaluationContext): void {
  const byMode = decisions(loaded, user, profile, now, context);
  if (MODES.some((mode) => liftable(byMode[mode]))) return;
  const working = workingAccess(byMode, profile);
  if (working !== undefined) throw working;
}

/** A refusal an approved request lifts: a plain deny or `require_approval`, not a server-mode requirement. */
function liftable(decision: Decision): boolean {
  return decision.effect !== 'allow' && !decision.requiresServerMode && !decision.requiresSessionTracking;
}

/**
 * The refusal naming what already works for the caller: a mode the policy allows
 * (`exec`, then `exec --server`, then `credentials`), or, when every mode is refused
 * only for a server-mode requirement, the `exec --server` that meets it; undefined when
 * neither holds (some mode is refused outright and none is allowed).
 */
function workingAccess(byMode: Record<Mode, Decision>, profile: string): SentinelError | undefined {
  if (byMode.cli.effect === 'allow') return alreadyAllowed(profile, byMode.cli, `sentinel exec --profile ${profile} -- <cmd>`);
  if (byMode.server.effect === 'allow') return alreadyAllowed(profile, byMode.server, `sentinel exec --server --profile ${profile} -- <cmd>`);
  if (byMode.credential_process.effect === 'allow') return alreadyAllowed(profile, byMode.credential_process, `sentinel credentials --profile ${profile}`);
  if (MODES.some((mode) => liftable(byMode[mode]))) return undefined;
  // Every mode is refused for a server-mode requirement: say what the server-mode refusal asks for.
  const server = byMode.server;
  const tracking = server.requiresSessionTracking || byMode.cli.requiresSessionTracking;
  const rule = server.rule === '' ? byMode.cli.rule : server.rule;
  const command = tracking ? `sentinel exec --server --session-table <table> --profile ${profile} -- <cmd>` : `sentinel exec --server --profile ${profile} -- <cmd>`;
  return new SentinelError(
    'INVALID_REQUEST',
    `profile "${profile}" is refused only for a server-mode requirement (rule "${rule}": ${tracking ? 'server mode with session tracking' : 'server mode'}), which no access request can lift; use: ${command}`,
  );
}

function alreadyAllowed(profile: string, decision: Decision, command: string): SentinelError {
  return new SentinelError('INVALID_REQUEST', `you can already get profile "${profile}" (rule "${decision.rule}" allows it): no request is needed; use: ${command}`);
}

function ruleNames(rules: ReadonlyArray<{ name: string }>): string {
  return rules.map((rule) => `"${rule.name}"`).join(', ');
}
