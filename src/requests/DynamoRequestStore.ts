/**
 * The requests table in DynamoDB (DESIGN.md, Tables: requests).
 *
 * Every decision is one conditional UpdateItem, so two decisions never both apply:
 * whichever DynamoDB applies second sees the first and fails its condition. The
 * distinct approvers are kept in a string set (`approver_set`) next to the list of
 * approvals, so "this approver has not approved yet" and "this many have approved"
 * are conditions DynamoDB checks in the same write that adds the approval. When a
 * condition fails, the item as it was (returned with the failure, or read back) says
 * why, and the caller gets the state error with the state that won.
 */

import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STS_MAX_DURATION_SECONDS } from '../api/constants.js';
import { dynamoFailure, isConditionFailure } from '../aws/dynamoErrors.js';
import { queryIndexPage, statusFilter, type StatusFilters } from '../aws/indexPage.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { REQUEST_PENDING_ATTRIBUTE } from '../provisioning/schemas.js';
import type { Grant } from '../vending/plan.js';
import {
  effectiveRequestStatus,
  REQUEST_LIFETIME_SECONDS,
  REQUEST_STATUSES,
  type AccessRequestRecord,
  type ApprovalInput,
  type ApprovalOutcome,
  type RequestApproval,
  type RequestIndex,
  type RequestPage,
  type RequestQuery,
  type RequestStatus,
  type RequestStore,
} from './types.js';

/** How dependency failures name this store (src/aws/dynamoErrors.ts). */
const STORE = 'the request store';

/** The string set of distinct approvers (absent until the first approval: DynamoDB has no empty sets). */
const APPROVER_SET = 'approver_set';

/**
 * Conditional writes one approval may try. Each failed attempt saw the count of
 * approvers grow (or the request decided, which ends the loop), so a request needing
 * n approvals takes at most n + 1 attempts; past this many the caller is asked to retry.
 */
const MAX_APPROVAL_ATTEMPTS = 6;

/** Queries one listing page may send: a filter that matches few requests can leave a page short. */
const MAX_QUERIES_PER_PAGE = 5;

/** Queries one grant lookup may send (a user's requests of the last 36 hours: one page in practice). */
const MAX_GRANT_QUERIES = 10;

/**
 * An open window belongs to a request made at most this long ago: approved before it
 * expired (24 h), open for at most STS's longest duration after (12 h).
 */
const GRANT_LOOKBACK_MS = (REQUEST_LIFETIME_SECONDS + STS_MAX_DURATION_SECONDS) * 1000;

/** Each effective status ({@link effectiveRequestStatus}) as a filter on the stored status and `expires_at` against `:now`, and the stored statuses each names. */
const STATUS_FILTERS: StatusFilters<RequestStatus> = {
  filters: {
    pending: '#status = :pending AND expires_at > :now',
    approved: '#status = :approved',
    denied: '#status = :denied',
    cancelled: '#status = :cancelled',
    // Marked by the sweep, or still pending past its 24 hours.
    expired: '#status = :expired OR (#status = :pending AND expires_at <= :now)',
  },
  stored: {
    pending: ['pending'],
    approved: ['approved'],
    denied: ['denied'],
    cancelled: ['cancelled'],
    expired: ['expired', 'pending'],
  },
};

/** The partition attribute of each index. */
const INDEX_PARTITION: Record<RequestIndex, string> = { 'by-requester': 'requester', 'by-profile': 'profile', 'by-pending': REQUEST_PENDING_ATTRIBUTE };


