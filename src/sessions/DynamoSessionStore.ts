/**
 * The session table in DynamoDB (DESIGN.md, Tables: sessions).
 *
 * Every state change is one conditional write, so a revoke and a refresh cannot
 * interleave: whichever DynamoDB applies second sees the first. When a condition
 * fails, the item as it was (returned with the failure, or read back) says why, and
 * the caller gets the state error with a message the session's owner can act on.
 */

import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoFailure, isConditionFailure } from '../aws/dynamoErrors.js';
import { queryIndexPage, statusFilter, type StatusFilters } from '../aws/indexPage.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { MODES, type Mode } from '../policy/types.js';
import { SESSION_ACTIVE_ATTRIBUTE } from '../provisioning/schemas.js';
import { effectiveStatus, SESSION_STATUSES, type SessionPage, type SessionQuery, type SessionRecord, type SessionStatus, type SessionStore } from './types.js';

/** What a failed conditional write was asking for, to tell which part of the condition failed. */
interface Expectation {
  user?: string;
  profile?: string;
  now?: string;
}

/** How dependency failures name this store (src/aws/dynamoErrors.ts). */
const STORE = 'the session store';

/**
 * Queries one listing may send: a filter that matches few sessions can leave a page
 * short, and a request must stay well inside the function's timeout. The caller gets
 * what was found and a cursor to go on.
 */
const MAX_QUERIES_PER_PAGE = 5;

/** Each effective status ({@link effectiveStatus}) as a filter on the stored status and `expires_at` against `:now`, and the stored statuses each names. */
const STATUS_FILTERS: StatusFilters<SessionStatus> = {
  filters: {
    pending: '#status = :pending AND expires_at > :now',
    active: '#status = :active AND expires_at > :now',
    revoked: '#status = :revoked',
    ended: '#status = :ended',
    // Marked by a sweep, or still `active` with its credentials past expiry.
    expired: '#status = :expired OR (#status = :active AND expires_at <= :now)',
    // Marked after STS failed, or left `pending` by an issuance that never finished.
    failed: '#status = :failed OR (#status = :pending AND expires_at <= :now)',
  },
  stored: {
    pending: ['pending'],
    active: ['active'],
    revoked: ['revoked'],
    ended: ['ended'],
    expired: ['expired', 'active'],
    failed: ['failed', 'pending'],
  },
};


/** One item of a TransactWriteItems that is an update: another store's write that goes with this one (a request's count). */
export type TransactUpdate = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

/** The partition attribute of each index a listing reads. */
const INDEX_PARTITION = { 'by-user': 'user', 'by-profile': 'profile' } as const;

/** A {@link SessionStore} on a DynamoDB table whose schema is `TABLE_SCHEMAS.sessions`. */
export class DynamoSessionStore implements SessionStore {
  readonly #documents: DynamoDBDocumentClient;

  constructor(documents: DynamoDBDocumentClient) {
    this.#documents = documents;
  }

  /**
   * Writes a new session: status `pending`, request count 1, not yet in the active
   * index, whatever `session` says about those.
   *
   * A failed condition is UNAVAILABLE, not a conflict: the id is 128 random bits drawn
   * for this request (src/vending/issue.ts), so an item already there is this request's
   * own write, one that landed after its answer timed out (then the SDK's retry, or the
   * transaction's, meets it). That item stays `pending`, never refreshable; the caller
   * may try again at once, with a new session.
   */
  async create(table: string, session: SessionRecord): Promise<void> {
    try {
      await this.#documents.send(new PutCommand(newSessionPut(table, session)));
    } catch (error) {
      throw dynamoFailure(
        error,
        STORE,
        (failure) => new UnavailableError(`${STORE} answered late (session ${session.id} was written by an attempt that timed out); try again`, { cause: failure }),
      );
    }
  }

  /**
   * {@link create} and `with` in one TransactWriteItems. False when the transaction was
   * cancelled (a condition failed, or it met another write in flight): nothing was
   * written, and the caller writes them apart. Any other failure throws, as `create` does.
   */
  async createWith(table: string, session: SessionRecord, withUpdate: TransactUpdate): Promise<boolean> {
    return this.#transact([{ Update: withUpdate }, { Put: newSessionPut(table, session) }]);
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
    const updated = await this.#update(table, request.id, { ...refreshUpdate(request), ReturnValues: 'ALL_NEW' }, { user: request.user, profile: request.profile, now: request.now });
    return updatedRecord(updated, table, request.id);
  }

