/**
 * The one route table of the HTTP API (DESIGN.md, HTTP API; STYLE.md 15). Every route
 * is declared here once: method, path, the Lambda function that serves it, who may
 * call it, what a repeat of it could do (the CLI's retry class), and its request and
 * response schemas. Derived from it or checked against it:
 *
 * - the Lambda routers (src/http/functionHandler.ts: each function serves the routes
 *   the table gives it, nothing else);
 * - the local stack (src/local/stack.ts serves every route through its function's handler);
 * - the CLI client (src/cli/api/client.ts: one method per route, answers checked
 *   against `response`);
 * - the deployment: src/deploy/template.ts makes every route an AWS_IAM event of its
 *   function (HTTP API or REST), checked in test/unit/api/routes.test.ts and, in the
 *   packaged CloudFormation template, in test/e2e/package.test.ts.
 *
 * Adding a route is one entry here and one handler in its function's composition.
 */

import type * as z from 'zod/mini';
import {
  checkSessionRequestSchema,
  credentialsRequestSchema,
  endSessionRequestSchema,
  evaluateRequestSchema,
  iamPolicyQuerySchema,
  listSessionsQuerySchema,
  provisionRequestSchema,
  provisionStatusQuerySchema,
  putPolicyRequestSchema,
  revokeSessionRequestSchema,
  revokeSessionsRequestSchema,
  showSessionQuerySchema,
  createRequestRequestSchema,
  listRequestsQuerySchema,
  decideRequestRequestSchema,
  invokeBreakglassRequestSchema,
  closeBreakglassRequestSchema,
  listBreakglassQuerySchema,
} from './schemas.js';
import {
  checkSessionResponseSchema,
  credentialsResponseSchema,
  endSessionResponseSchema,
  evaluateResponseSchema,
  iamPolicyDocumentSchema,
  listSessionsResponseSchema,
  policyDocumentResponseSchema,
  profilesResponseSchema,
  provisionResponseSchema,
  putPolicyResponseSchema,
  revokeSessionsResponseSchema,
  sessionResponseSchema,
  revokeSessionResponseSchema,
  whoamiResponseSchema,
  listRequestsResponseSchema,
  requestResponseSchema,
  listBreakglassResponseSchema,
  breakglassResponseSchema,
} from './responses.js';

