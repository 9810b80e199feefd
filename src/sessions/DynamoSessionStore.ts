/**
 * The session table in DynamoDB (DESIGN.md, Tables: sessions).
 *
 * Every state change is one conditional write, so a revoke and a refresh cannot
 * interleave: whichever DynamoDB applies second sees the first. When a condition
 * fails, the item as it was (returned with the failure, or read back) says why, and
 * the caller gets the state error with a message the session's owner can act on.
 */

import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoFailure, isConditionFailure } from '../aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { MODES, type Mode } from '../policy/types.js';
import { SESSION_ACTIVE_ATTRIBUTE } from '../provisioning/schemas.js';
import { effectiveStatus, SESSION_STATUSES, type SessionRecord, type SessionStatus, type SessionStore } from './types.js';

/** What a failed conditional write was asking for, to tell which part of the condition failed. */
interface Expectation {
  user?: string;
  profile?: string;
  now?: string;
}

/** How dependency failures name this store (src/aws/dynamoErrors.ts). */
const STORE = 'the session store';

/** A {@link SessionStore} on a DynamoDB table whose schema is `TABLE_SCHEMAS.sessions`. */
export class DynamoSessionStore implements SessionStore {
  readonly #documents: DynamoDBDocumentClient;

  constructor(documents: DynamoDBDocumentClient) {
    this.#documents = documents;
  }

  /**
   * Writes a new session: status `pending`, request count 1, not yet in the active
   * index, whatever `session` says about those.
   */
  async create(table: string, session: SessionRecord): Promise<void> {
    const item = toItem({ ...session, status: 'pending', requestCount: 1 });
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: table,
          Item: item,
          // A session id is never reused: refuse to overwrite any existing item.
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      throw dynamoFailure(error, STORE, (failure) => new SentinelError('CONFLICT', `session ${session.id} already exists`, { cause: failure }));
    }
  }

  async markIssued(table: string, id: string, update: { user: string; expiresAt: string; ttl: number }): Promise<void> {
    await this.#update(
      table,
      id,
      {
        UpdateExpression: `SET #status = :active, ${SESSION_ACTIVE_ATTRIBUTE} = :user, expires_at = :expiresAt, #ttl = :ttl`,
        // Only a session nobody revoked or ended in the meantime may carry the new
        // credentials: a new one still `pending`, a refreshed one still `active`.
        ConditionExpression: '#status IN (:pending, :active)',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':expiresAt': update.expiresAt, ':ttl': update.ttl, ':active': 'active', ':pending': 'pending', ':user': update.user },
      },
      {},
    );
  }

  /**
   * Marks the session `failed` and takes it out of the active index. The session's
   * `expires_at` moves to `at`: no credentials were issued under it, so nothing of it
   * outlives that moment.
   */
  async markFailed(table: string, id: string, at: string): Promise<void> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { id },
          UpdateExpression: `SET #status = :failed, expires_at = :at REMOVE ${SESSION_ACTIVE_ATTRIBUTE}`,
          // Only a session still being issued fails: a revoke that landed first keeps its status and reason.
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':at': at, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      // The session already left `active` (or never existed): it is out of use either way.
      if (isConditionFailure(error)) return;
      throw dynamoFailure(error, STORE);
    }
  }

  async refresh(table: string, request: { id: string; user: string; profile: string; now: string }): Promise<SessionRecord> {
    const updated = await this.#update(
      table,
      request.id,
      {
        UpdateExpression: 'SET last_access_at = :now ADD request_count :one',
        // Still active, the caller's own, for the same profile, and its credentials not yet expired.
        ConditionExpression: '#status = :active AND #user = :user AND profile = :profile AND expires_at > :now',
        ExpressionAttributeNames: { '#status': 'status', '#user': 'user' },
        ExpressionAttributeValues: {
          ':active': 'active',
          ':user': request.user,
          ':profile': request.profile,
          ':now': request.now,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      },
      { user: request.user, profile: request.profile, now: request.now },
    );
    return updatedRecord(updated, table, request.id);
  }

  async end(table: string, request: { id: string; user: string; now: string }): Promise<SessionRecord> {
    const updated = await this.#update(
      table,
      request.id,
      {
        UpdateExpression: `SET #status = :ended, ended_at = :now REMOVE ${SESSION_ACTIVE_ATTRIBUTE}`,
        // Only the owner ends a session, and only one that is still active.
        ConditionExpression: '#status = :active AND #user = :user',
        ExpressionAttributeNames: { '#status': 'status', '#user': 'user' },
        ExpressionAttributeValues: { ':ended': 'ended', ':now': request.now, ':active': 'active', ':user': request.user },
        ReturnValues: 'ALL_NEW',
      },
      { user: request.user },
    );
    return updatedRecord(updated, table, request.id);
  }

  async get(table: string, id: string): Promise<SessionRecord | undefined> {
    const item = await this.#read(table, id);
    return item === undefined ? undefined : fromItem(item, table);
  }

  /**
   * One conditional UpdateItem; on a failed condition, the state error that explains
   * it. The old item comes back with the failure (ALL_OLD), so no second read is
   * needed unless DynamoDB left it out. Returns the item's attributes as the
   * request's `ReturnValues` asked for.
   */
  async #update(
    table: string,
    id: string,
    input: Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValuesOnConditionCheckFailure'>,
    expectation: Expectation,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const output = await this.#documents.send(
        new UpdateCommand({ ...input, TableName: table, Key: { id }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return output.Attributes;
    } catch (error) {
      // A failed condition is a state error to explain (that takes a read); anything else is the translator's.
      if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
      // The item as it was (ALL_OLD); an UpdateItem's failure is never a cancelled transaction, which has none.
      const returned = 'Item' in error ? error.Item : undefined;
      const old = returned === undefined ? await this.#read(table, id) : unmarshall(returned);
      throw explain(id, old === undefined ? undefined : fromItem(old, table), expectation, error);
    }
  }

  async #read(table: string, id: string): Promise<Record<string, unknown> | undefined> {
    try {
      // Strongly consistent: the caller has usually just written this item.
      const output = await this.#documents.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }));
      return output.Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }
}

