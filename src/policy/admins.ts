import type { Policy } from './types.js';

/**
 * Admins are the policy's `admins` plus the deployment's bootstrap admins
 * (`SENTINEL_BOOTSTRAP_ADMINS`), who can push the first policy and recover from one
 * that names nobody.
 */
export function isAdmin(user: string, policy: Policy, bootstrapAdmins: readonly string[]): boolean {
  return policy.admins.includes(user) || bootstrapAdmins.includes(user);
}
