/**
 * Lambda handlers: the shared stack around route handlers. Every function in
 * functions/ and every route of the local stack is built by {@link functionHandler},
 * so both run the same code. A handler takes the events of an HTTP API (payload 2.0)
 * and of a REST API (payload 1.0, translated by src/http/restEvent.ts) alike, and
 * answers both with the same response (`{ statusCode, headers, body }` is valid for both).
 */

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ROUTE_TABLE, routeKey, routesOf } from '../api/routeTable.js';
import type { FunctionName, RouteName } from '../api/routeTable.js';
import { SentinelError } from '../errors.js';
import { httpEventOf } from './restEvent.js';
import type { RestEvent } from './restEvent.js';
import type { FunctionRoutes, RouteHandler } from './route.js';
import { httpStack } from './stack.js';
import type { HttpDeps, HttpEvent, HttpResponse, StackRoute } from './stack.js';

/** A Lambda handler behind API Gateway: an HTTP API event (payload 2.0) or a REST API proxy event (payload 1.0). */
export type HttpHandler = (event: HttpEvent | RestEvent, context: Context) => Promise<HttpResponse>;

/** The stack itself, which reads payload 2.0 only. */
type StackHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

/** One route inside the shared stack. */
export function httpHandler<Name extends RouteName>(deps: HttpDeps, name: Name, handle: RouteHandler<Name>): HttpHandler {
  const handler = routeStack(deps, name, handle);
  return async function sentinelRoute(event: HttpEvent | RestEvent, context: Context) {
    return handler(httpEventOf(event), context);
  };
}

/**
 * Route `name` of the table with its request schemas built: when its function is
 * composed (the cold start), only for the routes that function serves. The table's
 * other schemas, and every response schema, are never built in a function.
 */
function stackRoute(name: RouteName): StackRoute {
  const { access, action, body, query } = ROUTE_TABLE[name];
  return { access, action, body: body === null ? null : body(), query: query === null ? null : query() };
}

function routeStack<Name extends RouteName>(deps: HttpDeps, name: Name, handle: RouteHandler<Name>): StackHandler {
  // The stack turns the event into the route's plain input and its result into the response.
  const handler = middy()
    .use(httpStack(deps, name, stackRoute(name)))
    .handler(handle as never);
  return handler as unknown as StackHandler;
}

/**
 * The Lambda handler of function `name`: API Gateway names the matched route in
 * `event.routeKey` (`GET /v1/provision/{table}`, the template, not the request path; a
 * REST API event's `<httpMethod> <resource>`, which is the same string), and each route
 * the table gives this function runs inside its own copy of the stack.
 * An event for any other route (a deployment that wires a route to the wrong function)
 * gets a 404 `NOT_FOUND` error body from the same stack, with its request id and log line.
 */
export function functionHandler<F extends FunctionName>(deps: HttpDeps, name: F, routes: FunctionRoutes<F>): HttpHandler {
  const handlers = new Map<string, StackHandler>();
  for (const route of routesOf(name)) {
    const handle = (routes as Record<string, RouteHandler<RouteName> | undefined>)[route];
    if (handle === undefined) throw new SentinelError('INTERNAL', `function ${name} has no handler for route ${route}`);
    handlers.set(routeKey(ROUTE_TABLE[route]), routeStack(deps, route, handle));
  }
  const notFound = unknownRoute(deps);
  return async function sentinelFunction(received: HttpEvent | RestEvent, context: Context) {
    const event = httpEventOf(received);
    const handler = handlers.get(event.routeKey);
    if (handler !== undefined) return handler(event, context);
    // No route will read the body: leave it out, so the answer is the 404, not a body complaint.
    const { body: _ignored, ...withoutBody } = event;
    return notFound({ ...withoutBody, isBase64Encoded: false }, context);
  };
}

/** What the stack checks for an event no route of the function matches: the caller, nothing else. */
const UNKNOWN_ROUTE: StackRoute = { access: 'any', body: null, query: null, action: 'call this route' };

/** The 404 of an event this function has no route for, answered through the same stack. */
function unknownRoute(deps: HttpDeps): StackHandler {
  const handler = middy()
    .use(httpStack(deps, 'unknownRoute', UNKNOWN_ROUTE))
    .handler(async () => {
      throw new SentinelError('NOT_FOUND', 'this function serves no such route');
    });
  return handler as unknown as StackHandler;
}
