/**
 * The real `bin/sentinel init role …`: offline, in an environment with no AWS
 * credentials, no AWS config files and no Sentinel API. Where an API URL is set, it
 * points at a local server that counts requests, and none may arrive.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';

const DEPLOYMENT = '111122223333';
const OTHER = '444455556666';
const SAME_ROLE = `arn:aws:iam::${DEPLOYMENT}:role/sentinel-deploy`;
const FOREIGN_ROLE = `arn:aws:iam::${OTHER}:role/sentinel-deploy`;
const USAGE_HINT = '(run with --help for usage)\n';

interface Statement {
  Sid: string;
  Effect: string;
  Principal?: { AWS: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Document {
  Version: string;
  Statement: Statement[];
}
interface JsonView {
  roleArn: string;
  deployment: { accountId: string; region: string; stage: string; credentialsRoleArn: string; revocationRoleArns: string[] };
  trust: Document;
  revoker: { roleName: string; trust: Document; permissions: Document } | null;
  scp: Document;
}

let dir: string;
let api: Server;
let apiRequests = 0;

/** An environment with nothing to sign with: no keys, no profile, no config files, no instance metadata. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: dir,
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

function sentinel(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: bareEnv(extra) });
}

/** Runs `sentinel …` through a shell, so `> file` redirects as a user's would. */
function sentinelInShell(line: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `"$SENTINEL" ${line}`], { cwd: dir, env: { ...bareEnv(), SENTINEL: BIN }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

function functionRoles(partition: string, region: string, stage: string): { credentials: string; revokeSessions: string; sweep: string } {
  const base = `arn:${partition}:iam::${DEPLOYMENT}:role/sentinel/sentinel-${stage}-${region}`;
  return { credentials: `${base}-credentials`, revokeSessions: `${base}-revokeSessions`, sweep: `${base}-sweep` };
}

/** The target role's trust policy, statement by statement. */
function expectTrust(document: Document, credentialsRole: string): void {
  expect(document.Version).toBe('2012-10-17');
  expect(document.Statement).toHaveLength(1);
  expect(document.Statement[0]).toEqual({
    Sid: 'SentinelIssuesThisRole',
    Effect: 'Allow',
    Principal: { AWS: credentialsRole },
    Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    Condition: {
      StringLike: { 'sts:SourceIdentity': 'sentinel.*', 'aws:RequestTag/SentinelSessionID': '?*' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['SentinelSessionID'] },
    },
  });
}

function expectRevokerTrust(document: Document, roles: { revokeSessions: string; sweep: string }): void {
  expect(document).toEqual({
    Version: '2012-10-17',
    Statement: [{ Sid: 'SentinelRevocationFunctions', Effect: 'Allow', Principal: { AWS: [roles.revokeSessions, roles.sweep] }, Action: 'sts:AssumeRole' }],
  });
}

function expectRevokerPermissions(document: Document, partition: string, account: string): void {
  const actions = ['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'];
  expect(document.Version).toBe('2012-10-17');
  expect(document.Statement).toEqual([
    { Sid: 'SentinelRevocationPolicies', Effect: 'Allow', Action: actions, Resource: `arn:${partition}:iam::${account}:role/sentinel-*` },
    { Sid: 'SentinelRevokerNeverChangesItself', Effect: 'Deny', Action: actions, Resource: `arn:${partition}:iam::${account}:role/sentinel-revoker` },
  ]);
}

function expectScp(document: Document, partition: string, roles: { revokeSessions: string; sweep: string }): void {
  expect(document.Version).toBe('2012-10-17');
  expect(document.Statement).toHaveLength(2);
  expect(document.Statement[0]).toEqual({
    Sid: 'DenySentinelRoleSessionsWithoutSourceIdentity',
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::*:role/sentinel-*` },
      ArnNotLike: { 'aws:PrincipalArn': `arn:${partition}:iam::*:role/sentinel-revoker` },
      StringNotLike: { 'aws:SourceIdentity': 'sentinel.*' },
    },
  });
  expect(document.Statement[1]).toEqual({
    Sid: 'DenySentinelRevocationPolicyChanges',
    Effect: 'Deny',
    Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
    Resource: `arn:${partition}:iam::*:role/sentinel-*`,
    Condition: { ArnNotLike: { 'aws:PrincipalArn': [`arn:${partition}:iam::*:role/sentinel-revoker`, roles.revokeSessions, roles.sweep] } },
  });
}

/** The JSON documents of the text output, in order: each from a line `{` to the next line `}`. */
function documentsInText(text: string): Document[] {
  const blocks = text.match(/^\{\n[\s\S]*?\n\}$/gm) ?? [];
  return blocks.map((block) => JSON.parse(block) as Document);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-init-role-'));
  api = createServer((_request, response) => {
    apiRequests += 1;
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await sentinel(['--version']);
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel init role: a role of the deployment account', () => {
  const roles = functionRoles('aws', 'eu-west-1', 'dev');

  it('text, with no AWS credentials and no API URL: the trust policy and the SCP, no revoker role', async () => {
    const result = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--region', 'eu-west-1']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [trust, scp, ...rest] = documentsInText(result.stdout);
    expectTrust(trust!, roles.credentials);
    expectScp(scp!, 'aws', roles);
    expect(rest).toEqual([]);
    expect(result.stdout).toContain('trust.json: the trust policy of sentinel-deploy (--document trust)\n');
    expect(result.stdout).toContain('  aws iam update-assume-role-policy --role-name sentinel-deploy --policy-document file://trust.json\n');
    expect(result.stdout).toContain(`sentinel-revoker: not needed\nsentinel-deploy is in the deployment's own account (${DEPLOYMENT}): the deployment's revocation functions change roles of their own account directly`);
    expect(result.stdout).toContain('  aws organizations create-policy --type SERVICE_CONTROL_POLICY ');
    expect(result.stdout).toContain("IAM has no condition key for an inline policy's name, so the second statement covers every inline policy of every sentinel-* role");
  });

  it('--output json (before or after the command), --region before or after it: one object, revoker null', async () => {
    const runs = await Promise.all([
      sentinel(['--output', 'json', '--region', 'eu-west-1', 'init', 'role', '--role-arn', SAME_ROLE]),
      sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--output', 'json', '--region', 'eu-west-1']),
    ]);
    for (const result of runs) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const view = JSON.parse(result.stdout) as JsonView;
      expect(view.roleArn).toBe(SAME_ROLE);
      expect(view.deployment).toEqual({ accountId: DEPLOYMENT, region: 'eu-west-1', stage: 'dev', credentialsRoleArn: roles.credentials, revocationRoleArns: [roles.revokeSessions, roles.sweep] });
      expectTrust(view.trust, roles.credentials);
      expect(view.revoker).toBeNull();
      expectScp(view.scp, 'aws', roles);
    }
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
  });

  it('--document revoker-trust and revoker-permissions: a usage error naming why', async () => {
    for (const document of ['revoker-trust', 'revoker-permissions']) {
      const result = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--document', document]);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `error: --document ${document}: no revoker role is needed, since ${SAME_ROLE} is in the deployment's own account (${DEPLOYMENT}), whose revocation functions change its roles directly; a revoker role is for a role in another account (--deployment-account)\n${USAGE_HINT}`,
      });
    }
  });
});

