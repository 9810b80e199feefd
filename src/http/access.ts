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
 * Admins of the current policy ({@link isAdmin}: bootstrap admins only while it names
 * none). The policy is always read: on a new deployment whose config table does not
 * exist yet the store holds no policy (src/policyStore/DynamoPolicyStore.ts), so the
 * bootstrap admins can provision it (`sentinel init bootstrap`).
 */
export function policyAdmins(policies: PolicySource, bootstrapAdmins: readonly string[]): AdminCheck {
  return {
    async require(caller, now, action) {
      const loaded = await policies.current(now);
      if (!isAdmin(caller.user, loaded.policy, bootstrapAdmins)) {
        throw new SentinelError('NOT_ADMIN', `only admins may ${action}; "${caller.user}" is not in the policy's admins`);
      }
    },
  };
}
