/**
 * Request body and query schemas of the HTTP API (DESIGN.md, HTTP API), each built on
 * first use. Objects are strict: an unknown field is a 400 `INVALID_REQUEST`, never
 * silently ignored.
 *
 * Why lazily: building a zod schema costs far more than declaring it, and every Lambda
 * function's bundle holds this module (the route table, src/api/routeTable.ts, names
 * every route's schemas). Loading it builds nothing; a function builds the schemas of
 * its own routes when it composes them (src/http/handler.ts), so a cold start pays for
 * those alone. Each schema is built once and shared: the eager exports of
 * src/api/schemas.ts, which the CLI and the tests use, are the same objects.
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
  IamPolicyQuery,
  ListSessionsQuery,
  ProvisionRequest,
  ProvisionStatusQuery,
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
// Configured when this module loads, so every message, the configuration's included,
// reads the same whichever schema is built first.
z.config(en());

/** A schema of type `T`, built on the first call and the same object on every later one. */
export type LazySchema<T> = () => z.ZodMiniType<T>;

/** `build`, run on the first call only (src/api/responseSchemas.ts builds its schemas the same way). */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** {@link once} for a schema, typed as the contract's `T`. */
export function lazySchema<T>(build: () => z.ZodMiniType<T>): LazySchema<T> {
  return once(build);
}

/** Profile names as the policy document allows them. */
const profileName = once(() => z.string().check(z.regex(PROFILE_NAME, `must be ${PROFILE_NAME_RULE}`)));
/** DynamoDB table names; the deployment prefix is checked where the configuration is known. */
const tableName = once(() => z.string().check(z.regex(TABLE_NAME, `must be a DynamoDB table name (${TABLE_NAME_RULE})`)));
/** Session ids are 32 lowercase hex digits (128 random bits). */
export const sessionIdSchema = once(() => z.string().check(z.regex(SESSION_ID, 'must be a session id (32 hex digits)')));
const mode = once(() => z.enum(MODES));
const userName = once(() => z.string().check(z.regex(USER_NAME, 'must be a user name')));
/** Cursors are a few hundred characters; anything far longer is not one of ours. */
const cursor = once(() => z.string().check(z.minLength(1), z.maxLength(4096)));
const isoTime = once(() => z.iso.datetime({ offset: true }));

