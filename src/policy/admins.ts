import type { Policy } from './types.js';

/**
 * Admins are the policy's `admins`. The deployment's bootstrap admins
 * (`SENTINEL_BOOTSTRAP_ADMINS`) are admins only while the stored policy names no admin
 * at all (or none is stored): they can push the first policy and provision the tables,
 * and recover from a policy that names nobody, but once a policy names an admin they
 * are ordinary users.
 */
export function isAdmin(user: string, policy: Policy, bootstrapAdmins: readonly string[]): boolean {
  if (policy.admins.includes(user)) return true;
  return policy.admins.length === 0 && bootstrapAdmins.includes(user);
}
