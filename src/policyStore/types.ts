/**
 * The versioned policy store in the config table (DESIGN.md, Tables: config):
 * items `pk=policy, sk=v<n>` hold each version's text and `pk=policy, sk=v<n>#document`
 * its validated document (src/policy/document.ts); `pk=policy, sk=current` points at
 * the newest, written with a condition on the previous version.
 */

import type { Policy } from '../policy/types.js';

export interface StoredPolicy {
  text: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/** A version to store: the text as pushed and the policy the parser validated it as. */
export interface NewPolicyVersion {
  text: string;
  policy: Policy;
}

/**
 * What the policy cache reads: the pointer on every TTL expiry (one small item), and a
 * version's document (or, failing that, its text) only when the pointer names one it has
 * not compiled. Versions are immutable, so the number alone says whether the cached
 * policy is still current.
 */
export interface PolicyVersions {
  /** The version the current pointer names, or undefined when none has been stored yet. */
  currentVersion(): Promise<number | undefined>;

  /**
   * The text of `version`, a version the pointer named. Its item missing or unreadable is
   * a damaged store, an `UnavailableError`: never a fallback to another version.
   */
  read(version: number): Promise<StoredPolicy>;

  /**
   * The document of `version` (src/policy/document.ts) as it was stored, or undefined
   * when there is none to read: a version pushed before documents were stored, or a
   * document that does not decompress. The text is then the way.
   */
  readDocument(version: number): Promise<string | undefined>;
}

export interface PolicyStore extends PolicyVersions {
  /** The current version with its text (`GET /v1/policy`), or undefined when none has been stored yet. */
  current(): Promise<StoredPolicy | undefined>;

  /**
   * Stores `version` (its text and its document) as version `expectedVersion + 1` in one
   * transaction; when the current version is not `expectedVersion` (0 = none yet) throws
   * `SentinelError('CONFLICT')` whose message names the current version.
   * The caller validates the text first: `version.policy` is what the parser made of it.
   */
  put(version: NewPolicyVersion, expectedVersion: number, by: string, now: Date): Promise<StoredPolicy>;
}
