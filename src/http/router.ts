/**
 * One Lambda handler serving several routes: API Gateway names the matched route in
 * `event.routeKey` (`GET /v1/provision/{table}`, the template, not the request path),
 * and each route runs inside its own copy of the shared stack, exactly as if it had a
 * function of its own.
 */

import type { Context } from 'aws-lambda';
import { SentinelError } from '../errors.js';
import { httpHandler } from './handler.js';
import type { HttpHandler } from './handler.js';
import type { Route } from './route.js';
import type { HttpDeps, HttpEvent } from './stack.js';

/** Route key (`METHOD /path/{param}`, as in serverless.yml) → route. */
export type RouteTable = Readonly<Record<string, Route<unknown>>>;

/**
 * The handler for `routes`. An event whose route key is not in the table (a deployment
 * that wires a route to this function without code for it) gets a 404 `NOT_FOUND`
 * error body from the same stack, with its request id and log line.
 */
export function httpRouter(deps: HttpDeps, routes: RouteTable): HttpHandler {
  const handlers = new Map<string, HttpHandler>(Object.entries(routes).map(([routeKey, route]) => [routeKey, httpHandler(deps, route)]));
  const notFound = httpHandler(deps, unknownRoute());
  return async function sentinelRouter(event: HttpEvent, context: Context) {
    const handler = handlers.get(event.routeKey);
    if (handler !== undefined) return handler(event, context);
    // No route will read the body: leave it out, so the answer is the 404, not a body complaint.
    const { body: _ignored, ...withoutBody } = event;
    return notFound({ ...withoutBody, isBase64Encoded: false }, context);
  };
}

function unknownRoute(): Route {
  return {
    name: 'unknownRoute',
    body: null,
    handle: async () => {
      throw new SentinelError('NOT_FOUND', 'this function serves no such route');
    },
  };
}