describe('sentinel init role: a role of another account', () => {
  const roles = functionRoles('aws', 'eu-west-1', 'prod');
  const args = ['init', 'role', '--role-arn', FOREIGN_ROLE, '--deployment-account', DEPLOYMENT, '--stage', 'prod', '--region', 'eu-west-1'];

  it('--output json: the revoker role with its trust and permissions', async () => {
    const result = await sentinel([...args, '--output', 'json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const view = JSON.parse(result.stdout) as JsonView;
    expect(view.deployment).toEqual({ accountId: DEPLOYMENT, region: 'eu-west-1', stage: 'prod', credentialsRoleArn: roles.credentials, revocationRoleArns: [roles.revokeSessions, roles.sweep] });
    expectTrust(view.trust, roles.credentials);
    expect(view.revoker?.roleName).toBe('sentinel-revoker');
    expectRevokerTrust(view.revoker!.trust, roles);
    expectRevokerPermissions(view.revoker!.permissions, 'aws', OTHER);
    expectScp(view.scp, 'aws', roles);
  });

  it('text: all four documents, and the commands that create the revoker role', async () => {
    const result = await sentinel(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [trust, revokerTrust, revokerPermissions, scp] = documentsInText(result.stdout);
    expectTrust(trust!, roles.credentials);
    expectRevokerTrust(revokerTrust!, roles);
    expectRevokerPermissions(revokerPermissions!, 'aws', OTHER);
    expectScp(scp!, 'aws', roles);
    expect(result.stdout).toContain('  aws iam create-role --role-name sentinel-revoker --assume-role-policy-document file://revoker-trust.json\n');
    expect(result.stdout).toContain('  aws iam put-role-policy --role-name sentinel-revoker --policy-name SentinelRevocation --policy-document file://revoker-permissions.json\n');
  });

  it('--document prints exactly the one document of --output json, for each of the four, whatever --output says', async () => {
    const view = JSON.parse((await sentinel([...args, '--output', 'json'])).stdout) as JsonView;
    const expected: Record<string, Document> = { trust: view.trust, 'revoker-trust': view.revoker!.trust, 'revoker-permissions': view.revoker!.permissions, scp: view.scp };
    for (const [name, document] of Object.entries(expected)) {
      for (const output of ['text', 'json']) {
        const result = await sentinel([...args, '--document', name, '--output', output]);
        expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(document, null, 2)}\n`, stderr: '' });
      }
    }
    expect(JSON.stringify(view.scp, null, 2).length).toBeLessThan(5120);
  });

  it('the save command the header prints writes the file the apply command reads', async () => {
    const text = (await sentinel(args)).stdout;
    const save = /^ {2}sentinel (init role .* --document trust > trust\.json)$/m.exec(text);
    expect(save).not.toBeNull();
    expect(await sentinelInShell(save![1]!)).toBe(0);
    expectTrust(JSON.parse(await readFile(path.join(dir, 'trust.json'), 'utf8')) as Document, roles.credentials);
  });
});

describe('sentinel init role: regions and partitions', () => {
  it('AWS_REGION, else AWS_DEFAULT_REGION, when --region is not given', async () => {
    const fromRegion = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--document', 'trust'], { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-2' });
    expectTrust(JSON.parse(fromRegion.stdout) as Document, functionRoles('aws', 'us-east-2', 'dev').credentials);
    const fromDefault = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--document', 'trust'], { AWS_DEFAULT_REGION: 'us-west-2' });
    expectTrust(JSON.parse(fromDefault.stdout) as Document, functionRoles('aws', 'us-west-2', 'dev').credentials);
    const fromOption = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--document', 'trust', '--region', 'eu-north-1'], { AWS_REGION: 'us-east-2' });
    expectTrust(JSON.parse(fromOption.stdout) as Document, functionRoles('aws', 'eu-north-1', 'dev').credentials);
  });

  it('GovCloud: aws-us-gov ARNs and patterns throughout', async () => {
    const role = `arn:aws-us-gov:iam::${OTHER}:role/sentinel-audit`;
    const roles = functionRoles('aws-us-gov', 'us-gov-west-1', 'gov');
    const result = await sentinel(['--output', 'json', 'init', 'role', '--role-arn', role, '--deployment-account', DEPLOYMENT, '--stage', 'gov', '--region', 'us-gov-west-1']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const view = JSON.parse(result.stdout) as JsonView;
    expect(view.deployment.credentialsRoleArn).toBe(roles.credentials);
    expectTrust(view.trust, roles.credentials);
    expectRevokerTrust(view.revoker!.trust, roles);
    expectRevokerPermissions(view.revoker!.permissions, 'aws-us-gov', OTHER);
    expectScp(view.scp, 'aws-us-gov', roles);
    expect(result.stdout).not.toContain('arn:aws:');
  });
});

describe('sentinel init role: refusals (exit 2, nothing on stdout)', () => {
  const refusals: Array<[string, string[], NodeJS.ProcessEnv, string]> = [
    ['no --role-arn', ['--region', 'eu-west-1'], {}, "error: required option '--role-arn <arn>' not specified"],
    [
      'an IAM user ARN',
      ['--role-arn', `arn:aws:iam::${DEPLOYMENT}:user/alice`, '--region', 'eu-west-1'],
      {},
      `error: option '--role-arn <arn>' argument 'arn:aws:iam::${DEPLOYMENT}:user/alice' is invalid: that is not a role: expected arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`,
    ],
    [
      'an STS assumed-role ARN',
      ['--role-arn', `arn:aws:sts::${DEPLOYMENT}:assumed-role/sentinel-deploy/alice`, '--region', 'eu-west-1'],
      {},
      `error: option '--role-arn <arn>' argument 'arn:aws:sts::${DEPLOYMENT}:assumed-role/sentinel-deploy/alice' is invalid: that is an STS session ARN; give the ARN of its role, such as arn:aws:iam::${DEPLOYMENT}:role/sentinel-deploy (with the role's path, if it has one)`,
    ],
    [
      'a bad account in the ARN',
      ['--role-arn', 'arn:aws:iam::1234:role/sentinel-deploy', '--region', 'eu-west-1'],
      {},
      "error: option '--role-arn <arn>' argument 'arn:aws:iam::1234:role/sentinel-deploy' is invalid: the account must be 12 digits",
    ],
    [
      'control characters in the ARN, shown as escapes',
      ['--role-arn', `${SAME_ROLE}\u001b[2J\u0007`, '--region', 'eu-west-1'],
      {},
      `error: option '--role-arn <arn>' argument '${SAME_ROLE}\\u001b[2J\\u0007' is invalid: expected arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>, the path and name made of letters, digits and _+=,.@-`,
    ],
    [
      'no region anywhere (SENTINEL_REGION is the API\'s, not read)',
      ['--role-arn', SAME_ROLE],
      { SENTINEL_REGION: 'eu-west-1' },
      'error: no region for the deployment: pass --region <region> (the region it is deployed in, such as eu-west-1), or set AWS_REGION',
    ],
    [
      'a region that is not one',
      ['--role-arn', SAME_ROLE],
      { AWS_REGION: 'moon-base-1a' },
      "error: AWS_REGION 'moon-base-1a' is not an AWS region name (such as eu-west-1): pass the deployment's --region",
    ],
    [
      'a partition other than the region\'s',
      ['--role-arn', SAME_ROLE, '--region', 'us-gov-east-1'],
      {},
      "error: the role is in partition aws but region us-gov-east-1 is in partition aws-us-gov: a deployment vends roles of its own partition only; pass the deployment's --region",
    ],
    [
      'a --deployment-account that is not 12 digits',
      ['--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--deployment-account', '1111-2222-3333'],
      {},
      "error: option '--deployment-account <id>' argument '1111-2222-3333' is invalid: an account id is 12 digits",
    ],
    [
      'a --stage with other characters',
      ['--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--stage', 'prod_eu'],
      {},
      "error: option '--stage <stage>' argument 'prod_eu' is invalid: a stage is letters, digits and -",
    ],
    [
      'a --stage too long for the function role names',
      ['--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--stage', 'x'.repeat(31)],
      {},
      `error: option '--stage <stage>' argument '${'x'.repeat(31)}' is invalid: the role of the revokeSessions function would be sentinel-${'x'.repeat(31)}-eu-west-1-revokeSessions (65 characters; IAM allows 64): in eu-west-1 a stage has at most 30 characters`,
    ],
    [
      'an unknown --document',
      ['--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--document', 'permissions'],
      {},
      "error: option '--document <name>' argument 'permissions' is invalid. Allowed choices are trust, revoker-trust, revoker-permissions, scp.",
    ],
  ];
  for (const [what, args, env, message] of refusals) {
    it(what, async () => {
      expect(await sentinel(['init', 'role', ...args], env)).toEqual({ code: 2, stdout: '', stderr: `${message}\n${USAGE_HINT}` });
    });
  }

  it('the longest stage the region allows is accepted', async () => {
    const result = await sentinel(['init', 'role', '--role-arn', SAME_ROLE, '--region', 'eu-west-1', '--stage', 'x'.repeat(30), '--output', 'json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(result.stdout) as JsonView).deployment.revocationRoleArns[0]).toBe(`arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-${'x'.repeat(30)}-eu-west-1-revokeSessions`);
  });
});

describe('sentinel init role: the rest', () => {
  it('a role not named sentinel-*: the documents on stdout, a warning on stderr', async () => {
    const result = await sentinel(['init', 'role', '--role-arn', `arn:aws:iam::${DEPLOYMENT}:role/deploy`, '--region', 'eu-west-1', '--document', 'trust']);
    expect(result.code).toBe(0);
    expectTrust(JSON.parse(result.stdout) as Document, functionRoles('aws', 'eu-west-1', 'dev').credentials);
    expect(result.stderr).toBe(
      "sentinel: warning: the role's name does not start with sentinel-: the deployment's default assumableRoles (arn:aws:iam::*:role/sentinel-*) does not cover it, so Sentinel cannot vend it unless that setting is widened; the revoker permissions and the SCP printed here cover sentinel-* roles only\n",
    );
  });

  it('asks nothing of a Sentinel API, even when one is configured', async () => {
    const before = apiRequests;
    const { port } = api.address() as AddressInfo;
    const result = await sentinel(['init', 'role', '--role-arn', FOREIGN_ROLE, '--deployment-account', DEPLOYMENT, '--region', 'eu-west-1'], {
      SENTINEL_API_URL: `http://127.0.0.1:${port}`,
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(apiRequests).toBe(before);
  });

  it('init --help lists role after the tables and before bootstrap', async () => {
    const result = await sentinel(['init', '--help']);
    expect(result.code).toBe(0);
    const commands = [...result.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((match) => match[1]);
    expect(commands).toEqual(['sessions', 'approvals', 'breakglass', 'config', 'role', 'bootstrap', 'help']);
    const role = await sentinel(['init', 'role', '--help']);
    expect(role.code).toBe(0);
    for (const option of ['--role-arn <arn>', '--deployment-account <id>', '--stage <stage>', '--document <name>']) expect(role.stdout).toContain(option);
  });
});
