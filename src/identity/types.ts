/** The IAM authorizer context API Gateway hands a route (`requestContext.authorizer.iam`). */
export interface AuthorizerIam {
  accountId?: string | null;
  userArn?: string | null;
  /** `AIDA…` for an IAM user, `<role unique id AROA…>:<session name>` for an assumed role. */
  userId?: string | null;
  accessKey?: string | null;
  /** The AWS Organizations id of the caller's account, as AWS verified it; null outside an organisation. */
  principalOrgId?: string | null;
}

/**
 * What kind of principal signed the request (docs/identity.md):
 *
 * - `person`: a session of a verified identity role (IAM Identity Center by default); AWS
 *   set the session name to the person's sign-in name, so that name is the user;
 * - `iam-user`: an IAM user;
 * - `role`: a session of any other role; its caller chose the session name.
 */
export type CallerKind = 'person' | 'iam-user' | 'role';

/** Who is calling, derived only from what AWS verified. */
export interface Caller {
  /**
   * The policy's user name (DESIGN.md, Identity): `alice` (a person), `iam:alice`,
   * `role:deploy/ci-42`, `222233334444:iam:alice`, `222233334444:role:deploy/ci-42`.
   */
  user: string;
  /** The ARN AWS verified. */
  arn: string;
  accountId: string;
  kind: CallerKind;
  /**
   * The principal AWS fixed, for per-caller limits: `<account>:user/<name>` for an IAM
   * user, `<account>:role/<role>` for an ordinary role (never its session name, which the
   * caller picks), `person/<name>` for a person (one person, whichever role or account).
   */
  principal: string;
}

/**
 * A role the operator names as an identity role (`SENTINEL_IDENTITY_ROLES`): by account
 * and role name (from a role ARN), or by account and the role's unique id (`AROA…`),
 * which a deleted and recreated role of the same name does not share.
 */
export type IdentityRolePin = { accountId: string; roleName: string } | { accountId: string; roleId: string };

/** Deployment settings identity resolution depends on. */
export interface IdentityRules {
  /** The deployment's own account: its callers' names carry no account. */
  ownAccountId: string;
  /** Accounts whose principals may call (`SENTINEL_ALLOWED_ACCOUNTS`). */
  allowedAccounts: readonly string[];
  /**
   * AWS Organizations ids (`o-…`, `SENTINEL_ALLOWED_ORGANIZATIONS`): a principal of any
   * account is allowed when the `principalOrgId` AWS reported for it is one of these.
   */
  allowedOrganizations: readonly string[];
  /**
   * Role-name patterns (`*` wildcards, default `AWSReservedSSO_*`) of the roles of the own
   * account that are looked up in IAM ({@link identityRoleLookup}) to decide whether they
   * are identity roles. A name that matches is not proof by itself.
   */
  identityRolePatterns: readonly string[];
  /** The roles that are identity roles without a lookup, in any allowed account (listed or reached through an organisation). */
  identityRoles: readonly IdentityRolePin[];
  /** `false` (`SENTINEL_IDENTITY_ROLE_LOOKUP=none`): only {@link identityRoles} make people. */
  identityRoleLookup: boolean;
}

/**
 * Tells whether a role of the deployment's own account is an identity role: created by
 * IAM Identity Center (path `/aws-reserved/sso.amazonaws.com/…`) and still the role the
 * caller's session belongs to (its unique id is `roleId`).
 *
 * Resolves `false` for a role that is not one, or no longer exists; rejects with
 * `UNAVAILABLE` when it cannot tell. A caller must never be taken for a person because
 * the answer could not be had.
 */
export interface IdentityRoleVerifier {
  isIdentityRole(accountId: string, roleName: string, roleId: string): Promise<boolean>;
}
