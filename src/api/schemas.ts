/**
 * Request body and query schemas of the HTTP API (DESIGN.md, HTTP API), enforced by
 * the HTTP stack before a route runs. Objects are strict: an unknown field is a 400
 * `INVALID_REQUEST`, never silently ignored.
 *
 * The schemas are defined in src/api/requestSchemas.ts, where each is built on first
 * use; this module builds every one of them when it loads, for the CLI (which checks
 * some inputs with the API's own schemas) and the tests. Lambda functions never load
 * it: each builds only its own routes' schemas (src/http/handler.ts).
 */

import type * as z from 'zod/mini';
import type {
  CheckSessionRequest,
  CloseBreakglassRequest,
  CreateRequestRequest,
  CredentialsRequest,
  DecideRequestRequest,
  EndSessionRequest,
  EvaluateRequest,
  IamPolicyQuery,
  InvokeBreakglassRequest,
  ListBreakglassQuery,
  ListRequestsQuery,
  ListSessionsQuery,
  ProvisionRequest,
  ProvisionStatusQuery,
  PutPolicyRequest,
  RevokeSessionRequest,
  RevokeSessionsRequest,
  ShowSessionQuery,
} from './contract.js';
import {
  checkSessionRequest,
  closeBreakglassRequest,
  createRequestRequest,
  credentialsRequest,
  decideRequestRequest,
  endSessionRequest,
  evaluateRequest,
  grantIdSchema,
  iamPolicyQuery,
  invokeBreakglassRequest,
  listBreakglassQuery,
  listRequestsQuery,
  listSessionsQuery,
  provisionRequest,
  provisionStatusQuery,
  putPolicyRequest,
  revokeSessionRequest,
  revokeSessionsRequest,
  sessionIdSchema,
  showSessionQuery,
} from './requestSchemas.js';

export { describeValidationError } from './requestSchemas.js';

/** Bounds of a session listing's page (`limit`), defined in constants.ts so the CLI's option parser can check them without zod. */
export { SESSION_PAGE_DEFAULT, SESSION_PAGE_MAX } from './constants.js';

/** Session ids are 32 lowercase hex digits (128 random bits). */
export const sessionId: z.ZodMiniType<string> = sessionIdSchema();
/** Request and event ids are 32 lowercase hex digits, like session ids. */
export const grantId: z.ZodMiniType<string> = grantIdSchema();

export const credentialsRequestSchema: z.ZodMiniType<CredentialsRequest> = credentialsRequest();
export const putPolicyRequestSchema: z.ZodMiniType<PutPolicyRequest> = putPolicyRequest();
export const evaluateRequestSchema: z.ZodMiniType<EvaluateRequest> = evaluateRequest();
export const endSessionRequestSchema: z.ZodMiniType<EndSessionRequest> = endSessionRequest();
export const checkSessionRequestSchema: z.ZodMiniType<CheckSessionRequest> = checkSessionRequest();
/** Query of `GET /v1/sessions`: query values are strings, `limit` becomes a number. */
export const listSessionsQuerySchema: z.ZodMiniType<ListSessionsQuery> = listSessionsQuery();
export const showSessionQuerySchema: z.ZodMiniType<ShowSessionQuery> = showSessionQuery();
export const revokeSessionRequestSchema: z.ZodMiniType<RevokeSessionRequest> = revokeSessionRequest();
export const revokeSessionsRequestSchema: z.ZodMiniType<RevokeSessionsRequest> = revokeSessionsRequest();
/** `POST /v1/provision`; the table's prefix is checked by the provisioning service, which knows it. */
export const provisionRequestSchema: z.ZodMiniType<ProvisionRequest> = provisionRequest();
/** Query of `GET /v1/provision/{table}`: `kind` may be left out once the table is registered. */
export const provisionStatusQuerySchema: z.ZodMiniType<ProvisionStatusQuery> = provisionStatusQuery();
/** Query of `GET /v1/provision/iam-policy`: `kind` is required, `table` defaults to the kind's default name. */
export const iamPolicyQuerySchema: z.ZodMiniType<IamPolicyQuery> = iamPolicyQuery();
export const createRequestRequestSchema: z.ZodMiniType<CreateRequestRequest> = createRequestRequest();
export const listRequestsQuerySchema: z.ZodMiniType<ListRequestsQuery> = listRequestsQuery();
export const decideRequestRequestSchema: z.ZodMiniType<DecideRequestRequest> = decideRequestRequest();
export const invokeBreakglassRequestSchema: z.ZodMiniType<InvokeBreakglassRequest> = invokeBreakglassRequest();
export const closeBreakglassRequestSchema: z.ZodMiniType<CloseBreakglassRequest> = closeBreakglassRequest();
export const listBreakglassQuerySchema: z.ZodMiniType<ListBreakglassQuery> = listBreakglassQuery();
