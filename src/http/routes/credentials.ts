import type { CredentialsRequest } from '../../api/contract.js';
import { credentialsRequestSchema } from '../../api/schemas.js';
import { vendCredentials } from '../../vending/issue.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';

/** `POST /v1/credentials`: issue or refresh credentials (any allowed caller). */
export function credentialsRoute(deps: AppDeps): Route<CredentialsRequest> {
  return {
    name: 'credentials',
    body: credentialsRequestSchema,
    handle: async ({ body, caller, requestId, receivedAt }) => ({
      status: 200,
      body: await vendCredentials(body, { caller, requestId, receivedAt }, deps.vending),
    }),
  };
}