/** The record an `ALL_NEW` update returned; DynamoDB always returns one, so its absence is a fault. */
function updatedRecord(attributes: Record<string, unknown> | undefined, table: string, id: string): SessionRecord {
  if (attributes === undefined) throw new UnavailableError(`the session store returned nothing for session ${id} in table "${table}"`);
  return fromItem(attributes, table);
}

/**
 * Why a session could not be used, in the order the owner needs to hear it: a
 * stranger learns only that it is not theirs.
 */
function explain(id: string, session: SessionRecord | undefined, expect: Expectation, cause: unknown): SentinelError {
  const options = { cause };
  if (session === undefined) return new SentinelError('NOT_FOUND', `session ${id} does not exist`, options);
  if (expect.user !== undefined && session.user !== expect.user) {
    return new SentinelError('NOT_OWNER', `session ${id} belongs to another user`, options);
  }
  if (expect.profile !== undefined && session.profile !== expect.profile) {
    return new SentinelError('CONFLICT', `session ${id} is for profile "${session.profile}", not "${expect.profile}"`, options);
  }
  switch (session.status) {
    case 'revoked': {
      const reason = session.revokedReason === undefined || session.revokedReason === '' ? '' : `: ${session.revokedReason}`;
      return new SentinelError('SESSION_REVOKED', `session ${id} was revoked by ${session.revokedBy ?? 'an admin'}${reason}`, options);
    }
    case 'ended':
      return new SentinelError('SESSION_ENDED', `session ${id} was ended${session.endedAt === undefined ? '' : ` at ${session.endedAt}`}`, options);
    case 'expired':
      return new SentinelError('SESSION_EXPIRED', `session ${id} expired at ${session.expiresAt}`, options);
    case 'failed':
      return new SentinelError('SESSION_EXPIRED', `session ${id} is no longer usable: issuing its credentials failed`, options);
    case 'pending':
      // Left behind by an issuance that never finished, once its planned expiry passed; else still being issued.
      if (expect.now !== undefined && effectiveStatus(session, expect.now) === 'failed') {
        return new SentinelError('SESSION_EXPIRED', `session ${id} is no longer usable: issuing its credentials failed`, options);
      }
      return new SentinelError('CONFLICT', `session ${id} is still being issued: try again`, options);
    case 'active':
      break;
  }
  if (expect.now !== undefined && session.expiresAt <= expect.now) {
    return new SentinelError('SESSION_EXPIRED', `session ${id} expired at ${session.expiresAt}`, options);
  }
  // Every part of the condition holds now: the item changed between the write and the read.
  return new SentinelError('CONFLICT', `session ${id} changed while it was being updated: try again`, options);
}

