/**
 * A {@link RoleRevoker} in memory for the local stack, where there is no IAM: it keeps
 * each role's `SentinelRevokedSessions` document exactly as IAM would hold it (the same
 * document code, the same budget), so `npm start` exercises the whole revocation path
 * and a test can read the deny a revocation wrote. Nothing checks the local
 * credentials against it: the development issuer's credentials work nowhere.
 */

import { addRevocation, INLINE_POLICY_BUDGET, parseRevocationPolicy, pruneRevocations, revocationPolicy } from '../sessions/revocation.js';
import type { DenyOutcome, PruneOutcome, RoleRevoker } from '../sessions/revocation.js';

export class MemoryRoleRevoker implements RoleRevoker {
  /** Role ARN → the policy document, minified as written. */
  readonly documents = new Map<string, string>();
  readonly #budget: number;

  constructor(options: { budget?: number } = {}) {
    this.#budget = options.budget ?? INLINE_POLICY_BUDGET;
  }

  async deny(roleArn: string, sessionIds: readonly string[]): Promise<DenyOutcome> {
    const current = parseRevocationPolicy(this.documents.get(roleArn));
    const next = addRevocation(current, sessionIds, this.#budget);
    if (next.length !== current.length) this.documents.set(roleArn, revocationPolicy(next));
    return { status: 'denied', added: next.filter((id) => !current.includes(id)), entries: next.length };
  }

  async prune(roleArn: string, expired: ReadonlySet<string>): Promise<PruneOutcome> {
    const { kept, removed } = pruneRevocations(parseRevocationPolicy(this.documents.get(roleArn)), expired);
    if (kept.length === 0) this.documents.delete(roleArn);
    else if (removed.length > 0) this.documents.set(roleArn, revocationPolicy(kept));
    return { removed, entries: kept.length };
  }

  /** The ids `roleArn`'s policy denies, oldest first. */
  denied(roleArn: string): string[] {
    return parseRevocationPolicy(this.documents.get(roleArn));
  }
}
