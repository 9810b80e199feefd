/**
 * Who may call a route (src/api/routes.ts, `access`): the HTTP stack refuses a
 * non-admin before an `admin` route runs.
 */

import { SentinelError } from '../errors.js';
import type { Caller } from '../identity/types.js';
import { isAdmin } from '../policy/admins.js';
import type { PolicySource } from '../policy/source.js';

/** Refuses with `NOT_ADMIN` unless the caller is an admin; `action` completes "only admins may …". */
export interface AdminCheck {
  require(caller: Caller, now: Date, action: string): Promise<void>;
}

/**
 * Admins of the current policy, plus the deployment's bootstrap admins. A bootstrap
 * admin is let through without reading the policy: the policy lives in the config
 * table, and the first thing a new deployment provisions is that table
 * (`sentinel init bootstrap`). The answer is the one a policy read would give, since
 * bootstrap admins count as admins either way.
 */
export function policyAdmins(policies: PolicySource, bootstrapAdmins: readonly string[]): AdminCheck {
  return {
    async require(caller, now, action) {
      if (bootstrapAdmins.includes(caller.user)) return;
      const loaded = await policies.current(now);
      if (!isAdmin(caller.user, loaded.policy, bootstrapAdmins)) {
        throw new SentinelError('NOT_ADMIN', `only admins may ${action}; "${caller.user}" is not in the policy's admins`);
      }
    },
  };
}
