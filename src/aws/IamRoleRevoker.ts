/**
 * The {@link RoleRevoker} on IAM: keeps the `SentinelRevokedSessions` inline policy of
 * a profile's role with GetRolePolicy → change → PutRolePolicy, and DeleteRolePolicy
 * once no entry is left (the document logic is src/sessions/revocation.ts).
 *
 * Concurrency: IAM has no conditional PutRolePolicy, so two revocations on one role at
 * once can each read the old list and the later write drops the earlier one's id. After
 * writing, {@link IamRoleRevoker.deny} reads the policy again and writes again until
 * every id it was given is there, at most `maxWrites` times. The residual race: a
 * writer whose re-read lands before a competing write still reports success when that
 * competing write then removes its id (and IAM's reads are eventually consistent, so a
 * re-read may even show a write that a later one replaces). The scheduled sweep closes
 * it: it calls `deny` for every revoked, unexpired session of the role, which restores
 * any lost id without a write when nothing was lost.
 *
 * Roles of other accounts are changed through that account's revoker role
 * ({@link REVOKER_ROLE_NAME}); {@link iamClientsByAccount} builds the client for each.
 */

import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand, type IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { SentinelError, UnavailableError } from '../errors.js';
import {
  addRevocation,
  INLINE_POLICY_BUDGET,
  parseRevocationPolicy,
  policyCharacters,
  pruneRevocations,
  RevocationPolicyFullError,
  REVOCATION_POLICY_NAME,
  revocationPolicy,
  type DenyOutcome,
  type PruneOutcome,
  type RoleRevoker,
} from '../sessions/revocation.js';
import { REVOKER_ROLE_NAME, revokerRoleArn } from '../deploy/names.js';
import { createIamClient, iamFailure } from './iam.js';

/**
 * The role Sentinel assumes in every other account to change revocation policies there:
 * `arn:<partition>:iam::<account>:role/sentinel-revoker`, trusting the deployment's
 * function role and allowed only iam:GetRolePolicy, iam:PutRolePolicy and
 * iam:DeleteRolePolicy on `sentinel-*` roles for the policy name `SentinelRevokedSessions`.
 */
export { REVOKER_ROLE_NAME };

/** The IAM client that may change roles of `accountId`. */
export type IamClientForAccount = (accountId: string) => IAMClient;

/** Credentials of a role to assume; the default is `fromTemporaryCredentials` (STS AssumeRole). */
export type AssumedCredentials = (roleArn: string) => NonNullable<IAMClientConfig['credentials']>;

/** Writes per `deny` call when competing writes keep removing its ids. */
const DEFAULT_MAX_WRITES = 3;
/** IAM propagates a write within about a second; a short wait makes the re-read more likely to see it. */
const DEFAULT_SETTLE_MS = 250;

export interface IamRoleRevokerOptions {
  /** The client for a role's account; see {@link iamClientsByAccount}. */
  clientFor: IamClientForAccount;
  /** Writes before giving up on a contended role (default 3). */
  maxWrites?: number;
  /** Waits between a write and its check (default 250 ms); tests pass an immediate one. */
  settle?: () => Promise<void>;
  /** Characters the policy may use (default {@link INLINE_POLICY_BUDGET}): less when target roles carry other inline policies. */
  budget?: number;
}

/** {@link RoleRevoker} on `@aws-sdk/client-iam`. */
export class IamRoleRevoker implements RoleRevoker {
  readonly #clientFor: IamClientForAccount;
  readonly #maxWrites: number;
  readonly #settle: () => Promise<void>;
  readonly #budget: number;

  constructor(options: IamRoleRevokerOptions) {
    this.#clientFor = options.clientFor;
    this.#maxWrites = options.maxWrites ?? DEFAULT_MAX_WRITES;
    this.#settle = options.settle ?? (() => new Promise((resolve) => setTimeout(resolve, DEFAULT_SETTLE_MS)));
    this.#budget = options.budget ?? INLINE_POLICY_BUDGET;
  }

