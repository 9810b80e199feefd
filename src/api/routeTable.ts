/**
 * The one route table of the HTTP API (DESIGN.md, HTTP API; STYLE.md 15). Every route
 * is declared here once: method, path, the Lambda function that serves it, who may
 * call it, what a repeat of it could do (the CLI's retry class), and its request
 * schemas; its response schema is the route's entry in src/api/responseSchemas.ts
 * (`RESPONSES`, which must name every route of this table). src/api/routes.ts
 * joins the two into `ROUTES`, every schema built. Derived from it or checked against it:
 *
 * - the Lambda routers (src/http/handler.ts: each function serves the routes the table
 *   gives it, nothing else);
 * - the local stack (src/local/stack.ts serves every route through its function's handler);
 * - the CLI client (src/cli/api/client.ts: one method per route, answers checked
 *   against the route's entry of `RESPONSES`, built on the call; it loads neither
 *   `ROUTES` nor another route's schemas);
 * - the deployment: src/deploy/template.ts makes every route an AWS_IAM event of its
 *   function (HTTP API or REST), checked in test/unit/api/routes.test.ts and, in the
 *   packaged CloudFormation template, in test/e2e/package.test.ts.
 *
 * Why the table is apart from the response schemas, and names its request schemas by
 * a function that builds them (src/api/requestSchemas.ts): a Lambda function loads this
 * module, and with it every route's declaration, but builds only the request schemas of
 * its own routes and never loads a response schema (those are for the CLI and the
 * tests): building zod schemas is most of what they cost at a cold start.
 *
 * Adding a route is one entry here, its response schema in src/api/responseSchemas.ts, and
 * one handler in its function's composition.
 */

import type * as z from 'zod/mini';
import type { LazySchema } from './requestSchemas.js';
import {
  checkSessionRequest,
  closeBreakglassRequest,
  createRequestRequest,
  credentialsRequest,
  decideRequestRequest,
  endSessionRequest,
  evaluateRequest,
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
  showSessionQuery,
} from './requestSchemas.js';

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

/** One route as the table declares it; src/api/routes.ts adds the built schemas and the response schema (`RouteSpec`). */
export interface RouteDeclaration<Body = unknown, Query = unknown> {
  method: HttpMethod;
  /** API Gateway's route path; `{name}` is a path parameter. */
  path: string;
  function: FunctionName;
  access: Access;
  retry: RetryClass;
  /** A body that makes this call a read after all (`POST /v1/provision` with `plan: true`). */
  readsWhen?: (body: Body) => boolean;
  /** The body schema, built on the first call; null when the route takes no body (one sent anyway is a 400). */
  body: LazySchema<Body> | null;
  /** The query-string schema, built on the first call; null when the route reads no query parameters. */
  query: LazySchema<Query> | null;
  /** What the route does, for refusals: "only admins may <action>". */
  action: string;
}

function route<Body, Query>(declaration: RouteDeclaration<Body, Query>): RouteDeclaration<Body, Query> {
  return declaration;
}

