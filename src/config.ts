/**
 * Deployment configuration, read and validated once at cold start (STYLE.md 6).
 *
 * `loadConfig(env)` reads the `SENTINEL_*` variables below, rejects unknown
 * `SENTINEL_*` keys and stops at the first bad value with a message naming it.
 * The local stack builds a SentinelConfig directly (that is the only way to get the
 * `dev` issuer: no environment variable selects it).
 */

import { DEFAULT_TABLE_PREFIX, isDeploymentTableName, REGION_NAME, TABLE_NAME, TABLE_NAME_RULE, TABLE_PREFIX, USER_NAME } from './api/constants.js';
import * as z from 'zod/mini';
import { SetupError } from './errors.js';
import { ORGANIZATION_ID, parseIdentityRolePin } from './identity/resolve.js';
import type { IdentityRolePin, IdentityRules } from './identity/types.js';
import { parseDuration } from './policy/duration.js';
import { didYouMean } from './policy/suggest.js';

export interface SentinelConfig {
  /** AWS region of the deployment (`AWS_REGION`, set by Lambda). */
  region: string;
  /** The deployment's own account (`SENTINEL_ACCOUNT_ID`). */
  accountId: string;
  /** `SENTINEL_CONFIG_TABLE`, default `<prefix>config` (`sentinel-config`); must carry the prefix. */
  configTable: string;
  /** `SENTINEL_REQUESTS_TABLE`, default `<prefix>requests`: access requests (must carry the prefix). */
  requestsTable: string;
  /** `SENTINEL_BREAKGLASS_TABLE`, default `<prefix>breakglass`: break-glass events (must carry the prefix). */
  breakglassTable: string;
  /**
   * `SENTINEL_DEFAULT_SESSION_TABLE`: the session table of issuances whose rule and
   * request name none. Unset, empty or `none` = no default (undefined); no built-in
   * default, the shipped serverless.yml and the local stack set `sentinel-sessions`.
   */
  defaultSessionTable?: string;
  /** `SENTINEL_TABLE_PREFIX`, default `sentinel-`: every table Sentinel touches carries it. */
  tablePrefix: string;
  /**
   * Who callers are (docs/identity.md): `SENTINEL_ALLOWED_ACCOUNTS` (comma list, default
   * the own account); `SENTINEL_ALLOWED_ORGANIZATIONS` (comma list of `o-…` ids, default
   * none): a caller whose AWS-verified organisation is listed is allowed from any account;
   * `SENTINEL_IDENTITY_ROLE_PATTERNS` (comma list, default
   * `AWSReservedSSO_*`): the own account's roles looked up in IAM; `SENTINEL_IDENTITY_ROLE_LOOKUP`
   * (`iam`, the default, or `none`); `SENTINEL_IDENTITY_ROLES` (comma list of role ARNs or
   * `<account>:<AROA… unique id>`, default none): identity roles without a lookup, in any
   * allowed account (with no organisation configured, every account named must be listed).
   */
  identity: IdentityRules;
  /** `SENTINEL_POLICY_TTL` whole seconds 0–300, default 10: how stale a cached policy may be (0 = read every time). */
  policyTtlSeconds: number;
  /** `SENTINEL_RATE_LIMIT_REQUESTS` (≥ 1) per `SENTINEL_RATE_LIMIT_WINDOW` seconds (1–86,400), per principal (sliding window); default 60 per 60. */
  rateLimit: { requests: number; windowSeconds: number };
  /**
   * `SENTINEL_MAX_SESSION_LIFETIME` (duration such as `12h`, default 12h, from 15m to
   * 168h): a session's hard cap. It may exceed STS's 12 h because a session outlives
   * one set of credentials: each refresh moves its expiry on, never past this cap.
   */
  maxSessionLifetimeSeconds: number;
  /** `SENTINEL_AUDIT_RETENTION_DAYS` (1–3650, default 90), in seconds: how long records outlive their end (the `ttl`). */
  auditRetentionSeconds: number;
  /** `SENTINEL_BOOTSTRAP_ADMINS` (comma list): admins before any policy names some. */
  bootstrapAdmins: string[];
  /** `SENTINEL_ISSUER`: only `sts` in a deployment; `dev` exists only in the local stack. */
  issuer: 'sts' | 'dev';
  /** `SENTINEL_DYNAMODB_ENDPOINT`: a DynamoDB endpoint override (DynamoDB Local); absent in AWS. */
  dynamodbEndpoint?: string;
  /**
   * `SENTINEL_CURSOR_SECRET` (optional, at least 32 characters): the secret the page
   * cursors of session listings are authenticated with (src/sessions/cursor.ts). Unset,
   * each function instance makes a random key at cold start: cursors then work only on
   * the instance that made them, and another answers 400 "list again".
   */
  cursorSecret?: string;
  /**
   * Notifications (docs/notifications.md): `SENTINEL_WEBHOOK_URL` (https, or http to
   * 127.0.0.1) with `SENTINEL_WEBHOOK_SECRET_ARN` (a Secrets Manager secret or SSM
   * parameter holding the signing secret: never the secret itself), and/or
   * `SENTINEL_SNS_TOPIC_ARN`. None set: no notifications.
   */
  notifications: { webhookUrl?: string; webhookSecretArn?: string; snsTopicArn?: string };
}

