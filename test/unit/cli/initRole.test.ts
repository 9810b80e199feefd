/**
 * `sentinel init role`: the trust policy of a target role, the revoker role of another
 * account and the SCP, statement by statement with exact values; the text, JSON and
 * `--document` outputs; and every argument it refuses (exit 2, nothing on stdout). Offline:
 * the API client is never asked for.
 */
import { describe, expect, it } from 'vitest';
import { runInitRole } from '../../../src/cli/commands/init.js';
import type { InitRoleOptions } from '../../../src/cli/init/role.js';
import type { PolicyDocument } from '../../../src/cli/init/rolePolicies.js';
import { roleDocuments, SCP_MAX_CHARS } from '../../../src/cli/init/rolePolicies.js';
import type { Harness, HarnessOptions, Outcome } from './commands/harness.js';
import { fakeApi, harness, outcome } from './commands/harness.js';

const DEPLOYMENT = '111122223333';
const OTHER = '444455556666';
const ROLE = `arn:aws:iam::${DEPLOYMENT}:role/sentinel-deploy`;
const FOREIGN_ROLE = `arn:aws:iam::${OTHER}:role/sentinel-deploy`;
const FUNCTION_ROLES = `arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-dev-eu-west-1`;

interface Run extends Outcome {
  apiRequests: number;
}

async function initRole(options: Partial<InitRoleOptions>, harnessOptions: HarnessOptions = {}): Promise<Run> {
  const h: Harness = harness(fakeApi({}), harnessOptions);
  const result = await outcome(h, (context) => runInitRole({ roleArn: ROLE, region: 'eu-west-1', ...options }, context));
  return { ...result, apiRequests: h.apiRequests() };
}

/** A refusal: exit 2, nothing on stdout, `message` and the help hint on stderr. */
async function refused(options: Partial<InitRoleOptions>, message: string, harnessOptions: HarnessOptions = {}): Promise<void> {
  const result = await initRole(options, harnessOptions);
  expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n(run with --help for usage)\n`, apiRequests: 0 });
}

function expectedTrust(credentialsRole: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SentinelIssuesThisRole',
        Effect: 'Allow',
        Principal: { AWS: credentialsRole },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: {
          StringLike: { 'sts:SourceIdentity': 'sentinel.*', 'aws:RequestTag/SentinelSessionID': '?*' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['SentinelSessionID'] },
        },
      },
    ],
  };
}

function expectedRevokerTrust(revokeSessionsRole: string, sweepRole: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'SentinelRevocationFunctions', Effect: 'Allow', Principal: { AWS: [revokeSessionsRole, sweepRole] }, Action: 'sts:AssumeRole' }],
  };
}

function expectedRevokerPermissions(partition: string, account: string): PolicyDocument {
  const actions = ['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'];
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SentinelRevocationPolicies', Effect: 'Allow', Action: actions, Resource: `arn:${partition}:iam::${account}:role/sentinel-*` },
      { Sid: 'SentinelRevokerNeverChangesItself', Effect: 'Deny', Action: actions, Resource: `arn:${partition}:iam::${account}:role/sentinel-revoker` },
    ],
  };
}

function expectedScp(partition: string, revokeSessionsRole: string, sweepRole: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenySentinelRoleSessionsWithoutSourceIdentity',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::*:role/sentinel-*` },
          ArnNotLike: { 'aws:PrincipalArn': `arn:${partition}:iam::*:role/sentinel-revoker` },
          StringNotLike: { 'aws:SourceIdentity': 'sentinel.*' },
        },
      },
      {
        Sid: 'DenySentinelRevocationPolicyChanges',
        Effect: 'Deny',
        Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        Resource: `arn:${partition}:iam::*:role/sentinel-*`,
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [`arn:${partition}:iam::*:role/sentinel-revoker`, revokeSessionsRole, sweepRole] } },
      },
    ],
  };
}

/** The JSON documents of the text output, in order: each starts at a line `{` and ends at the next line `}`. */
function documentsInText(text: string): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line === '{') current = [];
    if (current !== undefined) current.push(line);
    if (line === '}' && current !== undefined) {
      documents.push(JSON.parse(current.join('\n')) as PolicyDocument);
      current = undefined;
    }
  }
  return documents;
}

