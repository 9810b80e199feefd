/**
 * Who is calling, from what API Gateway verified (DESIGN.md, Identity; docs/identity.md).
 *
 * The only input is the IAM authorizer context: the ARN and unique id of the credentials
 * that signed the request. Nothing the client sends in headers or body is trusted for
 * identity. Every principal AWS tells apart becomes a different user:
 *
 * | principal | user | principal (limits) |
 * |---|---|---|
 * | session of a verified identity role | `<session>` (`alice@example.com`) | `person/<session>` |
 * | IAM user of the own account | `iam:<name>` | `<account>:user/<name>` |
 * | session of another role of the own account | `role:<role>/<session>` | `<account>:role/<role>` |
 * | the same in another allowed account | `<account>:iam:<name>`, `<account>:role:<role>/<session>` | as above |
 *
 * An account is allowed when `SENTINEL_ALLOWED_ACCOUNTS` lists it, or when the
 * `principalOrgId` in the authorizer context (the caller's AWS Organizations id, which
 * API Gateway takes from the signing credentials) is one of `SENTINEL_ALLOWED_ORGANIZATIONS`.
 * Either way the name keeps the account: how a caller was admitted never changes who it is.
 *
 * A bare name never contains `:`, every other form does, so no IAM user or role session
 * can ever be taken for a person, whatever it is called.
 *
 * An identity role is one the operator pinned (`SENTINEL_IDENTITY_ROLES`: by account and
 * name, or by account and unique id), or a role of the own account whose name matches an
 * identity-role pattern and that the {@link IdentityRoleVerifier} confirms (IAM Identity
 * Center created it, and its unique id is the one the caller's session belongs to). A role
 * that only looks like one is an ordinary role.
 */

import { SentinelError } from '../errors.js';
import { IAM_NAME_CHARACTERS, MAX_USER_LENGTH, isIamName } from './names.js';
import type { AuthorizerIam, Caller, CallerKind, IdentityRolePin, IdentityRoleVerifier, IdentityRules } from './types.js';

/** The partitions whose IAM and STS ARNs Sentinel understands. */
export const SUPPORTED_PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov'];

const ACCOUNT_ID = /^\d{12}$/;
/** An AWS Organizations id: `o-` and 10 to 32 lowercase letters or digits. */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** An assumed role's `userId`: the role's unique id (IAM gives roles `AROA…` ids), `:`, the session name. */
const ROLE_SESSION_USER_ID = /^(AROA[A-Z0-9]+):(.*)$/;
const SIGN_IN_HINT = 'sign in as an IAM user or role';

/**
 * Derives the caller from the authorizer context (table in the module comment).
 *
 * @param verifier asked only about a role of the own account that matches an
 *   identity-role pattern, is not pinned, and whose session carries a role unique id.
 * @throws SentinelError `IAM_AUTH_REQUIRED` without an IAM authorizer context (the route is not AWS_IAM).
 * @throws SentinelError `INVALID_IDENTITY` for root, federated users and any other ARN form; for an
 *   account that is not allowed (neither listed nor in a listed organisation) or that differs from
 *   the authorizer's; for a unique id that names another session; for a name Sentinel cannot
 *   represent (characters, or a user longer than {@link MAX_USER_LENGTH}).
 * @throws SentinelError `UNAVAILABLE` (from the verifier) when it cannot tell whether a role is an identity role.
 */
