/**
 * Response body schemas of the HTTP API, one per route (`RESPONSE_SCHEMAS`, by the
 * route table's names), typed against the contract (src/api/contract.ts) so the two
 * cannot drift. The CLI checks every answer against them at the client boundary; the
 * handler tests check what the routes send. Lambda functions never load this module:
 * the route table (src/api/routeTable.ts) leaves the responses out, and building these
 * schemas would be a good part of a cold start.
 *
 * Objects are not strict: a newer API may add fields an older CLI does not know, and
 * they are dropped rather than refused. A missing or mistyped field is refused.
 */

import * as z from 'zod/mini';
import { MODES } from '../policy/types.js';
import type { Mode } from '../policy/types.js';
import { TABLE_KINDS } from './constants.js';
import type {
  CheckSessionResponse,
  CredentialsResponse,
  EndSessionResponse,
  ErrorBody,
  EvaluateResponse,
  IamPolicyDocument,
  ListSessionsResponse,
  PolicyDocumentResponse,
  ProfileModeOutcome,
  ProfilesResponse,
  ProvisionResponse,
  PutPolicyResponse,
  RevokeSessionResponse,
  RevokeSessionsResponse,
  SessionResponse,
  SessionView,
  WhoamiResponse,
  AccessRequestView,
  ListRequestsResponse,
  RequestResponse,
  BreakglassView,
  ListBreakglassResponse,
  BreakglassResponse,
} from './contract.js';
import { ERROR_CODES } from './contract.js';
import type { Denial } from './denial.js';
import type { RouteName } from './routeTable.js';

const isoTime = z.iso.datetime({ offset: true });
const mode = z.enum(MODES);

export const denialSchema: z.ZodMiniType<Denial> = z.object({
  effect: z.enum(['deny', 'require_approval']),
  rule: z.string(),
  reason: z.string(),
  requiresServerMode: z.boolean(),
  requiresSessionTracking: z.boolean(),
  sessionTable: z.nullable(z.string()),
  mode,
  profile: z.string(),
  alternatives: z.array(z.enum(['request', 'breakglass'])),
});

export const errorBodySchema: z.ZodMiniType<ErrorBody> = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), requestId: z.string(), denial: z.optional(denialSchema) }),
});

export const credentialsResponseSchema: z.ZodMiniType<CredentialsResponse> = z.object({
  credentials: z.object({ accessKeyId: z.string().check(z.minLength(1)), secretAccessKey: z.string().check(z.minLength(1)), sessionToken: z.string().check(z.minLength(1)), expiration: isoTime }),
  session: z.nullable(z.object({ id: z.string(), table: z.string(), expiresAt: isoTime })),
  sourceIdentity: z.string(),
  profile: z.string(),
  region: z.optional(z.string()),
  decision: z.object({ effect: z.literal('allow'), rule: z.string() }),
});

export const whoamiResponseSchema: z.ZodMiniType<WhoamiResponse> = z.object({ user: z.string(), arn: z.string(), accountId: z.string(), admin: z.boolean() });

const modeOutcome: z.ZodMiniType<ProfileModeOutcome> = z.object({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string(),
  requiresServerMode: z.boolean(),
  requiresSessionTracking: z.boolean(),
});

export const profilesResponseSchema: z.ZodMiniType<ProfilesResponse> = z.object({
  profiles: z.array(
    z.object({
      name: z.string(),
      region: z.optional(z.string()),
      maxDurationSeconds: z.optional(z.number()),
      modes: z.object(Object.fromEntries(MODES.map((name) => [name, modeOutcome])) as Record<Mode, typeof modeOutcome>),
      openedBy: z.optional(z.object({ kind: z.enum(['approval', 'breakglass']), id: z.string(), via: z.string(), until: isoTime })),
    }),
  ),
  policyVersion: z.int(),
});

export const policyDocumentResponseSchema: z.ZodMiniType<PolicyDocumentResponse> = z.object({
  text: z.string(),
  version: z.int(),
  updatedAt: isoTime,
  updatedBy: z.string(),
});

export const putPolicyResponseSchema: z.ZodMiniType<PutPolicyResponse> = z.object({ version: z.int(), updatedAt: isoTime });

export const evaluateResponseSchema: z.ZodMiniType<EvaluateResponse> = z.object({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string(),
  ruleIndex: z.int(),
  reason: z.string(),
  requiresServerMode: z.boolean(),
  requiresSessionTracking: z.boolean(),
  sessionTable: z.nullable(z.string()),
  maxServerDurationSeconds: z.nullable(z.number()),
  user: z.string(),
  profile: z.string(),
  mode,
  time: isoTime,
  denial: z.nullable(denialSchema),
  policyVersion: z.int(),
});

export const endSessionResponseSchema: z.ZodMiniType<EndSessionResponse> = z.object({ id: z.string(), status: z.literal('ended'), endedAt: isoTime });

export const checkSessionResponseSchema: z.ZodMiniType<CheckSessionResponse> = z.object({
  session: z.object({ id: z.string(), status: z.literal('active'), expiresAt: isoTime, lastAccessAt: isoTime, requestCount: z.int() }),
  decision: z.object({ effect: z.literal('allow'), rule: z.string() }),
  policyVersion: z.int(),
});

