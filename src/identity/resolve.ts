/**
 * Who is calling, from what API Gateway verified (DESIGN.md, Identity).
 *
 * The only input is the IAM authorizer context: the ARN of the credentials that signed
 * the request. Nothing the client sends in headers or body is trusted for identity.
 */

import { SentinelError } from '../errors.js';
import { IAM_NAME_CHARACTERS, MAX_USER_LENGTH, isIamName } from './names.js';
import type { AuthorizerIam, Caller, IdentityRules } from './types.js';

/** The partitions whose IAM and STS ARNs Sentinel understands. */
export const SUPPORTED_PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov'];

const ACCOUNT_ID = /^\d{12}$/;
const SIGN_IN_HINT = 'sign in as an IAM user or role';

/**
 * Derives the caller's user from the authorizer context:
 *
 * | ARN | user |
 * |---|---|
 * | `arn:<p>:iam::<acct>:user/<path/>alice` | `alice` |
 * | `arn:<p>:sts::<acct>:assumed-role/<role matching an identity-role pattern>/alice` | `alice` |
 * | `arn:<p>:sts::<acct>:assumed-role/deploy/ci` | `deploy/ci` |
 *
 * @throws SentinelError `IAM_AUTH_REQUIRED` without an IAM authorizer context (the route is not AWS_IAM).
 * @throws SentinelError `INVALID_IDENTITY` for root, federated users and any other ARN form; for an
 *   account that is not allowed or that differs from the authorizer's; for a name Sentinel cannot
 *   represent (characters, or longer than {@link MAX_USER_LENGTH}).
 */
export function resolveCaller(iam: AuthorizerIam | undefined, rules: IdentityRules): Caller {
  const arn = iam?.userArn;
  if (!arn) {
    throw new SentinelError('IAM_AUTH_REQUIRED', 'this API needs a SigV4-signed request (AWS_IAM)');
  }
  const parsed = parseCallerArn(arn);
  if (iam.accountId && iam.accountId !== parsed.accountId) {
    throw invalid(`the caller's ARN names account ${parsed.accountId} but the request was authenticated for account ${iam.accountId}`);
  }
  if (!rules.allowedAccounts.includes(parsed.accountId)) {
    throw invalid(`account ${parsed.accountId} is not allowed to use this Sentinel deployment`);
  }
  const user = userOf(parsed, rules.identityRolePatterns);
  if (user.length > MAX_USER_LENGTH) {
    throw invalid(`user name ${JSON.stringify(user)} is ${user.length} characters; Sentinel can represent at most ${MAX_USER_LENGTH}`);
  }
  return { user, arn, accountId: parsed.accountId };
}

/**
 * True when `roleName` matches `pattern` as a whole: `*` stands for any run of
 * characters (also none), everything else is literal and case-sensitive.
 */
export function matchesRolePattern(pattern: string, roleName: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'su').test(roleName);
}

type CallerArn =
  | { kind: 'user'; accountId: string; name: string }
  | { kind: 'assumed-role'; accountId: string; role: string; session: string };

function parseCallerArn(arn: string): CallerArn {
  // arn:partition:service:region:account:resource — IAM and STS resources contain no ':'.
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn') {
    throw invalid('the caller ARN is not a valid IAM or STS ARN');
  }
  const [, partition = '', service = '', region = '', accountId = '', resource = ''] = parts;
  if (!SUPPORTED_PARTITIONS.includes(partition)) {
    throw invalid(`partition ${JSON.stringify(partition)} is not supported; Sentinel accepts ${SUPPORTED_PARTITIONS.join(', ')}`);
  }
  if (region !== '' || !ACCOUNT_ID.test(accountId)) {
    throw invalid('the caller ARN is not a valid IAM or STS ARN');
  }

  if (service === 'iam' && resource === 'root') {
    throw invalid(`root credentials cannot be used with Sentinel; ${SIGN_IN_HINT}`);
  }
  if (service === 'sts' && resource.startsWith('federated-user/')) {
    throw invalid(`federated-user credentials (GetFederationToken) cannot be used with Sentinel; ${SIGN_IN_HINT}`);
  }
  if (service === 'iam' && resource.startsWith('user/')) {
    // user/<path/>name: the path is organisational only; the name is unique in the account.
    const name = resource.slice(resource.lastIndexOf('/') + 1);
    assertName(name, 'user name');
    return { kind: 'user', accountId, name };
  }
  if (service === 'sts' && resource.startsWith('assumed-role/')) {
    // assumed-role/<role>/<session>: STS leaves the role's path out of this ARN.
    const rest = resource.slice('assumed-role/'.length).split('/');
    if (rest.length !== 2) {
      throw invalid('the caller ARN is not a valid assumed-role ARN (expected assumed-role/<role>/<session>)');
    }
    const [role = '', session = ''] = rest;
    assertName(role, 'role name');
    assertName(session, 'session name');
    return { kind: 'assumed-role', accountId, role, session };
  }
  const form = resource.split('/')[0] ?? '';
  throw invalid(
    `${service}:${form} credentials cannot be used with Sentinel; only IAM users and assumed roles are accepted (${SIGN_IN_HINT})`,
  );
}

function userOf(parsed: CallerArn, identityRolePatterns: readonly string[]): string {
  if (parsed.kind === 'user') return parsed.name;
  // For identity roles (IAM Identity Center by default) AWS sets the session name to the
  // person's user name; the caller cannot choose it, so it is the user.
  if (identityRolePatterns.some((pattern) => matchesRolePattern(pattern, parsed.role))) return parsed.session;
  // Anyone allowed to assume an ordinary role picks their own session name: keep the role
  // in the user so a session name alone never impersonates a person.
  return `${parsed.role}/${parsed.session}`;
}

function assertName(name: string, what: string): void {
  if (name === '') {
    throw invalid(`the caller ARN has an empty ${what}`);
  }
  if (!isIamName(name)) {
    throw invalid(`${what} ${JSON.stringify(name)} contains characters outside [${IAM_NAME_CHARACTERS}], which Sentinel cannot represent`);
  }
}

function invalid(message: string): SentinelError {
  return new SentinelError('INVALID_IDENTITY', message);
}
