import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/config.js';
import { SetupError } from '../../src/errors.js';

const BASE = { AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: '111122223333' };

/** The message of the INVALID_CONFIG error `loadConfig` throws for `env`. */
function problem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).code).toBe('INVALID_CONFIG');
    return (error as SetupError).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig defaults', () => {
  it('needs only the region and account: everything else has the documented default', () => {
    expect(loadConfig(BASE)).toEqual({
      region: 'eu-west-1',
      accountId: '111122223333',
      configTable: 'sentinel-config',
      requestsTable: 'sentinel-requests',
      breakglassTable: 'sentinel-breakglass',
      notifications: {},
      tablePrefix: 'sentinel-',
      identity: { ownAccountId: '111122223333', allowedAccounts: ['111122223333'], allowedOrganizations: [], identityRolePatterns: ['AWSReservedSSO_*'], identityRoles: [], identityRoleLookup: true },
      policyTtlSeconds: 10,
      rateLimit: { requests: 60, windowSeconds: 60 },
      maxSessionLifetimeSeconds: 12 * 3600,
      auditRetentionSeconds: 90 * 86_400,
      bootstrapAdmins: [],
      issuer: 'sts',
    });
  });

  it('has no default session table unless one is configured', () => {
    expect(loadConfig(BASE).defaultSessionTable).toBeUndefined();
    expect(loadConfig({ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: 'none' }).defaultSessionTable).toBeUndefined();
    expect(loadConfig({ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: '' }).defaultSessionTable).toBeUndefined();
    expect(loadConfig({ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions' }).defaultSessionTable).toBe('sentinel-sessions');
  });

  it('treats an empty variable as unset (a template writing "no value")', () => {
    const config = loadConfig({ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: '', SENTINEL_POLICY_TTL: '', SENTINEL_ISSUER: '' });
    expect(config.bootstrapAdmins).toEqual([]);
    expect(config.policyTtlSeconds).toBe(10);
    expect(config.issuer).toBe('sts');
  });

  it('ignores variables outside SENTINEL_* (the Lambda environment has many)', () => {
    expect(loadConfig({ ...BASE, AWS_LAMBDA_FUNCTION_NAME: 'sentinel-prod-credentials', PATH: '/usr/bin' }).region).toBe('eu-west-1');
  });

  it('returns a frozen configuration, nested values included', () => {
    const config = loadConfig({ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: 'erin' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.identity)).toBe(true);
    expect(Object.isFrozen(config.identity.allowedAccounts)).toBe(true);
    expect(Object.isFrozen(config.identity.allowedOrganizations)).toBe(true);
    expect(Object.isFrozen(config.identity.identityRoles)).toBe(true);
    expect(Object.isFrozen(config.rateLimit)).toBe(true);
    expect(Object.isFrozen(config.bootstrapAdmins)).toBe(true);
  });
});

describe('loadConfig values', () => {
  it('reads every variable it documents', () => {
    const config = loadConfig({
      AWS_REGION: 'us-east-1',
      SENTINEL_ACCOUNT_ID: '111122223333',
      SENTINEL_TABLE_PREFIX: 'acme-sentinel-',
      SENTINEL_CONFIG_TABLE: 'acme-sentinel-config',
      SENTINEL_DEFAULT_SESSION_TABLE: 'acme-sentinel-sessions',
      SENTINEL_IDENTITY_ROLE_PATTERNS: ' AWSReservedSSO_* , people-* ',
      SENTINEL_IDENTITY_ROLE_LOOKUP: 'none',
      SENTINEL_IDENTITY_ROLES: 'arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Eng_0123abcd, 444455556666:AROAENGINEERROLE0001',
      SENTINEL_ALLOWED_ACCOUNTS: '111122223333,444455556666',
      SENTINEL_ALLOWED_ORGANIZATIONS: ' o-a1b2c3d4e5 , o-0123456789abcdefghijklmnopqrstuv',
      SENTINEL_POLICY_TTL: '0',
      SENTINEL_RATE_LIMIT_REQUESTS: '5',
      SENTINEL_RATE_LIMIT_WINDOW: '300',
      SENTINEL_MAX_SESSION_LIFETIME: '1h30m',
      SENTINEL_AUDIT_RETENTION_DAYS: '365',
      SENTINEL_BOOTSTRAP_ADMINS: 'erin, iam:frank, 444455556666:role:ops/grace, ops/frank',
      SENTINEL_ISSUER: 'sts',
      SENTINEL_DYNAMODB_ENDPOINT: 'http://127.0.0.1:18000',
    });
    expect(config).toEqual({
      region: 'us-east-1',
      accountId: '111122223333',
      tablePrefix: 'acme-sentinel-',
      configTable: 'acme-sentinel-config',
      requestsTable: 'acme-sentinel-requests',
      breakglassTable: 'acme-sentinel-breakglass',
      notifications: {},
      defaultSessionTable: 'acme-sentinel-sessions',
      identity: {
        ownAccountId: '111122223333',
        allowedAccounts: ['111122223333', '444455556666'],
        allowedOrganizations: ['o-a1b2c3d4e5', 'o-0123456789abcdefghijklmnopqrstuv'],
        identityRolePatterns: ['AWSReservedSSO_*', 'people-*'],
        identityRoles: [
          { accountId: '444455556666', roleName: 'AWSReservedSSO_Eng_0123abcd' },
          { accountId: '444455556666', roleId: 'AROAENGINEERROLE0001' },
        ],
        identityRoleLookup: false,
      },
      policyTtlSeconds: 0,
      rateLimit: { requests: 5, windowSeconds: 300 },
      maxSessionLifetimeSeconds: 5400,
      auditRetentionSeconds: 365 * 86_400,
      bootstrapAdmins: ['erin', 'iam:frank', '444455556666:role:ops/grace', 'ops/frank'],
      issuer: 'sts',
      dynamodbEndpoint: 'http://127.0.0.1:18000',
    });
  });

  it('with an organisation allowed, accepts identity-role pins in accounts SENTINEL_ALLOWED_ACCOUNTS does not list', () => {
    // Those accounts may arrive through the organisation; which accounts it holds is not known at cold start.
    const config = loadConfig({ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'o-a1b2c3d4e5', SENTINEL_IDENTITY_ROLES: '444455556666:AROAENGINEERROLE0001' });
    expect(config.identity).toMatchObject({ allowedAccounts: ['111122223333'], allowedOrganizations: ['o-a1b2c3d4e5'], identityRoles: [{ accountId: '444455556666', roleId: 'AROAENGINEERROLE0001' }] });
  });

  it('accepts a lifetime cap beyond STS’s 12 hours, up to 7 days', () => {
    expect(loadConfig({ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '168h' }).maxSessionLifetimeSeconds).toBe(7 * 86_400);
    expect(loadConfig({ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '15m' }).maxSessionLifetimeSeconds).toBe(900);
  });
});

describe('loadConfig refusals', () => {
  it.each([
    [{ AWS_REGION: 'eu-west-1' }, 'SENTINEL_ACCOUNT_ID: required'],
    [{ SENTINEL_ACCOUNT_ID: '111122223333' }, 'AWS_REGION: required'],
    [{ ...BASE, AWS_REGION: 'Europe' }, 'AWS_REGION: "Europe" is not an AWS region name'],
    [{ ...BASE, SENTINEL_ACCOUNT_ID: '1111-2222-3333' }, 'SENTINEL_ACCOUNT_ID: "1111-2222-3333" is not a 12-digit AWS account id'],
    [{ ...BASE, SENTINEL_TABLE_PREFIX: 'sentinel prod' }, 'SENTINEL_TABLE_PREFIX: "sentinel prod" is not a table-name prefix'],
    [{ ...BASE, SENTINEL_CONFIG_TABLE: 'config' }, 'SENTINEL_CONFIG_TABLE: "config" does not carry the table prefix "sentinel-"'],
    [{ ...BASE, SENTINEL_CONFIG_TABLE: 'sentinel-' }, 'SENTINEL_CONFIG_TABLE: "sentinel-" does not carry the table prefix "sentinel-"'],
    [{ ...BASE, SENTINEL_CONFIG_TABLE: 'sentinel-config!' }, 'SENTINEL_CONFIG_TABLE: "sentinel-config!" is not a DynamoDB table name'],
    [{ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: 'sessions' }, 'SENTINEL_DEFAULT_SESSION_TABLE: "sessions" does not carry the table prefix "sentinel-"'],
    [{ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: 'None' }, 'SENTINEL_DEFAULT_SESSION_TABLE: "None" does not carry the table prefix'],
    [{ ...BASE, SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions/x' }, 'SENTINEL_DEFAULT_SESSION_TABLE: "sentinel-sessions/x" is not a DynamoDB table name'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLE_PATTERNS: 'AWSReservedSSO_*,,people-*' }, 'SENTINEL_IDENTITY_ROLE_PATTERNS: entry 2 of the comma-separated list is empty'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLE_PATTERNS: 'role name' }, 'SENTINEL_IDENTITY_ROLE_PATTERNS: "role name" is not a role-name pattern'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLE_LOOKUP: 'getrole' }, 'SENTINEL_IDENTITY_ROLE_LOOKUP: "getrole" is not a lookup: "iam" (look roles up with iam:GetRole) or "none" (only SENTINEL_IDENTITY_ROLES)'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLE_LOOKUP: 'IAM' }, 'SENTINEL_IDENTITY_ROLE_LOOKUP: "IAM" is not a lookup (did you mean "iam"?)'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLES: 'AWSReservedSSO_*' }, 'SENTINEL_IDENTITY_ROLES: "AWSReservedSSO_*" is neither a role ARN (arn:aws:iam::<account>:role/<path/>name) nor <account>:<role unique id AROA…>'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLES: 'arn:aws:sts::111122223333:assumed-role/people/alice' }, 'SENTINEL_IDENTITY_ROLES: "arn:aws:sts::111122223333:assumed-role/people/alice" is neither a role ARN'],
    [{ ...BASE, SENTINEL_IDENTITY_ROLES: '111122223333:AROAENGINEERROLE0001,' }, 'SENTINEL_IDENTITY_ROLES: entry 2 of the comma-separated list is empty'],
    [
      { ...BASE, SENTINEL_IDENTITY_ROLES: '444455556666:AROAENGINEERROLE0001' },
      'SENTINEL_IDENTITY_ROLES: names a role of account 444455556666, which SENTINEL_ALLOWED_ACCOUNTS does not allow (nor does any organisation: SENTINEL_ALLOWED_ORGANIZATIONS is not set)',
    ],
    [{ ...BASE, SENTINEL_IDENTITY_ROLES: '444455556666:AROAENGINEERROLE0001', SENTINEL_ALLOWED_ORGANIZATIONS: '' }, 'SENTINEL_IDENTITY_ROLES: names a role of account 444455556666'],
    [{ ...BASE, SENTINEL_ALLOWED_ACCOUNTS: '111122223333,' }, 'SENTINEL_ALLOWED_ACCOUNTS: entry 2 of the comma-separated list is empty'],
    [{ ...BASE, SENTINEL_ALLOWED_ACCOUNTS: '111122223333,prod' }, 'SENTINEL_ALLOWED_ACCOUNTS: "prod" is not a 12-digit AWS account id'],
    [
      { ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'o-A1B2C3D4E5' },
      'SENTINEL_ALLOWED_ORGANIZATIONS: "o-A1B2C3D4E5" is not an AWS Organizations id ("o-" and 10 to 32 lowercase letters or digits, as aws organizations describe-organization prints it)',
    ],
    [{ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'o-a1b2c3d4e' }, 'SENTINEL_ALLOWED_ORGANIZATIONS: "o-a1b2c3d4e" is not an AWS Organizations id'],
    [{ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: `o-${'a'.repeat(33)}` }, `SENTINEL_ALLOWED_ORGANIZATIONS: "o-${'a'.repeat(33)}" is not an AWS Organizations id`],
    [{ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'r-a1b2' }, 'SENTINEL_ALLOWED_ORGANIZATIONS: "r-a1b2" is not an AWS Organizations id'],
    [{ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: '111122223333' }, 'SENTINEL_ALLOWED_ORGANIZATIONS: "111122223333" is not an AWS Organizations id'],
    [
      { ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5' },
      'SENTINEL_ALLOWED_ORGANIZATIONS: "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5" is not an AWS Organizations id',
    ],
    [{ ...BASE, SENTINEL_ALLOWED_ORGANIZATIONS: 'o-a1b2c3d4e5,,o-0123456789' }, 'SENTINEL_ALLOWED_ORGANIZATIONS: entry 2 of the comma-separated list is empty'],
    [{ ...BASE, SENTINEL_POLICY_TTL: '10s' }, 'SENTINEL_POLICY_TTL: "10s" is not a whole number of seconds'],
    [{ ...BASE, SENTINEL_POLICY_TTL: '-1' }, 'SENTINEL_POLICY_TTL: "-1" is not a whole number of seconds'],
    [{ ...BASE, SENTINEL_POLICY_TTL: '301' }, 'SENTINEL_POLICY_TTL: 301 seconds is above the maximum of 300'],
    [{ ...BASE, SENTINEL_RATE_LIMIT_REQUESTS: '0' }, 'SENTINEL_RATE_LIMIT_REQUESTS: 0 requests is below the minimum of 1'],
    [{ ...BASE, SENTINEL_RATE_LIMIT_REQUESTS: '1e3' }, 'SENTINEL_RATE_LIMIT_REQUESTS: "1e3" is not a whole number of requests'],
    [{ ...BASE, SENTINEL_RATE_LIMIT_WINDOW: '0' }, 'SENTINEL_RATE_LIMIT_WINDOW: 0 seconds is below the minimum of 1'],
    [{ ...BASE, SENTINEL_RATE_LIMIT_WINDOW: '86401' }, 'SENTINEL_RATE_LIMIT_WINDOW: 86401 seconds is above the maximum of 86400'],
    [{ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '43200' }, 'SENTINEL_MAX_SESSION_LIFETIME: "43200" is not a duration such as "12h"'],
    [{ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '7d' }, 'SENTINEL_MAX_SESSION_LIFETIME: "7d" is not a duration'],
    [{ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '10m' }, 'SENTINEL_MAX_SESSION_LIFETIME: 600 seconds is below the minimum of 15m'],
    [{ ...BASE, SENTINEL_MAX_SESSION_LIFETIME: '169h' }, 'SENTINEL_MAX_SESSION_LIFETIME: 608400 seconds is above the maximum of 168h (7 days)'],
    [{ ...BASE, SENTINEL_AUDIT_RETENTION_DAYS: '0' }, 'SENTINEL_AUDIT_RETENTION_DAYS: 0 days is below the minimum of 1'],
    [{ ...BASE, SENTINEL_AUDIT_RETENTION_DAYS: '3651' }, 'SENTINEL_AUDIT_RETENTION_DAYS: 3651 days is above the maximum of 3650'],
    [{ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: 'erin,' }, 'SENTINEL_BOOTSTRAP_ADMINS: entry 2 of the comma-separated list is empty'],
    [{ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: 'erin smith' }, 'SENTINEL_BOOTSTRAP_ADMINS: "erin smith" is not a user name'],
    [{ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: 'user:erin' }, 'SENTINEL_BOOTSTRAP_ADMINS: "user:erin" is not a user name'],
    [{ ...BASE, SENTINEL_BOOTSTRAP_ADMINS: 'role:deploy' }, 'SENTINEL_BOOTSTRAP_ADMINS: "role:deploy" is not a user name'],
    [{ ...BASE, SENTINEL_ISSUER: 'stss' }, 'SENTINEL_ISSUER: "stss" is not an issuer (did you mean "sts"?)'],
    [{ ...BASE, SENTINEL_DYNAMODB_ENDPOINT: 'localhost:8000' }, 'SENTINEL_DYNAMODB_ENDPOINT: "localhost:8000" is not an http:// or https:// URL'],
    [{ ...BASE, SENTINEL_DYNAMODB_ENDPOINT: 'ftp://127.0.0.1' }, 'SENTINEL_DYNAMODB_ENDPOINT: "ftp://127.0.0.1" is not an http:// or https:// URL'],
  ])('%o → %s…', (env, expected) => {
    expect(problem(env)).toContain(expected);
  });

  it('refuses the dev issuer: it exists only in the local stack', () => {
    expect(problem({ ...BASE, SENTINEL_ISSUER: 'dev' })).toBe(
      'SENTINEL_ISSUER: "dev" is only available in the local stack (npm start); a deployment issues credentials through STS ("sts")',
    );
  });

  it('names an unknown SENTINEL_* key and suggests the one meant', () => {
    expect(problem({ ...BASE, SENTINEL_POLICY_TTLS: '10' })).toBe(
      'SENTINEL_POLICY_TTLS: unknown configuration variable (did you mean "SENTINEL_POLICY_TTL"?); docs/deploy.md lists the known ones',
    );
    expect(problem({ ...BASE, sentinel_issuer: 'sts', SENTINEL_ALLOWED_ACOUNTS: '111122223333' })).toContain(
      'SENTINEL_ALLOWED_ACOUNTS: unknown configuration variable (did you mean "SENTINEL_ALLOWED_ACCOUNTS"?)',
    );
  });

  it('points a CLI variable set on a deployment at the deployment’s own', () => {
    expect(problem({ ...BASE, SENTINEL_SESSION_TABLE: 'sentinel-sessions' })).toContain(
      'SENTINEL_SESSION_TABLE: unknown configuration variable (the sentinel CLI reads it; the deployment default is SENTINEL_DEFAULT_SESSION_TABLE)',
    );
  });

  it('reports unknown keys before bad values, so a typo explains what follows', () => {
    expect(problem({ AWS_REGION: 'eu-west-1', SENTINEL_ACOUNT_ID: '111122223333' })).toMatch(/^SENTINEL_ACOUNT_ID: unknown configuration variable \(did you mean "SENTINEL_ACCOUNT_ID"\?\)/);
  });

  it('stops at the first bad value in a stable order', () => {
    const env = { ...BASE, SENTINEL_DYNAMODB_ENDPOINT: 'nope', SENTINEL_POLICY_TTL: 'x', SENTINEL_CONFIG_TABLE: 'config' };
    expect(problem(env)).toMatch(/^SENTINEL_CONFIG_TABLE:/);
    expect(problem({ ...env, SENTINEL_CONFIG_TABLE: undefined })).toMatch(/^SENTINEL_POLICY_TTL:/);
  });

  it('checks table names against the configured prefix, and derives the config table default from it', () => {
    expect(loadConfig({ ...BASE, SENTINEL_TABLE_PREFIX: 'acme-' }).configTable).toBe('acme-config');
    expect(problem({ ...BASE, SENTINEL_TABLE_PREFIX: 'acme-', SENTINEL_CONFIG_TABLE: 'sentinel-config' })).toBe(
      'SENTINEL_CONFIG_TABLE: "sentinel-config" does not carry the table prefix "acme-" (SENTINEL_TABLE_PREFIX): Sentinel\'s IAM statements cover only prefixed tables',
    );
  });

  it('accepts only keys the deploy guide documents', () => {
    const guide = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    for (const key of CONFIG_KEYS) expect(guide).toContain(`| \`${key}\``);
  });
});

describe('SENTINEL_CURSOR_SECRET', () => {
  const base = { AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: '111122223333' };
  it('is optional, kept when long enough, refused when short', () => {
    expect(loadConfig(base).cursorSecret).toBeUndefined();
    expect(loadConfig({ ...base, SENTINEL_CURSOR_SECRET: 'x'.repeat(32) }).cursorSecret).toBe('x'.repeat(32));
    expect(() => loadConfig({ ...base, SENTINEL_CURSOR_SECRET: 'short' })).toThrow('SENTINEL_CURSOR_SECRET: must be at least 32 characters');
  });
});
