/**
 * A Lambda entry's one call: the handler of function `name`, its routes composed by
 * `compose` from a runtime built once at cold start from `process.env`.
 */

import type { FunctionName } from '../api/routes.js';
import { loadConfig } from '../config.js';
import { functionHandler } from '../http/handler.js';
import type { HttpHandler } from '../http/handler.js';
import type { AdminCheck } from '../http/access.js';
import type { HttpDeps } from '../http/stack.js';
import { identityRoleVerifier } from './iam.js';
import { createRuntime } from './runtime.js';
import type { Composed, Runtime } from './runtime.js';

/** The handler of function `name` on `runtime`. */
export function composeFunction<F extends FunctionName>(runtime: Runtime, name: F, compose: (runtime: Runtime) => Composed<F>): HttpHandler {
  const composed = compose(runtime);
  return functionHandler(httpDeps(runtime, composed.admins), name, composed.routes);
}

export function lambdaHandler<F extends FunctionName>(name: F, compose: (runtime: Runtime) => Composed<F>): HttpHandler {
  return composeFunction(createRuntime(loadConfig(process.env)), name, compose);
}

/**
 * What the HTTP stack needs; `admins` for functions that serve an admin route. Every
 * function resolves callers, so every one gets the identity-role verifier (src/compose/iam.ts).
 */
function httpDeps(runtime: Runtime, admins?: AdminCheck): HttpDeps {
  return {
    logger: runtime.logger,
    clock: runtime.clock,
    identity: runtime.config.identity,
    identityRoles: identityRoleVerifier(runtime),
    ...(admins === undefined ? {} : { admins }),
  };
}
