/**
 * Response body schemas of the HTTP API, one per route (`RESPONSE_SCHEMAS`, by the
 * route table's names), all built when this module loads: for the tests, the local
 * stack and the deployment tooling (through src/api/routes.ts). The schemas are defined
 * in src/api/responseSchemas.ts, where each is built on first use; these exports are the
 * same objects. The CLI's API client does not load this module: it builds only the
 * answer of the route it calls. Lambda functions never load either: the route table
 * (src/api/routeTable.ts) leaves the responses out.
 */

import type * as z from 'zod/mini';
import type {
  BreakglassResponse,
  CheckSessionResponse,
  CredentialsResponse,
  EndSessionResponse,
  ErrorBody,
  EvaluateResponse,
  IamPolicyDocument,
  ListBreakglassResponse,
  ListRequestsResponse,
  ListSessionsResponse,
  PolicyDocumentResponse,
  ProfilesResponse,
  ProvisionResponse,
  PutPolicyResponse,
  RequestResponse,
  RevokeSessionResponse,
  RevokeSessionsResponse,
  SessionResponse,
  SessionView,
  WhoamiResponse,
} from './contract.js';
import type { Denial } from './denial.js';
import {
  breakglassResponse,
  checkSessionResponse,
  credentialsResponse,
  denial,
  endSessionResponse,
  errorBody,
  evaluateResponse,
  iamPolicyDocument,
  listBreakglassResponse,
  listRequestsResponse,
  listSessionsResponse,
  policyDocumentResponse,
  profilesResponse,
  provisionResponse,
  putPolicyResponse,
  requestResponse,
  RESPONSES,
  revokeSessionResponse,
  revokeSessionsResponse,
  sessionResponse,
  sessionView,
  whoamiResponse,
} from './responseSchemas.js';
import type { Responses } from './responseSchemas.js';

export const denialSchema: z.ZodMiniType<Denial> = denial();
export const errorBodySchema: z.ZodMiniType<ErrorBody> = errorBody();
export const credentialsResponseSchema: z.ZodMiniType<CredentialsResponse> = credentialsResponse();
export const whoamiResponseSchema: z.ZodMiniType<WhoamiResponse> = whoamiResponse();
export const profilesResponseSchema: z.ZodMiniType<ProfilesResponse> = profilesResponse();
export const policyDocumentResponseSchema: z.ZodMiniType<PolicyDocumentResponse> = policyDocumentResponse();
export const putPolicyResponseSchema: z.ZodMiniType<PutPolicyResponse> = putPolicyResponse();
export const evaluateResponseSchema: z.ZodMiniType<EvaluateResponse> = evaluateResponse();
export const endSessionResponseSchema: z.ZodMiniType<EndSessionResponse> = endSessionResponse();
export const checkSessionResponseSchema: z.ZodMiniType<CheckSessionResponse> = checkSessionResponse();
export const sessionViewSchema: z.ZodMiniType<SessionView> = sessionView();
export const listSessionsResponseSchema: z.ZodMiniType<ListSessionsResponse> = listSessionsResponse();
export const sessionResponseSchema: z.ZodMiniType<SessionResponse> = sessionResponse();
export const revokeSessionResponseSchema: z.ZodMiniType<RevokeSessionResponse> = revokeSessionResponse();
export const revokeSessionsResponseSchema: z.ZodMiniType<RevokeSessionsResponse> = revokeSessionsResponse();
export const provisionResponseSchema: z.ZodMiniType<ProvisionResponse> = provisionResponse();
export const iamPolicyDocumentSchema: z.ZodMiniType<IamPolicyDocument> = iamPolicyDocument();
export const listRequestsResponseSchema: z.ZodMiniType<ListRequestsResponse> = listRequestsResponse();
export const requestResponseSchema: z.ZodMiniType<RequestResponse> = requestResponse();
export const listBreakglassResponseSchema: z.ZodMiniType<ListBreakglassResponse> = listBreakglassResponse();
export const breakglassResponseSchema: z.ZodMiniType<BreakglassResponse> = breakglassResponse();

export type ResponseSchemas = { readonly [Name in keyof Responses]: ReturnType<Responses[Name]> };

/** The answer of every route of the table (src/api/routeTable.ts), by name, built. */
export const RESPONSE_SCHEMAS = Object.fromEntries(Object.entries(RESPONSES).map(([name, build]) => [name, build()])) as unknown as ResponseSchemas;
