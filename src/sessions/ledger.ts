/**
 * The revocation ledger: what Sentinel owes AWS for every revoked session whose
 * credentials may still work (DESIGN.md, Revocation; docs/revocation.md).
 *
 * Why a ledger: a revocation is two writes in two systems (the session record in
 * DynamoDB, the deny on the role in IAM) and either can fail, or the function can stop,
 * between them. The ledger entry is written *before* the session is revoked, so a
 * revoked session always has one; the scheduled sweep reads the ledger (one Query of
 * one partition of the config table: the session tables have no index of revocations,
 * and the sweep must never scan them) and completes what is pending, re-asserts what
 * is denied, and prunes what has expired. An entry whose session turns out not to be
 * revoked (the revocation was refused, or stopped before its update) is dropped.
 */

/** One revoked session's AWS side. */
export interface RevocationEntry {
  sessionId: string;
  /** The session table the record lives in. */
  sessionTable: string;
  /** When the revocation was asked for (ISO). */
  revokedAt: string;
  /** `pending`: the deny is not known to be on the role; `denied`: it was written (or the role is gone). */
  aws: 'pending' | 'denied';
  /** The profile's role, once the session record has been read. */
  roleArn?: string;
  /** The end of the session's last credentials, once read: the deny is needed until then. */
  expiresAt?: string;
  /** Failed attempts at the IAM step. */
  attempts: number;
  /** The last failure, as said to the admin (never a credential). */
  lastError?: string;
}

export interface RevocationLedger {
  /**
   * Records that `sessionId` is about to be revoked. Idempotent, and never turns an
   * entry already `denied` back to `pending`.
   */
  intend(entries: ReadonlyArray<{ sessionId: string; sessionTable: string; revokedAt: string }>): Promise<void>;

  /**
   * Records the outcome of the IAM step, with the record's role and expiry: `denied`,
   * or `pending` with the failure. Also bounds the entry's life (DynamoDB TTL a while
   * after `expiresAt`), since a pruned entry is forgotten by the sweep anyway.
   */
  settle(entries: ReadonlyArray<{ sessionId: string; sessionTable: string; revokedAt: string; roleArn: string; expiresAt: string } & ({ aws: 'denied' } | { aws: 'pending'; error: string })>): Promise<void>;

  /** Every entry, read to the end: a partial read throws, so nothing is pruned on half a picture. */
  all(): Promise<RevocationEntry[]>;

  /** Drops entries: their deny is pruned, or their session was never revoked. */
  forget(sessionIds: readonly string[]): Promise<void>;
}
