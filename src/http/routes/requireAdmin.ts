import { SentinelError } from '../../errors.js';
import type { Caller } from '../../identity/types.js';
import { isAdmin } from '../../vending/admins.js';
import type { AppDeps } from '../deps.js';

/** Refuses with `NOT_ADMIN` unless the caller is an admin of the current policy or a bootstrap admin. */
export async function requireAdmin(deps: AppDeps, caller: Caller, now: Date, action: string): Promise<void> {
  const loaded = await deps.policies.current(now);
  if (!isAdmin(caller.user, loaded.policy, deps.config.bootstrapAdmins)) {
    throw new SentinelError('NOT_ADMIN', `only admins may ${action}; "${caller.user}" is not in the policy's admins`);
  }
}
