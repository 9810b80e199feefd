/**
 * What a route handler sees and returns: plain data, no Lambda event. The HTTP stack
 * (src/http/stack.ts) turns the API Gateway event into a RouteInput before the handler
 * runs and its RouteResult into the HTTP response after. The shapes come from the
 * route table (src/api/routeTable.ts, src/api/routes.ts).
 */

import type { BodyOf, FunctionName, QueryOf, ResponseOf, RouteName, RouteTable } from '../api/routes.js';
import type { Caller } from '../identity/types.js';

export interface RouteInput<Body, Query> {
  /** The parsed body, already checked against the route's schema (`{}` for a route without one). */
  body: Body;
  /** The query string, already checked against the route's schema (`{}` for a route without one). */
  query: Query;
  /** Path parameters (`{id}` → `path.id`). */
  path: Record<string, string>;
  /** Derived only from the IAM authorizer context (DESIGN.md, Identity). */
  caller: Caller;
  /** API Gateway's request id: in every log line and every error body. */
  requestId: string;
  receivedAt: Date;
}

export interface RouteResult<Response> {
  status: number;
  body: Response;
}

/** A route without a body or query schema gets an empty object there. */
type OrEmpty<T> = unknown extends T ? Record<string, never> : T;

/** The handler of route `Name`, typed by its entry in the route table. */
export type RouteHandler<Name extends RouteName> = (input: RouteInput<OrEmpty<BodyOf<Name>>, OrEmpty<QueryOf<Name>>>) => Promise<RouteResult<ResponseOf<Name>>>;

/** Exactly the routes the table gives function `F`, each with its handler. */
export type FunctionRoutes<F extends FunctionName> = { [Name in RouteName as RouteTable[Name]['function'] extends F ? Name : never]: RouteHandler<Name> };
