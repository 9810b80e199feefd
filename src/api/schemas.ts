/**
 * Request body and query schemas of the HTTP API (DESIGN.md, HTTP API), enforced by
 * the HTTP stack before a route runs. Objects are strict: an unknown field is a 400
 * `INVALID_REQUEST`, never silently ignored.
 */

import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { MODES } from '../policy/types.js';
import { PROFILE_NAME, PROFILE_NAME_RULE, SESSION_ID, SESSION_PAGE_MAX, STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS, TABLE_KINDS, TABLE_NAME, TABLE_NAME_RULE, USER_NAME } from './constants.js';
import type {
  CheckSessionRequest,
  CredentialsRequest,
  EndSessionRequest,
  EvaluateRequest,
  ListSessionsQuery,
  ProvisionRequest,
  PutPolicyRequest,
  RevokeSessionRequest,
  RevokeSessionsRequest,
  ShowSessionQuery,
  CreateRequestRequest,
  ListRequestsQuery,
  DecideRequestRequest,
  InvokeBreakglassRequest,
  CloseBreakglassRequest,
  ListBreakglassQuery,
} from './contract.js';
import { BREAKGLASS_STATUSES, REQUEST_STATUSES } from './contract.js';
import { hasTerminalControl } from '../text.js';
import { SESSION_STATUSES } from '../sessions/types.js';

// zod/mini (the contract's schemas load on the CLI's start-up path, and full zod is
// twenty times larger) carries no messages of its own: the English ones are zod's.
z.config(en());

/** Profile names as the policy document allows them. */
const profileName = z.string().check(z.regex(PROFILE_NAME, `must be ${PROFILE_NAME_RULE}`));
/** DynamoDB table names; the deployment prefix is checked where the configuration is known. */
const tableName = z.string().check(z.regex(TABLE_NAME, `must be a DynamoDB table name (${TABLE_NAME_RULE})`));
/** Session ids are 32 lowercase hex digits (128 random bits). */
export const sessionId = z.string().check(z.regex(SESSION_ID, 'must be a session id (32 hex digits)'));
const mode = z.enum(MODES);

export const credentialsRequestSchema: z.ZodMiniType<CredentialsRequest> = z.strictObject({
  profile: profileName,
  mode,
  sessionTable: z.optional(tableName),
  durationSeconds: z.optional(z.int().check(z.minimum(STS_MIN_DURATION_SECONDS), z.maximum(STS_MAX_DURATION_SECONDS))),
  sessionId: z.optional(sessionId),
});

export const putPolicyRequestSchema: z.ZodMiniType<PutPolicyRequest> = z.strictObject({
  text: z.string().check(z.minLength(1)),
  expectedVersion: z.int().check(z.minimum(0)),
});

export const evaluateRequestSchema: z.ZodMiniType<EvaluateRequest> = z.strictObject({
  profile: profileName,
  mode,
  user: z.optional(z.string().check(z.regex(USER_NAME, 'must be a user name'))),
  time: z.optional(z.iso.datetime({ offset: true })),
  sessionTable: z.optional(tableName),
});

export const endSessionRequestSchema: z.ZodMiniType<EndSessionRequest> = z.strictObject({
  sessionTable: z.optional(tableName),
});

export const checkSessionRequestSchema: z.ZodMiniType<CheckSessionRequest> = z.strictObject({
  profile: profileName,
  sessionTable: z.optional(tableName),
});

const userName = z.string().check(z.regex(USER_NAME, 'must be a user name'));

/** Cursors are a few hundred characters; anything far longer is not one of ours. */
const cursor = z.string().check(z.minLength(1), z.maxLength(4096));

