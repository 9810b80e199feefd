import { describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { matchesRolePattern, resolveCaller } from '../../../src/identity/resolve.js';
import type { AuthorizerIam, IdentityRules } from '../../../src/identity/types.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const RULES: IdentityRules = { identityRolePatterns: ['AWSReservedSSO_*'], allowedAccounts: [ACCOUNT] };

function iam(userArn: string, accountId: string | null = ACCOUNT): AuthorizerIam {
  return { accountId, userArn, userId: 'AIDAEXAMPLE', accessKey: 'AKIAEXAMPLE', principalOrgId: null };
}

function refusal(fn: () => unknown): SentinelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SentinelError);
    return error as SentinelError;
  }
  throw new Error('expected a SentinelError');
}

describe('resolveCaller: accepted ARN forms', () => {
  const cases: Array<{ name: string; arn: string; user: string; rules?: IdentityRules }> = [
    { name: 'IAM user', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, user: 'alice' },
    { name: 'IAM user with a path', arn: `arn:aws:iam::${ACCOUNT}:user/division/team/alice`, user: 'alice' },
    { name: 'IAM user in China', arn: `arn:aws-cn:iam::${ACCOUNT}:user/bob`, user: 'bob' },
    { name: 'IAM user in GovCloud', arn: `arn:aws-us-gov:iam::${ACCOUNT}:user/ops/carol`, user: 'carol' },
    { name: 'IAM user with every allowed character', arn: `arn:aws:iam::${ACCOUNT}:user/a_b+c=d,e.f@g-h`, user: 'a_b+c=d,e.f@g-h' },
    {
      name: 'SSO role: the session name is the user',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`,
      user: 'alice@example.com',
    },
    {
      name: 'SSO role in GovCloud',
      arn: `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_abc/dave`,
      user: 'dave',
    },
    {
      name: 'SSO role in China',
      arn: `arn:aws-cn:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_abc/erin`,
      user: 'erin',
    },
    { name: 'ordinary role: role/session', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-run-42`, user: 'deploy/ci-run-42' },
    {
      name: 'a role that only contains the pattern text is ordinary',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/XAWSReservedSSO_a/alice`,
      user: 'XAWSReservedSSO_a/alice',
    },
    {
      name: 'patterns are case-sensitive',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/awsreservedsso_Admin/alice`,
      user: 'awsreservedsso_Admin/alice',
    },
    {
      name: 'a configured exact pattern',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/people/alice`,
      user: 'alice',
      rules: { identityRolePatterns: ['AWSReservedSSO_*', 'people'], allowedAccounts: [ACCOUNT] },
    },
    {
      name: 'no identity-role patterns: every role is ordinary',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_x/alice`,
      user: 'AWSReservedSSO_Admin_x/alice',
      rules: { identityRolePatterns: [], allowedAccounts: [ACCOUNT] },
    },
    {
      name: 'a user of exactly 33 characters',
      arn: `arn:aws:iam::${ACCOUNT}:user/${'a'.repeat(33)}`,
      user: 'a'.repeat(33),
    },
  ];

  it.each(cases)('$name', ({ arn, user, rules }) => {
    expect(resolveCaller(iam(arn), rules ?? RULES)).toEqual({ user, arn, accountId: ACCOUNT });
  });

  it('accepts a context without accountId (the ARN names the account)', () => {
    expect(resolveCaller(iam(`arn:aws:iam::${ACCOUNT}:user/alice`, null), RULES).accountId).toBe(ACCOUNT);
  });

  it('accepts any allowed account, not only the first', () => {
    const rules = { ...RULES, allowedAccounts: [OTHER, ACCOUNT] };
    expect(resolveCaller(iam(`arn:aws:iam::${ACCOUNT}:user/alice`), rules).user).toBe('alice');
  });
});

