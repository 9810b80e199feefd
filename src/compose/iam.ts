/**
 * The identity-role verifier every function's HTTP stack uses (src/http/stack.ts): every
 * route resolves its caller, and a caller on an Identity Center role may need an IAM
 * lookup, so every function carries the IAM client. It is built only when the lookup is
 * on (`SENTINEL_IDENTITY_ROLE_LOOKUP=iam`, the default), once per runtime, so its cache
 * lives as long as the function instance.
 */

import { createIamClient, IamIdentityRoleVerifier } from '../aws/iam.js';
import { CachedIdentityRoleVerifier } from '../identity/CachedIdentityRoleVerifier.js';
import type { IdentityRoleVerifier } from '../identity/types.js';
import { perRuntime } from './runtime.js';

/** With the lookup off only pinned roles make people; resolveCaller never asks, and the answer would be no. */
const NO_LOOKUP: IdentityRoleVerifier = { isIdentityRole: async () => false };

/** The runtime's verifier: IAM behind a per-instance cache, or no lookup at all. */
export const identityRoleVerifier = /* @__PURE__ */ perRuntime((runtime): IdentityRoleVerifier => {
  const { config } = runtime;
  if (!config.identity.identityRoleLookup) return NO_LOOKUP;
  const warn = (message: string, error: unknown): void => runtime.logger.warn(message, { error });
  return new CachedIdentityRoleVerifier(new IamIdentityRoleVerifier(createIamClient({ region: config.region }), config.accountId, warn), runtime.clock);
});