export async function resolveCaller(iam: AuthorizerIam | undefined, rules: IdentityRules, verifier: IdentityRoleVerifier): Promise<Caller> {
  const arn = iam?.userArn;
  if (!arn) {
    throw new SentinelError('IAM_AUTH_REQUIRED', 'this API needs a SigV4-signed request (AWS_IAM)');
  }
  // API Gateway sends a string; anything else in the context is refused, never dereferenced.
  if (typeof arn !== 'string') throw invalid('the caller ARN is not a valid IAM or STS ARN');
  const parsed = parseCallerArn(arn);
  if (iam.accountId && iam.accountId !== parsed.accountId) {
    throw invalid(`the caller's ARN names account ${parsed.accountId} but the request was authenticated for account ${iam.accountId}`);
  }
  if (!isAllowed(parsed.accountId, iam.principalOrgId, rules)) throw notAllowed(parsed.accountId, iam.principalOrgId);
  const { accountId } = parsed;
  if (parsed.kind === 'user') return caller(arn, accountId, rules, 'iam-user', parsed.name, `${accountId}:user/${parsed.name}`);
  const roleId = roleIdOf(iam.userId, parsed.session);
  if (isPinned(rules.identityRoles, accountId, parsed.role, roleId) || (await isVerified(parsed, roleId, rules, verifier))) {
    // AWS set the session name to the person's sign-in name: the person is the user, and
    // the principal, whichever role or account they came through.
    return caller(arn, accountId, rules, 'person', parsed.session, `person/${parsed.session}`);
  }
  // Whoever may assume an ordinary role picks the session name: the role keeps it apart,
  // and limits count on the role alone.
  return caller(arn, accountId, rules, 'role', `${parsed.role}/${parsed.session}`, `${accountId}:role/${parsed.role}`);
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

/**
 * The pin an entry of `SENTINEL_IDENTITY_ROLES` names: a role ARN
 * (`arn:<partition>:iam::<account>:role/<path/>name` — the account and the name count,
 * as in the assumed-role ARN, which has no path) or `<account>:<role unique id AROA…>`.
 * Undefined for anything else.
 */
export function parseIdentityRolePin(text: string): IdentityRolePin | undefined {
  const byId = /^(\d{12}):(AROA[A-Z0-9]+)$/.exec(text);
  if (byId) return { accountId: byId[1] ?? '', roleId: byId[2] ?? '' };
  const parts = text.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || !SUPPORTED_PARTITIONS.includes(parts[1] ?? '') || parts[2] !== 'iam' || parts[3] !== '') return undefined;
  const [, , , , accountId = '', resource = ''] = parts;
  if (!ACCOUNT_ID.test(accountId) || !resource.startsWith('role/')) return undefined;
  const roleName = resource.slice(resource.lastIndexOf('/') + 1);
  return isIamName(roleName) && roleName.length <= 64 ? { accountId, roleName } : undefined;
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

/**
 * The role's unique id from an assumed role's `userId` (`AROA…:<session>`), or undefined
 * when the context carries none in that shape (then only a pin by name can make a person).
 */
function roleIdOf(userId: string | null | undefined, session: string): string | undefined {
  // Only a string is a unique id: any other value in the context counts as none.
  const match = ROLE_SESSION_USER_ID.exec(typeof userId === 'string' ? userId : '');
  if (!match) return undefined;
  if (match[2] !== session) {
    // API Gateway reports one principal; a context whose two halves disagree is not trusted at all.
    throw invalid(`the caller's unique id names session ${JSON.stringify(match[2])}, but its ARN names session ${JSON.stringify(session)}`);
  }
  return match[1];
}

/**
 * Only what AWS verified counts: the account from the signed ARN, the organisation from the
 * authorizer context. A caller cannot name either in a header or the body.
 */
function isAllowed(accountId: string, principalOrgId: string | null | undefined, rules: IdentityRules): boolean {
  if (rules.allowedAccounts.includes(accountId)) return true;
  return typeof principalOrgId === 'string' && ORGANIZATION_ID.test(principalOrgId) && rules.allowedOrganizations.includes(principalOrgId);
}

/**
 * The refusal of a caller whose account is not allowed: it names the setting that would
 * admit it, and the caller's own organisation, never what is configured.
 */
function notAllowed(accountId: string, principalOrgId: string | null | undefined): SentinelError {
  const organization = typeof principalOrgId === 'string' && ORGANIZATION_ID.test(principalOrgId) ? principalOrgId : undefined;
  const how =
    organization === undefined
      ? 'an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS (AWS reported no organisation for this caller, so SENTINEL_ALLOWED_ORGANIZATIONS cannot admit it)'
      : `an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS, or its organisation ${organization} in SENTINEL_ALLOWED_ORGANIZATIONS`;
  return invalid(`account ${accountId} is not allowed to use this Sentinel deployment; ${how}`);
}

function isPinned(pins: readonly IdentityRolePin[], accountId: string, roleName: string, roleId: string | undefined): boolean {
  return pins.some((pin) => pin.accountId === accountId && ('roleId' in pin ? pin.roleId === roleId : pin.roleName === roleName));
}

/**
 * Only the own account's roles can be looked up (Sentinel's function role may read only
 * its own IAM), and only with the session's role id, so a role deleted and recreated under
 * the same name never passes for the old one.
 */
async function isVerified(parsed: { accountId: string; role: string }, roleId: string | undefined, rules: IdentityRules, verifier: IdentityRoleVerifier): Promise<boolean> {
  if (!rules.identityRoleLookup || roleId === undefined || parsed.accountId !== rules.ownAccountId) return false;
  if (!rules.identityRolePatterns.some((pattern) => matchesRolePattern(pattern, parsed.role))) return false;
  return verifier.isIdentityRole(parsed.accountId, parsed.role, roleId);
}

/**
 * The caller of `kind` named `name` (a session, an IAM user, `role/session`): a person's
 * user is the bare name; the others keep their kind and, outside the own account, their
 * account.
 */
function caller(arn: string, accountId: string, rules: IdentityRules, kind: CallerKind, name: string, principal: string): Caller {
  const account = accountId === rules.ownAccountId ? '' : `${accountId}:`;
  const user = kind === 'person' ? name : `${account}${kind === 'iam-user' ? 'iam' : 'role'}:${name}`;
  if (user.length > MAX_USER_LENGTH) {
    // Never truncated: a shortened name could be someone else's.
    throw invalid(`user name ${JSON.stringify(user)} is ${user.length} characters; Sentinel can represent at most ${MAX_USER_LENGTH}`);
  }
  return { user, arn, accountId, kind, principal };
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
