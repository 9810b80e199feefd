import { isAdmin } from '../../policy/admins.js';
import type { PolicySource } from '../../policy/source.js';
import type { RouteHandler } from '../route.js';

/** `GET /v1/whoami`: the caller as Sentinel sees them (any allowed caller). */
export function whoamiRoute(deps: { policies: PolicySource; bootstrapAdmins: readonly string[] }): RouteHandler<'whoami'> {
  return async ({ caller, receivedAt }) => {
    const loaded = await deps.policies.current(receivedAt);
    return { status: 200, body: { user: caller.user, arn: caller.arn, accountId: caller.accountId, admin: isAdmin(caller.user, loaded.policy, deps.bootstrapAdmins) } };
  };
}