/** Bounds of a session listing's page (`limit`), defined in constants.ts so the CLI's option parser can check them without zod. */
export { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from './constants.js';

/** Query of `GET /v1/sessions`: query values are strings, `limit` becomes a number. */
/** A page's `limit` in a query string: 1 to SESSION_PAGE_MAX, as a number. */
const pageLimit = z.pipe(
  z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`)),
  z.pipe(z.transform(Number), z.int().check(z.minimum(1, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`), z.maximum(SESSION_PAGE_MAX, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`))),
);

export const listSessionsQuerySchema: z.ZodMiniType<ListSessionsQuery> = z.strictObject({
  user: z.optional(userName),
  profile: z.optional(profileName),
  status: z.optional(z.enum(SESSION_STATUSES)),
  since: z.optional(z.iso.datetime({ offset: true })),
  limit: z.optional(pageLimit),
  cursor: z.optional(cursor),
  sessionTable: z.optional(tableName),
});

export const showSessionQuerySchema: z.ZodMiniType<ShowSessionQuery> = z.strictObject({ sessionTable: z.optional(tableName) });

/** A revocation's reason: shown to the session's owner and printed by the CLI, so one line of visible text. */
const reason = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(500, 'must be at most 500 characters'),
  z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
);

export const revokeSessionRequestSchema: z.ZodMiniType<RevokeSessionRequest> = z.strictObject({ reason, sessionTable: z.optional(tableName) });

export const revokeSessionsRequestSchema: z.ZodMiniType<RevokeSessionsRequest> = z.strictObject({
  user: z.optional(userName),
  profile: z.optional(profileName),
  reason,
  sessionTable: z.optional(tableName),
  cursor: z.optional(cursor),
});

const tableKind = z.enum(TABLE_KINDS);

/** `POST /v1/provision`; the table's prefix is checked by the provisioning service, which knows it. */
export const provisionRequestSchema: z.ZodMiniType<ProvisionRequest> = z.strictObject({
  kind: tableKind,
  table: z.optional(tableName),
  plan: z.optional(z.boolean()),
});

/** Query of `GET /v1/provision/{table}`: `kind` may be left out once the table is registered. */
export const provisionStatusQuerySchema = z.strictObject({
  kind: z.optional(tableKind),
});

/** Query of `GET /v1/provision/iam-policy`: `kind` is required, `table` defaults to the kind's default name. */
export const iamPolicyQuerySchema = z.strictObject({
  kind: tableKind,
  table: z.optional(tableName),
});

/**
 * One line a caller can act on for the first problem zod found, e.g.
 * `unknown field "foo"`, `mode: Invalid option: expected one of "server"|"cli"|"credential_process"`.
 */
export function describeValidationError(error: { issues: readonly z.core.$ZodIssue[] }): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request body';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
  }
  const where = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${where}: required`;
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

// ---- Access requests and break-glass -----------------------------------------------

/** Request and event ids are 32 lowercase hex digits, like session ids. */
export const grantId = z.string().check(z.regex(SESSION_ID, 'must be an id (32 hex digits)'));

/** Why access is needed: read by approvers and kept as evidence, so visible text of some substance. */
const justification = z.string().check(
  z.minLength(10, 'must be at least 10 characters'),
  z.maxLength(500, 'must be at most 500 characters'),
  z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
);

/** An approver's or closer's remark: optional, one line of visible text. */
const comment = z.string().check(
  z.maxLength(500, 'must be at most 500 characters'),
  z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
);

const grantDuration = z.int().check(z.minimum(STS_MIN_DURATION_SECONDS), z.maximum(STS_MAX_DURATION_SECONDS));

export const createRequestRequestSchema: z.ZodMiniType<CreateRequestRequest> = z.strictObject({
  profile: profileName,
  justification,
  durationSeconds: z.optional(grantDuration),
});

export const listRequestsQuerySchema: z.ZodMiniType<ListRequestsQuery> = z.strictObject({
  scope: z.optional(z.enum(['mine', 'approvable', 'all'])),
  status: z.optional(z.enum(REQUEST_STATUSES)),
  profile: z.optional(profileName),
  limit: z.optional(pageLimit),
  cursor: z.optional(cursor),
});

export const decideRequestRequestSchema: z.ZodMiniType<DecideRequestRequest> = z.strictObject({ comment: z.optional(comment) });

export const invokeBreakglassRequestSchema: z.ZodMiniType<InvokeBreakglassRequest> = z.strictObject({
  profile: profileName,
  // The policy parser's rule for reason codes (src/policy/parse.ts): whatever a policy can name can be invoked.
  reasonCode: z.string().check(z.regex(/^[a-z0-9_-]{1,32}$/, 'must be a reason code such as "incident"')),
  justification,
  durationSeconds: z.optional(grantDuration),
});

export const closeBreakglassRequestSchema: z.ZodMiniType<CloseBreakglassRequest> = z.strictObject({ reason });

export const listBreakglassQuerySchema: z.ZodMiniType<ListBreakglassQuery> = z.strictObject({
  scope: z.optional(z.enum(['mine', 'all'])),
  profile: z.optional(profileName),
  status: z.optional(z.enum(BREAKGLASS_STATUSES)),
  limit: z.optional(pageLimit),
  cursor: z.optional(cursor),
});
