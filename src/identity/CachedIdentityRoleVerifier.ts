/**
 * An {@link IdentityRoleVerifier} that remembers answers per function instance, so a
 * person's requests cost one IAM lookup per hour, not one each.
 *
 * - A "yes" is kept longer than a "no": it is keyed by the role's unique id, and a role
 *   keeps its id and its path for life (IAM cannot move a role to another path), so a
 *   "yes" can only go stale by the role being deleted, after which no session of it
 *   signs anything.
 * - A "no" is kept briefly: IAM is eventually consistent, and a role Identity Center has
 *   just created may not be visible yet.
 * - Failures are never kept: the next request asks again (and meanwhile fails closed).
 * - Concurrent questions about the same role share one lookup.
 * - At most `maxEntries` answers are kept; the oldest goes first, so callers inventing
 *   look-alike roles cannot grow the cache without bound.
 */

import type { Clock } from '../clock.js';
import type { IdentityRoleVerifier } from './types.js';

export interface IdentityRoleCacheOptions {
  /** How long a "yes" is kept. */
  positiveTtlSeconds: number;
  /** How long a "no" is kept. */
  negativeTtlSeconds: number;
  maxEntries: number;
}

/** One hour, one minute, a thousand roles: an account rarely has more Identity Center roles than that. */
export const IDENTITY_ROLE_CACHE_DEFAULTS: IdentityRoleCacheOptions = Object.freeze({ positiveTtlSeconds: 3600, negativeTtlSeconds: 60, maxEntries: 1000 });

interface Entry {
  answer: boolean;
  expiresAtMs: number;
}

/** Wraps `inner` (the IAM adapter) with the cache described above; `clock` decides expiry. */
export class CachedIdentityRoleVerifier implements IdentityRoleVerifier {
  readonly #inner: IdentityRoleVerifier;
  readonly #clock: Clock;
  readonly #options: IdentityRoleCacheOptions;
  /** Insertion order is age order: the first key is the oldest entry. */
  readonly #answers = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<boolean>>();

  constructor(inner: IdentityRoleVerifier, clock: Clock, options: IdentityRoleCacheOptions = IDENTITY_ROLE_CACHE_DEFAULTS) {
    this.#inner = inner;
    this.#clock = clock;
    this.#options = { ...options };
  }

  async isIdentityRole(accountId: string, roleName: string, roleId: string): Promise<boolean> {
    // The id is part of the key: a recreated role of the same name is a different question.
    const key = `${accountId}/${roleName}/${roleId}`;
    const nowMs = this.#clock.now().getTime();
    const known = this.#answers.get(key);
    if (known !== undefined && known.expiresAtMs > nowMs) return known.answer;
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;

    const lookup = this.#inner.isIdentityRole(accountId, roleName, roleId);
    this.#pending.set(key, lookup);
    try {
      const answer = await lookup;
      this.#remember(key, answer, this.#clock.now().getTime());
      return answer;
    } finally {
      this.#pending.delete(key);
    }
  }

  #remember(key: string, answer: boolean, nowMs: number): void {
    const ttlSeconds = answer ? this.#options.positiveTtlSeconds : this.#options.negativeTtlSeconds;
    this.#answers.delete(key);
    this.#answers.set(key, { answer, expiresAtMs: nowMs + ttlSeconds * 1000 });
    while (this.#answers.size > this.#options.maxEntries) {
      const oldest = this.#answers.keys().next().value;
      if (oldest === undefined) break;
      this.#answers.delete(oldest);
    }
  }
}
