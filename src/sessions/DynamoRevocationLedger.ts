/**
 * The {@link RevocationLedger} in the config table: one item per revoked session,
 * `pk=revocation`, `sk=<session id>`, with `session_table`, `revoked_at`, `aws`
 * (`pending` | `denied`), `attempts`, and once the record was read `role_arn`,
 * `expires_at`, `last_error`, `ttl`.
 *
 * One partition: the sweep reads every entry with a single paginated Query. It holds
 * only revocations whose credentials may still work plus a few minutes (the sweep
 * forgets an entry once its deny is pruned), so it stays small: a few hundred entries
 * per role at most (the deny's capacity).
 */

import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { UnavailableError } from '../errors.js';
import type { RevocationEntry, RevocationLedger } from './ledger.js';

const PARTITION = 'revocation';
const STORE = 'the revocation ledger';

/** An entry outlives its credentials by this much before DynamoDB deletes it, in case no sweep ever prunes it. */
const RETAIN_AFTER_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Writes at once, so a bulk revocation of 100 sessions takes a few round trips of time, not 100. */
const CONCURRENCY = 10;

export class DynamoRevocationLedger implements RevocationLedger {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, configTable: string) {
    this.#documents = documents;
    this.#table = configTable;
  }

  async intend(entries: ReadonlyArray<{ sessionId: string; sessionTable: string; revokedAt: string }>): Promise<void> {
    await inBatches(entries, (entry) =>
      guarded(
        this.#documents.send(new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PARTITION, sk: entry.sessionId },
          // if_not_exists: a second revocation of the same session keeps the first one's state (a `denied` stays denied).
          UpdateExpression: 'SET session_table = :table, revoked_at = if_not_exists(revoked_at, :at), aws = if_not_exists(aws, :pending), attempts = if_not_exists(attempts, :zero)',
          ExpressionAttributeValues: { ':table': entry.sessionTable, ':at': entry.revokedAt, ':pending': 'pending', ':zero': 0 },
        })),
      ),
    );
  }

  async settle(
    entries: ReadonlyArray<{ sessionId: string; sessionTable: string; revokedAt: string; roleArn: string; expiresAt: string } & ({ aws: 'denied' } | { aws: 'pending'; error: string })>,
  ): Promise<void> {
    await inBatches(entries, (entry) => {
      const ttl = Math.floor(Date.parse(entry.expiresAt) / 1000) + RETAIN_AFTER_EXPIRY_SECONDS;
      const common = {
        ':table': entry.sessionTable,
        ':at': entry.revokedAt,
        ':role': entry.roleArn,
        ':expires': entry.expiresAt,
        ':ttl': ttl,
        ':aws': entry.aws,
      };
      const update =
        entry.aws === 'denied'
          ? {
              UpdateExpression: 'SET session_table = :table, revoked_at = if_not_exists(revoked_at, :at), role_arn = :role, expires_at = :expires, #ttl = :ttl, aws = :aws, attempts = if_not_exists(attempts, :zero) REMOVE last_error',
              ExpressionAttributeValues: { ...common, ':zero': 0 },
            }
          : {
              UpdateExpression: 'SET session_table = :table, revoked_at = if_not_exists(revoked_at, :at), role_arn = :role, expires_at = :expires, #ttl = :ttl, aws = :aws, last_error = :error ADD attempts :one',
              ExpressionAttributeValues: { ...common, ':error': entry.error, ':one': 1 },
            };
      return guarded(this.#documents.send(new UpdateCommand({ TableName: this.#table, Key: { pk: PARTITION, sk: entry.sessionId }, ExpressionAttributeNames: { '#ttl': 'ttl' }, ...update })));
    });
  }

  async all(): Promise<RevocationEntry[]> {
    const entries: RevocationEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await guarded(
        this.#documents.send(new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PARTITION },
          // Strongly consistent: an entry written a moment ago by a revocation must be seen.
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        })),
      );
      for (const item of output.Items ?? []) entries.push(readEntry(item));
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return entries;
  }

  async forget(sessionIds: readonly string[]): Promise<void> {
    await inBatches(sessionIds, (sessionId) => guarded(this.#documents.send(new DeleteCommand({ TableName: this.#table, Key: { pk: PARTITION, sk: sessionId } }))));
  }

}

/** The request's answer, or its failure translated once (src/aws/dynamoErrors.ts). */
async function guarded<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw dynamoFailure(error, STORE);
  }
}

/** Runs `write` for every item, {@link CONCURRENCY} at a time; the first failure fails the call (after the batch in flight settles). */
async function inBatches<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY) {
    const results = await Promise.allSettled(items.slice(start, start + CONCURRENCY).map(write));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

function readEntry(item: Record<string, unknown>): RevocationEntry {
  const { sk, session_table: sessionTable, revoked_at: revokedAt, aws, role_arn: roleArn, expires_at: expiresAt, attempts, last_error: lastError } = item;
  if (typeof sk !== 'string' || typeof sessionTable !== 'string' || typeof revokedAt !== 'string' || (aws !== 'pending' && aws !== 'denied')) {
    // Fail closed: the sweep prunes nothing on a ledger it cannot read.
    throw new UnavailableError('a revocation ledger entry is unreadable', { retryAfterSeconds: 30 });
  }
  return {
    sessionId: sk,
    sessionTable,
    revokedAt,
    aws,
    attempts: typeof attempts === 'number' ? attempts : 0,
    ...(typeof roleArn === 'string' ? { roleArn } : {}),
    ...(typeof expiresAt === 'string' ? { expiresAt } : {}),
    ...(typeof lastError === 'string' ? { lastError } : {}),
  };
}