describe('init role: a target role in the deployment account', () => {
  it('--output json: the deployment, the trust policy, no revoker role, the SCP', async () => {
    const result = await initRole({}, { format: 'json' });
    expect(result).toMatchObject({ code: 0, stderr: '', apiRequests: 0 });
    expect(JSON.parse(result.stdout)).toEqual({
      roleArn: ROLE,
      deployment: {
        accountId: DEPLOYMENT,
        region: 'eu-west-1',
        stage: 'dev',
        credentialsRoleArn: `${FUNCTION_ROLES}-credentials`,
        revocationRoleArns: [`${FUNCTION_ROLES}-revokeSessions`, `${FUNCTION_ROLES}-sweep`],
      },
      trust: expectedTrust(`${FUNCTION_ROLES}-credentials`),
      revoker: null,
      scp: expectedScp('aws', `${FUNCTION_ROLES}-revokeSessions`, `${FUNCTION_ROLES}-sweep`),
    });
  });

  it('text: each document with its heading, purpose and commands; the revoker is said not to be needed', async () => {
    const result = await initRole({});
    expect(result).toMatchObject({ code: 0, stderr: '', apiRequests: 0 });
    const out = result.stdout;
    expect(out.startsWith(`IAM documents for ${ROLE}\nDeployment: account ${DEPLOYMENT}, region eu-west-1, stage dev\n  issues with:  ${FUNCTION_ROLES}-credentials\n`)).toBe(true);
    expect(out).toContain(`  revokes with: ${FUNCTION_ROLES}-revokeSessions\n                ${FUNCTION_ROLES}-sweep\n`);
    expect(out).toContain(`  sentinel init role --role-arn ${ROLE} --stage dev --region eu-west-1 --document trust > trust.json\n`);
    expect(out).toContain('\ntrust.json: the trust policy of sentinel-deploy (--document trust)\nLets only the deployment\'s credentials function assume the role');
    expect(out).toContain(`Apply it in account ${DEPLOYMENT}:\n  aws iam update-assume-role-policy --role-name sentinel-deploy --policy-document file://trust.json\n`);
    expect(out).toContain(
      `\nsentinel-revoker: not needed\nsentinel-deploy is in the deployment's own account (${DEPLOYMENT}): the deployment's revocation functions change roles of their own account directly, without a sentinel-revoker role.\n`,
    );
    expect(out).not.toContain('revoker-trust.json');
    expect(out).toContain('\nscp.json: a service control policy for the organisation (--document scp)\n');
    expect(out).toContain("IAM has no condition key for an inline policy's name, so the second statement covers every inline policy of every sentinel-* role");
    expect(out).toContain('give target roles their permissions as managed policies (aws iam attach-role-policy)');
    expect(out).toContain('  aws organizations create-policy --type SERVICE_CONTROL_POLICY --name SentinelTargetRoles ');
    expect(out).toContain(' --content file://scp.json\n  aws organizations attach-policy --policy-id ');
    expect(documentsInText(out)).toEqual([expectedTrust(`${FUNCTION_ROLES}-credentials`), expectedScp('aws', `${FUNCTION_ROLES}-revokeSessions`, `${FUNCTION_ROLES}-sweep`)]);
  });

  it('--document trust and scp print only that JSON, whatever --output says', async () => {
    for (const format of ['text', 'json'] as const) {
      const trust = await initRole({ document: 'trust' }, { format });
      expect(trust).toEqual({ code: 0, stdout: `${JSON.stringify(expectedTrust(`${FUNCTION_ROLES}-credentials`), null, 2)}\n`, stderr: '', apiRequests: 0 });
      const scp = await initRole({ document: 'scp' }, { format });
      expect(JSON.parse(scp.stdout)).toEqual(expectedScp('aws', `${FUNCTION_ROLES}-revokeSessions`, `${FUNCTION_ROLES}-sweep`));
    }
  });

  it('--document revoker-trust or revoker-permissions: a usage error, there is no revoker role to make', async () => {
    for (const document of ['revoker-trust', 'revoker-permissions'] as const) {
      await refused(
        { document },
        `error: --document ${document}: no revoker role is needed, since ${ROLE} is in the deployment's own account (${DEPLOYMENT}), whose revocation functions change its roles directly; a revoker role is for a role in another account (--deployment-account)`,
      );
    }
  });

  it('--deployment-account equal to the role\'s account is the same as leaving it out', async () => {
    const given = await initRole({ deploymentAccount: DEPLOYMENT }, { format: 'json' });
    expect(given).toEqual(await initRole({}, { format: 'json' }));
  });
});

