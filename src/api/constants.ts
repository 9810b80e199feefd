/**
 * The validation constants of the contract, defined once (STYLE.md 20) and imported by
 * the policy parser, the configuration loader, the request schemas, provisioning, the
 * local stack and the CLI. Plain values only: no zod, no AWS SDK, so the pure modules
 * and the CLI's start-up path can import them.
 */

/** STS AssumeRole accepts durations from 15 minutes… */
export const STS_MIN_DURATION_SECONDS = 900;
/** …to 12 hours (a role's own maximum may be lower; STS then refuses). */
export const STS_MAX_DURATION_SECONDS = 43_200;

/** Profile and rule names: 1–64 of A-Z a-z 0-9 _ . - (the policy document's rule; the API and CLI check the same). */
export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const PROFILE_NAME_RULE = '1–64 of A-Z a-z 0-9 _ . -';

/** DynamoDB's own rule for table names. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
export const TABLE_NAME_RULE = '3–255 of A-Z a-z 0-9 _ . -';

/** The prefix every table of a deployment carries unless `SENTINEL_TABLE_PREFIX` says otherwise. */
export const DEFAULT_TABLE_PREFIX = 'sentinel-';
/** What a table prefix may be. */
export const TABLE_PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * A table name that a deployment with `prefix` may use: DynamoDB's rule, the prefix,
 * and something after it. Every table check of the project is this one.
 */
export function isDeploymentTableName(name: string, prefix: string): boolean {
  return TABLE_NAME.test(name) && name.startsWith(prefix) && name.length > prefix.length;
}

/** AWS region names such as `eu-west-1`, `us-gov-west-1`. */
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** Session ids are 32 lowercase hex digits (128 random bits). */
export const SESSION_ID = /^[0-9a-f]{32}$/;

/**
 * A policy user name (DESIGN.md, Identity; docs/identity.md), each part 1–64 IAM name
 * characters:
 *
 * - `alice` — a person (an identity-role session: the name AWS set);
 * - `iam:alice`, `role:deploy/ci-42` — an IAM user, a role session, of the own account;
 * - `222233334444:iam:alice`, `222233334444:role:deploy/ci-42` — the same in another account.
 *
 * A bare name never contains `:`, so it can never be taken for the others. The spelling
 * of earlier versions, `deploy/ci-42` for a role session, is still accepted so a stored
 * policy keeps loading after an upgrade, but no caller is named so any more.
 */
export const USER_NAME =
  /^(?:(?:\d{12}:)?(?:iam:[A-Za-z0-9_+=,.@-]{1,64}|role:[A-Za-z0-9_+=,.@-]{1,64}\/[A-Za-z0-9_+=,.@-]{1,64})|[A-Za-z0-9_+=,.@-]{1,64}(?:\/[A-Za-z0-9_+=,.@-]{1,64})?)$/;

/** The four table kinds of DESIGN.md (Tables); `requests` is what `sentinel init approvals` creates. */
export const TABLE_KINDS = ['sessions', 'requests', 'breakglass', 'config'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

/** Default table name of each kind (all carry the default prefix). */
export const DEFAULT_TABLE_NAMES: Readonly<Record<TableKind, string>> = {
  sessions: `${DEFAULT_TABLE_PREFIX}sessions`,
  requests: `${DEFAULT_TABLE_PREFIX}requests`,
  breakglass: `${DEFAULT_TABLE_PREFIX}breakglass`,
  config: `${DEFAULT_TABLE_PREFIX}config`,
};

/** Bounds of a session listing's page (`GET /v1/sessions` `limit`; the CLI's `sessions list --limit`). */
export const SESSION_PAGE_MAX = 100;
export const SESSION_PAGE_DEFAULT = 50;
