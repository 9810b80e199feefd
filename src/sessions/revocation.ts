/**
 * The AWS side of revocation (DESIGN.md, Revocation; docs/revocation.md): the port
 * {@link RoleRevoker} and the pure logic of the Sentinel-owned inline policy
 * `SentinelRevokedSessions` that a profile's role carries.
 *
 * The document has exactly one statement: Deny `*` on `*` when the request's
 * `aws:PrincipalTag/SentinelSessionID` (the transitive session tag
 * src/vending/StsCredentialIssuer.ts sets) equals one of the revoked session ids. An
 * explicit Deny in an identity policy wins over every Allow, so credentials already
 * handed out stop working once IAM has propagated the change; sessions without the tag
 * (or with another id) are untouched, since `StringEquals` on a missing key is false.
 *
 * Where each entry's expiry lives: not in the policy. An IAM policy has no place for
 * metadata that cannot grant or change anything (a second statement, a Sid or a
 * condition carrying dates would be policy, not bookkeeping, and a mistake there could
 * widen or narrow the deny). The session record already holds `expires_at`, the end of
 * the session's last credentials, so the policy lists ids only and pruning takes from
 * the caller the ids known to have expired ({@link pruneRevocations}): an id the caller
 * does not know about (one a concurrent revocation has just added) is kept. The list
 * keeps insertion order, oldest first.
 *
 * Budget: IAM allows a role 10,240 characters of inline policy in all, whitespace not
 * counted. With a minified document and nothing else inline on the role, one statement
 * holds {@link REVOCATION_CAPACITY} = 287 session ids of 32 hex digits (measured in
 * test/unit/sessions/revocation.test.ts). A revocation that would not fit is refused
 * with {@link RevocationPolicyFullError} (code `UNAVAILABLE`: the closed ErrorCode union
 * has no better code, and the message names the limit); the caller must log an alert
 * line. No entry is ever dropped to make room.
 *
 * Pure: no AWS SDK; src/aws/IamRoleRevoker.ts carries it out against IAM.
 */

import { SESSION_ID } from '../api/constants.js';
import { SentinelError, UnavailableError } from '../errors.js';

/** The inline policy's name on every target role; Sentinel owns it and nothing else writes it. */
export const REVOCATION_POLICY_NAME = 'SentinelRevokedSessions';

/** The condition key the deny matches: the session tag set on every server-mode session. */
export const REVOCATION_CONDITION_KEY = 'aws:PrincipalTag/SentinelSessionID';

/** IAM's limit on all of a role's inline policies together, in characters excluding whitespace. */
export const INLINE_POLICY_BUDGET = 10_240;

/**
 * How many 32-hex session ids one document holds within {@link INLINE_POLICY_BUDGET}
 * when the role has no other inline policy (measured by the unit test, which fails if
 * the document's shape changes this number).
 */
export const REVOCATION_CAPACITY = 287;

/**
 * A full policy will not empty itself within seconds: the sweep prunes every few
 * minutes, so a caller should not come back sooner than a minute.
 */
const FULL_RETRY_AFTER_SECONDS = 60;

/** What {@link RoleRevoker.deny} did. */
export interface DenyOutcome {
  /**
   * `denied`: every id given is now in the role's policy. `role-missing`: IAM has no
   * such role; sessions of a deleted role no longer work at all (a role recreated under
   * the same name has a new unique id, which the old sessions do not carry).
   */
  status: 'denied' | 'role-missing';
  /** Ids this call put in the policy (the others were there already). */
  added: readonly string[];
  /** How many ids the policy holds now. */
  entries: number;
}

/** What {@link RoleRevoker.prune} did. */
export interface PruneOutcome {
  /** Ids taken out of the policy. */
  removed: readonly string[];
  /** How many ids remain; 0 means the policy was deleted (or never existed). */
  entries: number;
}

/**
 * The port: keeps a role's `SentinelRevokedSessions` policy. A fake is a map from role
 * ARN to a list of ids.
 */
export interface RoleRevoker {
  /**
   * Adds `sessionIds` to the deny list of `roleArn`'s policy, creating the policy if
   * needed. Idempotent: ids already present are left as they are. All or nothing.
   *
   * @throws RevocationPolicyFullError when the ids would not fit (alert-worthy);
   *   UnavailableError when IAM fails (the AWS side is then pending for the sweep).
   */
  deny(roleArn: string, sessionIds: readonly string[]): Promise<DenyOutcome>;

  /**
   * Removes the ids in `expired` (revoked sessions whose last credentials have expired,
   * so their deny protects nothing any more), deleting the policy when none is left.
   * Every other id stays, known or not: pruning can only ever lift a deny that is no
   * longer needed, never one a concurrent revocation has just written.
   */
  prune(roleArn: string, expired: ReadonlySet<string>): Promise<PruneOutcome>;
}

/** The revocation policy has no room left: `UNAVAILABLE`, and an alert for the operator. */
export class RevocationPolicyFullError extends UnavailableError {
  /** The ids the document would have held. */
  readonly entries: number;
  /** Its size in characters, whitespace excluded. */
  readonly characters: number;

