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

export interface PolicyStore {
  /** The current version, or undefined when none has been stored yet. */
  current(): Promise<StoredPolicy | undefined>;

  /**
   * Stores `text` as version `expectedVersion + 1` in one transaction; when the
   * current version is not `expectedVersion` (0 = none yet) throws
   * `SentinelError('CONFLICT')` whose message names the current version.
   * The caller validates the text first.
   */
  put(text: string, expectedVersion: number, by: string, now: Date): Promise<StoredPolicy>;
}
