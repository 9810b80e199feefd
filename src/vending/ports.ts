/**
 * The ports the issuance pipeline depends on, named after the business thing.
 * Adapters: StsCredentialIssuer (here), DevCredentialIssuer (src/local),
 * DynamoRateLimiter (here). The session ports are in src/sessions.
 */

import type { SessionRecord } from '../sessions/types.js';
import type { Grant } from './plan.js';

export interface IssueInput {
  roleArn: string;
  roleSessionName: string;
  sourceIdentity: string;
  durationSeconds: number;
  /** Session tag `SentinelSessionID` (transitive) when the issuance has a session record. */
  sessionId?: string;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * Mints credentials for a role. Failures are `SentinelError`s with stable codes
 * (`UNAVAILABLE` for anything AWS refused or failed); the AWS detail only in `cause`.
 */
export interface CredentialIssuer {
  readonly kind: 'sts' | 'dev';
  issue(input: IssueInput): Promise<IssuedCredentials>;
}

/**
 * Counts credential requests per principal; throws `SentinelError('RATE_LIMITED')` (with
 * `retryAfterSeconds`) over the limit.
 */
export interface RateLimiter {
  /**
   * @param principal the principal AWS fixed (`Caller.principal`: an IAM user, a role —
   *   never a session name, which its caller picks — or a person), so fresh session names
   *   do not buy fresh limits.
   */
  consume(principal: string, now: Date): Promise<void>;
}

/**
 * What can lift a refusal for one user and profile (DESIGN.md, Approvals and
 * break-glass): approved access requests whose window is open, and active break-glass
 * events. Asked only when the policy refuses (the hot path of an allowed issuance never
 * reads it); a failure is a dependency failure and fails closed (nothing is issued).
 */
export interface GrantSource {
  grantsFor(request: { user: string; profile: string; now: Date }): Promise<Grant[]>;
}

/**
 * The session write before STS with the request's count in the same round trip
 * (DynamoDB: one TransactWriteItems). Each answers false when it did not write
 * (nothing was written and nothing counted: a condition failed, the write met another,
 * or the limiter does not know enough to prove the request within the limit); the
 * pipeline then counts with {@link RateLimiter.consume} and writes with the session
 * store apart, which also explains any refusal. Other failures throw, as the session
 * store's do.
 */
export interface CountedSessionWrites {
  /** The session store's `create` and the count of `principal`'s request. */
  create(table: string, session: SessionRecord, principal: string, now: Date): Promise<boolean>;
  /** The session store's `refresh` on a session created at `createdFrom` or later, and the count. */
  refresh(table: string, request: { id: string; user: string; profile: string; now: string; createdFrom: string }, principal: string, now: Date): Promise<boolean>;
}