describe('init role: a target role in another account', () => {
  const options = { roleArn: FOREIGN_ROLE, deploymentAccount: DEPLOYMENT, stage: 'prod' };
  const roles = `arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-prod-eu-west-1`;

  it('--output json: the revoker role of the role\'s account, trusting the two revocation functions', async () => {
    const result = await initRole(options, { format: 'json' });
    expect(result).toMatchObject({ code: 0, stderr: '', apiRequests: 0 });
    expect(JSON.parse(result.stdout)).toEqual({
      roleArn: FOREIGN_ROLE,
      deployment: {
        accountId: DEPLOYMENT,
        region: 'eu-west-1',
        stage: 'prod',
        credentialsRoleArn: `${roles}-credentials`,
        revocationRoleArns: [`${roles}-revokeSessions`, `${roles}-sweep`],
      },
      trust: expectedTrust(`${roles}-credentials`),
      revoker: {
        roleName: 'sentinel-revoker',
        trust: expectedRevokerTrust(`${roles}-revokeSessions`, `${roles}-sweep`),
        permissions: expectedRevokerPermissions('aws', OTHER),
      },
      scp: expectedScp('aws', `${roles}-revokeSessions`, `${roles}-sweep`),
    });
  });

  it('text: four documents in order, with the commands that create the revoker role', async () => {
    const result = await initRole(options);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(documentsInText(result.stdout)).toEqual([
      expectedTrust(`${roles}-credentials`),
      expectedRevokerTrust(`${roles}-revokeSessions`, `${roles}-sweep`),
      expectedRevokerPermissions('aws', OTHER),
      expectedScp('aws', `${roles}-revokeSessions`, `${roles}-sweep`),
    ]);
    const out = result.stdout;
    expect(out).toContain(`  sentinel init role --role-arn ${FOREIGN_ROLE} --deployment-account ${DEPLOYMENT} --stage prod --region eu-west-1 --document trust > trust.json\n`);
    expect(out).toContain(`Apply it in account ${OTHER}:\n  aws iam update-assume-role-policy --role-name sentinel-deploy --policy-document file://trust.json\n`);
    expect(out).toContain(`\nrevoker-trust.json: the trust policy of sentinel-revoker in account ${OTHER} (--document revoker-trust)\n`);
    expect(out).toContain('\n  aws iam create-role --role-name sentinel-revoker --assume-role-policy-document file://revoker-trust.json\n');
    expect(out).toContain(`\nrevoker-permissions.json: the permissions of sentinel-revoker in account ${OTHER} (--document revoker-permissions)\n`);
    expect(out).toContain('\n  aws iam put-role-policy --role-name sentinel-revoker --policy-name SentinelRevocation --policy-document file://revoker-permissions.json\n');
    expect(out).not.toContain('not needed');
  });

  it('--document revoker-trust and revoker-permissions print only that JSON', async () => {
    const trust = await initRole({ ...options, document: 'revoker-trust' });
    expect(trust).toEqual({ code: 0, stdout: `${JSON.stringify(expectedRevokerTrust(`${roles}-revokeSessions`, `${roles}-sweep`), null, 2)}\n`, stderr: '', apiRequests: 0 });
    const permissions = await initRole({ ...options, document: 'revoker-permissions' }, { format: 'json' });
    expect(permissions).toEqual({ code: 0, stdout: `${JSON.stringify(expectedRevokerPermissions('aws', OTHER), null, 2)}\n`, stderr: '', apiRequests: 0 });
  });
});