/** The Lambda functions of a deployment: one file each in functions/, one entry each in serverless.yml. */
export const FUNCTION_NAMES = ['credentials', 'whoami', 'profiles', 'getPolicy', 'putPolicy', 'evaluatePolicy', 'endSession', 'checkSession', 'sessions', 'revokeSessions', 'provision', 'requests', 'breakglass'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Functions EventBridge invokes on a schedule rather than API Gateway: they serve no route. */
export const SCHEDULED_FUNCTIONS = ['sweep'] as const;
export type ScheduledFunctionName = (typeof SCHEDULED_FUNCTIONS)[number];

/**
 * Who may call: `any` allowed caller; `owner` of the resource named in the path (the
 * route's domain code checks it, in the same conditional write that acts); `admin`
 * (the HTTP stack checks it before the route runs).
 */
export type Access = 'any' | 'owner' | 'admin';

/**
 * What a repeat of the call could do, which decides what the CLI retries
 * (docs/cli.md, Retries): `read` has no effect, `issue` mints credentials and may
 * write a session, `write` changes state.
 */
export type RetryClass = 'read' | 'issue' | 'write';

export type HttpMethod = 'GET' | 'POST' | 'PUT';

export interface RouteSpec<Body = unknown, Query = unknown, Response = unknown> {
  method: HttpMethod;
  /** API Gateway's route path; `{name}` is a path parameter. */
  path: string;
  function: FunctionName;
  access: Access;
  retry: RetryClass;
  /** A body that makes this call a read after all (`POST /v1/provision` with `plan: true`). */
  readsWhen?: (body: Body) => boolean;
  /** The body schema; null when the route takes no body (one sent anyway is a 400). */
  body: z.ZodMiniType<Body> | null;
  /** The query-string schema; null when the route reads no query parameters. */
  query: z.ZodMiniType<Query> | null;
  response: z.ZodMiniType<Response>;
  /** What the route does, for refusals: "only admins may <action>". */
  action: string;
}

function route<Body, Query, Response>(spec: RouteSpec<Body, Query, Response>): RouteSpec<Body, Query, Response> {
  return spec;
}

export const ROUTES = {
  credentials: route({
    method: 'POST',
    path: '/v1/credentials',
    function: 'credentials',
    access: 'any',
    retry: 'issue',
    body: credentialsRequestSchema,
    query: null,
    response: credentialsResponseSchema,
    action: 'get credentials',
  }),
  whoami: route({ method: 'GET', path: '/v1/whoami', function: 'whoami', access: 'any', retry: 'read', body: null, query: null, response: whoamiResponseSchema, action: 'ask who they are' }),
  profiles: route({
    method: 'GET',
    path: '/v1/profiles',
    function: 'profiles',
    access: 'any',
    retry: 'read',
    body: null,
    query: null,
    response: profilesResponseSchema,
    action: 'list profiles',
  }),
  getPolicy: route({
    method: 'GET',
    path: '/v1/policy',
    function: 'getPolicy',
    access: 'admin',
    retry: 'read',
    body: null,
    query: null,
    response: policyDocumentResponseSchema,
    action: 'read the policy',
  }),
  putPolicy: route({
    method: 'PUT',
    path: '/v1/policy',
    function: 'putPolicy',
    access: 'admin',
    retry: 'write',
    body: putPolicyRequestSchema,
    query: null,
    response: putPolicyResponseSchema,
    action: 'change the policy',
  }),
  // Anyone may evaluate for themselves; for another user the route asks for an admin.
  evaluatePolicy: route({
    method: 'POST',
    path: '/v1/policy/evaluate',
    function: 'evaluatePolicy',
    access: 'any',
    retry: 'read',
    body: evaluateRequestSchema,
    query: null,
    response: evaluateResponseSchema,
    action: 'evaluate requests of other users',
  }),
  endSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/end',
    function: 'endSession',
    access: 'owner',
    retry: 'write',
    body: endSessionRequestSchema,
    query: null,
    response: endSessionResponseSchema,
    action: 'end a session',
  }),
  // The server-mode re-check: one conditional write, a policy evaluation, no STS, nothing secret.
  checkSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/check',
    function: 'checkSession',
    access: 'owner',
    retry: 'read',
    body: checkSessionRequestSchema,
    query: null,
    response: checkSessionResponseSchema,
    action: 'check a session',
  }),
  // Own sessions for anyone; an admin names a user or a profile. Always a Query on an index, never a Scan.
  listSessions: route({
    method: 'GET',
    path: '/v1/sessions',
    function: 'sessions',
    access: 'any',
    retry: 'read',
    body: null,
    query: listSessionsQuerySchema,
    response: listSessionsResponseSchema,
    action: 'list the sessions of other users',
  }),
  // The owner or an admin; to anyone else a session does not exist.
  showSession: route({
    method: 'GET',
    path: '/v1/sessions/{id}',
    function: 'sessions',
    access: 'owner',
    retry: 'read',
    body: null,
    query: showSessionQuerySchema,
    response: sessionResponseSchema,
    action: 'show a session',
  }),
  revokeSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/revoke',
    function: 'revokeSessions',
    access: 'admin',
    retry: 'write',
    body: revokeSessionRequestSchema,
    query: null,
    response: revokeSessionResponseSchema,
    action: 'revoke sessions',
  }),
  revokeSessions: route({
    method: 'POST',
    path: '/v1/sessions/revoke',
    function: 'revokeSessions',
    access: 'admin',
    retry: 'write',
    body: revokeSessionsRequestSchema,
    query: null,
    response: revokeSessionsResponseSchema,
    action: 'revoke sessions',
  }),
  // Access requests (docs/api.md, Access requests): who may approve is decided by the policy's approvals rules, in the domain code.
  createRequest: route({
    method: 'POST',
    path: '/v1/requests',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: createRequestRequestSchema,
    query: null,
    response: requestResponseSchema,
    action: 'request access',
  }),
  listRequests: route({
    method: 'GET',
    path: '/v1/requests',
    function: 'requests',
    access: 'any',
    retry: 'read',
    body: null,
    query: listRequestsQuerySchema,
    response: listRequestsResponseSchema,
    action: 'list every request',
  }),
  showRequest: route({
    method: 'GET',
    path: '/v1/requests/{id}',
    function: 'requests',
    access: 'any',
    retry: 'read',
    body: null,
    query: null,
    response: requestResponseSchema,
    action: 'show a request',
  }),
  approveRequest: route({
    method: 'POST',
    path: '/v1/requests/{id}/approve',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: decideRequestRequestSchema,
    query: null,
    response: requestResponseSchema,
    action: 'approve requests',
  }),
  denyRequest: route({
    method: 'POST',
    path: '/v1/requests/{id}/deny',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: decideRequestRequestSchema,
    query: null,
    response: requestResponseSchema,
    action: 'deny requests',
  }),
  cancelRequest: route({
    method: 'POST',
    path: '/v1/requests/{id}/cancel',
    function: 'requests',
    access: 'owner',
    retry: 'write',
    body: null,
    query: null,
    response: requestResponseSchema,
    action: 'cancel a request',
  }),
  // Break-glass (docs/api.md, Break-glass): allowed by the policy's breakglass rules, quotas checked atomically.
  invokeBreakglass: route({
    method: 'POST',
    path: '/v1/breakglass',
    function: 'breakglass',
    access: 'any',
    retry: 'write',
    body: invokeBreakglassRequestSchema,
    query: null,
    response: breakglassResponseSchema,
    action: 'invoke break-glass',
  }),
  listBreakglass: route({
    method: 'GET',
    path: '/v1/breakglass',
    function: 'breakglass',
    access: 'any',
    retry: 'read',
    body: null,
    query: listBreakglassQuerySchema,
    response: listBreakglassResponseSchema,
    action: 'list every break-glass event',
  }),
  closeBreakglass: route({
    method: 'POST',
    path: '/v1/breakglass/{id}/close',
    function: 'breakglass',
    access: 'owner',
    retry: 'write',
    body: closeBreakglassRequestSchema,
    query: null,
    response: breakglassResponseSchema,
    action: 'close a break-glass event',
  }),
  provision: route({
    method: 'POST',
    path: '/v1/provision',
    function: 'provision',
    access: 'admin',
    retry: 'write',
    readsWhen: (body) => body.plan === true,
    body: provisionRequestSchema,
    query: null,
    response: provisionResponseSchema,
    action: 'provision tables',
  }),
  iamPolicy: route({
    method: 'GET',
    path: '/v1/provision/iam-policy',
    function: 'provision',
    access: 'admin',
    retry: 'read',
    body: null,
    query: iamPolicyQuerySchema,
    response: iamPolicyDocumentSchema,
    action: 'read provisioning IAM policies',
  }),
  provisionStatus: route({
    method: 'GET',
    path: '/v1/provision/{table}',
    function: 'provision',
    access: 'admin',
    retry: 'read',
    body: null,
    query: provisionStatusQuerySchema,
    response: provisionResponseSchema,
    action: 'provision tables',
  }),
} as const;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

/** The request body a route takes (`Record<string, never>` for none). */
export type BodyOf<Name extends RouteName> = Routes[Name]['body'] extends null ? unknown : z.output<NonNullable<Routes[Name]['body']>>;
export type QueryOf<Name extends RouteName> = Routes[Name]['query'] extends null ? unknown : z.output<NonNullable<Routes[Name]['query']>>;
export type ResponseOf<Name extends RouteName> = z.output<Routes[Name]['response']>;

/** API Gateway's route key, `METHOD /path/{param}`: what `event.routeKey` holds and serverless.yml writes. */
export function routeKey(spec: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${spec.method} ${spec.path}`;
}

/** The routes one function serves, by name. */
export function routesOf(functionName: FunctionName): RouteName[] {
  return (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].function === functionName);
}

/** The retry class of one call of a route. */
export function retryClassOf<Name extends RouteName>(name: Name, body: BodyOf<Name> | undefined): RetryClass {
  const spec = ROUTES[name] as RouteSpec<BodyOf<Name>>;
  return body !== undefined && spec.readsWhen?.(body) === true ? 'read' : spec.retry;
}