  async deny(roleArn: string, sessionIds: readonly string[]): Promise<DenyOutcome> {
    const { accountId, roleName } = parseRoleArn(roleArn);
    const iam = this.#clientFor(accountId);
    const added = new Set<string>();
    for (let writes = 0; ; writes += 1) {
      // Each pass reads afresh: the first to find what is there, the others to check the last write survived.
      const current = await this.#read(iam, roleName, roleArn);
      if (sessionIds.every((id) => current.includes(id))) {
        return { status: 'denied', added: sessionIds.filter((id) => added.has(id)), entries: current.length };
      }
      if (writes === this.#maxWrites) {
        throw new UnavailableError(`the revocation policy of ${roleArn} kept changing under concurrent writes; the AWS-side deny is pending`, { retryAfterSeconds: 1 });
      }
      const next = addRevocation(current, sessionIds, this.#budget);
      for (const id of next) if (!current.includes(id)) added.add(id);
      if ((await this.#write(iam, roleName, roleArn, next)) === 'role-missing') return { status: 'role-missing', added: [], entries: 0 };
      await this.#settle();
    }
  }

  async prune(roleArn: string, expired: ReadonlySet<string>): Promise<PruneOutcome> {
    const { accountId, roleName } = parseRoleArn(roleArn);
    const iam = this.#clientFor(accountId);
    const { kept, removed } = pruneRevocations(await this.#read(iam, roleName, roleArn), expired);
    if (removed.length === 0) return { removed, entries: kept.length };
    if (kept.length === 0) {
      try {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }));
      } catch (error) {
        // Already gone (another sweep, or the role itself): the outcome wanted.
        if (!isNoSuchEntity(error)) throw revocationFailure(error, roleArn, kept);
      }
      return { removed, entries: 0 };
    }
    if ((await this.#write(iam, roleName, roleArn, kept)) === 'role-missing') return { removed, entries: 0 };
    return { removed, entries: kept.length };
  }

  /** The ids in the role's policy; NoSuchEntity means no policy yet (or no role, which the write then tells). */
  async #read(iam: IAMClient, roleName: string, roleArn: string): Promise<string[]> {
    let document: string | undefined;
    try {
      ({ PolicyDocument: document } = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME })));
    } catch (error) {
      if (isNoSuchEntity(error)) return [];
      throw revocationFailure(error, roleArn, []);
    }
    // GetRolePolicy returns the document URL-encoded (RFC 3986).
    return parseRevocationPolicy(document === undefined ? undefined : decodeURIComponent(document));
  }

  async #write(iam: IAMClient, roleName: string, roleArn: string, ids: readonly string[]): Promise<'written' | 'role-missing'> {
    try {
      await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME, PolicyDocument: revocationPolicy(ids) }));
      return 'written';
    } catch (error) {
      if (isNoSuchEntity(error)) return 'role-missing';
      throw revocationFailure(error, roleArn, ids);
    }
  }
}

/**
 * The SentinelError for a failed revocation-policy call (returned, never thrown). What
 * only this policy means is decided here; everything else is IAM's one translation,
 * {@link iamFailure} (AccessDenied → UNAVAILABLE 30 s, throttling → 2 s, 5xx, timeouts
 * and network errors → 1 s). AWS's text stays in `cause`.
 *
 * - `LimitExceeded` on PutRolePolicy is IAM's size limit (the role's other inline
 *   policies leave less room than the budget assumed), not a rate, and
 *   `MalformedPolicyDocument` is the same refusal of the document: both are
 *   {@link RevocationPolicyFullError}, which the caller alerts on.
 * - `ConcurrentModification`: another change to the role in flight; it clears at once.
 * - `UnmodifiableEntity`: a service-linked role, which no profile should name.
 */
export function revocationFailure(error: unknown, roleArn: string, ids: readonly string[]): SentinelError {
  if (error instanceof SentinelError) return error;
  const name = nameOf(error).replace(/Exception$/, '');
  if (name === 'LimitExceeded' || name === 'MalformedPolicyDocument') {
    return new RevocationPolicyFullError(
      `IAM refused the revocation policy ${REVOCATION_POLICY_NAME} of ${roleArn}: a role's inline policies may hold ${INLINE_POLICY_BUDGET.toLocaleString('en-US')} characters in all; the AWS-side deny stays pending until entries are pruned or the role's other inline policies shrink`,
      { entries: ids.length, characters: ids.length === 0 ? 0 : policyCharacters(revocationPolicy(ids)), cause: error },
    );
  }
  if (name === 'ConcurrentModification') return new UnavailableError('IAM is unavailable', { cause: error, retryAfterSeconds: 1 });
  if (name === 'UnmodifiableEntity') {
    return new UnavailableError(`IAM does not allow changing ${roleArn}; a profile's role must be one Sentinel can attach its revocation policy to`, {
      cause: error,
      retryAfterSeconds: 30,
    });
  }
  return iamFailure(error);
}

/**
 * The {@link IamClientForAccount} of a deployment: its own client for its own account;
 * for any other, one client per account (built on first use, then kept) whose
 * credentials come from assuming `arn:<partition>:iam::<account>:role/sentinel-revoker`.
 *
 * @param options.credentialsFor how to assume that role; the default is
 *   `fromTemporaryCredentials` with the function's own credentials. Tests pass a fake.
 */
export function iamClientsByAccount(options: {
  ownAccountId: string;
  ownClient: IAMClient;
  region: string;
  partition?: string;
  credentialsFor?: AssumedCredentials;
}): IamClientForAccount {
  const partition = options.partition ?? 'aws';
  const credentialsFor: AssumedCredentials =
    options.credentialsFor ??
    ((roleArn) => fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: REVOKER_ROLE_NAME }, clientConfig: { region: options.region } }));
  const clients = new Map<string, IAMClient>();
  return (accountId) => {
    if (accountId === options.ownAccountId) return options.ownClient;
    let client = clients.get(accountId);
    if (client === undefined) {
      client = createIamClient({ region: options.region, credentials: credentialsFor(revokerRoleArn(partition, accountId)) });
      clients.set(accountId, client);
    }
    return client;
  };
}

/** Account and name of a role ARN (`arn:aws:iam::111122223333:role/path/name`); IAM's calls take the name without the path. */
function parseRoleArn(roleArn: string): { accountId: string; roleName: string } {
  const match = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[^/]+\/)*([\w+=,.@-]{1,64})$/.exec(roleArn);
  if (match?.[1] === undefined || match[2] === undefined) throw new SentinelError('INTERNAL', 'a revocation needs a role ARN');
  return { accountId: match[1], roleName: match[2] };
}

function isNoSuchEntity(error: unknown): boolean {
  const name = nameOf(error);
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

function nameOf(error: unknown): string {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : '';
}
