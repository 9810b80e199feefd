/**
 * Where routes get the current policy: parsed, compiled and versioned. Implemented by
 * CachedPolicySource over the versioned store (src/policyStore).
 */

import type { CompiledPolicy } from './compile.js';
import type { Policy } from './types.js';

/** The current policy, parsed and compiled, with its store version (0 = none stored). */
export interface LoadedPolicy {
  policy: Policy;
  compiled: CompiledPolicy;
  version: number;
}

/** The policy as of `now` (cached ≤ SENTINEL_POLICY_TTL). */
export interface PolicySource {
  current(now: Date): Promise<LoadedPolicy>;
}
