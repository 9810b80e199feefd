/**
 * A Lambda entry's one call: the handler of function `name`, its routes composed by
 * `compose` from a runtime built once at cold start from `process.env`.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { SCHEDULED_FUNCTIONS } from '../api/routeTable.js';
import type { FunctionName, ScheduledFunctionName } from '../api/routeTable.js';
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

export { SCHEDULED_FUNCTIONS, type ScheduledFunctionName };

/**
 * The handler of a scheduled function: `run`, composed once per cold start, every log
 * line naming the function; the event carries nothing it needs.
 */
export function scheduledHandler<T>(name: ScheduledFunctionName, compose: (runtime: Runtime) => () => Promise<T>): () => Promise<T> {
  return compose(createRuntime(loadConfig(process.env), { logger: new Logger({ serviceName: 'sentinel', persistentKeys: { function: name } }) }));
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
