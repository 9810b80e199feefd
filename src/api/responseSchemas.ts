/**
 * Response body schemas of the HTTP API, one per route (`RESPONSES`, by the route
 * table's names), each built on first use and typed against the contract
 * (src/api/contract.ts) so the two cannot drift. The CLI checks every answer against
 * them at the client boundary; the handler tests check what the routes send. Lambda
 * functions never load this module: the route table (src/api/routeTable.ts) leaves the
 * responses out.
 *
 * Why lazily: building a zod schema costs far more than declaring it, and the CLI's API
 * client (src/cli/api/client.ts) loads this module for the one call a command such as
 * `sentinel exec` or `sentinel credentials` makes: it builds that route's answer and
 * the error body, nothing else. Each schema is built once and shared: the eager exports
 * of src/api/responses.ts, which the tests and the local tooling use, are the same
 * objects.
 *
 * Objects are not strict: a newer API may add fields an older CLI does not know, and
 * they are dropped rather than refused. A missing or mistyped field is refused.
 */

import * as z from 'zod/mini';
import { MODES } from '../policy/types.js';
import type { Mode } from '../policy/types.js';
import { TABLE_KINDS } from './constants.js';
import type {
  AccessRequestView,
  BreakglassResponse,
  BreakglassView,
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
  ProfileModeOutcome,
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
import { ERROR_CODES } from './contract.js';
import type { Denial } from './denial.js';
// Loading it gives zod its English messages, which the client's errors quote.
import { lazySchema, once } from './requestSchemas.js';
import type { LazySchema } from './requestSchemas.js';
import type { RouteName } from './routeTable.js';

const isoTime = once(() => z.iso.datetime({ offset: true }));
const mode = once(() => z.enum(MODES));

export const denial = lazySchema<Denial>(() =>
  z.object({
    effect: z.enum(['deny', 'require_approval']),
    rule: z.string(),
    reason: z.string(),
    requiresServerMode: z.boolean(),
    requiresSessionTracking: z.boolean(),
    sessionTable: z.nullable(z.string()),
    mode: mode(),
    profile: z.string(),
    alternatives: z.array(z.enum(['request', 'breakglass'])),
    // Absent from servers older than the field: the CLI then prints a placeholder.
    breakglassReasonCodes: z.optional(z.array(z.string())),
  }),
);

/** The body of every error answer of the API. */
export const errorBody = lazySchema<ErrorBody>(() =>
  z.object({
    error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), requestId: z.string(), denial: z.optional(denial()) }),
  }),
);

export const credentialsResponse = lazySchema<CredentialsResponse>(() =>
  z.object({
    credentials: z.object({
      accessKeyId: z.string().check(z.minLength(1)),
      secretAccessKey: z.string().check(z.minLength(1)),
      sessionToken: z.string().check(z.minLength(1)),
      expiration: isoTime(),
    }),
    session: z.nullable(z.object({ id: z.string(), table: z.string(), expiresAt: isoTime() })),
    sourceIdentity: z.string(),
    profile: z.string(),
    region: z.optional(z.string()),
    decision: z.object({ effect: z.literal('allow'), rule: z.string() }),
  }),
);

export const whoamiResponse = lazySchema<WhoamiResponse>(() => z.object({ user: z.string(), arn: z.string(), accountId: z.string(), admin: z.boolean() }));

const modeOutcome = lazySchema<ProfileModeOutcome>(() =>
  z.object({
    effect: z.enum(['allow', 'deny', 'require_approval']),
    rule: z.string(),
    requiresServerMode: z.boolean(),
    requiresSessionTracking: z.boolean(),
  }),
);

export const profilesResponse = lazySchema<ProfilesResponse>(() => {
  const outcome = modeOutcome();
  return z.object({
    profiles: z.array(
      z.object({
        name: z.string(),
        region: z.optional(z.string()),
        maxDurationSeconds: z.optional(z.number()),
        modes: z.object(Object.fromEntries(MODES.map((name) => [name, outcome])) as Record<Mode, typeof outcome>),
        openedBy: z.optional(z.object({ kind: z.enum(['approval', 'breakglass']), id: z.string(), via: z.string(), until: isoTime() })),
      }),
    ),
    policyVersion: z.int(),
  });
});

export const policyDocumentResponse = lazySchema<PolicyDocumentResponse>(() =>
  z.object({
    text: z.string(),
    version: z.int(),
    updatedAt: isoTime(),
    updatedBy: z.string(),
  }),
);

export const putPolicyResponse = lazySchema<PutPolicyResponse>(() => z.object({ version: z.int(), updatedAt: isoTime() }));

export const evaluateResponse = lazySchema<EvaluateResponse>(() =>
  z.object({
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
    mode: mode(),
    time: isoTime(),
    denial: z.nullable(denial()),
    policyVersion: z.int(),
  }),
);

export const endSessionResponse = lazySchema<EndSessionResponse>(() => z.object({ id: z.string(), status: z.literal('ended'), endedAt: isoTime() }));

export const checkSessionResponse = lazySchema<CheckSessionResponse>(() =>
  z.object({
    session: z.object({ id: z.string(), status: z.literal('active'), expiresAt: isoTime(), lastAccessAt: isoTime(), requestCount: z.int() }),
    decision: z.object({ effect: z.literal('allow'), rule: z.string() }),
    policyVersion: z.int(),
  }),
);

