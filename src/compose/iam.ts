/**
 * The identity-role verifier every function's HTTP stack uses (src/http/stack.ts): every
 * route resolves its caller, and a caller on an Identity Center role may need an IAM
 * lookup. It is built only when the lookup is on (`SENTINEL_IDENTITY_ROLE_LOOKUP=iam`,
 * the default), once per runtime, so its cache lives as long as the function instance.
 *
 * The IAM client itself (the SDK's IAM package: its commands, schemas and query
 * protocol) is loaded with a dynamic `import()` on the first lookup, not at cold start:
 * most callers are IAM users or ordinary roles, and a person's answer is cached for an
 * hour, so most cold starts never need it (scripts/buildOptions.mjs, code splitting).
 */

import { CachedIdentityRoleVerifier } from '../identity/CachedIdentityRoleVerifier.js';
import type { IdentityRoleVerifier } from '../identity/types.js';
import { perRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

/** With the lookup off only pinned roles make people; resolveCaller never asks, and the answer would be no. */
const NO_LOOKUP: IdentityRoleVerifier = { isIdentityRole: async () => false };

/** The IAM adapter, built on first use from the module that holds the IAM client. */
async function iamVerifier(runtime: Runtime): Promise<IdentityRoleVerifier> {
  const { createIamClient, IamIdentityRoleVerifier } = await import('../aws/iam.js');
  const warn = (message: string, error: unknown): void => runtime.logger.warn(message, { error });
  return new IamIdentityRoleVerifier(createIamClient({ region: runtime.config.region }), runtime.config.accountId, warn);
}

/**
 * {@link iamVerifier}, built once: concurrent first lookups share one load. A load that
 * fails (a bundle shipped without its chunk) is not kept, so the lookup that asked fails
 * (and with it the request: nobody passes as a person unverified) and the next one loads again.
 */
function lazyIamVerifier(runtime: Runtime): IdentityRoleVerifier {
  let loading: Promise<IdentityRoleVerifier> | undefined;
  return {
    isIdentityRole: async (accountId, roleName, roleId) => {
      loading ??= iamVerifier(runtime).catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return (await loading).isIdentityRole(accountId, roleName, roleId);
    },
  };
}

/** The runtime's verifier: IAM behind a per-instance cache, or no lookup at all. */
export const identityRoleVerifier = /* @__PURE__ */ perRuntime((runtime): IdentityRoleVerifier => {
  if (!runtime.config.identity.identityRoleLookup) return NO_LOOKUP;
  return new CachedIdentityRoleVerifier(lazyIamVerifier(runtime), runtime.clock);
});
