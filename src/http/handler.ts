/**
 * One Lambda handler: the shared stack around one route. Every function in
 * functions/ and every route of the local stack is built by this, so both run the
 * same code.
 */

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Route } from './route.js';
import { httpStack } from './stack.js';
import type { HttpDeps, HttpEvent, HttpResponse } from './stack.js';

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

export function httpHandler<Body>(deps: HttpDeps, route: Route<Body>): HttpHandler {
  // The stack turns the event into the route's plain input and its result into the response.
  const handler = middy()
    .use(httpStack(deps, route))
    .handler(route.handle as never);
  return handler as unknown as HttpHandler;
}
