/**
 * A Lambda entry's one call: the handler of function `name`, its routes composed by
 * `compose` from a runtime built once at cold start from `process.env`.
 */

import type { FunctionName } from '../api/routes.js';
import { ROUTES, routesOf } from '../api/routes.js';
import { loadConfig } from '../config.js';
import { functionHandler } from '../http/handler.js';
import type { HttpHandler } from '../http/handler.js';
import type { FunctionRoutes } from '../http/route.js';
import { admins } from './dynamo.js';
import { createRuntime, httpDeps } from './runtime.js';
import type { Runtime } from './runtime.js';

/** The handler of function `name` on `runtime`; the admin check only where one of its routes needs it. */
export function composeFunction<F extends FunctionName>(runtime: Runtime, name: F, compose: (runtime: Runtime) => FunctionRoutes<F>): HttpHandler {
  const guarded = routesOf(name).some((route) => ROUTES[route].access === 'admin');
  return functionHandler(httpDeps(runtime, guarded ? admins(runtime) : undefined), name, compose(runtime));
}

export function lambdaHandler<F extends FunctionName>(name: F, compose: (runtime: Runtime) => FunctionRoutes<F>): HttpHandler {
  return composeFunction(createRuntime(loadConfig(process.env)), name, compose);
}
