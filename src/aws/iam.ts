/**
 * IAM: the one place its client is built (STYLE.md 5), the translation of its failures
 * (STYLE.md 17), and the adapter that tells IAM Identity Center roles from look-alikes.
 *
 * IAM is a global service: the SDK sends every region of a partition to that
 * partition's one endpoint (`iam.amazonaws.com`, signed for us-east-1; China and
 * GovCloud have their own), so the client takes the deployment's region and lands on
 * the IAM of the deployment's own partition.
 */

import { GetRoleCommand, IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { SentinelError, UnavailableError } from '../errors.js';
import type { IdentityRoleVerifier } from '../identity/types.js';
import { httpHandler, MAX_ATTEMPTS } from './http.js';

/**
 * Where IAM Identity Center creates its roles: `/aws-reserved/sso.amazonaws.com/`,
 * followed by the Identity Center region for instances that record it
 * (`/aws-reserved/sso.amazonaws.com/eu-west-2/`). AWS documents this path for the roles
 * it creates from permission sets, and those roles can be changed only by AWS.
 */
export const IDENTITY_CENTER_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/';

/** The IAM client, with the shared retries and timeouts; `region` is the deployment's (any region of the partition will do). */
export function createIamClient(options: { region: string; credentials?: IAMClientConfig['credentials'] }): IAMClient {
  return new IAMClient({
    region: options.region,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(),
  });
}

/**
 * An {@link IdentityRoleVerifier} on `iam:GetRole` in the deployment's own account: a
 * role is an identity role when IAM says it lives under {@link IDENTITY_CENTER_ROLE_PATH}
 * and its `RoleId` is the unique id of the caller's session. The id check means a role
 * that was deleted and recreated under the same name (by anyone, on any path) does not
 * pass for the one the session belongs to.
 *
 * The function may call GetRole only on roles under that path (serverless.yml), so IAM
 * answers AccessDenied for a role elsewhere, such as a look-alike `AWSReservedSSO_x` at
 * `/`: that is a "no", and it is reported through `warn`, because the same answer for a
 * real Identity Center role means the deployment lacks the permission (its people are
 * then ordinary role sessions, refused by the policy, never the reverse).
 *
 * No caching here: src/identity/CachedIdentityRoleVerifier.ts wraps it.
 */
export class IamIdentityRoleVerifier implements IdentityRoleVerifier {
  readonly #iam: IAMClient;
  readonly #ownAccountId: string;
  readonly #warn: (message: string, error: unknown) => void;

  constructor(iam: IAMClient, ownAccountId: string, warn: (message: string, error: unknown) => void = () => undefined) {
    this.#iam = iam;
    this.#ownAccountId = ownAccountId;
    this.#warn = warn;
  }

  async isIdentityRole(accountId: string, roleName: string, roleId: string): Promise<boolean> {
    // GetRole reads the function's own account; a role of another account cannot be checked, so it is not one.
    if (accountId !== this.#ownAccountId) return false;
    let role: { Path?: string | undefined; RoleId?: string | undefined } | undefined;
    try {
      role = (await this.#iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    } catch (error) {
      const name = nameOf(error);
      // The role is gone (a session can outlive its role by minutes): not an identity role.
      if (name === 'NoSuchEntityException' || name === 'NoSuchEntity') return false;
      if (name === 'AccessDenied' || name === 'AccessDeniedException') {
        this.#warn(`IAM refused GetRole for ${roleName}: not an identity role (outside ${IDENTITY_CENTER_ROLE_PATH}, or the function may not call iam:GetRole there)`, error);
        return false;
      }
      throw iamFailure(error);
    }
    if (role === undefined) throw new UnavailableError('IAM returned no role', { retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS });
    return (role.Path ?? '').startsWith(IDENTITY_CENTER_ROLE_PATH) && role.RoleId === roleId;
  }
}

/** A blip or IAM's own fault: the SDK has already retried (src/aws/http.ts); a second is enough. */
const TRANSIENT_RETRY_AFTER_SECONDS = 1;
/** IAM's request rate is shared by the whole account: come back a little later. */
const THROTTLED_RETRY_AFTER_SECONDS = 2;
/** The function may not call GetRole, or its credentials are refused: someone must fix the deployment. */
const DEPLOYMENT_RETRY_AFTER_SECONDS = 30;

const THROTTLING: ReadonlySet<string> = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceeded', 'LimitExceededException']);
const AUTH_FAILURES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);
const NETWORK_FAILURES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The SentinelError for an IAM call that failed with `error` (returned, never thrown):
 * refused credentials or permission → `UNAVAILABLE`, Retry-After 30 s; throttling → 2 s;
 * IAM's faults (5xx), timeouts and network errors → 1 s; anything else (a request IAM
 * rejected) → `INTERNAL`. The message is generic; AWS's text stays in `cause`, which
 * only reaches the log. None of these ever lets a caller pass as a person.
 */
export function iamFailure(error: unknown): SentinelError {
  if (error instanceof SentinelError) return error;
  const name = nameOf(error);
  const status = property(property(error, '$metadata'), 'httpStatusCode');
  const unavailable = (retryAfterSeconds: number) => new UnavailableError('IAM is unavailable', { cause: error, retryAfterSeconds });
  if (AUTH_FAILURES.has(name) || status === 403) return unavailable(DEPLOYMENT_RETRY_AFTER_SECONDS);
  if (THROTTLING.has(name) || status === 429 || property(property(error, '$retryable'), 'throttling') === true) return unavailable(THROTTLED_RETRY_AFTER_SECONDS);
  if (name === 'ServiceFailure' || name === 'ServiceFailureException' || (typeof status === 'number' && status >= 500) || property(error, '$fault') === 'server') {
    return unavailable(TRANSIENT_RETRY_AFTER_SECONDS);
  }
  if (NETWORK_FAILURES.has(name) || NETWORK_CODES.has(String(property(error, 'code')))) return unavailable(TRANSIENT_RETRY_AFTER_SECONDS);
  return new SentinelError('INTERNAL', 'IAM rejected the request', { cause: error });
}

function nameOf(error: unknown): string {
  const name = property(error, 'name');
  return typeof name === 'string' ? name : '';
}

/** One property of a value of unknown shape (an SDK error, a socket error, or whatever was thrown). */
function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
