/**
 * The production credential issuer: STS `AssumeRole` with the SourceIdentity, role
 * session name and transitive session tag of DESIGN.md (Identity).
 *
 * Every failure becomes an `UnavailableError` (fail closed, 503) whose message is our
 * own stable text naming the role; AWS's error, whose text we do not control, travels
 * only as `cause` for the log.
 */

import { AssumeRoleCommand, type AssumeRoleCommandInput, type Credentials, type STSClient } from '@aws-sdk/client-sts';
import { SESSION_TAG_KEY } from '../deploy/names.js';
import { UnavailableError } from '../errors.js';
import type { CredentialIssuer, IssueInput, IssuedCredentials } from './ports.js';

/** The session tag that ties AWS-side activity (CloudTrail) to the session record. */
export { SESSION_TAG_KEY };

/** STS error names that mean "slow down"; the SDK has already retried them. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

/**
 * Requests STS refuses because of how the deployment or the target role is set up:
 * retrying will not help until an administrator changes something.
 */
const CONFIGURATION = new Set([
  'RegionDisabledException',
  'MalformedPolicyDocumentException',
  'PackedPolicyTooLargeException',
  'ValidationError',
  'InvalidParameterValue',
]);

/**
 * Retry-After of a refusal that only an administrator can lift (the role's trust policy,
 * its maximum session duration, the Region, the deployment's settings): nothing changes
 * within a second. Above the 10 s the CLI waits out, so the user reads the message at
 * once instead of after two more attempts, each of which would write a session item and
 * call STS again for the same answer.
 */
const REFUSAL_RETRY_AFTER_SECONDS = 30;

/** Issues credentials through `sts:AssumeRole` with the deployment's own role. */
export class StsCredentialIssuer implements CredentialIssuer {
  readonly kind = 'sts' as const;

  /** @param sts built once by `createStsClient` (src/aws/sts.ts), with its retry and timeout settings. */
  constructor(private readonly sts: STSClient) {}

  /**
   * Assumes `input.roleArn`. With `sessionId`, tags the session `SentinelSessionID`
   * and marks the tag transitive, so role chaining from these credentials keeps it.
   *
   * @throws UnavailableError for every refusal or failure, including a response
   *   without complete credentials; never returns partial credentials.
   */
  async issue(input: IssueInput): Promise<IssuedCredentials> {
    const request: AssumeRoleCommandInput = {
      RoleArn: input.roleArn,
      RoleSessionName: input.roleSessionName,
      SourceIdentity: input.sourceIdentity,
      DurationSeconds: input.durationSeconds,
    };
    if (input.sessionId !== undefined) {
      request.Tags = [{ Key: SESSION_TAG_KEY, Value: input.sessionId }];
      request.TransitiveTagKeys = [SESSION_TAG_KEY];
    }

    let credentials: Credentials | undefined;
    try {
      ({ Credentials: credentials } = await this.sts.send(new AssumeRoleCommand(request)));
    } catch (error) {
      throw translate(error, input);
    }
    return complete(credentials, input.roleArn);
  }
}

/** Maps an AssumeRole failure to our stable message; the AWS error stays in `cause` only. */
function translate(error: unknown, input: IssueInput): UnavailableError {
  const name = error instanceof Error ? error.name : '';
  const { roleArn } = input;
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new UnavailableError(
      `AWS refused to assume ${roleArn}: its trust policy must allow this deployment's role sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession, and the deployment's assumable-roles setting must cover it`,
      { cause: error, retryAfterSeconds: REFUSAL_RETRY_AFTER_SECONDS },
    );
  }
  // The one validation failure operators meet in practice: a profile promising longer
  // credentials than the role's MaxSessionDuration allows. AWS's text is only matched, never repeated.
  if (name === 'ValidationError' && error instanceof Error && /MaxSessionDuration/i.test(error.message)) {
    return new UnavailableError(
      `AWS refused ${input.durationSeconds}-second credentials for ${roleArn}: the role's maximum session duration is shorter; raise it or lower the profile's max_duration`,
      { cause: error, retryAfterSeconds: REFUSAL_RETRY_AFTER_SECONDS },
    );
  }
  if (CONFIGURATION.has(name)) {
    return new UnavailableError(`AWS STS rejected the request to assume ${roleArn}; the deployment or the role needs an administrator's attention (details in the log)`, {
      cause: error,
      retryAfterSeconds: REFUSAL_RETRY_AFTER_SECONDS,
    });
  }
  if (THROTTLING.has(name)) {
    return new UnavailableError(`AWS STS is throttling requests; try again in a few seconds`, { cause: error, retryAfterSeconds: 2 });
  }
  return new UnavailableError(`AWS STS could not issue credentials for ${roleArn}; try again shortly`, { cause: error });
}

/**
 * Credentials missing any part are useless to the caller and would fail later in a
 * confusing way: refuse them. The response is not attached as `cause`, since it may
 * hold a secret key.
 */
function complete(credentials: Credentials | undefined, roleArn: string): IssuedCredentials {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  const validExpiration = Expiration instanceof Date && !Number.isNaN(Expiration.getTime());
  if (AccessKeyId && SecretAccessKey && SessionToken && validExpiration) {
    return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken, expiration: Expiration };
  }
  const missing = Object.entries({ AccessKeyId, SecretAccessKey, SessionToken, Expiration: validExpiration ? Expiration : undefined })
    .filter(([, value]) => !value)
    .map(([field]) => field);
  // Field names only: the parts that did arrive may include a secret key.
  throw new UnavailableError(`AWS STS answered without complete credentials for ${roleArn}; try again shortly`, {
    cause: new Error(`AssumeRole response lacks ${missing.join(', ')}`),
  });
}
