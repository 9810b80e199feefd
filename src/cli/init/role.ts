/**
 * `sentinel init role`: the IAM documents an operator puts around a target role (a role
 * Sentinel vends) — its trust policy, the `sentinel-revoker` role of its account when
 * that is not the deployment's, and a service control policy — with the AWS CLI
 * commands that apply them (docs/cli.md, `sentinel init role`).
 *
 * Offline: the documents are built from the names the deployment uses
 * (src/deploy/names.ts, src/cli/init/rolePolicies.ts); nothing is asked of AWS or of the
 * Sentinel API, so no credentials are needed. Every argument is checked first, and a
 * bad one is a usage error (exit 2) before anything is printed.
 */

import type { DeploymentCoordinates } from '../../deploy/names.js';
import { functionRoleName, partitionOf, REVOKER_ROLE_NAME, ROLE_NAME_MAX, SESSION_TAG_KEY, TARGET_ROLE_PREFIX } from '../../deploy/names.js';
import { REGION_NAME } from '../../api/constants.js';
import { REVOCATION_POLICY_NAME } from '../../sessions/revocation.js';
import type { CommandContext } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeDiagnostic, writeJson, writeLines } from '../output.js';
import { printable } from '../sanitize.js';
import type { PolicyDocument, RoleDocuments } from './rolePolicies.js';
import { deploymentRoles, LONGEST_FUNCTION_NAME, REVOCATION_FUNCTIONS, REVOKER_POLICY_NAME, roleDocuments, targetRolePattern } from './rolePolicies.js';

/** The documents `--document` can print on their own. */
export type RoleDocumentName = 'trust' | 'revoker-trust' | 'revoker-permissions' | 'scp';

export interface InitRoleOptions {
  /** `--role-arn`: the target role. */
  roleArn: string;
  /** `--deployment-account`; default the target role's account. */
  deploymentAccount?: string;
  /** `--stage`; default {@link DEFAULT_STAGE}. */
  stage?: string;
  /** The global `--region`; default `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  region?: string;
  /** `--document`: print only this document's JSON. */
  document?: RoleDocumentName;
}

/** What the command works with: no API client, no prompt, only streams, format and environment. */
export type InitRoleContext = Pick<CommandContext, 'format' | 'stdout' | 'stderr' | 'env' | 'usageError'>;

/** The stage a deployment gets without `--stage` (serverless.yml's default). */
export const DEFAULT_STAGE = 'dev';

/** A target role as its ARN names it. */
export interface TargetRole {
  arn: string;
  partition: string;
  accountId: string;
  /** The IAM path, `/` for none. */
  path: string;
  name: string;
}

/** Everything the documents are built from, checked. */
interface RoleSetup {
  target: TargetRole;
  deployment: DeploymentCoordinates;
}

const ACCOUNT_ID = /^\d{12}$/;
const STAGE = /^[A-Za-z0-9-]+$/;
/** IAM's characters of role names and path segments (a path may hold more; these are all the documents need). */
const IAM_NAME_CHARS = '[\\w+=,.@-]';
const ROLE_ARN = new RegExp(`^arn:(aws(?:-[a-z]+)*):iam::([^:]*):role/((?:${IAM_NAME_CHARS}+/)*)(${IAM_NAME_CHARS}+)$`);
const STS_SESSION_ARN = new RegExp(`^arn:(aws(?:-[a-z]+)*):sts::(\\d{12}):assumed-role/(${IAM_NAME_CHARS}+)/`);
/** IAM's limit on a path, its slashes included. */
const PATH_MAX = 512;
const ROLE_ARN_FORM = 'arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>';

