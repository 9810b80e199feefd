/**
 * The versioned policy store in the config table (DESIGN.md, Tables: config).
 *
 * Each version's text is its own immutable item (`policy`/`v<n>`); the pointer item
 * (`policy`/`current`) names the newest. A push writes both in one transaction whose
 * condition is the version the pusher started from, so two admins pushing at once
 * cannot lose either's change: one wins, the other is told to merge.
 */

import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../errors.js';
import type { PolicyStore, StoredPolicy } from './types.js';

const PARTITION = 'policy';
const CURRENT = 'current';

/**
 * How dependency failures name this store (src/aws/dynamoErrors.ts). A missing config
 * table is one of them: a broken deployment, not something the caller did.
 */
const STORE = 'the policy store';

function versionKey(version: number): string {
  return `v${version}`;
}

/** A {@link PolicyStore} on the config table (`TABLE_SCHEMAS.config`: pk/sk strings). */
export class DynamoPolicyStore implements PolicyStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, configTable: string) {
    this.#documents = documents;
    this.#table = configTable;
  }

  async current(): Promise<StoredPolicy | undefined> {
    const version = await this.#currentVersion();
    if (version === undefined) return undefined;
    const item = await this.#get(versionKey(version));
    // The transaction writes pointer and text together: a pointer without its text is a damaged store.
    if (item === undefined) throw new UnavailableError(`the policy store names version ${version}, but its text is missing`);
    return readVersion(item, version);
  }

  /** `by` is the pushing caller's user; it is recorded as `updated_by`. */
  async put(text: string, expectedVersion: number, by: string, now: Date): Promise<StoredPolicy> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new SentinelError('INVALID_REQUEST', `the expected policy version must be a whole number ≥ 0, not ${expectedVersion}`);
    }
    const version = expectedVersion + 1;
    const stored: StoredPolicy = { text, version, updatedAt: now.toISOString(), updatedBy: by };
    const pointer =
      expectedVersion === 0
        ? {
            // The first push: no pointer may exist yet.
            ConditionExpression: 'attribute_not_exists(pk)',
          }
        : {
            // Every later push: the pointer must still be at the version the pusher started from.
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    try {
      await this.#documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: { pk: PARTITION, sk: versionKey(version), text, version, updated_at: stored.updatedAt, updated_by: by },
                // Versions are immutable: never overwrite an existing version's text.
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: { pk: PARTITION, sk: CURRENT, version, updated_at: stored.updatedAt, updated_by: by },
                ...pointer,
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Any cancellation (a failed condition, or a collision with a push in flight) is explained from the pointer.
      if (error instanceof Error && error.name === 'TransactionCanceledException') throw await this.#conflict(expectedVersion, error);
      throw dynamoFailure(error, STORE);
    }
    return stored;
  }

  /**
   * A cancelled push: when the pointer has moved past `expected`, someone else pushed
   * first (whether DynamoDB reported it as a failed condition or as a conflicting
   * transaction in flight) and the pusher must merge. Otherwise a failed condition is
   * worth a plain retry, and any other cause (contention, throttling, a rejected
   * request) is the translator's.
   */
  async #conflict(expected: number, cause: unknown): Promise<SentinelError> {
    const stored = (await this.#currentVersion()) ?? 0;
    if (stored !== expected) {
      return new SentinelError('CONFLICT', `the stored policy is at version ${stored}, not ${expected}: pull it, merge, and push again`, {
        cause,
      });
    }
    if (cancellationCodes(cause)[0] === 'ConditionalCheckFailed') {
      // The pointer is where the pusher expected, yet the next version's item exists: a damaged store.
      return new UnavailableError(`the policy store is inconsistent: version ${expected + 1} exists but the current version is ${expected}`, {
        cause,
      });
    }
    // The pointer's condition failed, yet the pointer is where the pusher expected by the time it is read: a race that is over.
    return dynamoFailure(cause, STORE, (failure) => new UnavailableError('the policy store could not save the policy: push again', { cause: failure }));
  }

  async #currentVersion(): Promise<number | undefined> {
    const item = await this.#get(CURRENT);
    if (item === undefined) return undefined;
    const version = item.version;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw new UnavailableError('the policy store is unreadable (the current pointer has no valid version)');
    }
    return version;
  }

  async #get(sk: string): Promise<Record<string, unknown> | undefined> {
    try {
      // Strongly consistent: right after a push, everyone must see it.
      const output = await this.#documents.send(
        new GetCommand({ TableName: this.#table, Key: { pk: PARTITION, sk }, ConsistentRead: true }),
      );
      return output.Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }
}

function readVersion(item: Record<string, unknown>, version: number): StoredPolicy {
  const { text, updated_at: updatedAt, updated_by: updatedBy } = item;
  if (typeof text !== 'string' || typeof updatedAt !== 'string' || typeof updatedBy !== 'string' || item.version !== version) {
    throw new UnavailableError(`the policy store is unreadable (version ${version} is incomplete)`);
  }
  return { text, version, updatedAt, updatedBy };
}

/** The per-item reasons of a cancelled transaction, in TransactItems order (`None` where that item was fine). */
function cancellationCodes(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}
