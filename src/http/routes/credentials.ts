import { vendCredentials } from '../../vending/issue.js';
import type { VendingDeps } from '../../vending/issue.js';
import type { RouteHandler } from '../route.js';

/** `POST /v1/credentials`: issue or refresh credentials (any allowed caller). */
export function credentialsRoute(deps: VendingDeps): RouteHandler<'credentials'> {
  return async ({ body, caller, requestId, receivedAt }) => ({ status: 200, body: await vendCredentials(body, { caller, requestId, receivedAt }, deps) });
}