  constructor(message: string, details: { entries: number; characters: number; cause?: unknown }) {
    super(message, { retryAfterSeconds: FULL_RETRY_AFTER_SECONDS, ...(details.cause === undefined ? {} : { cause: details.cause }) });
    this.entries = details.entries;
    this.characters = details.characters;
  }
}

/**
 * The policy document for `ids` (at least one), minified as IAM stores it. One
 * statement, explained field by field:
 *
 * - `Effect: Deny`, `Action: *`, `Resource: *`: everything, everywhere; an explicit
 *   Deny overrides any Allow of the role, its boundary or a session policy.
 * - `StringEquals` with a list: true when the request's principal carries the
 *   `SentinelSessionID` tag with any of these values (a list is an OR); a session
 *   without the tag never matches, so only revoked sessions are affected.
 */
export function revocationPolicy(ids: readonly string[]): string {
  if (ids.length === 0) throw new SentinelError('INTERNAL', 'an empty revocation list has no policy: delete it instead');
  for (const id of ids) checkId(id);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: REVOCATION_POLICY_NAME,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { [REVOCATION_CONDITION_KEY]: [...ids] } },
      },
    ],
  });
}

/** Characters of `document` as IAM counts them against its size limits: whitespace excluded. */
export function policyCharacters(document: string): number {
  return document.replace(/\s/g, '').length;
}

/**
 * The ids in a stored revocation policy (`undefined`: there is none), oldest first.
 * Accepts only the shape {@link revocationPolicy} writes, with a single value as a
 * string as well: a document changed by someone else is refused rather than
 * overwritten, since rewriting it could lift a deny or keep an Allow someone slipped in.
 */
export function parseRevocationPolicy(document: string | undefined): string[] {
  if (document === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch (error) {
    throw tampered(error);
  }
  const statements = field(parsed, 'Statement');
  if (field(parsed, 'Version') !== '2012-10-17' || !Array.isArray(statements) || statements.length !== 1) throw tampered();
  const [statement] = statements as unknown[];
  const condition = field(statement, 'Condition');
  const ownKeys = (value: unknown, keys: string[]) => typeof value === 'object' && value !== null && Object.keys(value).sort().join() === keys.sort().join();
  const shapeHolds =
    ownKeys(statement, ['Sid', 'Effect', 'Action', 'Resource', 'Condition']) &&
    field(statement, 'Sid') === REVOCATION_POLICY_NAME &&
    field(statement, 'Effect') === 'Deny' &&
    field(statement, 'Action') === '*' &&
    field(statement, 'Resource') === '*' &&
    ownKeys(condition, ['StringEquals']) &&
    ownKeys(field(condition, 'StringEquals'), [REVOCATION_CONDITION_KEY]);
  if (!shapeHolds) throw tampered();
  const values = field(field(condition, 'StringEquals'), REVOCATION_CONDITION_KEY);
  const ids = typeof values === 'string' ? [values] : values;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string' && SESSION_ID.test(id))) throw tampered();
  return [...new Set(ids)];
}

/**
 * `current` with `ids` appended (those not yet present, in the order given): the new
 * list. Idempotent.
 *
 * @param budget characters the document may use: {@link INLINE_POLICY_BUDGET} less what
 *   the role's other inline policies use.
 * @throws RevocationPolicyFullError when the document would exceed `budget`; nothing is
 *   dropped to make room (prune first).
 */
export function addRevocation(current: readonly string[], ids: string | readonly string[], budget: number = INLINE_POLICY_BUDGET): string[] {
  const next = [...current];
  for (const id of typeof ids === 'string' ? [ids] : ids) {
    checkId(id);
    if (!next.includes(id)) next.push(id);
  }
  const characters = policyCharacters(revocationPolicy(next));
  if (characters > budget) {
    throw new RevocationPolicyFullError(
      `the revocation policy ${REVOCATION_POLICY_NAME} is full: a role's inline policies may hold ${INLINE_POLICY_BUDGET.toLocaleString('en-US')} characters in all (about ${REVOCATION_CAPACITY} session ids); the AWS-side deny stays pending until expired entries are pruned`,
      { entries: next.length, characters },
    );
  }
  return next;
}

/**
 * Splits `current` into the ids to keep (those not in `expired`, order kept) and those
 * to remove. Only the caller knows expiries (the session records' `expires_at`).
 */
export function pruneRevocations(current: readonly string[], expired: ReadonlySet<string>): { kept: string[]; removed: string[] } {
  return { kept: current.filter((id) => !expired.has(id)), removed: current.filter((id) => expired.has(id)) };
}

function checkId(id: string): void {
  // Anything else in the list would be a bug upstream, and could never match a session tag.
  if (!SESSION_ID.test(id)) throw new SentinelError('INTERNAL', 'a revocation entry must be a session id (32 hex digits)');
}

function tampered(cause?: unknown): UnavailableError {
  return new UnavailableError(`the role's ${REVOCATION_POLICY_NAME} policy was changed outside Sentinel; an administrator must restore or delete it`, {
    retryAfterSeconds: 30,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** One property of a parsed JSON value of unknown shape. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}
