/**
 * The versioned policy store in the config table (DESIGN.md, Tables: config).
 *
 * Each version is two immutable items: its text (`policy`/`v<n>`), returned by
 * `GET /v1/policy` as pushed, and its document (`policy`/`v<n>#document`), the policy
 * the parser validated the text as, in JSON (src/policy/document.ts), which is what a
 * function instance reads: no YAML to parse at a cold start or after a push. The pointer
 * item (`policy`/`current`) names the newest. A push writes all three in one transaction
 * whose condition is the version the pusher started from, so two admins pushing at once
 * cannot lose either's change: one wins, the other is told to merge.
 *
 * Text and document are stored gzip-compressed (`text_gz`, `document_gz`): the parser
 * accepts documents up to 4 MiB, a DynamoDB item holds at most 400 KB, and policies
 * compress well (thousands of similar rules: 10,000 of them are about 240 KB either
 * way). A version that does not fit even compressed is refused before anything is
 * written, as a 400 naming the limit: a permanent condition is never a 503.
 */

import { gunzipSync, gzipSync } from 'node:zlib';

import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { encodePolicyDocument } from '../policy/document.js';
import type { NewPolicyVersion, PolicyStore, StoredPolicy } from './types.js';

const PARTITION = 'policy';
const CURRENT = 'current';

/**
 * The largest compressed text (or document) a version's item may carry: DynamoDB's 400 KB item limit
 * (409,600 bytes, names and values together) less room for the other attributes.
 */
export const MAX_COMPRESSED_POLICY_BYTES = 400 * 1024 - 4 * 1024;

/**
 * How dependency failures name this store (src/aws/dynamoErrors.ts). A missing config
 * table is one of them: a broken deployment, not something the caller did.
 */
const STORE = 'the policy store';

function versionKey(version: number): string {
  return `v${version}`;
}

function documentKey(version: number): string {
  return `v${version}#document`;
}

/** A {@link PolicyStore} on the config table (`TABLE_SCHEMAS.config`: pk/sk strings). */
export class DynamoPolicyStore implements PolicyStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, configTable: string) {
    this.#documents = documents;
    this.#table = configTable;
  }

  /** Two reads: the pointer, then the version it names. */
  async current(): Promise<StoredPolicy | undefined> {
    const version = await this.#currentVersion();
    return version === undefined ? undefined : this.read(version);
  }

  /** One read of the pointer item (a few dozen bytes: one read unit, whatever the policy's size). */
  async currentVersion(): Promise<number | undefined> {
    return this.#currentVersion();
  }

  /** One read of the version's item (up to ~400 KB compressed: the expensive one). */
  async read(version: number): Promise<StoredPolicy> {
    const item = await this.#get(versionKey(version));
    // The transaction writes pointer and text together, and versions are never deleted: a pointer without its text is a damaged store.
    if (item === undefined) throw new UnavailableError(`the policy store names version ${version}, but its text is missing`);
    return readVersion(item, version);
  }

  /**
   * One read of the version's document item (about as large as its text, compressed).
   * An item that is missing (a version pushed before documents were stored) or does not
   * decompress is no document: the caller reads the text instead.
   */
  async readDocument(version: number): Promise<string | undefined> {
    const item = await this.#get(documentKey(version));
    if (item === undefined || !(item.document_gz instanceof Uint8Array)) return undefined;
    try {
      return gunzipSync(item.document_gz).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** `by` is the pushing caller's user; it is recorded as `updated_by`. */
  async put({ text, policy }: NewPolicyVersion, expectedVersion: number, by: string, now: Date): Promise<StoredPolicy> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new SentinelError('INVALID_REQUEST', `the expected policy version must be a whole number ≥ 0, not ${expectedVersion}`);
    }
    const version = expectedVersion + 1;
    const stored: StoredPolicy = { text, version, updatedAt: now.toISOString(), updatedBy: by };
    const compressed = compressWithin(text, 'policy');
    const document = compressWithin(encodePolicyDocument(policy), 'policy\'s validated document');
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
                Item: { pk: PARTITION, sk: versionKey(version), text_gz: compressed, version, updated_at: stored.updatedAt, updated_by: by },
                // Versions are immutable: never overwrite an existing version's text.
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: { pk: PARTITION, sk: documentKey(version), document_gz: document, version },
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
    const item = await this.#get(CURRENT, { missingTableIsEmpty: true });
    if (item === undefined) return undefined;
    const version = item.version;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw new UnavailableError('the policy store is unreadable (the current pointer has no valid version)');
    }
    return version;
  }

  /**
   * `missingTableIsEmpty`: a config table that does not exist holds no policy. That is
   * a new deployment before `sentinel init bootstrap` has created it: every request is
   * refused by the default deny, and the bootstrap admins may provision the table.
   */
  async #get(sk: string, options: { missingTableIsEmpty?: boolean } = {}): Promise<Record<string, unknown> | undefined> {
    try {
      // Strongly consistent: right after a push, everyone must see it.
      const output = await this.#documents.send(
        new GetCommand({ TableName: this.#table, Key: { pk: PARTITION, sk }, ConsistentRead: true }),
      );
      return output.Item;
    } catch (error) {
      if (options.missingTableIsEmpty === true && error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw dynamoFailure(error, STORE);
    }
  }
}

function readVersion(item: Record<string, unknown>, version: number): StoredPolicy {
  const { updated_at: updatedAt, updated_by: updatedBy } = item;
  const text = versionText(item, version);
  if (text === undefined || typeof updatedAt !== 'string' || typeof updatedBy !== 'string' || item.version !== version) {
    throw new UnavailableError(`the policy store is unreadable (version ${version} is incomplete)`);
  }
  return { text, version, updatedAt, updatedBy };
}

/** The version's text: compressed (`text_gz`), or plain (`text`) as versions written before compression. */
function versionText(item: Record<string, unknown>, version: number): string | undefined {
  if (typeof item.text === 'string') return item.text;
  if (!(item.text_gz instanceof Uint8Array)) return undefined;
  try {
    return gunzipSync(item.text_gz).toString('utf8');
  } catch (error) {
    throw new UnavailableError(`the policy store is unreadable (version ${version} does not decompress)`, { cause: error });
  }
}

/** `text` gzip-compressed, or a 400 when even that is too large for a version's item (`what` names it). */
function compressWithin(text: string, what: string): Uint8Array {
  const compressed = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
  if (compressed.byteLength > MAX_COMPRESSED_POLICY_BYTES) {
    throw new SentinelError(
      'INVALID_REQUEST',
      `the ${what} is too large to store: ${kib(compressed.byteLength)} KiB compressed, and a version holds at most ${kib(MAX_COMPRESSED_POLICY_BYTES)} KiB compressed (DynamoDB's 400 KB item limit): remove or merge rules`,
    );
  }
  return compressed;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

/** The per-item reasons of a cancelled transaction, in TransactItems order (`None` where that item was fine). */
function cancellationCodes(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}