export const sessionView = lazySchema<SessionView>(() =>
  z.object({
    id: z.string(),
    table: z.string(),
    user: z.string(),
    callerArn: z.string(),
    accountId: z.string(),
    profile: z.string(),
    roleArn: z.string(),
    mode: mode(),
    status: z.enum(['pending', 'active', 'revoked', 'ended', 'expired', 'failed']),
    sourceIdentity: z.string(),
    createdAt: isoTime(),
    lastAccessAt: isoTime(),
    expiresAt: isoTime(),
    requestCount: z.int(),
    revokedBy: z.optional(z.string()),
    revokedReason: z.optional(z.string()),
    revokedAt: z.optional(isoTime()),
    endedAt: z.optional(isoTime()),
    ttl: z.int(),
  }),
);

export const listSessionsResponse = lazySchema<ListSessionsResponse>(() => z.object({ sessions: z.array(sessionView()), cursor: z.optional(z.string()) }));

export const sessionResponse = lazySchema<SessionResponse>(() => z.object({ session: sessionView() }));

export const revokeSessionResponse = lazySchema<RevokeSessionResponse>(() =>
  z.object({
    session: sessionView(),
    alreadyRevoked: z.boolean(),
    aws: z.object({ status: z.enum(['denied', 'pending']), message: z.optional(z.string()) }),
  }),
);

export const revokeSessionsResponse = lazySchema<RevokeSessionsResponse>(() =>
  z.object({
    revoked: z.int(),
    skipped: z.int(),
    awsPending: z.int(),
    cursor: z.optional(z.string()),
  }),
);

export const provisionResponse = lazySchema<ProvisionResponse>(() =>
  z.object({
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
  }),
);

export const iamPolicyDocument = lazySchema<IamPolicyDocument>(() =>
  z.object({
    Version: z.literal('2012-10-17'),
    Statement: z.array(z.object({ Sid: z.string(), Effect: z.literal('Allow'), Action: z.array(z.string()), Resource: z.array(z.string()) })),
  }),
);

const requestView = lazySchema<AccessRequestView>(() =>
  z.object({
    id: z.string(),
    requester: z.string(),
    profile: z.string(),
    justification: z.string(),
    durationSeconds: z.int(),
    status: z.enum(['pending', 'approved', 'denied', 'cancelled', 'expired']),
    createdAt: isoTime(),
    expiresAt: isoTime(),
    minApprovals: z.int(),
    approvals: z.array(z.object({ approver: z.string(), at: isoTime(), comment: z.optional(z.string()) })),
    decidedAt: z.optional(isoTime()),
    deniedBy: z.optional(z.string()),
    denyComment: z.optional(z.string()),
    windowEndsAt: z.optional(isoTime()),
    autoApproved: z.optional(z.object({ rule: z.string(), reason: z.string() })),
  }),
);

export const listRequestsResponse = lazySchema<ListRequestsResponse>(() => z.object({ requests: z.array(requestView()), cursor: z.optional(z.string()) }));

export const requestResponse = lazySchema<RequestResponse>(() => z.object({ request: requestView() }));

const breakglassView = lazySchema<BreakglassView>(() =>
  z.object({
    id: z.string(),
    invoker: z.string(),
    profile: z.string(),
    reasonCode: z.string(),
    justification: z.string(),
    durationSeconds: z.int(),
    status: z.enum(['active', 'closed', 'expired']),
    createdAt: isoTime(),
    expiresAt: isoTime(),
    rule: z.string(),
    closedAt: z.optional(isoTime()),
    closedBy: z.optional(z.string()),
    closedReason: z.optional(z.string()),
  }),
);

export const listBreakglassResponse = lazySchema<ListBreakglassResponse>(() => z.object({ events: z.array(breakglassView()), cursor: z.optional(z.string()) }));

export const breakglassResponse = lazySchema<BreakglassResponse>(() => z.object({ event: breakglassView() }));

/**
 * The answer of every route of the table (src/api/routeTable.ts), by name, built on the
 * first call: a route without one is a compile error.
 */
export const RESPONSES = {
  credentials: credentialsResponse,
  whoami: whoamiResponse,
  profiles: profilesResponse,
  getPolicy: policyDocumentResponse,
  putPolicy: putPolicyResponse,
  evaluatePolicy: evaluateResponse,
  endSession: endSessionResponse,
  checkSession: checkSessionResponse,
  listSessions: listSessionsResponse,
  showSession: sessionResponse,
  revokeSession: revokeSessionResponse,
  revokeSessions: revokeSessionsResponse,
  createRequest: requestResponse,
  listRequests: listRequestsResponse,
  showRequest: requestResponse,
  approveRequest: requestResponse,
  denyRequest: requestResponse,
  cancelRequest: requestResponse,
  invokeBreakglass: breakglassResponse,
  listBreakglass: listBreakglassResponse,
  closeBreakglass: breakglassResponse,
  provision: provisionResponse,
  iamPolicy: iamPolicyDocument,
  provisionStatus: provisionResponse,
} as const satisfies { readonly [Name in RouteName]: LazySchema<unknown> };

export type Responses = typeof RESPONSES;

/** What route `Name` answers. */
export type ResponseOf<Name extends RouteName> = z.output<ReturnType<Responses[Name]>>;