/** Every `SENTINEL_*` variable `loadConfig` reads; any other `SENTINEL_*` key is a mistake. */
export const CONFIG_KEYS = [
  'SENTINEL_ACCOUNT_ID',
  'SENTINEL_TABLE_PREFIX',
  'SENTINEL_CONFIG_TABLE',
  'SENTINEL_REQUESTS_TABLE',
  'SENTINEL_BREAKGLASS_TABLE',
  'SENTINEL_DEFAULT_SESSION_TABLE',
  'SENTINEL_IDENTITY_ROLE_PATTERNS',
  'SENTINEL_IDENTITY_ROLE_LOOKUP',
  'SENTINEL_IDENTITY_ROLES',
  'SENTINEL_ALLOWED_ACCOUNTS',
  'SENTINEL_ALLOWED_ORGANIZATIONS',
  'SENTINEL_POLICY_TTL',
  'SENTINEL_RATE_LIMIT_REQUESTS',
  'SENTINEL_RATE_LIMIT_WINDOW',
  'SENTINEL_MAX_SESSION_LIFETIME',
  'SENTINEL_AUDIT_RETENTION_DAYS',
  'SENTINEL_BOOTSTRAP_ADMINS',
  'SENTINEL_ISSUER',
  'SENTINEL_DYNAMODB_ENDPOINT',
  'SENTINEL_CURSOR_SECRET',
  'SENTINEL_WEBHOOK_URL',
  'SENTINEL_WEBHOOK_SECRET_ARN',
  'SENTINEL_SNS_TOPIC_ARN',
] as const;

/**
 * Variables the `sentinel` CLI reads on a user's machine. Set on a deployment they do
 * nothing, so they are refused like any unknown key, with a pointer to what was meant.
 */
const CLIENT_KEYS: Readonly<Record<string, string>> = {
  SENTINEL_SESSION_TABLE: ' (the sentinel CLI reads it; the deployment default is SENTINEL_DEFAULT_SESSION_TABLE)',
  SENTINEL_API_URL: ' (the sentinel CLI reads it)',
  SENTINEL_PROFILE: ' (sentinel exec sets it for the command it runs)',
};

/** The shortest and longest session lifetime cap: a session outlives one set of credentials (refreshes move it on), so the cap may exceed STS's 12 h. */
const MIN_LIFETIME_SECONDS = 15 * 60;
const MAX_LIFETIME_SECONDS = 7 * 24 * 3600;
const DAY_SECONDS = 86_400;

const ACCOUNT = /^\d{12}$/;
/** IAM role-name characters plus `*` wildcards (no comma: it separates the list). */
const ROLE_PATTERN = /^[\w+=.@*-]{1,64}$/;
const WHOLE_NUMBER = /^\d+$/;

/** A string schema whose only rule is `pattern`; `what` says what the value should have been. */
function matching(pattern: RegExp, what: (input: string) => string) {
  return z.string().check(z.regex(pattern, { error: (issue) => what(String(issue.input)) }));
}

/** A whole number in [min, max]; `what` names the unit in messages. */
function wholeNumber(min: number, max: number, what: string) {
  return z.pipe(
    z.pipe(
      matching(WHOLE_NUMBER, (input) => `${JSON.stringify(input)} is not a whole number of ${what}`),
      z.transform(Number),
    ),
    z.int().check(
      z.minimum(min, { error: (issue) => `${String(issue.input)} ${what} is below the minimum of ${min}` }),
      z.maximum(max, { error: (issue) => `${String(issue.input)} ${what} is above the maximum of ${max}` }),
    ),
  );
}

function list(entry: z.ZodMiniType<string, string>) {
  return z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string, context) => {
        const items = text.split(',').map((item) => item.trim());
        const empty = items.indexOf('');
        if (empty >= 0) context.issues.push({ code: 'custom', message: `entry ${empty + 1} of the comma-separated list is empty`, input: text });
        return items;
      }),
    ),
    z.array(entry),
  );
}

