/**
 * The requests function: `POST /v1/requests`, `GET /v1/requests`, `GET /v1/requests/{id}`
 * and the approve, deny and cancel decisions. DynamoDB only (the requests table and the
 * policy in the config table), plus the notifier. No admin check in the stack: every
 * route is for any caller, and the domain asks the policy who may do what.
 */

import { randomBytes } from 'node:crypto';
import { approveRequestRoute, cancelRequestRoute, createRequestRoute, denyRequestRoute, listRequestsRoute, showRequestRoute } from '../http/routes/requests.js';
import type { RequestDeps } from '../requests/manage.js';
import { cursorCodec, cursorKey } from '../sessions/cursor.js';
import { DynamoRequestStore } from '../requests/DynamoRequestStore.js';
import { dynamoClients, policies } from './dynamo.js';
import { notifier } from './notify.js';
import type { Composed, Runtime } from './runtime.js';
import { perRuntime } from './runtime.js';

/**
 * The access requests (`SENTINEL_REQUESTS_TABLE`). Here, not in dynamo.ts, so that only
 * the requests function loads the store at start (issuance reads approved grants through
 * src/compose/grants.ts, which loads it on the first refusal).
 */
export const requestStore = /* @__PURE__ */ perRuntime((runtime) => new DynamoRequestStore(dynamoClients(runtime).documents, runtime.config.requestsTable));

/** The cursor key, made once per runtime: derived from `SENTINEL_CURSOR_SECRET`, else random (src/sessions/cursor.ts). */
const cursors = /* @__PURE__ */ perRuntime((runtime) => cursorCodec(cursorKey(runtime.config.cursorSecret)));

/** What the request routes share: the store, the policy, the admins' bootstrap list, cursors, ids, the log and the notifier. */
export function requestDeps(runtime: Runtime): RequestDeps {
  const { config } = runtime;
  return {
    requests: requestStore(runtime),
    policies: policies(runtime),
    bootstrapAdmins: config.bootstrapAdmins,
    settings: { ...(config.defaultSessionTable === undefined ? {} : { defaultSessionTable: config.defaultSessionTable }), auditRetentionSeconds: config.auditRetentionSeconds },
    cursors: cursors(runtime),
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    log: runtime.logger,
    notifier: notifier(runtime),
  };
}

/** The requests function's six routes (src/api/routeTable.ts, function `requests`). */
export function requestsFunction(runtime: Runtime): Composed<'requests'> {
  const deps = requestDeps(runtime);
  return {
    routes: {
      createRequest: createRequestRoute(deps),
      listRequests: listRequestsRoute(deps),
      showRequest: showRequestRoute(deps),
      approveRequest: approveRequestRoute(deps),
      denyRequest: denyRequestRoute(deps),
      cancelRequest: cancelRequestRoute(deps),
    },
  };
}
