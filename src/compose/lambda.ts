/**
 * A Lambda entry's one call: the handler of function `name`, its routes composed by
 * `compose` from a runtime built once at cold start from `process.env`.
 */

import type { FunctionName } from '../api/routes.js';
import { loadConfig } from '../config.js';
import { functionHandler } from '../http/handler.js';
import type { HttpHandler } from '../http/handler.js';
import { createRuntime, httpDeps } from './runtime.js';
import type { Composed, Runtime } from './runtime.js';

/** The handler of function `name` on `runtime`. */
export function composeFunction<F extends FunctionName>(runtime: Runtime, name: F, compose: (runtime: Runtime) => Composed<F>): HttpHandler {
  const composed = compose(runtime);
  return functionHandler(httpDeps(runtime, composed.admins), name, composed.routes);
}

export function lambdaHandler<F extends FunctionName>(name: F, compose: (runtime: Runtime) => Composed<F>): HttpHandler {
  return composeFunction(createRuntime(loadConfig(process.env)), name, compose);
}
