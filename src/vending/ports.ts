/**
 * The ports the issuance pipeline depends on, named after the business thing.
 * Adapters: StsCredentialIssuer (here), DevCredentialIssuer (src/local),
 * DynamoRateLimiter (here). The session ports are in src/sessions.
 */

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
