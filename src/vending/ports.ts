/**
 * The ports the issuance pipeline depends on, named after the business thing.
 * Adapters: StsCredentialIssuer (here), DevCredentialIssuer (src/local),
 * DynamoRateLimiter (here), DynamoPolicyStore + CachedPolicySource (src/policyStore).
 */

import type { CompiledPolicy } from '../policy/compile.js';
import type { Policy } from '../policy/types.js';

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

/** Counts a user's credential requests; throws `RetryableError('RATE_LIMITED')` over the limit. */
export interface RateLimiter {
  consume(user: string, now: Date): Promise<void>;
}

/** The current policy, parsed and compiled, with its store version (0 = none stored). */
export interface LoadedPolicy {
  policy: Policy;
  compiled: CompiledPolicy;
  version: number;
}

/** Where the vending pipeline gets the policy (cached ≤ SENTINEL_POLICY_TTL). */
export interface PolicySource {
  current(now: Date): Promise<LoadedPolicy>;
}

/** Injected time and randomness, so tests are deterministic. */
export interface Clock {
  now(): Date;
}

/** Which client-named tables are provisioned sessions tables (the provisioning registry). */
export interface SessionTableDirectory {
  isSessionsTable(table: string): Promise<boolean>;
}
