/**
 * The IAM documents around a target role (a role Sentinel vends), as `sentinel init
 * role` prints them (docs/cli.md): the role's trust policy, the trust and permissions
 * of the `sentinel-revoker` role of another account, and a service control policy for
 * the organisation. Pure string building from the names a deployment and its roles
 * agree on (src/deploy/names.ts): no AWS SDK, nothing asked of AWS.
 */

import type { DeploymentCoordinates } from '../../deploy/names.js';
import { functionRoleArn, REVOKER_ROLE_NAME, revokerRoleArn, SESSION_TAG_KEY, SOURCE_IDENTITY_PREFIX, TARGET_ROLE_PREFIX } from '../../deploy/names.js';

/** The function whose role assumes target roles (every issuance and refresh). */
export const CREDENTIALS_FUNCTION = 'credentials';

/** The functions whose roles write `SentinelRevokedSessions`: on revocation, and the scheduled sweep. */
export const REVOCATION_FUNCTIONS = ['revokeSessions', 'sweep'] as const;

/** The longest function name of a deployment: it bounds the stage, since every function role name must fit IAM's limit. */
export const LONGEST_FUNCTION_NAME = 'revokeSessions';

/** The name `sentinel init role` gives the revoker role's one inline policy. */
export const REVOKER_POLICY_NAME = 'SentinelRevocation';

/** AWS Organizations' limit on a service control policy document, in characters. */
export const SCP_MAX_CHARS = 5_120;

/** A value of a policy element: one string, or a list of them. */
export type PolicyValue = string | string[];

/** One statement, with the elements these documents use, in the order IAM shows them. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS: PolicyValue };
  Action: PolicyValue;
  Resource?: PolicyValue;
  Condition?: Record<string, Record<string, PolicyValue>>;
}

/** An IAM policy document (identity, trust or service control policy). */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The deployment's roles a target role's documents name. */
export interface DeploymentRoles {
  partition: string;
  /** The credentials function's role: the only principal that assumes target roles. */
  credentials: string;
  /** The roles of {@link REVOCATION_FUNCTIONS}, in that order. */
  revocation: string[];
}

/** The documents for one target role. `revoker` is null when the role is in the deployment's own account. */
export interface RoleDocuments {
  trust: PolicyDocument;
  revoker: { roleName: string; trust: PolicyDocument; permissions: PolicyDocument } | null;
  scp: PolicyDocument;
}

/** The three actions the revocation functions use on a role's inline policy. */
const REVOCATION_ACTIONS = ['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'];