/** A value the user gave, as an error message may show it: visible escapes, and not too long. */
function shown(value: string): string {
  const text = printable(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** Why `value` is not a role ARN the documents can name. */
function roleArnProblem(value: string): string {
  const session = STS_SESSION_ARN.exec(value);
  if (session !== null) {
    const [, partition, account, name] = session;
    return `that is an STS session ARN; give the ARN of its role, such as arn:${partition}:iam::${account}:role/${name} (with the role's path, if it has one)`;
  }
  if (/^arn:[^:]*:iam::[^:]*:(user|group|policy|instance-profile)\//.test(value)) return `that is not a role: expected ${ROLE_ARN_FORM}`;
  return `expected ${ROLE_ARN_FORM}, the path and name made of letters, digits and _+=,.@-`;
}

/** `--role-arn`, checked: an IAM role ARN of a 12-digit account, a name of at most 64 characters. */
function parseRoleArn(value: string, context: Pick<InitRoleContext, 'usageError'>): TargetRole {
  const invalid = (problem: string): never => context.usageError(`error: option '--role-arn <arn>' argument '${shown(value)}' is invalid: ${problem}`);
  const match = ROLE_ARN.exec(value);
  if (match === null) return invalid(roleArnProblem(value));
  const [, partition = '', accountId = '', pathInside = '', name = ''] = match;
  if (!ACCOUNT_ID.test(accountId)) return invalid('the account must be 12 digits');
  if (name.length > ROLE_NAME_MAX) return invalid(`a role name has at most ${ROLE_NAME_MAX} characters (this one has ${name.length})`);
  const path = `/${pathInside}`;
  if (path.length > PATH_MAX) return invalid(`a role's path has at most ${PATH_MAX} characters`);
  return { arn: value, partition, accountId, path, name };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The deployment's region: `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
function deploymentRegion(options: InitRoleOptions, context: InitRoleContext): string {
  const sources: Array<[string, string | undefined]> = [
    ["option '--region <region>'", options.region],
    ['AWS_REGION', context.env['AWS_REGION']],
    ['AWS_DEFAULT_REGION', context.env['AWS_DEFAULT_REGION']],
  ];
  const found = sources.find(([, value]) => nonEmpty(value) !== undefined);
  if (found === undefined) return context.usageError("error: no region for the deployment: pass --region <region> (the region it is deployed in, such as eu-west-1), or set AWS_REGION");
  const [source, region = ''] = found;
  if (!REGION_NAME.test(region)) return context.usageError(`error: ${source} '${shown(region)}' is not an AWS region name (such as eu-west-1): pass the deployment's --region`);
  return region;
}

/** `--stage`: its characters, and short enough that every function role name fits IAM's limit. */
function deploymentStage(value: string | undefined, region: string, context: InitRoleContext): string {
  const stage = value ?? DEFAULT_STAGE;
  const invalid = (problem: string): never => context.usageError(`error: option '--stage <stage>' argument '${shown(stage)}' is invalid: ${problem}`);
  if (!STAGE.test(stage)) return invalid('a stage is letters, digits and -');
  const longest = functionRoleName(stage, region, LONGEST_FUNCTION_NAME);
  if (longest.length > ROLE_NAME_MAX) {
    const room = ROLE_NAME_MAX - functionRoleName('', region, LONGEST_FUNCTION_NAME).length;
    return invalid(`the role of the ${LONGEST_FUNCTION_NAME} function would be ${longest} (${longest.length} characters; IAM allows ${ROLE_NAME_MAX}): in ${region} a stage has at most ${room} characters`);
  }
  return stage;
}

/** Checks every argument, in the order a user reads them, and returns what the documents are built from. */
function resolveSetup(options: InitRoleOptions, context: InitRoleContext): RoleSetup {
  const target = parseRoleArn(options.roleArn, context);
  const region = deploymentRegion(options, context);
  const partition = partitionOf(region);
  if (target.partition !== partition) {
    context.usageError(
      `error: the role is in partition ${target.partition} but region ${region} is in partition ${partition}: a deployment vends roles of its own partition only; pass the deployment's --region`,
    );
  }
  const accountId = options.deploymentAccount ?? target.accountId;
  if (!ACCOUNT_ID.test(accountId)) context.usageError(`error: option '--deployment-account <id>' argument '${shown(accountId)}' is invalid: an account id is 12 digits`);
  const stage = deploymentStage(options.stage, region, context);
  return { target, deployment: { partition, accountId, region, stage } };
}

/**
 * Says on stderr when the default `assumableRoles` does not reach the role: its pattern
 * `role/sentinel-*` covers names starting with `sentinel-` at the root path only. The
 * documents are printed anyway (the setting can be widened), but revocation in another
 * account and the SCP name `sentinel-*` roles only.
 */
function warnIfUncovered(target: TargetRole, context: InitRoleContext): void {
  const inside = `${target.path.slice(1)}${target.name}`;
  if (inside.startsWith(TARGET_ROLE_PREFIX)) return;
  const why =
    target.path === '/' ? `the role's name does not start with ${TARGET_ROLE_PREFIX}` : `the role has the path ${target.path}, and ${TARGET_ROLE_PREFIX}* matches roles at the root path only`;
  writeDiagnostic(
    context,
    `warning: ${why}: the deployment's default assumableRoles (${targetRolePattern(target.partition)}) does not cover it, so Sentinel cannot vend it unless that setting is widened; the revoker permissions and the SCP printed here cover ${TARGET_ROLE_PREFIX}* roles only`,
  );
}

/** The one document `--document` asks for; the revoker's only when there is a revoker role to make. */
function selectDocument(name: RoleDocumentName, documents: RoleDocuments, setup: RoleSetup, context: InitRoleContext): PolicyDocument {
  if (name === 'trust') return documents.trust;
  if (name === 'scp') return documents.scp;
  if (documents.revoker === null) {
    return context.usageError(
      `error: --document ${name}: no revoker role is needed, since ${setup.target.arn} is in the deployment's own account (${setup.deployment.accountId}), whose revocation functions change its roles directly; a revoker role is for a role in another account (--deployment-account)`,
    );
  }
  return name === 'revoker-trust' ? documents.revoker.trust : documents.revoker.permissions;
}

/** The `--output json` document. */
function jsonView(setup: RoleSetup, documents: RoleDocuments): unknown {
  const roles = deploymentRoles(setup.deployment);
  const { accountId, region, stage } = setup.deployment;
  return {
    roleArn: setup.target.arn,
    deployment: { accountId, region, stage, credentialsRoleArn: roles.credentials, revocationRoleArns: roles.revocation },
    trust: documents.trust,
    revoker: documents.revoker,
    scp: documents.scp,
  };
}

function jsonLines(document: PolicyDocument): string[] {
  return JSON.stringify(document, null, 2).split('\n');
}

/** The command that writes one document to its file, for the header. */
function saveCommand(setup: RoleSetup, name: RoleDocumentName): string {
  const { target, deployment } = setup;
  const account = deployment.accountId === target.accountId ? '' : ` --deployment-account ${deployment.accountId}`;
  return `sentinel init role --role-arn ${target.arn}${account} --stage ${deployment.stage} --region ${deployment.region} --document ${name} > ${name}.json`;
}

function headerLines(setup: RoleSetup): string[] {
  const roles = deploymentRoles(setup.deployment);
  const { accountId, region, stage } = setup.deployment;
  const [first = '', ...others] = roles.revocation;
  return [
    `IAM documents for ${setup.target.arn}`,
    `Deployment: account ${accountId}, region ${region}, stage ${stage}`,
    `  issues with:  ${roles.credentials}`,
    `  revokes with: ${first}`,
    ...others.map((arn) => `                ${arn}`),
    'Deploy first: IAM refuses a policy whose Principal names a role that does not exist yet.',
    'Write each document to the file its commands read with --document, for example:',
    `  ${saveCommand(setup, 'trust')}`,
  ];
}

function trustLines(setup: RoleSetup, trust: PolicyDocument): string[] {
  const { target } = setup;
  return [
    `trust.json: the trust policy of ${target.name} (--document trust)`,
    `Lets only the deployment's credentials function assume the role, with a Sentinel source identity and a ${SESSION_TAG_KEY} session tag (and no other tag), so every session of it is one Sentinel issued and can revoke.`,
    ...jsonLines(trust),
    `Apply it in account ${target.accountId}:`,
    `  aws iam update-assume-role-policy --role-name ${target.name} --policy-document file://trust.json`,
    `AWS then refuses an issuance without the session tag: Sentinel sets it on every issuance with a session table (the rule's session_table, --session-table or the deployment's default), so do not run this role's profiles with defaultSessionTable none and no session_table.`,
  ];
}

function revokerLines(setup: RoleSetup, revoker: NonNullable<RoleDocuments['revoker']>): string[] {
  const account = setup.target.accountId;
  const functions = REVOCATION_FUNCTIONS.join(' and ');
  return [
    `revoker-trust.json: the trust policy of ${revoker.roleName} in account ${account} (--document revoker-trust)`,
    `Lets the deployment's ${functions} functions assume ${revoker.roleName}, through which they revoke sessions of this account's roles.`,
    ...jsonLines(revoker.trust),
    `Apply it in account ${account} (one ${revoker.roleName} serves every Sentinel role of the account; if it exists, use aws iam update-assume-role-policy --role-name ${revoker.roleName} --policy-document file://revoker-trust.json):`,
    `  aws iam create-role --role-name ${revoker.roleName} --assume-role-policy-document file://revoker-trust.json`,
    '',
    `revoker-permissions.json: the permissions of ${revoker.roleName} in account ${account} (--document revoker-permissions)`,
    `Lets ${revoker.roleName} read, write and delete inline policies (Sentinel writes only ${REVOCATION_POLICY_NAME}) of this account's ${TARGET_ROLE_PREFIX}* roles, never its own.`,
    ...jsonLines(revoker.permissions),
    `Apply it in account ${account}:`,
    `  aws iam put-role-policy --role-name ${revoker.roleName} --policy-name ${REVOKER_POLICY_NAME} --policy-document file://revoker-permissions.json`,
  ];
}

function noRevokerLines(setup: RoleSetup): string[] {
  return [
    `${REVOKER_ROLE_NAME}: not needed`,
    `${setup.target.name} is in the deployment's own account (${setup.deployment.accountId}): the deployment's revocation functions change roles of their own account directly, without a ${REVOKER_ROLE_NAME} role.`,
  ];
}

function scpLines(scp: PolicyDocument): string[] {
  return [
    'scp.json: a service control policy for the organisation (--document scp)',
    `Denies everything to sessions of ${TARGET_ROLE_PREFIX}* roles that carry no Sentinel source identity, and lets only the ${REVOKER_ROLE_NAME} roles and this deployment's revocation functions put or delete inline policies of ${TARGET_ROLE_PREFIX}* roles.`,
    ...jsonLines(scp),
    `IAM has no condition key for an inline policy's name, so the second statement covers every inline policy of every ${TARGET_ROLE_PREFIX}* role, not only ${REVOCATION_POLICY_NAME}: give target roles their permissions as managed policies (aws iam attach-role-policy), and put ${REVOKER_ROLE_NAME}'s own policy in place before attaching this SCP.`,
    'Apply it from the organisation\'s management account (an SCP does not restrict the management account itself):',
    `  aws organizations create-policy --type SERVICE_CONTROL_POLICY --name SentinelTargetRoles --description "Sentinel: source identity and revocation policies of ${TARGET_ROLE_PREFIX}* roles" --content file://scp.json`,
    '  aws organizations attach-policy --policy-id <the id create-policy printed> --target-id <root, OU or account id>',
  ];
}

function textLines(setup: RoleSetup, documents: RoleDocuments): string[] {
  return [
    ...headerLines(setup),
    '',
    ...trustLines(setup, documents.trust),
    '',
    ...(documents.revoker === null ? noRevokerLines(setup) : revokerLines(setup, documents.revoker)),
    '',
    ...scpLines(documents.scp),
  ];
}

/**
 * Prints the documents for `options.roleArn`: all of them as text (what each is for, the
 * JSON, the commands that apply it) or as one JSON object, or with `--document` only
 * that document's JSON, whatever `--output` says, so it can be redirected to its file.
 * Returns the exit code.
 *
 * @throws CommanderError (through `context.usageError`) for a bad argument: not a role
 *   ARN, no or a bad region, a partition other than the region's, a bad account or
 *   stage, or a revoker document for a role of the deployment's own account.
 */
export function initRole(options: InitRoleOptions, context: InitRoleContext): number {
  const setup = resolveSetup(options, context);
  const documents = roleDocuments(setup.target.accountId, setup.deployment);
  const selected = options.document === undefined ? undefined : selectDocument(options.document, documents, setup, context);
  warnIfUncovered(setup.target, context);
  if (selected !== undefined) writeJson(context.stdout, selected);
  else if (context.format === 'json') writeJson(context.stdout, jsonView(setup, documents));
  else writeLines(context.stdout, textLines(setup, documents));
  return EXIT_OK;
}