function tableName(prefix: string) {
  return matching(TABLE_NAME, (input) => `${JSON.stringify(input)} is not a DynamoDB table name (${TABLE_NAME_RULE})`).check(
    z.refine((name: string) => isDeploymentTableName(name, prefix), {
      error: (issue) => `${JSON.stringify(issue.input)} does not carry the table prefix "${prefix}" (SENTINEL_TABLE_PREFIX): Sentinel's IAM statements cover only prefixed tables`,
    }),
  );
}

const accountId = matching(ACCOUNT, (input) => `${JSON.stringify(input)} is not a 12-digit AWS account id`);

const SCHEMAS = {
  region: matching(REGION_NAME, (input) => `${JSON.stringify(input)} is not an AWS region name such as "eu-west-1"`),
  accountId,
  tablePrefix: matching(TABLE_PREFIX, (input) => `${JSON.stringify(input)} is not a table-name prefix (1 to 64 of A-Z a-z 0-9 _ . -)`),
  rolePatterns: list(matching(ROLE_PATTERN, (input) => `${JSON.stringify(input)} is not a role-name pattern (IAM role-name characters and * wildcards)`)),
  accounts: list(accountId),
  organizations: list(
    matching(ORGANIZATION_ID, (input) => `${JSON.stringify(input)} is not an AWS Organizations id ("o-" and 10 to 32 lowercase letters or digits, as aws organizations describe-organization prints it)`),
  ),
  roleLookup: z.pipe(
    z.string(),
    z.transform((text: string, context) => {
      if (text === 'iam' || text === 'none') return text === 'iam';
      context.issues.push({ code: 'custom', message: `${JSON.stringify(text)} is not a lookup${didYouMean(text, ['iam', 'none'])}: "iam" (look roles up with iam:GetRole) or "none" (only SENTINEL_IDENTITY_ROLES)`, input: text });
      return z.NEVER;
    }),
  ),
  identityRoles: list(z.string()).check(
    z.refine((entries: string[]) => entries.every((entry) => parseIdentityRolePin(entry) !== undefined), {
      error: (issue) => {
        const bad = (issue.input as string[]).find((entry) => parseIdentityRolePin(entry) === undefined) ?? '';
        return `${JSON.stringify(bad)} is neither a role ARN (arn:aws:iam::<account>:role/<path/>name) nor <account>:<role unique id AROA…>`;
      },
    }),
  ),
  admins: list(matching(USER_NAME, (input) => `${JSON.stringify(input)} is not a user name`)),
  policyTtl: wholeNumber(0, 300, 'seconds'),
  rateLimitRequests: wholeNumber(1, Number.MAX_SAFE_INTEGER, 'requests'),
  rateLimitWindow: wholeNumber(1, DAY_SECONDS, 'seconds'),
  lifetime: z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string, context) => {
        const seconds = parseDuration(text);
        if (seconds === undefined) {
          context.issues.push({ code: 'custom', message: `${JSON.stringify(text)} is not a duration such as "12h", "90m" or "1h30m" (units: h, m, s)`, input: text });
          return z.NEVER;
        }
        return seconds;
      }),
    ),
    z.number().check(
      z.minimum(MIN_LIFETIME_SECONDS, { error: (issue) => `${String(issue.input)} seconds is below the minimum of 15m` }),
      z.maximum(MAX_LIFETIME_SECONDS, { error: (issue) => `${String(issue.input)} seconds is above the maximum of 168h (7 days)` }),
    ),
  ),
  retentionDays: wholeNumber(1, 3650, 'days'),
  issuer: z.pipe(
    z.string(),
    z.transform((text: string, context) => {
      if (text === 'sts') return 'sts' as const;
      const message =
        text === 'dev'
          ? `"dev" is only available in the local stack (npm start); a deployment issues credentials through STS ("sts")`
          : `${JSON.stringify(text)} is not an issuer${didYouMean(text, ['sts'])}; a deployment issues credentials through STS ("sts")`;
      context.issues.push({ code: 'custom', message, input: text });
      return z.NEVER;
    }),
  ),
  cursorSecret: z.string().check(z.minLength(32, { error: () => 'must be at least 32 characters (a random secret, e.g. openssl rand -base64 32)' })),
  endpoint: z.url({ protocol: /^https?$/, error: (issue) => `${JSON.stringify(issue.input)} is not an http:// or https:// URL` }),
};

