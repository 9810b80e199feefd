/**
 * The versioned policy store in the config table (DESIGN.md, Tables: config):
 * items `pk=policy, sk=v<n>` hold each version's text; `pk=policy, sk=current`
 * points at the newest, written with a condition on the previous version.
 */

export interface StoredPolicy {
  text: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/**
 * What the policy cache reads: the pointer on every TTL expiry (one small item), and a
 * version's text only when the pointer names one it has not compiled. Versions are
 * immutable, so the number alone says whether the cached text is still current.
 */
export interface PolicyVersions {
  /** The version the current pointer names, or undefined when none has been stored yet. */
  currentVersion(): Promise<number | undefined>;

  /**
   * The text of `version`, a version the pointer named. Its item missing or unreadable is
   * a damaged store, an `UnavailableError`: never a fallback to another version.
   */
  read(version: number): Promise<StoredPolicy>;
}

export interface PolicyStore extends PolicyVersions {
  /** The current version with its text (`GET /v1/policy`), or undefined when none has been stored yet. */
  current(): Promise<StoredPolicy | undefined>;

  /**
   * Stores `text` as version `expectedVersion + 1` in one transaction; when the
   * current version is not `expectedVersion` (0 = none yet) throws
   * `SentinelError('CONFLICT')` whose message names the current version.
   * The caller validates the text first.
   */
  put(text: string, expectedVersion: number, by: string, now: Date): Promise<StoredPolicy>;
}
