/**
 * The break-glass function: `POST /v1/breakglass`, `GET /v1/breakglass`,
 * `POST /v1/breakglass/{id}/close`. DynamoDB only (the breakglass table for events,
 * the config table for the quota bookkeeping and the policy).
 *
 * {@link breakglassGrants} is the break-glass half of the grant source issuance composes
 * (GrantSource, src/vending/ports.ts).
 */

import { randomBytes } from 'node:crypto';
import { DynamoBreakglassStore } from '../breakglass/DynamoBreakglassStore.js';
import { breakglassGrants as grantsOf } from '../breakglass/manage.js';
import type { BreakglassDeps, BreakglassGrants } from '../breakglass/manage.js';
import { closeBreakglassRoute, invokeBreakglassRoute, listBreakglassRoute } from '../http/routes/breakglass.js';
import { cursorCodec, cursorKey } from '../sessions/cursor.js';
import { dynamoClients, policies } from './dynamo.js';
import { notifier } from './notify.js';
import type { Composed, Runtime } from './runtime.js';
import { perRuntime } from './runtime.js';

/** The event store, made once per runtime. */
export const breakglassStore = /* @__PURE__ */ perRuntime(
  (runtime) => new DynamoBreakglassStore(dynamoClients(runtime).documents, { breakglass: runtime.config.breakglassTable, config: runtime.config.configTable }),
);

/** Active break-glass events as issuance's grants (`activeGrants({ user, profile, now })`). */
export const breakglassGrants = /* @__PURE__ */ perRuntime((runtime): BreakglassGrants => grantsOf(breakglassStore(runtime)));

/** Listing cursors: keyed by `SENTINEL_CURSOR_SECRET` (else random per instance), bound to the break-glass listing by their scope. */
const cursors = /* @__PURE__ */ perRuntime((runtime) => cursorCodec(cursorKey(runtime.config.cursorSecret)));

export function breakglassDeps(runtime: Runtime): BreakglassDeps {
  return {
    breakglass: breakglassStore(runtime),
    policies: policies(runtime),
    bootstrapAdmins: runtime.config.bootstrapAdmins,
    cursors: cursors(runtime),
    settings: { auditRetentionSeconds: runtime.config.auditRetentionSeconds },
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    log: runtime.logger,
    notifier: notifier(runtime),
  };
}

export function breakglassFunction(runtime: Runtime): Composed<'breakglass'> {
  const deps = breakglassDeps(runtime);
  return { routes: { invokeBreakglass: invokeBreakglassRoute(deps), listBreakglass: listBreakglassRoute(deps), closeBreakglass: closeBreakglassRoute(deps) } };
}
