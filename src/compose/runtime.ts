/**
 * The composition root's shared state (STYLE.md 5 and 6): the validated configuration,
 * the logger and the clock, built once per cold start (or once by the local stack).
 * Each function's composition (src/compose/<function>.ts) builds only the adapters its
 * routes use, from the building blocks in src/compose/dynamo.ts and src/compose/sts.ts;
 * a block built twice for the same runtime is the same object.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { FunctionName } from '../api/routeTable.js';
import type { SentinelConfig } from '../config.js';
import type { AdminCheck } from '../http/access.js';
import type { FunctionRoutes } from '../http/route.js';
import type { Notifier } from '../notify/events.js';
import type { RoleRevoker } from '../sessions/revocation.js';
import type { CredentialIssuer } from '../vending/ports.js';

export interface RuntimeOverrides {
  /** The local stack's dev issuer; otherwise STS. */
  issuer?: CredentialIssuer;
  /** The local stack's in-memory revoker; otherwise IAM (src/compose/revocation.ts). */
  revoker?: RoleRevoker;
  /** The local stack's console notifier; otherwise the configured webhook and SNS (src/compose/notify.ts). */
  notifier?: Notifier;
  logger?: Logger;
  clock?: Clock;
  /** DynamoDB Local's placeholder credentials (the local stack); STS keeps the default chain. */
  dynamodbCredentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Runtime {
  readonly config: SentinelConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly overrides: RuntimeOverrides;
}

export function createRuntime(config: SentinelConfig, overrides: RuntimeOverrides = {}): Runtime {
  return { config, logger: overrides.logger ?? new Logger({ serviceName: 'sentinel' }), clock: overrides.clock ?? systemClock, overrides };
}

/**
 * One function, composed: a handler per route the table gives it, and the admin check
 * when one of those routes is for admins (the HTTP stack refuses to build an admin
 * route without one).
 */
export interface Composed<F extends FunctionName> {
  routes: FunctionRoutes<F>;
  admins?: AdminCheck;
}

/** A building block made at most once per runtime. */
export function perRuntime<T>(make: (runtime: Runtime) => T): (runtime: Runtime) => T {
  const made = new WeakMap<Runtime, T>();
  return (runtime) => {
    if (!made.has(runtime)) made.set(runtime, make(runtime));
    return made.get(runtime) as T;
  };
}