/** A page's `limit` in a query string: 1 to SESSION_PAGE_MAX, as a number. */
const pageLimit = once(() =>
  z.pipe(
    z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`)),
    z.pipe(z.transform(Number), z.int().check(z.minimum(1, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`), z.maximum(SESSION_PAGE_MAX, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`))),
  ),
);

/** A revocation's reason: shown to the session's owner and printed by the CLI, so one line of visible text. */
const reason = once(() =>
  z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(500, 'must be at most 500 characters'),
    z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
  ),
);

const tableKind = once(() => z.enum(TABLE_KINDS));

export const credentialsRequest = lazySchema<CredentialsRequest>(() =>
  z.strictObject({
    profile: profileName(),
    mode: mode(),
    sessionTable: z.optional(tableName()),
    durationSeconds: z.optional(z.int().check(z.minimum(STS_MIN_DURATION_SECONDS), z.maximum(STS_MAX_DURATION_SECONDS))),
    sessionId: z.optional(sessionIdSchema()),
  }),
);

export const putPolicyRequest = lazySchema<PutPolicyRequest>(() =>
  z.strictObject({
    text: z.string().check(z.minLength(1)),
    expectedVersion: z.int().check(z.minimum(0)),
  }),
);

export const evaluateRequest = lazySchema<EvaluateRequest>(() =>
  z.strictObject({
    profile: profileName(),
    mode: mode(),
    user: z.optional(userName()),
    time: z.optional(isoTime()),
    sessionTable: z.optional(tableName()),
  }),
);

export const endSessionRequest = lazySchema<EndSessionRequest>(() => z.strictObject({ sessionTable: z.optional(tableName()) }));

export const checkSessionRequest = lazySchema<CheckSessionRequest>(() =>
  z.strictObject({
    profile: profileName(),
    sessionTable: z.optional(tableName()),
  }),
);

/** Query of `GET /v1/sessions`: query values are strings, `limit` becomes a number. */
export const listSessionsQuery = lazySchema<ListSessionsQuery>(() =>
  z.strictObject({
    user: z.optional(userName()),
    profile: z.optional(profileName()),
    status: z.optional(z.enum(SESSION_STATUSES)),
    since: z.optional(isoTime()),
    limit: z.optional(pageLimit()),
    cursor: z.optional(cursor()),
    sessionTable: z.optional(tableName()),
  }),
);

export const showSessionQuery = lazySchema<ShowSessionQuery>(() => z.strictObject({ sessionTable: z.optional(tableName()) }));

export const revokeSessionRequest = lazySchema<RevokeSessionRequest>(() => z.strictObject({ reason: reason(), sessionTable: z.optional(tableName()) }));

export const revokeSessionsRequest = lazySchema<RevokeSessionsRequest>(() =>
  z.strictObject({
    user: z.optional(userName()),
    profile: z.optional(profileName()),
    reason: reason(),
    sessionTable: z.optional(tableName()),
    cursor: z.optional(cursor()),
  }),
);

/** `POST /v1/provision`; the table's prefix is checked by the provisioning service, which knows it. */
export const provisionRequest = lazySchema<ProvisionRequest>(() =>
  z.strictObject({
    kind: tableKind(),
    table: z.optional(tableName()),
    plan: z.optional(z.boolean()),
  }),
);

/** Query of `GET /v1/provision/{table}`: `kind` may be left out once the table is registered. */
export const provisionStatusQuery = lazySchema<ProvisionStatusQuery>(() => z.strictObject({ kind: z.optional(tableKind()) }));

/** Query of `GET /v1/provision/iam-policy`: `kind` is required, `table` defaults to the kind's default name. */
export const iamPolicyQuery = lazySchema<IamPolicyQuery>(() => z.strictObject({ kind: tableKind(), table: z.optional(tableName()) }));

// ---- Access requests and break-glass -----------------------------------------------

/** Request and event ids are 32 lowercase hex digits, like session ids. */
export const grantIdSchema = once(() => z.string().check(z.regex(SESSION_ID, 'must be an id (32 hex digits)')));

/** Why access is needed: read by approvers and kept as evidence, so visible text of some substance. */
const justification = once(() =>
  z.string().check(
    z.minLength(10, 'must be at least 10 characters'),
    z.maxLength(500, 'must be at most 500 characters'),
    z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
  ),
);

/** An approver's or closer's remark: optional, one line of visible text. */
const comment = once(() =>
  z.string().check(
    z.maxLength(500, 'must be at most 500 characters'),
    z.refine((text: string) => !hasTerminalControl(text), 'must not contain control characters'),
  ),
);

const grantDuration = once(() => z.int().check(z.minimum(STS_MIN_DURATION_SECONDS), z.maximum(STS_MAX_DURATION_SECONDS)));

export const createRequestRequest = lazySchema<CreateRequestRequest>(() =>
  z.strictObject({
    profile: profileName(),
    justification: justification(),
    durationSeconds: z.optional(grantDuration()),
  }),
);

export const listRequestsQuery = lazySchema<ListRequestsQuery>(() =>
  z.strictObject({
    scope: z.optional(z.enum(['mine', 'approvable', 'all'])),
    status: z.optional(z.enum(REQUEST_STATUSES)),
    profile: z.optional(profileName()),
    limit: z.optional(pageLimit()),
    cursor: z.optional(cursor()),
  }),
);

export const decideRequestRequest = lazySchema<DecideRequestRequest>(() => z.strictObject({ comment: z.optional(comment()) }));

export const invokeBreakglassRequest = lazySchema<InvokeBreakglassRequest>(() =>
  z.strictObject({
    profile: profileName(),
    // The policy parser's rule for reason codes (src/policy/parse.ts): whatever a policy can name can be invoked.
    reasonCode: z.string().check(z.regex(/^[a-z0-9_-]{1,32}$/, 'must be a reason code such as "incident"')),
    justification: justification(),
    durationSeconds: z.optional(grantDuration()),
  }),
);

export const closeBreakglassRequest = lazySchema<CloseBreakglassRequest>(() => z.strictObject({ reason: reason() }));

export const listBreakglassQuery = lazySchema<ListBreakglassQuery>(() =>
  z.strictObject({
    scope: z.optional(z.enum(['mine', 'all'])),
    profile: z.optional(profileName()),
    status: z.optional(z.enum(BREAKGLASS_STATUSES)),
    limit: z.optional(pageLimit()),
    cursor: z.optional(cursor()),
  }),
);

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