function document(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** `arn:<partition>:iam::*:role/sentinel-*`: the roles Sentinel vends and revokes, in any account. */
export function targetRolePattern(partition: string): string {
  return `arn:${partition}:iam::*:role/${TARGET_ROLE_PREFIX}*`;
}

/** `arn:<partition>:iam::*:role/sentinel-revoker`: the revoker role of every account. */
export function revokerRolePattern(partition: string): string {
  return `arn:${partition}:iam::*:role/${REVOKER_ROLE_NAME}`;
}

/** The ARNs of the deployment's function roles that target roles and revoker roles name. */
export function deploymentRoles(deployment: DeploymentCoordinates): DeploymentRoles {
  return {
    partition: deployment.partition,
    credentials: functionRoleArn(deployment, CREDENTIALS_FUNCTION),
    revocation: REVOCATION_FUNCTIONS.map((name) => functionRoleArn(deployment, name)),
  };
}

/**
 * The target role's trust policy. Only the credentials function's role may assume it,
 * and only the way Sentinel does: with a source identity Sentinel wrote (the
 * `sentinel.` prefix; SetSourceIdentity is allowed for that) and a non-empty
 * `SentinelSessionID` session tag. The tag is what `SentinelRevokedSessions` matches, so
 * a session without it could not be revoked at AWS; `ForAllValues:StringEquals` on
 * `aws:TagKeys` keeps any other tag key from being set alongside it.
 */
export function targetTrustPolicy(roles: DeploymentRoles): PolicyDocument {
  return document({
    Sid: 'SentinelIssuesThisRole',
    Effect: 'Allow',
    Principal: { AWS: roles.credentials },
    Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    Condition: {
      // `?*`: at least one character, so an empty tag value does not pass either.
      StringLike: { 'sts:SourceIdentity': `${SOURCE_IDENTITY_PREFIX}*`, [`aws:RequestTag/${SESSION_TAG_KEY}`]: '?*' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [SESSION_TAG_KEY] },
    },
  });
}

/** The revoker role's trust policy: only the deployment's two revocation functions may assume it. */
export function revokerTrustPolicy(roles: DeploymentRoles): PolicyDocument {
  return document({
    Sid: 'SentinelRevocationFunctions',
    Effect: 'Allow',
    Principal: { AWS: [...roles.revocation] },
    Action: 'sts:AssumeRole',
  });
}

/**
 * The revoker role's permissions in `accountId`. IAM has no condition key for an inline
 * policy's name, so the `sentinel-*` resource is all that narrows the Allow (Sentinel's
 * code only ever writes `SentinelRevokedSessions`). `sentinel-revoker` itself matches
 * `sentinel-*`: without the Deny, a revoker session could give itself any permission
 * by writing an inline policy onto its own role.
 */
export function revokerPermissionsPolicy(partition: string, accountId: string): PolicyDocument {
  return document(
    { Sid: 'SentinelRevocationPolicies', Effect: 'Allow', Action: [...REVOCATION_ACTIONS], Resource: `arn:${partition}:iam::${accountId}:role/${TARGET_ROLE_PREFIX}*` },
    { Sid: 'SentinelRevokerNeverChangesItself', Effect: 'Deny', Action: [...REVOCATION_ACTIONS], Resource: revokerRoleArn(partition, accountId) },
  );
}

/**
 * The service control policy for the organisation's accounts.
 *
 * The first statement denies everything to sessions of `sentinel-*` roles that carry no
 * Sentinel source identity. A request without any SourceIdentity has no
 * `aws:SourceIdentity` key, and `StringNotLike` on a missing key is true: so sessions
 * someone opened without Sentinel (and without a source identity) are denied too, not
 * only those with a foreign one. The revoker roles are exempt: the revocation functions
 * assume them without a source identity. The function roles live under the
 * `/sentinel/` path, which `role/sentinel-*` never matches.
 *
 * The second denies writing or deleting inline policies of `sentinel-*` roles to every
 * principal but the revoker roles and the deployment's revocation functions, so no vended
 * session (nor anyone else) can lift or overwrite `SentinelRevokedSessions`. IAM has no
 * condition key for the policy's name, so this covers every inline policy of those roles.
 */
export function serviceControlPolicy(roles: DeploymentRoles): PolicyDocument {
  const targets = targetRolePattern(roles.partition);
  const revokers = revokerRolePattern(roles.partition);
  return document(
    {
      Sid: 'DenySentinelRoleSessionsWithoutSourceIdentity',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:PrincipalArn': targets },
        ArnNotLike: { 'aws:PrincipalArn': revokers },
        StringNotLike: { 'aws:SourceIdentity': `${SOURCE_IDENTITY_PREFIX}*` },
      },
    },
    {
      Sid: 'DenySentinelRevocationPolicyChanges',
      Effect: 'Deny',
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      Resource: targets,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [revokers, ...roles.revocation] } },
    },
  );
}

/**
 * Every document for a target role of `targetAccountId` and a deployment. The revoker
 * role is only needed in another account: the revocation functions change roles of
 * their own account with their own permissions.
 */
export function roleDocuments(targetAccountId: string, deployment: DeploymentCoordinates): RoleDocuments {
  const roles = deploymentRoles(deployment);
  const revoker =
    targetAccountId === deployment.accountId
      ? null
      : { roleName: REVOKER_ROLE_NAME, trust: revokerTrustPolicy(roles), permissions: revokerPermissionsPolicy(deployment.partition, targetAccountId) };
  return { trust: targetTrustPolicy(roles), revoker, scp: serviceControlPolicy(roles) };
}
