/**
 * The one HTTP middleware stack every function uses (STYLE.md 2), and the one place
 * where error codes become HTTP statuses.
 *
 * Order of `use()` (middy runs `after`/`onError` in reverse):
 *   1. logger context: Lambda's and API Gateway's request ids on every log line, reset after each invocation;
 *   2. errors (onError): SentinelError → `{ error: { code, message, requestId, denial? } }`,
 *      anything else → 500 INTERNAL with the detail only in the log;
 *   3. responses (after): RouteResult → JSON response, never cached;
 *   4. input (before): strict JSON body parsing and validation against the route
 *      table's schemas (body and query), the caller's identity from the IAM authorizer
 *      context, and for `admin` routes the admin check; the handler gets a plain RouteInput.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ErrorBody, ErrorCode } from '../api/contract.js';
import { describeValidationError } from '../api/requestSchemas.js';
import type { Access } from '../api/routeTable.js';
import type { Clock } from '../clock.js';
import { SentinelError } from '../errors.js';
import { resolveCaller } from '../identity/resolve.js';
import type { IdentityRoleVerifier, IdentityRules } from '../identity/types.js';
import type { AdminCheck } from './access.js';
import type { RouteInput, RouteResult } from './route.js';

/** DESIGN.md, HTTP API: every stable code and its status. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  INVALID_IDENTITY: 403,
  IAM_AUTH_REQUIRED: 403,
  POLICY_DENY: 403,
  SERVER_MODE_REQUIRED: 403,
  SESSION_TRACKING_REQUIRED: 403,
  SERVER_SESSION_REQUIRED: 403,
  APPROVAL_REQUIRED: 403,
  SESSION_REVOKED: 403,
  SESSION_ENDED: 403,
  SESSION_EXPIRED: 403,
  NOT_OWNER: 403,
  NOT_ADMIN: 403,
  NOT_FOUND: 404,
  UNKNOWN_PROFILE: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** What the stack needs from the composition root. */
export interface HttpDeps {
  logger: Logger;
  identity: IdentityRules;
  /** Asked whether a role of the own account is an IAM Identity Center role (src/compose/iam.ts). */
  identityRoles: IdentityRoleVerifier;
  clock: Clock;
  /** Required by functions that serve an `admin` route. */
  admins?: AdminCheck;
}

export type HttpEvent = APIGatewayProxyEventV2WithIAMAuthorizer;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

interface Internal extends Record<string, unknown> {
  requestId?: string;
}

// The stack swaps the API Gateway event for the route's plain input before the route runs.
type StackRequest = Request<HttpEvent | RouteInput<unknown, unknown>, HttpResponse | RouteResult<unknown>, Error, Context, Internal>;
type StackMiddleware = MiddlewareObj<HttpEvent | RouteInput<unknown, unknown>, HttpResponse | RouteResult<unknown>, Error, Context, Internal>;

/**
 * What the stack needs of a route of the table (src/api/routeTable.ts): who may call
 * it, what it does (for refusals), and its request schemas, built.
 */
export interface StackRoute {
  access: Access;
  action: string;
  /** The body schema; null when the route takes no body (one sent anyway is a 400). */
  body: z.ZodMiniType | null;
  /** The query-string schema; null when the route reads no query parameters. */
  query: z.ZodMiniType | null;
}

/** Credentials pass through these responses: no cache may keep them. */
const RESPONSE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/**
 * The middlewares of the stack, in `use()` order, for the route `spec` (its entry in the
 * route table, schemas built: src/http/handler.ts); `name` labels its log lines.
 *
 * @throws SentinelError `INTERNAL` at composition time for an `admin` route without an
 *   admin check: a function must never serve one unguarded.
 */
export function httpStack(deps: HttpDeps, name: string, spec: StackRoute): StackMiddleware[] {
  if (spec.access === 'admin' && deps.admins === undefined) throw new SentinelError('INTERNAL', `route ${name} is for admins, but its function has no admin check`);
  return [
    injectLambdaContext(deps.logger, { resetKeys: true, logEvent: false }) as StackMiddleware,
    errorResponses(deps.logger, name),
    jsonResponses(),
    routeInput(deps, spec),
  ];
}