/** A {@link RequestStore} on the deployment's requests table (schema `TABLE_SCHEMAS.requests`). */
export class DynamoRequestStore implements RequestStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, table: string) {
    this.#documents = documents;
    this.#table = table;
  }

  async create(request: AccessRequestRecord): Promise<void> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#table,
          Item: toItem(request),
          // A request id is never reused: refuse to overwrite any existing item.
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      throw dynamoFailure(error, STORE, (failure) => new SentinelError('CONFLICT', `request ${request.id} already exists`, { cause: failure }));
    }
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    const item = await this.#read(id);
    return item === undefined ? undefined : fromItem(item);
  }

  /**
   * Tries the write the last known count calls for: the completing one when this
   * approval is the last one needed, else a partial one. Both are conditioned on that
   * count, so an approval that lands meanwhile makes this one fail and start again from
   * the item DynamoDB returns; a request is completed by exactly one approval.
   */
  async approve(input: ApprovalInput): Promise<ApprovalOutcome> {
    let known = input.seen;
    for (let attempt = 0; attempt < MAX_APPROVAL_ATTEMPTS; attempt += 1) {
      const refusal = approvalRefusal(known, input.approver, input.now);
      if (refusal !== undefined) throw refusal;
      const count = approverCount(known);
      const completing = count + 1 >= known.minApprovals;
      try {
        const output = await this.#documents.send(new UpdateCommand(approvalUpdate(this.#table, input, known.minApprovals, count, completing)));
        return { request: updatedRecord(output.Attributes, input.id), completed: completing };
      } catch (error) {
        if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
        const old = await this.#oldItem(input.id, error);
        if (old === undefined) throw new SentinelError('NOT_FOUND', `request ${input.id} does not exist`, { cause: error });
        known = old;
      }
    }
    throw new SentinelError('CONFLICT', `request ${input.id} changed while it was being approved: try again`);
  }

  async deny(input: { id: string; by: string; comment?: string; now: string }): Promise<AccessRequestRecord> {
    const values: Record<string, unknown> = { ':denied': 'denied', ':pending': 'pending', ':by': input.by, ':now': input.now };
    if (input.comment !== undefined) values[':comment'] = input.comment;
    return this.#decide(
      input.id,
      {
        UpdateExpression: `SET #status = :denied, denied_by = :by, decided_at = :now${input.comment === undefined ? '' : ', deny_comment = :comment'} REMOVE ${REQUEST_PENDING_ATTRIBUTE}`,
        // Only a request still waiting (pending and not expired), and never by its own requester.
        ConditionExpression: '#status = :pending AND expires_at > :now AND requester <> :by',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      },
      (old) => decisionRefusal(old, input.by, input.now, 'deny'),
    );
  }

  async cancel(input: { id: string; requester: string; now: string }): Promise<AccessRequestRecord> {
    return this.#decide(
      input.id,
      {
        UpdateExpression: `SET #status = :cancelled, decided_at = :now REMOVE ${REQUEST_PENDING_ATTRIBUTE}`,
        // Only the requester, and only while the request is still waiting.
        ConditionExpression: '#status = :pending AND expires_at > :now AND requester = :me',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cancelled': 'cancelled', ':pending': 'pending', ':me': input.requester, ':now': input.now },
      },
      (old) => cancelRefusal(old, input.requester, input.now),
    );
  }

  async list(query: RequestQuery): Promise<RequestPage> {
    const partition = INDEX_PARTITION[query.index];
    const names: Record<string, string> = { '#pk': partition };
    const values: Record<string, unknown> = { ':key': query.key };
    const filters: string[] = [];
    if (query.statuses !== undefined && query.statuses.length > 0) filters.push(statusFilter(query.statuses, STATUS_FILTERS, query.now, names, values));
    if (query.profile !== undefined) {
      names['#profile'] = 'profile';
      values[':profile'] = query.profile;
      filters.push('#profile = :profile');
    }
    if (query.notRequestedBy !== undefined) {
      values[':notRequester'] = query.notRequestedBy;
      filters.push('requester <> :notRequester');
    }
    if (query.notApprovedBy !== undefined) {
      values[':notApprover'] = query.notApprovedBy;
      filters.push(`attribute_not_exists(${APPROVER_SET}) OR NOT contains(${APPROVER_SET}, :notApprover)`);
    }
    if (query.createdAfter !== undefined) values[':after'] = query.createdAfter;

    const page = await queryIndexPage(this.#documents, {
      table: this.#table,
      index: query.index,
      // One requester's or one profile's requests; with `createdAfter`, only the recent ones (the sort key).
      keyCondition: query.createdAfter === undefined ? '#pk = :key' : '#pk = :key AND created_at > :after',
      filters,
      names,
      values,
      limit: query.limit,
      ...(query.startKey === undefined ? {} : { startKey: query.startKey }),
      maxQueries: MAX_QUERIES_PER_PAGE,
      store: STORE,
      read: fromItem,
      keyOf: (request) => ({ id: request.id, [partition]: query.key, created_at: request.createdAt }),
    });
    return page.next === undefined ? { requests: page.items } : { requests: page.items, next: page.next };
  }

  /**
   * The sweep: marks `expired` up to `limit` requests still pending past `expires_at`,
   * each with one conditional UpdateItem (a request decided meanwhile is left alone),
   * and returns them (for the `request.expired` event). Reads the sparse `by-pending`
   * index, which holds only pending requests, with a Scan: the sweep is not a request
   * path, and the index is as small as the number of open requests.
   */
  async expireOverdue(request: { now: string; limit: number }): Promise<{ expired: AccessRequestRecord[]; more: boolean }> {
    const expired: AccessRequestRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let output;
      try {
        output = await this.#documents.send(
          new ScanCommand({
            TableName: this.#table,
            IndexName: 'by-pending',
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
        if (expired.length === request.limit) return { expired, more: true };
        try {
          const updated = await this.#documents.send(
            new UpdateCommand({
              TableName: this.#table,
              Key: { id: item.id },
              UpdateExpression: `SET #status = :expired REMOVE ${REQUEST_PENDING_ATTRIBUTE}`,
              // The index is eventually consistent: only a request that is still pending and still past its expiry.
              ConditionExpression: '#status = :pending AND expires_at <= :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':expired': 'expired', ':pending': 'pending', ':now': request.now },
              ReturnValues: 'ALL_NEW',
            }),
          );
          expired.push(updatedRecord(updated.Attributes, String(item.id)));
        } catch (error) {
          // Decided since the index was read: not overdue any more.
          if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
        }
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { expired, more: false };
  }

  async approvedGrants(request: { user: string; profile: string; now: Date }): Promise<Grant[]> {
    const now = request.now.toISOString();
    const grants: Grant[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let sent = 0; sent < MAX_GRANT_QUERIES; sent += 1) {
      let output;
      try {
        output = await this.#documents.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: 'by-requester',
            // The user's requests recent enough to have a window open now (GRANT_LOOKBACK_MS).
            KeyConditionExpression: 'requester = :user AND created_at > :since',
            // Approved, for this profile, and its window open at `now`: started (decided) and not yet over.
            FilterExpression: '#status = :approved AND #profile = :profile AND window_ends_at > :now AND decided_at <= :now',
            ExpressionAttributeNames: { '#status': 'status', '#profile': 'profile' },
            ExpressionAttributeValues: {
              ':user': request.user,
              ':since': new Date(request.now.getTime() - GRANT_LOOKBACK_MS).toISOString(),
              ':approved': 'approved',
              ':profile': request.profile,
              ':now': now,
            },
            ScanIndexForward: false,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
      } catch (error) {
        throw dynamoFailure(error, STORE);
      }
      for (const item of output.Items ?? []) {
        const record = fromItem(item);
        // The index is eventually consistent; the filter already held, this only reads the value.
        if (record.windowEndsAt !== undefined) grants.push({ kind: 'approval', id: record.id, endsAt: new Date(record.windowEndsAt) });
      }
      startKey = output.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    return grants;
  }

  /** One conditional decision (deny, cancel); on a failed condition, the refusal the old item explains. */
  async #decide(
    id: string,
    input: Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'>,
    refusal: (old: AccessRequestRecord) => SentinelError | undefined,
  ): Promise<AccessRequestRecord> {
    try {
      const output = await this.#documents.send(
        new UpdateCommand({ ...input, TableName: this.#table, Key: { id }, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return updatedRecord(output.Attributes, id);
    } catch (error) {
      if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
      const old = await this.#oldItem(id, error);
      if (old === undefined) throw new SentinelError('NOT_FOUND', `request ${id} does not exist`, { cause: error });
      // Every part of the condition holds now: the item changed between the write and the read.
      throw refusal(old) ?? new SentinelError('CONFLICT', `request ${id} changed meanwhile: try again`, { cause: error });
    }
  }

  /** The item as it was when a condition failed: returned with the failure (ALL_OLD), else read back. */
  async #oldItem(id: string, error: unknown): Promise<AccessRequestRecord | undefined> {
    const returned = typeof error === 'object' && error !== null && 'Item' in error ? (error.Item as Parameters<typeof unmarshall>[0] | undefined) : undefined;
    const old = returned === undefined ? await this.#read(id) : unmarshall(returned);
    return old === undefined ? undefined : fromItem(old);
  }

  async #read(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      // Strongly consistent: decisions are made on what was just written.
      const output = await this.#documents.send(new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }));
      return output.Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }
}

/** Distinct approvers so far (each is in `approvals` once: the set condition guarantees it). */
function approverCount(request: AccessRequestRecord): number {
  return new Set(request.approvals.map((approval) => approval.approver)).size;
}

/**
 * The UpdateItem of one approval, given the count of approvers it expects. Both forms
 * append the approval and add the approver to the set, only while the request is
 * pending, not expired, not the approver's own and not yet approved by them.
 *
 * - completing (this approval is the last one needed): conditioned on exactly
 *   `min - 1` approvers so far, it also sets `approved`, `decided_at`, the window and
 *   the ttl, and takes the request out of the pending index;
 * - partial: conditioned on fewer than `min - 1` approvers so far (so it cannot be
 *   the last one), it only records the approval.
 */
function approvalUpdate(table: string, input: ApprovalInput, min: number, count: number, completing: boolean): UpdateCommandInput {
  const entry: RequestApproval = { approver: input.approver, at: input.now, ...(input.comment === undefined ? {} : { comment: input.comment }) };
  const base = `#status = :pending AND expires_at > :now AND requester <> :me AND (attribute_not_exists(${APPROVER_SET}) OR NOT contains(${APPROVER_SET}, :me))`;
  const values: Record<string, unknown> = { ':pending': 'pending', ':now': input.now, ':me': input.approver, ':entry': [entry], ':meSet': new Set([input.approver]) };
  let counted: string;
  if (completing) {
    // Exactly min - 1 distinct approvers so far (none: no set yet).
    if (count === 0) counted = `attribute_not_exists(${APPROVER_SET})`;
    else {
      counted = `size(${APPROVER_SET}) = :count`;
      values[':count'] = min - 1;
    }
  } else {
    // Fewer than min - 1 so far: after this one there are still fewer than min.
    counted = `(attribute_not_exists(${APPROVER_SET}) OR size(${APPROVER_SET}) < :below)`;
    values[':below'] = min - 1;
  }
  const update: UpdateCommandInput = {
    TableName: table,
    Key: { id: input.id },
    UpdateExpression: `SET approvals = list_append(approvals, :entry) ADD ${APPROVER_SET} :meSet`,
    ConditionExpression: `${base} AND ${counted}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
  if (completing) {
    update.UpdateExpression = `SET approvals = list_append(approvals, :entry), #status = :approved, decided_at = :now, window_ends_at = :windowEndsAt, #ttl = :ttl ADD ${APPROVER_SET} :meSet REMOVE ${REQUEST_PENDING_ATTRIBUTE}`;
    update.ExpressionAttributeNames = { '#status': 'status', '#ttl': 'ttl' };
    Object.assign(values, { ':approved': 'approved', ':windowEndsAt': input.completion.windowEndsAt, ':ttl': input.completion.ttl });
  }
  return update;
}

/** Who decided a request, for the messages of the decisions that came too late. */
function decidedState(request: AccessRequestRecord, now: string): string {
  const status = effectiveRequestStatus(request, now);
  switch (status) {
    case 'approved': {
      if (request.autoApproved !== undefined) return `was approved automatically (approval rule "${request.autoApproved.rule}")`;
      const by = request.approvals.map((approval) => approval.approver).join(', ');
      return `is already approved${by === '' ? '' : ` (by ${by})`}${request.decidedAt === undefined ? '' : ` at ${request.decidedAt}`}`;
    }
    case 'denied':
      return `was denied by ${request.deniedBy ?? 'an approver'}${request.decidedAt === undefined ? '' : ` at ${request.decidedAt}`}`;
    case 'cancelled':
      return `was cancelled by its requester${request.decidedAt === undefined ? '' : ` at ${request.decidedAt}`}`;
    case 'expired':
      return `expired at ${request.expiresAt} without being approved`;
    case 'pending':
      return 'is pending';
  }
}

/** Why `approver` cannot approve `request` as it stands at `now`; undefined when nothing stands in the way. */
function approvalRefusal(request: AccessRequestRecord, approver: string, now: string): SentinelError | undefined {
  if (request.requester === approver) return new SentinelError('NOT_OWNER', `"${approver}" may not approve their own request ${request.id}`);
  if (effectiveRequestStatus(request, now) !== 'pending') return new SentinelError('CONFLICT', `request ${request.id} ${decidedState(request, now)}`);
  if (request.approvals.some((approval) => approval.approver === approver)) {
    return new SentinelError('CONFLICT', `"${approver}" has already approved request ${request.id} (${approverCount(request)} of ${request.minApprovals} approvals)`);
  }
  return undefined;
}

/** Why `by` cannot deny `request` as it stands at `now`. */
function decisionRefusal(request: AccessRequestRecord, by: string, now: string, verb: 'deny'): SentinelError | undefined {
  if (request.requester === by) return new SentinelError('NOT_OWNER', `"${by}" may not ${verb} their own request ${request.id}: cancel it (sentinel cancel ${request.id})`);
  if (effectiveRequestStatus(request, now) !== 'pending') return new SentinelError('CONFLICT', `request ${request.id} ${decidedState(request, now)}`);
  return undefined;
}

/** Why `requester` cannot cancel `request` as it stands at `now`: a stranger learns only that it is not theirs. */
function cancelRefusal(request: AccessRequestRecord, requester: string, now: string): SentinelError | undefined {
  if (request.requester !== requester) return new SentinelError('NOT_OWNER', `request ${request.id} is not yours: only its requester may cancel it`);
  if (effectiveRequestStatus(request, now) !== 'pending') return new SentinelError('CONFLICT', `request ${request.id} ${decidedState(request, now)}: only pending requests can be cancelled`);
  return undefined;
}

/** The record an `ALL_NEW` update returned; DynamoDB always returns one, so its absence is a fault. */
function updatedRecord(attributes: Record<string, unknown> | undefined, id: string): AccessRequestRecord {
  if (attributes === undefined) throw new UnavailableError(`the request store returned nothing for request ${id}`);
  return fromItem(attributes);
}

/** camelCase record → the table's snake_case item, in the pending index only while pending. */
function toItem(request: AccessRequestRecord): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: request.id,
    requester: request.requester,
    requester_principal: request.requesterPrincipal,
    profile: request.profile,
    justification: request.justification,
    duration_s: request.durationSeconds,
    status: request.status,
    created_at: request.createdAt,
    expires_at: request.expiresAt,
    min_approvals: request.minApprovals,
    approvals: request.approvals.map((approval) => ({ approver: approval.approver, at: approval.at, ...(approval.comment === undefined ? {} : { comment: approval.comment }) })),
    ttl: request.ttl,
  };
  if (request.status === 'pending') item[REQUEST_PENDING_ATTRIBUTE] = request.profile;
  if (request.approvals.length > 0) item[APPROVER_SET] = new Set(request.approvals.map((approval) => approval.approver));
  if (request.decidedAt !== undefined) item.decided_at = request.decidedAt;
  if (request.deniedBy !== undefined) item.denied_by = request.deniedBy;
  if (request.denyComment !== undefined) item.deny_comment = request.denyComment;
  if (request.windowEndsAt !== undefined) item.window_ends_at = request.windowEndsAt;
  if (request.autoApproved !== undefined) item.auto_approved = { rule: request.autoApproved.rule, reason: request.autoApproved.reason };
  return item;
}

