import type { WhoamiResponse } from '../../api/contract.js';
import { isAdmin } from '../../vending/admins.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';

/** `GET /v1/whoami`: the caller as Sentinel sees them (any allowed caller). */
export function whoamiRoute(deps: AppDeps): Route {
  return {
    name: 'whoami',
    body: null,
    handle: async ({ caller, receivedAt }) => {
      const loaded = await deps.policies.current(receivedAt);
      const body: WhoamiResponse = { user: caller.user, arn: caller.arn, accountId: caller.accountId, admin: isAdmin(caller.user, loaded.policy, deps.config.bootstrapAdmins) };
      return { status: 200, body };
    },
  };
}