describe('resolveCaller: refusals', () => {
  it.each([undefined, iam(''), { accountId: ACCOUNT, userArn: null }])('IAM_AUTH_REQUIRED without an IAM context (%#)', (context) => {
    const error = refusal(() => resolveCaller(context, RULES));
    expect(error.code).toBe('IAM_AUTH_REQUIRED');
    expect(error.message).toBe('this API needs a SigV4-signed request (AWS_IAM)');
  });

  const cases: Array<{ name: string; arn: string; message: RegExp; context?: AuthorizerIam; rules?: IdentityRules }> = [
    { name: 'root', arn: `arn:aws:iam::${ACCOUNT}:root`, message: /^root credentials cannot be used with Sentinel; sign in as an IAM user or role$/ },
    { name: 'GovCloud root', arn: `arn:aws-us-gov:iam::${ACCOUNT}:root`, message: /^root credentials cannot be used/ },
    { name: 'federated user', arn: `arn:aws:sts::${ACCOUNT}:federated-user/bob`, message: /^federated-user credentials \(GetFederationToken\) cannot be used/ },
    { name: 'a role ARN (not a session)', arn: `arn:aws:iam::${ACCOUNT}:role/deploy`, message: /^iam:role credentials cannot be used with Sentinel; only IAM users and assumed roles/ },
    { name: 'an unknown STS form', arn: `arn:aws:sts::${ACCOUNT}:something/x`, message: /^sts:something credentials cannot be used/ },
    { name: 'another service', arn: `arn:aws:s3:::bucket`, message: /not a valid IAM or STS ARN/ },
    { name: 'not an ARN', arn: 'alice', message: /not a valid IAM or STS ARN/ },
    { name: 'an ISO partition', arn: `arn:aws-iso:iam::${ACCOUNT}:user/alice`, message: /^partition "aws-iso" is not supported; Sentinel accepts aws, aws-cn, aws-us-gov$/ },
    { name: 'a region in an IAM ARN', arn: `arn:aws:iam:us-east-1:${ACCOUNT}:user/alice`, message: /not a valid IAM or STS ARN/ },
    { name: 'a short account id', arn: 'arn:aws:iam::1234:user/alice', message: /not a valid IAM or STS ARN/ },
    { name: 'assumed role without a session', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy`, message: /expected assumed-role\/<role>\/<session>/ },
    { name: 'assumed role with a path', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/path/deploy/ci`, message: /expected assumed-role\/<role>\/<session>/ },
    { name: 'empty user name', arn: `arn:aws:iam::${ACCOUNT}:user/team/`, message: /^the caller ARN has an empty user name$/ },
    { name: 'empty session name', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/`, message: /empty session name/ },
    {
      name: 'characters IAM does not allow',
      arn: `arn:aws:iam::${ACCOUNT}:user/al ice`,
      message: /^user name "al ice" contains characters outside \[A-Za-z0-9_\+=,\.@-\], which Sentinel cannot represent$/,
    },
    { name: 'non-ASCII session name', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_A/élodie`, message: /^session name "élodie" contains characters outside/ },
    {
      name: 'a user of 34 characters',
      arn: `arn:aws:iam::${ACCOUNT}:user/${'a'.repeat(34)}`,
      message: new RegExp(`^user name "${'a'.repeat(34)}" is 34 characters; Sentinel can represent at most 33$`),
    },
    {
      name: 'an ordinary role whose role/session is too long',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployment-pipeline/github-actions-run`,
      message: /^user name "deployment-pipeline\/github-actions-run" is 38 characters; Sentinel can represent at most 33$/,
    },
    { name: 'an account that is not allowed', arn: `arn:aws:iam::${OTHER}:user/alice`, context: iam(`arn:aws:iam::${OTHER}:user/alice`, OTHER), message: /^account 444455556666 is not allowed to use this Sentinel deployment$/ },
    { name: 'no allowed accounts at all', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, rules: { identityRolePatterns: [], allowedAccounts: [] }, message: /^account 111122223333 is not allowed/ },
    {
      name: 'ARN account differs from the authorizer account',
      arn: `arn:aws:iam::${OTHER}:user/alice`,
      rules: { identityRolePatterns: [], allowedAccounts: [ACCOUNT, OTHER] },
      message: /^the caller's ARN names account 444455556666 but the request was authenticated for account 111122223333$/,
    },
  ];

  it.each(cases)('INVALID_IDENTITY: $name', ({ arn, message, context, rules }) => {
    const error = refusal(() => resolveCaller(context ?? iam(arn), rules ?? RULES));
    expect(error.code).toBe('INVALID_IDENTITY');
    expect(error.message).toMatch(message);
  });
});

describe('matchesRolePattern', () => {
  it.each([
    ['AWSReservedSSO_*', 'AWSReservedSSO_Admin_abc', true],
    ['AWSReservedSSO_*', 'AWSReservedSSO_', true],
    ['AWSReservedSSO_*', 'XAWSReservedSSO_a', false],
    ['AWSReservedSSO_*', 'AWSReservedSSO', false],
    ['AWSReservedSSO_*', 'awsreservedsso_Admin', false],
    ['*_people', 'eng_people', true],
    ['*_people', 'eng_people_x', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'acb', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['*', 'anything', true],
    // Regex metacharacters in a pattern are literal.
    ['role.name', 'roleXname', false],
    ['role.name', 'role.name', true],
    ['role+x', 'rolex', false],
    ['(x)*', '(x)y', true],
  ])('%s vs %s → %s', (pattern, role, expected) => {
    expect(matchesRolePattern(pattern, role)).toBe(expected);
  });
});