/**
 * Reads and validates the deployment configuration from `env` (normally
 * `process.env`, once at cold start). Variables and defaults are documented on
 * {@link SentinelConfig} and in docs/deploy.md.
 *
 * Rules: `AWS_REGION` and `SENTINEL_ACCOUNT_ID` are required; a variable set to the
 * empty string counts as unset (that is how a deployment template writes "no
 * value"); comma lists are trimmed and may not contain empty entries; every table
 * name must carry the table prefix, because the deployment's IAM statements cover
 * only prefixed tables. `SENTINEL_ISSUER` accepts only `sts`: the dev issuer is
 * wired by the local stack itself and can never be switched on in a deployment.
 *
 * @throws SetupError `INVALID_CONFIG` with `<VARIABLE>: <problem>` for the first
 *   problem found: unknown `SENTINEL_*` keys first (a misspelt key explains the
 *   errors that would follow), then `AWS_REGION`, then the variables in the order
 *   of {@link CONFIG_KEYS}.
 * @returns a deeply frozen configuration.
 */
export function loadConfig(env: Record<string, string | undefined>): SentinelConfig {
  const known = new Set<string>(CONFIG_KEYS);
  const unknown = Object.keys(env)
    .filter((key) => key.startsWith('SENTINEL_') && !known.has(key))
    .sort();
  const first = unknown[0];
  if (first !== undefined) {
    const hint = CLIENT_KEYS[first] ?? didYouMean(first, CONFIG_KEYS);
    fail(first, `unknown configuration variable${hint}; docs/deploy.md lists the known ones`);
  }

  const value = (key: string): string | undefined => {
    const text = env[key]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const read = <T>(key: string, schema: z.ZodMiniType<T, string>, fallback: T): T => {
    const text = value(key);
    return text === undefined ? fallback : parse(key, schema, text);
  };
  const required = <T>(key: string, schema: z.ZodMiniType<T, string>, hint: string): T => {
    const text = value(key);
    if (text === undefined) fail(key, `required: ${hint}`);
    return parse(key, schema, text);
  };

  const region = required('AWS_REGION', SCHEMAS.region, 'the region Sentinel runs in (Lambda sets it)');
  const ownAccount = required('SENTINEL_ACCOUNT_ID', SCHEMAS.accountId, "the deployment's own 12-digit AWS account id");
  const tablePrefix = read('SENTINEL_TABLE_PREFIX', SCHEMAS.tablePrefix, DEFAULT_TABLE_PREFIX);
  // The default follows the prefix, so a deployment that only changes the prefix stays consistent.
  const configTable = read('SENTINEL_CONFIG_TABLE', tableName(tablePrefix), `${tablePrefix}config`);
  const requestsTable = read('SENTINEL_REQUESTS_TABLE', tableName(tablePrefix), `${tablePrefix}requests`);
  const breakglassTable = read('SENTINEL_BREAKGLASS_TABLE', tableName(tablePrefix), `${tablePrefix}breakglass`);
  const sessionTableText = value('SENTINEL_DEFAULT_SESSION_TABLE');
  const defaultSessionTable =
    sessionTableText === undefined || sessionTableText === 'none'
      ? undefined
      : parse('SENTINEL_DEFAULT_SESSION_TABLE', tableName(tablePrefix), sessionTableText);
  const identityRolePatterns = read('SENTINEL_IDENTITY_ROLE_PATTERNS', SCHEMAS.rolePatterns, ['AWSReservedSSO_*']);
  const identityRoleLookup = read('SENTINEL_IDENTITY_ROLE_LOOKUP', SCHEMAS.roleLookup, true);
  const identityRoles = read('SENTINEL_IDENTITY_ROLES', SCHEMAS.identityRoles, []).map((entry) => parseIdentityRolePin(entry) as IdentityRolePin);
  const allowedAccounts = read('SENTINEL_ALLOWED_ACCOUNTS', SCHEMAS.accounts, [ownAccount]);
  const allowedOrganizations = read('SENTINEL_ALLOWED_ORGANIZATIONS', SCHEMAS.organizations, []);
  const unallowed = identityRoles.find((pin) => !allowedAccounts.includes(pin.accountId));
  // A pin nobody can use is a typo in one of the two lists; say so rather than ignore it.
  // With an organisation allowed, the account may arrive through it: which accounts an
  // organisation holds is not known here, so the pin is taken as written.
  if (unallowed !== undefined && allowedOrganizations.length === 0) {
    fail('SENTINEL_IDENTITY_ROLES', `names a role of account ${unallowed.accountId}, which SENTINEL_ALLOWED_ACCOUNTS does not allow (nor does any organisation: SENTINEL_ALLOWED_ORGANIZATIONS is not set)`);
  }
  const policyTtlSeconds = read('SENTINEL_POLICY_TTL', SCHEMAS.policyTtl, 10);
  const requests = read('SENTINEL_RATE_LIMIT_REQUESTS', SCHEMAS.rateLimitRequests, 60);
  const windowSeconds = read('SENTINEL_RATE_LIMIT_WINDOW', SCHEMAS.rateLimitWindow, 60);
  const maxSessionLifetimeSeconds = read('SENTINEL_MAX_SESSION_LIFETIME', SCHEMAS.lifetime, 12 * 3600);
  const retentionDays = read('SENTINEL_AUDIT_RETENTION_DAYS', SCHEMAS.retentionDays, 90);
  const bootstrapAdmins = read('SENTINEL_BOOTSTRAP_ADMINS', SCHEMAS.admins, []);
  const issuer = read('SENTINEL_ISSUER', SCHEMAS.issuer, 'sts');
  const dynamodbEndpoint = value('SENTINEL_DYNAMODB_ENDPOINT');
  if (dynamodbEndpoint !== undefined) parse('SENTINEL_DYNAMODB_ENDPOINT', SCHEMAS.endpoint, dynamodbEndpoint);
  const webhookUrl = value('SENTINEL_WEBHOOK_URL');
  const webhookSecretArn = value('SENTINEL_WEBHOOK_SECRET_ARN');
  const snsTopicArn = value('SENTINEL_SNS_TOPIC_ARN');
  if (webhookUrl !== undefined) {
    const url = URL.canParse(webhookUrl) ? new URL(webhookUrl) : undefined;
    const local = url !== undefined && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
    if (url === undefined || !(url.protocol === 'https:' || (url.protocol === 'http:' && local))) fail('SENTINEL_WEBHOOK_URL', 'must be an https:// URL (http:// only to 127.0.0.1 or localhost)');
    if (webhookSecretArn === undefined) fail('SENTINEL_WEBHOOK_URL', 'needs SENTINEL_WEBHOOK_SECRET_ARN: the ARN of the Secrets Manager secret or SSM parameter holding the signing secret');
  }
  if (webhookSecretArn !== undefined && !/^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter\/)/.test(webhookSecretArn)) {
    fail('SENTINEL_WEBHOOK_SECRET_ARN', 'must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:…:secret:…) or an SSM parameter (arn:aws:ssm:…:parameter/…)');
  }
  if (snsTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(snsTopicArn)) fail('SENTINEL_SNS_TOPIC_ARN', 'must be the ARN of an SNS topic');
  const cursorSecret = value('SENTINEL_CURSOR_SECRET');
  if (cursorSecret !== undefined) parse('SENTINEL_CURSOR_SECRET', SCHEMAS.cursorSecret, cursorSecret);

  return Object.freeze({
    region,
    accountId: ownAccount,
    configTable,
    requestsTable,
    breakglassTable,
    notifications: Object.freeze({
      ...(webhookUrl === undefined ? {} : { webhookUrl }),
      ...(webhookSecretArn === undefined ? {} : { webhookSecretArn }),
      ...(snsTopicArn === undefined ? {} : { snsTopicArn }),
    }),
    ...(defaultSessionTable === undefined ? {} : { defaultSessionTable }),
    tablePrefix,
    identity: Object.freeze({
      ownAccountId: ownAccount,
      allowedAccounts: Object.freeze(allowedAccounts),
      allowedOrganizations: Object.freeze(allowedOrganizations),
      identityRolePatterns: Object.freeze(identityRolePatterns),
      identityRoles: Object.freeze(identityRoles.map((pin) => Object.freeze(pin))),
      identityRoleLookup,
    }),
    policyTtlSeconds,
    rateLimit: Object.freeze({ requests, windowSeconds }),
    maxSessionLifetimeSeconds,
    auditRetentionSeconds: retentionDays * DAY_SECONDS,
    bootstrapAdmins: Object.freeze(bootstrapAdmins),
    issuer,
    ...(dynamodbEndpoint === undefined ? {} : { dynamodbEndpoint }),
    ...(cursorSecret === undefined ? {} : { cursorSecret }),
  }) as SentinelConfig;
}

function parse<T>(key: string, schema: z.ZodMiniType<T, string>, text: string): T {
  const result = schema.safeParse(text);
  if (!result.success) fail(key, result.error.issues[0]?.message ?? `invalid value ${JSON.stringify(text)}`);
  return result.data;
}

function fail(key: string, problem: string): never {
  throw new SetupError('INVALID_CONFIG', `${key}: ${problem}`);
}