/** camelCase record → the table's snake_case item, with `active_user` only while active. */
function toItem(session: SessionRecord): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: session.id,
    user: session.user,
    caller_arn: session.callerArn,
    account_id: session.accountId,
    profile: session.profile,
    role_arn: session.roleArn,
    mode: session.mode,
    status: session.status,
    source_identity: session.sourceIdentity,
    created_at: session.createdAt,
    last_access_at: session.lastAccessAt,
    expires_at: session.expiresAt,
    request_count: session.requestCount,
    ttl: session.ttl,
  };
  if (session.status === 'active') item[SESSION_ACTIVE_ATTRIBUTE] = session.user;
  if (session.revokedBy !== undefined) item.revoked_by = session.revokedBy;
  if (session.revokedReason !== undefined) item.revoked_reason = session.revokedReason;
  if (session.revokedAt !== undefined) item.revoked_at = session.revokedAt;
  if (session.endedAt !== undefined) item.ended_at = session.endedAt;
  return item;
}

/**
 * The table's item → a record. An item missing a required attribute is not a session
 * Sentinel wrote; serving it would mean guessing, so it fails closed.
 */
function fromItem(item: Record<string, unknown>, table: string): SessionRecord {
  const id = typeof item.id === 'string' ? item.id : '<unknown>';
  const unreadable = (attribute: string): UnavailableError =>
    new UnavailableError(`session ${id} in table "${table}" is unreadable (attribute ${attribute})`);
  const text = (attribute: string): string => {
    const value = item[attribute];
    if (typeof value !== 'string') throw unreadable(attribute);
    return value;
  };
  const optionalText = (attribute: string): string | undefined => {
    const value = item[attribute];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw unreadable(attribute);
    return value;
  };
  const number = (attribute: string): number => {
    const value = item[attribute];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw unreadable(attribute);
    return value;
  };
  const status = text('status');
  if (!(SESSION_STATUSES as readonly string[]).includes(status)) throw unreadable('status');
  const mode = text('mode');
  if (!(MODES as readonly string[]).includes(mode)) throw unreadable('mode');

  const record: SessionRecord = {
    id: text('id'),
    user: text('user'),
    callerArn: text('caller_arn'),
    accountId: text('account_id'),
    profile: text('profile'),
    roleArn: text('role_arn'),
    mode: mode as Mode,
    status: status as SessionStatus,
    sourceIdentity: text('source_identity'),
    createdAt: text('created_at'),
    lastAccessAt: text('last_access_at'),
    expiresAt: text('expires_at'),
    requestCount: number('request_count'),
    ttl: number('ttl'),
  };
  const revokedBy = optionalText('revoked_by');
  const revokedReason = optionalText('revoked_reason');
  const revokedAt = optionalText('revoked_at');
  const endedAt = optionalText('ended_at');
  if (revokedBy !== undefined) record.revokedBy = revokedBy;
  if (revokedReason !== undefined) record.revokedReason = revokedReason;
  if (revokedAt !== undefined) record.revokedAt = revokedAt;
  if (endedAt !== undefined) record.endedAt = endedAt;
  return record;
}