describe('init role: partitions and regions', () => {
  it('GovCloud: every ARN and pattern in aws-us-gov, the function roles named after the GovCloud region', async () => {
    const role = `arn:aws-us-gov:iam::${OTHER}:role/sentinel-audit`;
    const roles = `arn:aws-us-gov:iam::${DEPLOYMENT}:role/sentinel/sentinel-gov-us-gov-west-1`;
    const result = await initRole({ roleArn: role, deploymentAccount: DEPLOYMENT, stage: 'gov', region: 'us-gov-west-1' }, { format: 'json' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      roleArn: role,
      deployment: {
        accountId: DEPLOYMENT,
        region: 'us-gov-west-1',
        stage: 'gov',
        credentialsRoleArn: `${roles}-credentials`,
        revocationRoleArns: [`${roles}-revokeSessions`, `${roles}-sweep`],
      },
      trust: expectedTrust(`${roles}-credentials`),
      revoker: {
        roleName: 'sentinel-revoker',
        trust: expectedRevokerTrust(`${roles}-revokeSessions`, `${roles}-sweep`),
        permissions: expectedRevokerPermissions('aws-us-gov', OTHER),
      },
      scp: expectedScp('aws-us-gov', `${roles}-revokeSessions`, `${roles}-sweep`),
    });
    expect(result.stdout).not.toContain('arn:aws:');
  });

  it('China: aws-cn', async () => {
    const result = await initRole({ roleArn: `arn:aws-cn:iam::${DEPLOYMENT}:role/sentinel-x`, region: 'cn-north-1', document: 'trust' });
    expect(JSON.parse(result.stdout)).toEqual(expectedTrust(`arn:aws-cn:iam::${DEPLOYMENT}:role/sentinel/sentinel-dev-cn-north-1-credentials`));
  });

  it('a role of another partition than the region\'s is refused', async () => {
    await refused(
      { roleArn: `arn:aws-us-gov:iam::${DEPLOYMENT}:role/sentinel-x` },
      "error: the role is in partition aws-us-gov but region eu-west-1 is in partition aws: a deployment vends roles of its own partition only; pass the deployment's --region",
    );
    await refused(
      { region: 'cn-northwest-1' },
      "error: the role is in partition aws but region cn-northwest-1 is in partition aws-cn: a deployment vends roles of its own partition only; pass the deployment's --region",
    );
  });

  it('the region: --region, else AWS_REGION, else AWS_DEFAULT_REGION (empty counts as unset)', async () => {
    const regionOf = async (region: string | undefined, env: NodeJS.ProcessEnv): Promise<string> => {
      const result = await initRole({ region, document: 'trust' }, { env });
      return (JSON.parse(result.stdout) as { Statement: Array<{ Principal: { AWS: string } }> }).Statement[0]!.Principal.AWS;
    };
    const arn = (region: string) => `arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-dev-${region}-credentials`;
    expect(await regionOf('eu-central-1', { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-west-2' })).toBe(arn('eu-central-1'));
    expect(await regionOf(undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-west-2' })).toBe(arn('us-east-1'));
    expect(await regionOf(undefined, { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-west-2' })).toBe(arn('us-west-2'));
    expect(await regionOf('', { AWS_DEFAULT_REGION: 'us-west-2' })).toBe(arn('us-west-2'));
  });

  it('no region anywhere, or one that is not a region name: a usage error telling to pass --region', async () => {
    await refused({ region: undefined }, 'error: no region for the deployment: pass --region <region> (the region it is deployed in, such as eu-west-1), or set AWS_REGION');
    // SENTINEL_REGION is the API's signing region, not read here.
    await refused({ region: undefined }, 'error: no region for the deployment: pass --region <region> (the region it is deployed in, such as eu-west-1), or set AWS_REGION', {
      env: { SENTINEL_REGION: 'eu-west-1' },
    });
    await refused({ region: 'Europe' }, "error: option '--region <region>' 'Europe' is not an AWS region name (such as eu-west-1): pass the deployment's --region");
    await refused({ region: undefined }, "error: AWS_REGION 'eu_west_1' is not an AWS region name (such as eu-west-1): pass the deployment's --region", { env: { AWS_REGION: 'eu_west_1' } });
  });
});

describe('init role: the stage', () => {
  it('defaults to dev and goes into every function role name', async () => {
    const result = await initRole({ stage: 'team-a2', document: 'trust' });
    expect(JSON.parse(result.stdout)).toEqual(expectedTrust(`arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-team-a2-eu-west-1-credentials`));
  });

  it('is accepted up to the length that keeps sentinel-<stage>-<region>-revokeSessions within 64 characters, refused beyond', async () => {
    // sentinel- (9) + stage + -eu-west-1- (11) + revokeSessions (14) = 64 with a 30-character stage.
    const longest = 's'.repeat(30);
    const accepted = await initRole({ stage: longest }, { format: 'json' });
    expect(accepted.code).toBe(0);
    const view = JSON.parse(accepted.stdout) as { deployment: { revocationRoleArns: string[] } };
    expect(view.deployment.revocationRoleArns[0]).toBe(`arn:aws:iam::${DEPLOYMENT}:role/sentinel/sentinel-${longest}-eu-west-1-revokeSessions`);
    expect(`sentinel-${longest}-eu-west-1-revokeSessions`).toHaveLength(64);
    await refused(
      { stage: `${longest}s` },
      `error: option '--stage <stage>' argument '${longest}s' is invalid: the role of the revokeSessions function would be sentinel-${longest}s-eu-west-1-revokeSessions (65 characters; IAM allows 64): in eu-west-1 a stage has at most 30 characters`,
    );
    // A longer region leaves less room.
    await refused(
      { roleArn: `arn:aws-us-gov:iam::${DEPLOYMENT}:role/sentinel-x`, region: 'us-gov-west-1', stage: 's'.repeat(27) },
      `error: option '--stage <stage>' argument '${'s'.repeat(27)}' is invalid: the role of the revokeSessions function would be sentinel-${'s'.repeat(27)}-us-gov-west-1-revokeSessions (65 characters; IAM allows 64): in us-gov-west-1 a stage has at most 26 characters`,
    );
  });

  it('refuses characters outside [A-Za-z0-9-], and an empty stage', async () => {
    for (const stage of ['prod_1', 'prod.eu', 'pr od', '', 'prod/x', 'prød']) {
      await refused({ stage }, `error: option '--stage <stage>' argument '${stage}' is invalid: a stage is letters, digits and -`);
    }
  });
});

describe('init role: what --role-arn accepts', () => {
  it('a role with a path: the trust commands name the role by its name', async () => {
    const result = await initRole({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/sentinel-team/ops/sentinel-x` });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('aws iam update-assume-role-policy --role-name sentinel-x --policy-document file://trust.json');
  });

  it('every IAM name character: letters, digits and _+=,.@-', async () => {
    const result = await initRole({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/sentinel-A_b+c=d,e.f@g-9`, document: 'trust' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  const form = 'arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>';
  const general = `expected ${form}, the path and name made of letters, digits and _+=,.@-`;
  const refusals: Array<[string, string, string]> = [
    ['an IAM user', `arn:aws:iam::${DEPLOYMENT}:user/alice`, `that is not a role: expected ${form}`],
    ['a managed policy', `arn:aws:iam::${DEPLOYMENT}:policy/sentinel-x`, `that is not a role: expected ${form}`],
    [
      'an STS assumed-role session',
      `arn:aws:sts::${DEPLOYMENT}:assumed-role/sentinel-x/alice`,
      `that is an STS session ARN; give the ARN of its role, such as arn:aws:iam::${DEPLOYMENT}:role/sentinel-x (with the role's path, if it has one)`,
    ],
    ['an 11-digit account', 'arn:aws:iam::11112222333:role/sentinel-x', 'the account must be 12 digits'],
    ['an account with letters', 'arn:aws:iam::11112222333a:role/sentinel-x', 'the account must be 12 digits'],
    ['no account', 'arn:aws:iam:::role/sentinel-x', 'the account must be 12 digits'],
    ['a region in an IAM ARN', `arn:aws:iam:eu-west-1:${DEPLOYMENT}:role/sentinel-x`, general],
    ['another service', `arn:aws:s3::${DEPLOYMENT}:role/sentinel-x`, general],
    ['an unknown partition', `arn:azure:iam::${DEPLOYMENT}:role/sentinel-x`, general],
    ['a wildcard', `arn:aws:iam::${DEPLOYMENT}:role/sentinel-*`, general],
    ['a quote', `arn:aws:iam::${DEPLOYMENT}:role/sentinel-"x`, general],
    ['a space and a shell operator', `arn:aws:iam::${DEPLOYMENT}:role/sentinel-x; rm -rf ~`, general],
    ['no name', `arn:aws:iam::${DEPLOYMENT}:role/`, general],
    ['an empty path segment', `arn:aws:iam::${DEPLOYMENT}:role//sentinel-x`, general],
    ['a name of 65 characters', `arn:aws:iam::${DEPLOYMENT}:role/${'s'.repeat(65)}`, 'a role name has at most 64 characters (this one has 65)'],
    ['a path over 512 characters', `arn:aws:iam::${DEPLOYMENT}:role/${'p/'.repeat(256)}sentinel-x`, "a role's path has at most 512 characters"],
    ['nothing', '', general],
  ];
  for (const [what, arn, problem] of refusals) {
    it(`refuses ${what}`, async () => {
      await refused({ roleArn: arn }, `error: option '--role-arn <arn>' argument '${arn.length > 160 ? `${arn.slice(0, 160)}…` : arn}' is invalid: ${problem}`);
    });
  }

  it('refuses control characters, and shows them as escapes, never raw', async () => {
    const arn = `arn:aws:iam::${DEPLOYMENT}:role/sentinel-x\u001b]0;owned\u0007\u202e`;
    await refused({ roleArn: arn }, `error: option '--role-arn <arn>' argument 'arn:aws:iam::${DEPLOYMENT}:role/sentinel-x\\u001b]0;owned\\u0007\\u202e' is invalid: ${general}`);
    await refused({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/sentinel-x\n` }, `error: option '--role-arn <arn>' argument 'arn:aws:iam::${DEPLOYMENT}:role/sentinel-x\\u000a' is invalid: ${general}`);
  });

  it('refuses a --deployment-account that is not 12 digits', async () => {
    for (const account of ['12345', '1111222233334', 'abcdabcdabcd', '']) {
      await refused({ deploymentAccount: account }, `error: option '--deployment-account <id>' argument '${account}' is invalid: an account id is 12 digits`);
    }
  });
});

describe('init role: roles the default assumableRoles does not cover', () => {
  const warning = (why: string) =>
    `sentinel: warning: ${why}: the deployment's default assumableRoles (arn:aws:iam::*:role/sentinel-*) does not cover it, so Sentinel cannot vend it unless that setting is widened; the revoker permissions and the SCP printed here cover sentinel-* roles only\n`;

  it('a name without the sentinel- prefix: the documents, and a warning on stderr', async () => {
    const result = await initRole({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/deploy`, document: 'trust' });
    expect(result).toEqual({
      code: 0,
      stdout: `${JSON.stringify(expectedTrust(`${FUNCTION_ROLES}-credentials`), null, 2)}\n`,
      stderr: warning("the role's name does not start with sentinel-"),
      apiRequests: 0,
    });
    const json = await initRole({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/Sentinel-deploy` }, { format: 'json' });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(warning("the role's name does not start with sentinel-"));
    expect((JSON.parse(json.stdout) as { roleArn: string }).roleArn).toBe(`arn:aws:iam::${DEPLOYMENT}:role/Sentinel-deploy`);
  });

  it('a sentinel- name under a path: role/sentinel-* matches the root path only', async () => {
    const result = await initRole({ roleArn: `arn:aws:iam::${DEPLOYMENT}:role/team/sentinel-deploy` });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(warning("the role has the path /team/, and sentinel-* matches roles at the root path only"));
  });

  it('in GovCloud the pattern is the partition\'s', async () => {
    const result = await initRole({ roleArn: `arn:aws-us-gov:iam::${DEPLOYMENT}:role/audit`, region: 'us-gov-east-1', document: 'scp' });
    expect(result.stderr).toContain("the deployment's default assumableRoles (arn:aws-us-gov:iam::*:role/sentinel-*) does not cover it");
  });
});

describe('the documents themselves', () => {
  /** Checks the version and runs `check` on every statement of `document`. */
  function every(document: PolicyDocument, check: (statement: PolicyDocument['Statement'][number]) => void): void {
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement.length).toBeGreaterThan(0);
    for (const statement of document.Statement) check(statement);
  }

  it('every statement has a unique Sid, as IAM and Organizations require of a document', () => {
    const documents = roleDocuments(OTHER, { partition: 'aws', accountId: DEPLOYMENT, region: 'eu-west-1', stage: 'prod' });
    for (const document of [documents.trust, documents.revoker!.trust, documents.revoker!.permissions, documents.scp]) {
      const sids: string[] = [];
      every(document, (statement) => {
        expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
        sids.push(statement.Sid);
      });
      expect(new Set(sids).size).toBe(sids.length);
    }
  });

  it(`the SCP stays under Organizations' ${SCP_MAX_CHARS}-character limit, with the longest partition, region, account ids and stage`, () => {
    // GovCloud's partition and a 14-character region, and the longest stage that region allows (64 − 9 − 1 − 14 − 1 − 14 = 25).
    const documents = roleDocuments(OTHER, { partition: 'aws-us-gov', accountId: DEPLOYMENT, region: 'ap-southeast-7', stage: 's'.repeat(25) });
    const pretty = JSON.stringify(documents.scp, null, 2);
    expect(pretty).toContain(`sentinel-${'s'.repeat(25)}-ap-southeast-7-revokeSessions`);
    expect(pretty.length).toBeLessThan(SCP_MAX_CHARS);
    expect(SCP_MAX_CHARS).toBe(5120);
  });

  it('the SCP as the CLI prints it is under the limit too', async () => {
    const result = await initRole({ roleArn: FOREIGN_ROLE, deploymentAccount: DEPLOYMENT, document: 'scp' });
    expect(result.stdout.trimEnd().length).toBeLessThan(5120);
  });
});