  /**
   * {@link refresh}, on a session created at `createdFrom` or later, and `with`, in one
   * TransactWriteItems. A transaction returns no item, hence the bound on the start: it
   * proves what the caller needs of it (that its lifetime leaves room for the full
   * duration). False when the transaction was cancelled (nothing written: the caller
   * refreshes and writes `with` apart, and learns why); other failures throw.
   */
  async refreshWith(table: string, request: { id: string; user: string; profile: string; now: string; createdFrom: string }, withUpdate: TransactUpdate): Promise<boolean> {
    const update = refreshUpdate(request);
    return this.#transact([
      { Update: withUpdate },
      {
        Update: {
          TableName: table,
          Key: { id: request.id },
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: `${update.ConditionExpression} AND created_at >= :createdFrom`,
          ExpressionAttributeNames: update.ExpressionAttributeNames,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':createdFrom': request.createdFrom },
        },
      },
    ]);
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

  async list(table: string, query: SessionQuery): Promise<SessionPage> {
    const partition = INDEX_PARTITION[query.index];
    const names: Record<string, string> = { '#pk': partition };
    const values: Record<string, unknown> = { ':key': query.key };
    const filters: string[] = [];
    if (query.statuses !== undefined && query.statuses.length > 0) filters.push(statusFilter(query.statuses, STATUS_FILTERS, query.now, names, values));
    if (query.also?.user !== undefined) {
      names['#user'] = 'user';
      values[':alsoUser'] = query.also.user;
      filters.push('#user = :alsoUser');
    }
    if (query.also?.profile !== undefined) {
      names['#profile'] = 'profile';
      values[':alsoProfile'] = query.also.profile;
      filters.push('#profile = :alsoProfile');
    }
    if (query.since !== undefined) values[':since'] = query.since;

    const page = await queryIndexPage(this.#documents, {
      table,
      index: query.index,
      // One owner's or one profile's sessions, from `since` on when given: the index's sort key is `created_at`.
      keyCondition: query.since === undefined ? '#pk = :key' : '#pk = :key AND created_at >= :since',
      filters,
      names,
      values,
      limit: query.limit,
      ...(query.startKey === undefined ? {} : { startKey: query.startKey }),
      maxQueries: MAX_QUERIES_PER_PAGE,
      store: STORE,
      read: (item) => fromItem(item, table),
      keyOf: (session) => ({ id: session.id, [partition]: partition === 'user' ? session.user : session.profile, created_at: session.createdAt }),
    });
    return page.next === undefined ? { sessions: page.items } : { sessions: page.items, next: page.next };
  }

  async revoke(table: string, request: { id: string; by: string; reason: string; now: string }): Promise<{ revoked: boolean; session: SessionRecord }> {
    try {
      const output = await this.#documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { id: request.id },
          UpdateExpression: `SET #status = :revoked, revoked_by = :by, revoked_reason = :reason, revoked_at = :now REMOVE ${SESSION_ACTIVE_ATTRIBUTE}`,
          // Only a session still in use (being issued, or active) with credentials not yet expired: an ended,
          // expired or failed one keeps its final state, and a revoked one keeps its first revocation.
          ConditionExpression: '#status IN (:active, :pending) AND expires_at > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':by': request.by, ':reason': request.reason, ':now': request.now, ':active': 'active', ':pending': 'pending' },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { revoked: true, session: updatedRecord(output.Attributes, table, request.id) };
    } catch (error) {
      if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
      const returned = 'Item' in error ? error.Item : undefined;
      const old = returned === undefined ? await this.#read(table, request.id) : unmarshall(returned);
      if (old === undefined) throw new SentinelError('NOT_FOUND', `session ${request.id} does not exist`, { cause: error });
      const session = fromItem(old, table);
      if (session.status === 'revoked') return { revoked: false, session };
      const status = effectiveStatus(session, request.now);
      if (status === 'active' || status === 'pending') {
        // Every part of the condition holds now: the item changed between the write and the read.
        throw new SentinelError('CONFLICT', `session ${request.id} changed while it was being revoked: try again`, { cause: error });
      }
      throw new SentinelError('CONFLICT', `session ${request.id} is ${status}: only active or pending sessions can be revoked`, { cause: error });
    }
  }

  async expireOverdue(table: string, request: { now: string; limit: number }): Promise<{ expired: number; more: boolean }> {
    let expired = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      let output;
      try {
        output = await this.#documents.send(
          new ScanCommand({
            TableName: table,
            IndexName: 'by-active',
            FilterExpression: 'expires_at <= :now',
            ProjectionExpression: 'id',
            ExpressionAttributeValues: { ':now': request.now },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
      } catch (error) {
        throw dynamoFailure(error, STORE);
      }
      for (const item of output.Items ?? []) {
        if (expired === request.limit) return { expired, more: true };
        try {
          await this.#documents.send(
            new UpdateCommand({
              TableName: table,
              Key: { id: item.id },
              UpdateExpression: `SET #status = :expired REMOVE ${SESSION_ACTIVE_ATTRIBUTE}`,
              // The index is eventually consistent: only a session that is still active and still past its expiry.
              ConditionExpression: '#status = :active AND expires_at <= :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':expired': 'expired', ':active': 'active', ':now': request.now },
            }),
          );
          expired += 1;
        } catch (error) {
          // Refreshed, ended or revoked since the index was read: not overdue any more.
          if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
        }
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { expired, more: false };
  }

  /**
   * One conditional UpdateItem; on a failed condition, the state error that explains
   * it. The old item comes back with the failure (ALL_OLD), so no second read is
   * needed unless DynamoDB left it out. Returns the item's attributes as the
   * request's `ReturnValues` asked for.
   */
  async #transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<boolean> {
    try {
      await this.#documents.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      // Cancelled: nothing was written, whatever the reason; the caller's separate writes explain it.
      if (error instanceof Error && error.name === 'TransactionCanceledException') return false;
      throw dynamoFailure(error, STORE);
    }
  }

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

/** A new session's put: status `pending`, request count 1; a session id is never reused, so no existing item is overwritten. */
function newSessionPut(table: string, session: SessionRecord): { TableName: string; Item: Record<string, unknown>; ConditionExpression: string } {
  return { TableName: table, Item: toItem({ ...session, status: 'pending', requestCount: 1 }), ConditionExpression: 'attribute_not_exists(id)' };
}

/** A refresh's update: still active, the caller's own, for the same profile, and its credentials not yet expired. */
function refreshUpdate(request: { id: string; user: string; profile: string; now: string }): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  return {
    UpdateExpression: 'SET last_access_at = :now ADD request_count :one',
    ConditionExpression: '#status = :active AND #user = :user AND profile = :profile AND expires_at > :now',
    ExpressionAttributeNames: { '#status': 'status', '#user': 'user' },
    ExpressionAttributeValues: { ':active': 'active', ':user': request.user, ':profile': request.profile, ':now': request.now, ':one': 1 },
  };
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
