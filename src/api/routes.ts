/**
 * The route table with every schema built (`ROUTES`): each route of src/api/routeTable.ts
 * (where routes are declared, STYLE.md 15) with its request schemas and its response
 * schema (src/api/responses.ts). For the local stack, the deployment template and the
 * tests. Lambda functions use the table itself (src/http/handler.ts), so they never
 * build another route's schemas nor any response schema; the CLI's API client uses the
 * table and builds the answer schema of the route it calls (src/api/responseSchemas.ts).
 */

import type * as z from 'zod/mini';
// The table first: loading it (src/api/requestSchemas.ts) gives zod its English messages.
import { ROUTE_NAMES, ROUTE_TABLE } from './routeTable.js';
import type { Built, RouteDeclaration, RouteName, RouteTable } from './routeTable.js';
import { RESPONSE_SCHEMAS } from './responses.js';
import type { ResponseSchemas } from './responses.js';

export { FUNCTION_NAMES, ROUTE_NAMES, ROUTE_TABLE, SCHEDULED_FUNCTIONS, retryClassOf, routeKey, routesOf } from './routeTable.js';
export type { Access, BodyOf, FunctionName, HttpMethod, QueryOf, RetryClass, RouteDeclaration, RouteName, RouteTable, ScheduledFunctionName } from './routeTable.js';

/** One route with its schemas built. */
export interface RouteSpec<Body = unknown, Query = unknown, Response = unknown> extends Omit<RouteDeclaration<Body, Query>, 'body' | 'query'> {
  /** The body schema; null when the route takes no body (one sent anyway is a 400). */
  body: z.ZodMiniType<Body> | null;
  /** The query-string schema; null when the route reads no query parameters. */
  query: z.ZodMiniType<Query> | null;
  response: z.ZodMiniType<Response>;
}

export type Routes = {
  readonly [Name in RouteName]: Omit<RouteTable[Name], 'body' | 'query'> & {
    readonly body: Built<RouteTable[Name]['body']>;
    readonly query: Built<RouteTable[Name]['query']>;
    readonly response: ResponseSchemas[Name];
  };
};

function withSchemas(name: RouteName): RouteSpec {
  const { body, query, ...declaration } = ROUTE_TABLE[name] as RouteDeclaration;
  return { ...declaration, body: body === null ? null : body(), query: query === null ? null : query(), response: RESPONSE_SCHEMAS[name] };
}

export const ROUTES = Object.fromEntries(ROUTE_NAMES.map((name) => [name, withSchemas(name)])) as unknown as Routes;

/** What route `Name` answers (the same type as src/api/responseSchemas.ts gives). */
export type ResponseOf<Name extends RouteName> = z.output<Routes[Name]['response']>;