/**
 * The table's item → a record. An item missing a required attribute is not a request
 * Sentinel wrote; serving it would mean guessing, so it fails closed.
 */
function fromItem(item: Record<string, unknown>): AccessRequestRecord {
  const id = typeof item.id === 'string' ? item.id : '<unknown>';
  const unreadable = (attribute: string): UnavailableError => new UnavailableError(`request ${id} is unreadable (attribute ${attribute})`);
  const text = (value: unknown, attribute: string): string => {
    if (typeof value !== 'string') throw unreadable(attribute);
    return value;
  };
  const optionalText = (attribute: string): string | undefined => (item[attribute] === undefined ? undefined : text(item[attribute], attribute));
  const number = (attribute: string): number => {
    const value = item[attribute];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw unreadable(attribute);
    return value;
  };
  const status = text(item.status, 'status');
  if (!(REQUEST_STATUSES as readonly string[]).includes(status)) throw unreadable('status');
  if (!Array.isArray(item.approvals)) throw unreadable('approvals');
  const approvals = (item.approvals as unknown[]).map((entry): RequestApproval => {
    if (typeof entry !== 'object' || entry === null) throw unreadable('approvals');
    const fields = entry as Record<string, unknown>;
    return { approver: text(fields.approver, 'approvals'), at: text(fields.at, 'approvals'), ...(fields.comment === undefined ? {} : { comment: text(fields.comment, 'approvals') }) };
  });

  const record: AccessRequestRecord = {
    id: text(item.id, 'id'),
    requester: text(item.requester, 'requester'),
    requesterPrincipal: text(item.requester_principal, 'requester_principal'),
    profile: text(item.profile, 'profile'),
    justification: text(item.justification, 'justification'),
    durationSeconds: number('duration_s'),
    status: status as RequestStatus,
    createdAt: text(item.created_at, 'created_at'),
    expiresAt: text(item.expires_at, 'expires_at'),
    minApprovals: number('min_approvals'),
    approvals,
    ttl: number('ttl'),
  };
  const decidedAt = optionalText('decided_at');
  const deniedBy = optionalText('denied_by');
  const denyComment = optionalText('deny_comment');
  const windowEndsAt = optionalText('window_ends_at');
  if (decidedAt !== undefined) record.decidedAt = decidedAt;
  if (deniedBy !== undefined) record.deniedBy = deniedBy;
  if (denyComment !== undefined) record.denyComment = denyComment;
  if (windowEndsAt !== undefined) record.windowEndsAt = windowEndsAt;
  if (item.auto_approved !== undefined) {
    const auto = item.auto_approved;
    if (typeof auto !== 'object' || auto === null) throw unreadable('auto_approved');
    const fields = auto as Record<string, unknown>;
    record.autoApproved = { rule: text(fields.rule, 'auto_approved'), reason: text(fields.reason, 'auto_approved') };
  }
  return record;
}
