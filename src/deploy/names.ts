/**
 * The names a deployment and the roles around it agree on (docs/deploy.md): the
 * functions' own roles, the revoker role of other accounts, the session tag and the
 * source identity a target role's trust policy requires. Pure constants and string
 * building, no AWS SDK: the deployment generator (deploy/serverless.cjs), the
 * functions and the CLI (`sentinel init role`) all read them from here.
 */

/**
 * The IAM path of every function role. It keeps them out of the `sentinel-*` name
 * space of the roles Sentinel vends and revokes: `role/sentinel/…` never matches
 * `role/sentinel-*`, so no statement that names target roles (AssumeRole, the
 * revocation policies, an SCP) ever reaches a function's own role.
 */
export const FUNCTION_ROLE_PATH = '/sentinel/';

/** The role Sentinel assumes in every other account to write revocation policies there. */
export const REVOKER_ROLE_NAME = 'sentinel-revoker';

/** The session tag on every issuance with a session record (transitive). */
export const SESSION_TAG_KEY = 'SentinelSessionID';

/** Every SourceIdentity Sentinel sets starts with this (DESIGN.md, Identity). */
export const SOURCE_IDENTITY_PREFIX = 'sentinel.';

/** The name prefix of the roles Sentinel vends under the shipped `assumableRoles` default. */
export const TARGET_ROLE_PREFIX = 'sentinel-';

/** IAM's limit on a role name. */
export const ROLE_NAME_MAX = 64;

/** Where a deployment runs: what its function roles' ARNs are made of. */
export interface DeploymentCoordinates {
  partition: string;
  accountId: string;
  region: string;
  stage: string;
}

/** `sentinel-<stage>-<region>-<function>`: unique per stack (stage and region) and function. */
export function functionRoleName(stage: string, region: string, functionName: string): string {
  return `sentinel-${stage}-${region}-${functionName}`;
}

/** The ARN of a function's role: `arn:<partition>:iam::<account>:role/sentinel/sentinel-<stage>-<region>-<function>`. */
export function functionRoleArn(deployment: DeploymentCoordinates, functionName: string): string {
  return `arn:${deployment.partition}:iam::${deployment.accountId}:role${FUNCTION_ROLE_PATH}${functionRoleName(deployment.stage, deployment.region, functionName)}`;
}

/** The revoker role of `accountId`. */
export function revokerRoleArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:role/${REVOKER_ROLE_NAME}`;
}

/** The partition of a region: `aws-us-gov` for GovCloud, `aws-cn` for China, `aws` otherwise. */
export function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}