function routeInput(deps: HttpDeps, spec: StackRoute): StackMiddleware {
  return {
    name: 'sentinelRouteInput',
    before: async function sentinelRouteInput(request: StackRequest): Promise<void> {
      const event = request.event as HttpEvent;
      const requestId = event.requestContext?.requestId ?? request.context.awsRequestId;
      request.internal.requestId = requestId;
      // API Gateway's id on every line of this invocation (the logger middleware resets it after).
      deps.logger.appendKeys({ requestId });
      const receivedAt = deps.clock.now();
      const body = parseBody(event, spec.body);
      const caller = await resolveCaller(event.requestContext?.authorizer?.iam, deps.identity, deps.identityRoles);
      if (spec.access === 'admin') await deps.admins?.require(caller, receivedAt, spec.action);
      const query = definedValues(event.queryStringParameters);
      const input: RouteInput<unknown, unknown> = {
        body,
        query: spec.query === null ? query : parseQuery(spec.query, query),
        path: definedValues(event.pathParameters),
        caller,
        requestId,
        receivedAt,
      };
      request.event = input;
    },
  };
}

function parseBody(event: HttpEvent, schema: z.ZodMiniType | null): unknown {
  const raw = event.body === undefined || event.body === '' ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (schema === null) {
    if (raw !== undefined) throw new SentinelError('INVALID_REQUEST', 'this route takes no request body');
    return {};
  }
  let value: unknown = {};
  if (raw !== undefined) {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new SentinelError('INVALID_REQUEST', 'the request body is not valid JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SentinelError('INVALID_REQUEST', 'the request body must be a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SentinelError('INVALID_REQUEST', describeValidationError(parsed.error));
  return parsed.data;
}

/** The query string against `schema`, as strict as bodies: an unknown parameter is a 400, never ignored. */
function parseQuery(schema: z.ZodMiniType, query: Record<string, string>): unknown {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => `"${key}"`).join(', ');
    throw new SentinelError('INVALID_REQUEST', `unknown query parameter${issue.keys.length > 1 ? 's' : ''} ${names}`);
  }
  const parameter = issue?.path[0];
  if (typeof parameter === 'string' && query[parameter] === undefined) throw new SentinelError('INVALID_REQUEST', `query parameter ${parameter}: required`);
  throw new SentinelError('INVALID_REQUEST', `query parameter ${describeValidationError(parsed.error)}`);
}

/**
 * The entries that have a value, as own properties: a parameter named `__proto__` stays a
 * parameter (and the strict query check refuses it) instead of vanishing into an assignment.
 */
function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function jsonResponses(): StackMiddleware {
  return {
    name: 'sentinelJsonResponses',
    after: function sentinelJsonResponses(request: StackRequest): void {
      const result = request.response as RouteResult<unknown>;
      request.response = { statusCode: result.status, headers: { ...RESPONSE_HEADERS }, body: JSON.stringify(result.body) };
    },
  };
}

function errorResponses(logger: Logger, routeName: string): StackMiddleware {
  return {
    name: 'sentinelErrorResponses',
    onError: function sentinelErrorResponses(request: StackRequest): HttpResponse {
      const error = request.error;
      const requestId = request.internal.requestId ?? (request.event as HttpEvent).requestContext?.requestId ?? request.context.awsRequestId;
      // A SentinelError's code is an ErrorCode by type; the own-property check also refuses a code forced past the compiler.
      const known = error instanceof SentinelError && Object.hasOwn(STATUS, error.code);
      const code: ErrorCode = known ? error.code : 'INTERNAL';
      const status = STATUS[code];
      if (status >= 500) {
        // The detail (AWS error text, stack) stays in the log; the caller gets a stable code.
        logger.error('request failed', { route: routeName, code, error });
      } else {
        logger.info('request refused', { route: routeName, code, detail: error?.message });
      }
      // Sentinel's own messages are written for callers; anything else is a bug.
      const message = known && code !== 'INTERNAL' ? error.message : 'internal error: the request id identifies it in the logs';
      const denial = known ? error.denial : undefined;
      const body: ErrorBody = { error: { code, message, requestId, ...(denial === undefined ? {} : { denial }) } };
      const headers: Record<string, string> = { ...RESPONSE_HEADERS };
      // DESIGN.md: every 429 and 503 says when to come back, whichever error raised it.
      if (status === 429 || status === 503) headers['retry-after'] = String(Math.max(1, Math.ceil((known ? error.retryAfterSeconds : undefined) ?? 1)));
      request.response = { statusCode: status, headers, body: JSON.stringify(body) };
      return request.response;
    },
  };
}