export const ROUTE_TABLE = {
  credentials: route({
    method: 'POST',
    path: '/v1/credentials',
    function: 'credentials',
    access: 'any',
    retry: 'issue',
    body: credentialsRequest,
    query: null,
    action: 'get credentials',
  }),
  whoami: route({ method: 'GET', path: '/v1/whoami', function: 'whoami', access: 'any', retry: 'read', body: null, query: null, action: 'ask who they are' }),
  profiles: route({
    method: 'GET',
    path: '/v1/profiles',
    function: 'profiles',
    access: 'any',
    retry: 'read',
    body: null,
    query: null,
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
    action: 'read the policy',
  }),
  putPolicy: route({
    method: 'PUT',
    path: '/v1/policy',
    function: 'putPolicy',
    access: 'admin',
    retry: 'write',
    body: putPolicyRequest,
    query: null,
    action: 'change the policy',
  }),
  // Anyone may evaluate for themselves; for another user the route asks for an admin.
  evaluatePolicy: route({
    method: 'POST',
    path: '/v1/policy/evaluate',
    function: 'evaluatePolicy',
    access: 'any',
    retry: 'read',
    body: evaluateRequest,
    query: null,
    action: 'evaluate requests of other users',
  }),
  endSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/end',
    function: 'endSession',
    access: 'owner',
    retry: 'write',
    body: endSessionRequest,
    query: null,
    action: 'end a session',
  }),
  // The server-mode re-check: one conditional write, a policy evaluation, no STS, nothing secret.
  checkSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/check',
    function: 'checkSession',
    access: 'owner',
    retry: 'read',
    body: checkSessionRequest,
    query: null,
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
    query: listSessionsQuery,
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
    query: showSessionQuery,
    action: 'show a session',
  }),
  revokeSession: route({
    method: 'POST',
    path: '/v1/sessions/{id}/revoke',
    function: 'revokeSessions',
    access: 'admin',
    retry: 'write',
    body: revokeSessionRequest,
    query: null,
    action: 'revoke sessions',
  }),
  revokeSessions: route({
    method: 'POST',
    path: '/v1/sessions/revoke',
    function: 'revokeSessions',
    access: 'admin',
    retry: 'write',
    body: revokeSessionsRequest,
    query: null,
    action: 'revoke sessions',
  }),
  // Access requests (docs/api.md, Access requests): who may approve is decided by the policy's approvals rules, in the domain code.
  createRequest: route({
    method: 'POST',
    path: '/v1/requests',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: createRequestRequest,
    query: null,
    action: 'request access',
  }),
  listRequests: route({
    method: 'GET',
    path: '/v1/requests',
    function: 'requests',
    access: 'any',
    retry: 'read',
    body: null,
    query: listRequestsQuery,
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
    action: 'show a request',
  }),
  approveRequest: route({
    method: 'POST',
    path: '/v1/requests/{id}/approve',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: decideRequestRequest,
    query: null,
    action: 'approve requests',
  }),
  denyRequest: route({
    method: 'POST',
    path: '/v1/requests/{id}/deny',
    function: 'requests',
    access: 'any',
    retry: 'write',
    body: decideRequestRequest,
    query: null,
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
    action: 'cancel a request',
  }),
  // Break-glass (docs/api.md, Break-glass): allowed by the policy's breakglass rules, quotas checked atomically.
  invokeBreakglass: route({
    method: 'POST',
    path: '/v1/breakglass',
    function: 'breakglass',
    access: 'any',
    retry: 'write',
    body: invokeBreakglassRequest,
    query: null,
    action: 'invoke break-glass',
  }),
  listBreakglass: route({
    method: 'GET',
    path: '/v1/breakglass',
    function: 'breakglass',
    access: 'any',
    retry: 'read',
    body: null,
    query: listBreakglassQuery,
    action: 'list every break-glass event',
  }),
  closeBreakglass: route({
    method: 'POST',
    path: '/v1/breakglass/{id}/close',
    function: 'breakglass',
    access: 'owner',
    retry: 'write',
    body: closeBreakglassRequest,
    query: null,
    action: 'close a break-glass event',
  }),
  provision: route({
    method: 'POST',
    path: '/v1/provision',
    function: 'provision',
    access: 'admin',
    retry: 'write',
    readsWhen: (body) => body.plan === true,
    body: provisionRequest,
    query: null,
    action: 'provision tables',
  }),
  iamPolicy: route({
    method: 'GET',
    path: '/v1/provision/iam-policy',
    function: 'provision',
    access: 'admin',
    retry: 'read',
    body: null,
    query: iamPolicyQuery,
    action: 'read provisioning IAM policies',
  }),
  provisionStatus: route({
    method: 'GET',
    path: '/v1/provision/{table}',
    function: 'provision',
    access: 'admin',
    retry: 'read',
    body: null,
    query: provisionStatusQuery,
    action: 'provision tables',
  }),
} as const;

export type RouteTable = typeof ROUTE_TABLE;
export type RouteName = keyof RouteTable;

/** Every route's name, in the table's order. */
export const ROUTE_NAMES = Object.keys(ROUTE_TABLE) as RouteName[];

/** API Gateway's route key, `METHOD /path/{param}`: what `event.routeKey` holds and serverless.yml writes. */
export function routeKey(spec: Pick<RouteDeclaration, 'method' | 'path'>): string {
  return `${spec.method} ${spec.path}`;
}

/** The routes one function serves, by name. */
export function routesOf(functionName: FunctionName): RouteName[] {
  return ROUTE_NAMES.filter((name) => ROUTE_TABLE[name].function === functionName);
}

/** What a lazy schema of the table builds (`null` stays `null`). */
export type Built<T> = T extends () => infer Schema ? Schema : null;

/** The request body a route takes (`unknown` for none). */
export type BodyOf<Name extends RouteName> = Built<RouteTable[Name]['body']> extends null ? unknown : z.output<NonNullable<Built<RouteTable[Name]['body']>>>;
export type QueryOf<Name extends RouteName> = Built<RouteTable[Name]['query']> extends null ? unknown : z.output<NonNullable<Built<RouteTable[Name]['query']>>>;

/** The retry class of one call of a route: it reads the table only, so it builds no schema. */
export function retryClassOf<Name extends RouteName>(name: Name, body: BodyOf<Name> | undefined): RetryClass {
  const spec = ROUTE_TABLE[name] as RouteDeclaration<BodyOf<Name>>;
  return body !== undefined && spec.readsWhen?.(body) === true ? 'read' : spec.retry;
}