export const sessionViewSchema: z.ZodMiniType<SessionView> = z.object({
  id: z.string(),
  table: z.string(),
  user: z.string(),
  callerArn: z.string(),
  accountId: z.string(),
  profile: z.string(),
  roleArn: z.string(),
  mode,
  status: z.enum(['pending', 'active', 'revoked', 'ended', 'expired', 'failed']),
  sourceIdentity: z.string(),
  createdAt: isoTime,
  lastAccessAt: isoTime,
  expiresAt: isoTime,
  requestCount: z.int(),
  revokedBy: z.optional(z.string()),
  revokedReason: z.optional(z.string()),
  revokedAt: z.optional(isoTime),
  endedAt: z.optional(isoTime),
  ttl: z.int(),
});

export const listSessionsResponseSchema: z.ZodMiniType<ListSessionsResponse> = z.object({ sessions: z.array(sessionViewSchema), cursor: z.optional(z.string()) });

export const sessionResponseSchema: z.ZodMiniType<SessionResponse> = z.object({ session: sessionViewSchema });

export const revokeSessionResponseSchema: z.ZodMiniType<RevokeSessionResponse> = z.object({
  session: sessionViewSchema,
  alreadyRevoked: z.boolean(),
  aws: z.object({ status: z.enum(['denied', 'pending']), message: z.optional(z.string()) }),
});

export const revokeSessionsResponseSchema: z.ZodMiniType<RevokeSessionsResponse> = z.object({
  revoked: z.int(),
  skipped: z.int(),
  awsPending: z.int(),
  cursor: z.optional(z.string()),
});

export const provisionResponseSchema: z.ZodMiniType<ProvisionResponse> = z.object({
  status: z.enum(['PLAN', 'CREATING', 'READY', 'DRIFT']),
  table: z.string(),
  kind: z.enum(TABLE_KINDS),
  plan: z.object({
    action: z.enum(['create', 'none', 'drift']),
    differences: z.array(z.object({ kind: z.string(), message: z.string() })),
    schema: z.object({
      billingMode: z.literal('PAY_PER_REQUEST'),
      keys: z.array(z.string()),
      indexes: z.array(z.string()),
      ttlAttribute: z.string(),
      pointInTimeRecovery: z.literal(true),
      encryption: z.literal(true),
    }),
  }),
  arn: z.optional(z.string()),
});

export const iamPolicyDocumentSchema: z.ZodMiniType<IamPolicyDocument> = z.object({
  Version: z.literal('2012-10-17'),
  Statement: z.array(z.object({ Sid: z.string(), Effect: z.literal('Allow'), Action: z.array(z.string()), Resource: z.array(z.string()) })),
});

const requestViewSchema: z.ZodMiniType<AccessRequestView> = z.object({
  id: z.string(),
  requester: z.string(),
  profile: z.string(),
  justification: z.string(),
  durationSeconds: z.int(),
  status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'expired']),
  createdAt: isoTime,
  expiresAt: isoTime,
  minApprovals: z.int(),
  approvals: z.array(z.object({ approver: z.string(), at: isoTime, comment: z.optional(z.string()) })),
  decidedAt: z.optional(isoTime),
  deniedBy: z.optional(z.string()),
  denyComment: z.optional(z.string()),
  windowEndsAt: z.optional(isoTime),
  autoApproved: z.optional(z.object({ rule: z.string(), reason: z.string() })),
});

export const listRequestsResponseSchema: z.ZodMiniType<ListRequestsResponse> = z.object({ requests: z.array(requestViewSchema), cursor: z.optional(z.string()) });

export const requestResponseSchema: z.ZodMiniType<RequestResponse> = z.object({ request: requestViewSchema });

const breakglassViewSchema: z.ZodMiniType<BreakglassView> = z.object({
  id: z.string(),
  invoker: z.string(),
  profile: z.string(),
  reasonCode: z.string(),
  justification: z.string(),
  durationSeconds: z.int(),
  status: z.enum(['active', 'closed', 'expired']),
  createdAt: isoTime,
  expiresAt: isoTime,
  rule: z.string(),
  closedAt: z.optional(isoTime),
  closedBy: z.optional(z.string()),
  closedReason: z.optional(z.string()),
});

export const listBreakglassResponseSchema: z.ZodMiniType<ListBreakglassResponse> = z.object({ events: z.array(breakglassViewSchema), cursor: z.optional(z.string()) });

export const breakglassResponseSchema: z.ZodMiniType<BreakglassResponse> = z.object({ event: breakglassViewSchema });

/** The answer of every route of the table (src/api/routeTable.ts), by name: a route without one is a compile error. */
export const RESPONSE_SCHEMAS = {
  credentials: credentialsResponseSchema,
  whoami: whoamiResponseSchema,
  profiles: profilesResponseSchema,
  getPolicy: policyDocumentResponseSchema,
  putPolicy: putPolicyResponseSchema,
  evaluatePolicy: evaluateResponseSchema,
  endSession: endSessionResponseSchema,
  checkSession: checkSessionResponseSchema,
  listSessions: listSessionsResponseSchema,
  showSession: sessionResponseSchema,
  revokeSession: revokeSessionResponseSchema,
  revokeSessions: revokeSessionsResponseSchema,
  createRequest: requestResponseSchema,
  listRequests: listRequestsResponseSchema,
  showRequest: requestResponseSchema,
  approveRequest: requestResponseSchema,
  denyRequest: requestResponseSchema,
  cancelRequest: requestResponseSchema,
  invokeBreakglass: breakglassResponseSchema,
  listBreakglass: listBreakglassResponseSchema,
  closeBreakglass: breakglassResponseSchema,
  provision: provisionResponseSchema,
  iamPolicy: iamPolicyDocumentSchema,
  provisionStatus: provisionResponseSchema,
} as const satisfies { readonly [Name in RouteName]: z.ZodMiniType };

export type ResponseSchemas = typeof RESPONSE_SCHEMAS;
