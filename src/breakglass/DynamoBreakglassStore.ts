/**
 * Break-glass events in DynamoDB (DESIGN.md, Tables: breakglass), and their quota
 * bookkeeping in the config table.
 *
 * An invocation is ONE TransactWriteItems: the event's put and an update of each guard
 * item, every one conditional. DynamoDB applies all of them or none, and never lets two
 * transactions on one item interleave (it cancels one with `TransactionConflict`, which
 * is tried again here), so N concurrent invocations can never get past a limit of
 * M < N: there is no read before the write to race with.
 *
 * Config-table items (pk / sk):
 *
 * - `breakglass#principal#<principal>` / `<profile>`: the guard of one principal and
 *   profile: `active_until` and `active_id` (the event in progress), `last_at` (when
 *   the last one started, for the cooldown).
 * - `breakglass#user#<principal>` / `<window s>#<window start>#<rule>`: how many events
 *   the principal invoked under the rule in that fixed window (`count`).
 * - `breakglass#profile#<profile>` / `<window s>#<window start>#<rule>`: the same for the
 *   profile, whoever invoked them.
 *
 * Principals and profile names never contain `#`; a rule name may, which is why it
 * comes last in the sort key.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoFailure, isConditionFailure } from '../aws/dynamoErrors.js';
import { queryIndexPage, statusFilter, type StatusFilters } from '../aws/indexPage.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { BREAKGLASS_STATUSES, BreakglassRefusedError, effectiveStatus } from './types.js';
import type { BreakglassPage, BreakglassQuery, BreakglassRecord, BreakglassStatus, BreakglassStore, GuardRefusal, InvocationGuards, QuotaWindow } from './types.js';

/** How dependency failures name this store (src/aws/dynamoErrors.ts). */
const STORE = 'the break-glass store';

/**
 * Attempts of one invocation's transaction when DynamoDB cancels it only because
 * another transaction held one of its items at that moment (`TransactionConflict`):
 * nothing was written, so trying again is safe, and it is what makes concurrent
 * invocations come out as exact successes and exact refusals rather than 503s.
 */
const TRANSACTION_ATTEMPTS = 5;
/** Up to this many milliseconds (times the attempt number) of random wait between attempts. */
const CONFLICT_BACKOFF_MS = 40;

/** Queries one listing may send (a filter that matches few events can leave a page short). */
const MAX_QUERIES_PER_PAGE = 5;

/** Each effective status as a filter on the stored status and `expires_at` against `:now`, and the stored statuses each names. */
const STATUS_FILTERS: StatusFilters<BreakglassStatus> = {
  filters: {
    active: '#status = :active AND expires_at > :now',
    // Nothing marks an event expired: it is one that was still active when its time ran out.
    expired: '#status = :expired OR (#status = :active AND expires_at <= :now)',
    closed: '#status = :closed',
  },
  stored: { active: ['active'], expired: ['expired', 'active'], closed: ['closed'] },
};

/** The partition attribute of each index. */
const INDEX_PARTITION = { 'by-invoker': 'invoker', 'by-profile': 'profile' } as const;

/** The guard item of one principal and profile. */
export function guardKey(principal: string, profile: string): { pk: string; sk: string } {
  return { pk: `breakglass#principal#${principal}`, sk: profile };
}

/** The counter of one fixed window, per principal (`user`) or per profile, under one rule. */
export function counterKey(kind: 'user' | 'profile', subject: string, window: QuotaWindow, rule: string): { pk: string; sk: string } {
  return { pk: `breakglass#${kind}#${subject}`, sk: `${window.seconds}#${window.start}#${rule}` };
}

/** Counters outlive their window by a day, so a late look at the table still shows the burst. */
const COUNTER_RETENTION_SECONDS = 86_400;

/** A {@link BreakglassStore} on a table whose schema is `TABLE_SCHEMAS.breakglass`, and the config table. */
export class DynamoBreakglassStore implements BreakglassStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #configTable: string;

  constructor(documents: DynamoDBDocumentClient, tables: { breakglass: string; config: string }) {
    this.#documents = documents;
    this.#table = tables.breakglass;
    this.#configTable = tables.config;
  }

  async invoke(record: BreakglassRecord, guards: InvocationGuards): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        // A new command each attempt gets its own idempotency token; the SDK's own retries
        // of one attempt share it, so a retried success is never applied twice.
        await this.#documents.send(new TransactWriteCommand({ TransactItems: this.#invocationItems(record, guards) }));
        return;
      } catch (error) {
        if (isConditionFailure(error)) {
          const refusals = await this.#refusals(error, guards);
          if (refusals === undefined) throw new SentinelError('CONFLICT', `break-glass event ${record.id} already exists`, { cause: error });
          if (refusals.length > 0) throw new BreakglassRefusedError(refusals, guards, { cause: error });
          // A guard refused, but read again it no longer does: it changed meanwhile; go again.
        } else if (!onlyConflicts(error)) {
          throw dynamoFailure(error, STORE);
        }
        // Cancelled by contention only: nothing was written, so trying again is safe.
        if (attempt >= TRANSACTION_ATTEMPTS) throw new UnavailableError(`${STORE} is busy: try again`, { cause: error });
        await delay(Math.floor(Math.random() * CONFLICT_BACKOFF_MS * attempt));
      }
    }
  }

  /** The transaction's items: the event, the principal and profile's guard, and the counters of the limits the rule sets. */
  #invocationItems(record: BreakglassRecord, guards: InvocationGuards): NonNullable<TransactWriteCommand['input']['TransactItems']> {
    const guard = {
      Update: {
        TableName: this.#configTable,
        Key: guardKey(guards.principal, guards.profile),
        UpdateExpression: 'SET active_until = :activeUntil, active_id = :id, last_at = :now, #ttl = :ttl',
        // No event of this principal for this profile may still be running, and (with a
        // cooldown) the last one must have started at least the cooldown ago.
        ConditionExpression:
          guards.cooldownCutoff === undefined
            ? '(attribute_not_exists(active_until) OR active_until <= :now)'
            : '(attribute_not_exists(active_until) OR active_until <= :now) AND (attribute_not_exists(last_at) OR last_at <= :cutoff)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':activeUntil': guards.activeUntil,
          ':id': record.id,
          ':now': guards.now,
          ':ttl': guards.guardTtl,
          ...(guards.cooldownCutoff === undefined ? {} : { ':cutoff': guards.cooldownCutoff }),
        },
        // The item as it was comes back with a refusal: it says which part failed, and until when.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
    const counter = (kind: 'user' | 'profile', subject: string, window: QuotaWindow) => ({
      Update: {
        TableName: this.#configTable,
        Key: counterKey(kind, subject, window, guards.rule),
        // ADD starts a missing counter at 0; the ttl lets DynamoDB drop it a day after its window.
        UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
        // Room left in this window: fewer than the limit counted so far.
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':limit': window.limit, ':ttl': window.start + window.seconds + COUNTER_RETENTION_SECONDS },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    });
    return [
      {
        Put: {
          TableName: this.#table,
          Item: toItem(record),
          // An event id is never reused.
          ConditionExpression: 'attribute_not_exists(id)',
        },
      },
      guard,
      ...(guards.perUser === undefined ? [] : [counter('user', guards.principal, guards.perUser)]),
      ...(guards.perProfile === undefined ? [] : [counter('profile', guards.profile, guards.perProfile)]),
    ];
  }

  /**
   * Which guards refused, from the cancellation reasons (in TransactItems order: event,
   * guard, then the counters present). Undefined when only the event's put failed (its
   * id exists). An empty list when a guard's condition failed but the item, read again,
   * no longer refuses (it changed since): the caller tries again.
   */
  async #refusals(error: unknown, guards: InvocationGuards): Promise<GuardRefusal[] | undefined> {
    const reasons = cancellationReasons(error);
    const failed = (index: number) => reasons[index]?.code === 'ConditionalCheckFailed';
    const counters: Array<['perUser' | 'perProfile', QuotaWindow, { pk: string; sk: string }]> = [];
    if (guards.perUser !== undefined) counters.push(['perUser', guards.perUser, counterKey('user', guards.principal, guards.perUser, guards.rule)]);
    if (guards.perProfile !== undefined) counters.push(['perProfile', guards.perProfile, counterKey('profile', guards.profile, guards.perProfile, guards.rule)]);
    if (!failed(1) && !counters.some((_counter, index) => failed(index + 2))) return undefined;

    const refusals: GuardRefusal[] = [];
    if (failed(1)) {
      const old = reasons[1]?.item ?? (await this.#readConfig(guardKey(guards.principal, guards.profile)));
      const activeUntil = typeof old?.active_until === 'string' ? old.active_until : undefined;
      const lastAt = typeof old?.last_at === 'string' ? old.last_at : undefined;
      if (activeUntil !== undefined && activeUntil > guards.now) {
        refusals.push({ kind: 'active', activeUntil, ...(typeof old?.active_id === 'string' ? { activeId: old.active_id } : {}) });
      }
      if (guards.cooldownCutoff !== undefined && lastAt !== undefined && lastAt > guards.cooldownCutoff) refusals.push({ kind: 'cooldown', lastAt });
    }
    for (const [index, [kind, window, key]] of counters.entries()) {
      if (!failed(index + 2)) continue;
      const old = reasons[index + 2]?.item ?? (await this.#readConfig(key));
      const count = typeof old?.count === 'number' ? old.count : 0;
      if (count >= window.limit) refusals.push({ kind, count });
    }
    return refusals;
  }

  async close(request: { id: string; by: string; asAdmin: boolean; reason: string; now: string }): Promise<BreakglassRecord> {
    try {
      const output = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: request.id },
          UpdateExpression: 'SET #status = :closed, closed_at = :now, closed_by = :by, closed_reason = :reason',
          // Only an event still running can be closed, and (unless an admin closes it) only by its invoker.
          ConditionExpression: request.asAdmin ? '#status = :active AND expires_at > :now' : '#status = :active AND expires_at > :now AND invoker = :by',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':closed': 'closed', ':active': 'active', ':now': request.now, ':by': request.by, ':reason': request.reason },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (output.Attributes === undefined) throw new UnavailableError(`${STORE} returned nothing for break-glass event ${request.id}`);
      return fromItem(output.Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw dynamoFailure(error, STORE);
      const returned = 'Item' in error ? error.Item : undefined;
      const old = returned === undefined ? await this.#readEvent(request.id) : unmarshall(returned);
      throw explainClose(request, old === undefined ? undefined : fromItem(old), error);
    }
  }

  async releaseActive(event: Pick<BreakglassRecord, 'id' | 'invokerPrincipal' | 'profile'>): Promise<void> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#configTable,
          Key: guardKey(event.invokerPrincipal, event.profile),
          // `last_at` stays: the cooldown still counts from when the closed event started.
          UpdateExpression: 'REMOVE active_until, active_id',
          // Only while the guard still names this event: never another event's guard.
          ConditionExpression: 'active_id = :id',
          ExpressionAttributeValues: { ':id': event.id },
        }),
      );
    } catch (error) {
      // The guard names another event, or is gone: nothing of this event to release.
      if (isConditionFailure(error)) return;
      throw dynamoFailure(error, STORE);
    }
  }

  async list(query: BreakglassQuery): Promise<BreakglassPage> {
    const partition = INDEX_PARTITION[query.index];
    const names: Record<string, string> = { '#pk': partition };
    const values: Record<string, unknown> = { ':key': query.key };
    const filters: string[] = [];
    if (query.status !== undefined) filters.push(statusFilter([query.status], STATUS_FILTERS, query.now, names, values));
    if (query.profile !== undefined && query.index === 'by-invoker') {
      names['#profile'] = 'profile';
      values[':profile'] = query.profile;
      filters.push('#profile = :profile');
    }
    if (query.since !== undefined) values[':since'] = query.since;

    const page = await queryIndexPage(this.#documents, {
      table: this.#table,
      index: query.index,
      // One invoker's or one profile's events, from `since` on when given (the sort key is `created_at`).
      keyCondition: query.since === undefined ? '#pk = :key' : '#pk = :key AND created_at >= :since',
      filters,
      names,
      values,
      limit: query.limit,
      ...(query.startKey === undefined ? {} : { startKey: query.startKey }),
      maxQueries: MAX_QUERIES_PER_PAGE,
      store: STORE,
      read: fromItem,
      keyOf: (event) => ({ id: event.id, [partition]: partition === 'invoker' ? event.invoker : event.profile, created_at: event.createdAt }),
    });
    return page.next === undefined ? { events: page.items } : { events: page.items, next: page.next };
  }

  async #readEvent(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      // Strongly consistent: the caller has usually just written this item.
      return (await this.#documents.send(new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }))).Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }

  async #readConfig(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    try {
      return (await this.#documents.send(new GetCommand({ TableName: this.#configTable, Key: key, ConsistentRead: true }))).Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }
}

/** Why a close was refused: the owner hears the state; a stranger only that it is not theirs. */
function explainClose(request: { id: string; by: string; asAdmin: boolean; now: string }, event: BreakglassRecord | undefined, cause: unknown): SentinelError {
  const options = { cause };
  if (event === undefined) return new SentinelError('NOT_FOUND', `break-glass event ${request.id} does not exist`, options);
  if (!request.asAdmin && event.invoker !== request.by) return new SentinelError('NOT_OWNER', `break-glass event ${request.id} belongs to another user: only its invoker or an admin may close it`, options);
  if (event.status === 'closed') {
    const reason = event.closedReason === undefined ? '' : `: ${event.closedReason}`;
    return new SentinelError('CONFLICT', `break-glass event ${request.id} was already closed by ${event.closedBy ?? 'someone'}${event.closedAt === undefined ? '' : ` at ${event.closedAt}`}${reason}`, options);
  }
  if (effectiveStatus(event, request.now) === 'expired') return new SentinelError('CONFLICT', `break-glass event ${request.id} expired at ${event.expiresAt}: nothing to close`, options);
  // Every part of the condition holds now: the item changed between the write and the read.
  return new SentinelError('CONFLICT', `break-glass event ${request.id} changed while it was being closed: try again`, options);
}

interface CancellationReason {
  code: string;
  /** The item as it was (ALL_OLD), plain values; absent when DynamoDB sent none. */
  item?: Record<string, unknown>;
}

/** The per-item reasons of a cancelled transaction, in TransactItems order. */
function cancellationReasons(error: unknown): CancellationReason[] {
  const reasons = typeof error === 'object' && error !== null ? (error as { CancellationReasons?: unknown }).CancellationReasons : undefined;
  if (!Array.isArray(reasons)) return [];
  return reasons.map((reason: unknown) => {
    const { Code, Item } = (typeof reason === 'object' && reason !== null ? reason : {}) as { Code?: unknown; Item?: unknown };
    const code = typeof Code === 'string' ? Code : 'None';
    // The document client does not translate errors: the item comes as DynamoDB attribute values.
    return typeof Item === 'object' && Item !== null ? { code, item: unmarshall(Item as Record<string, AttributeValue>) } : { code };
  });
}

/** Cancelled only because other transactions held its items: nothing failed, nothing was written. */
function onlyConflicts(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'TransactionConflictException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const codes = cancellationReasons(error).map((reason) => reason.code).filter((code) => code !== 'None');
  return codes.length > 0 && codes.every((code) => code === 'TransactionConflict');
}

/** camelCase record → the table's snake_case item. */
function toItem(record: BreakglassRecord): Record<string, unknown> {
  return {
    id: record.id,
    invoker: record.invoker,
    invoker_principal: record.invokerPrincipal,
    invoker_arn: record.invokerArn,
    profile: record.profile,
    reason_code: record.reasonCode,
    justification: record.justification,
    duration_s: record.durationSeconds,
    status: record.status,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
    rule: record.rule,
    closed_at: record.closedAt,
    closed_by: record.closedBy,
    closed_reason: record.closedReason,
    ttl: record.ttl,
  };
}

function text(item: Record<string, unknown>, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new UnavailableError(`${STORE} returned an event without ${name}`);
  return value;
}

function optionalText(item: Record<string, unknown>, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' ? value : undefined;
}

/** The table's item → the record; an item missing what every event has is a damaged store, 503. */
function fromItem(item: Record<string, unknown>): BreakglassRecord {
  const status = text(item, 'status');
  if (!(BREAKGLASS_STATUSES as readonly string[]).includes(status)) throw new UnavailableError(`${STORE} returned an event with an unknown status`);
  const closedAt = optionalText(item, 'closed_at');
  const closedBy = optionalText(item, 'closed_by');
  const closedReason = optionalText(item, 'closed_reason');
  return {
    id: text(item, 'id'),
    invoker: text(item, 'invoker'),
    invokerPrincipal: text(item, 'invoker_principal'),
    invokerArn: optionalText(item, 'invoker_arn') ?? '',
    profile: text(item, 'profile'),
    reasonCode: text(item, 'reason_code'),
    justification: text(item, 'justification'),
    durationSeconds: Number(item.duration_s),
    status: status as BreakglassStatus,
    createdAt: text(item, 'created_at'),
    expiresAt: text(item, 'expires_at'),
    rule: text(item, 'rule'),
    ...(closedAt === undefined ? {} : { closedAt }),
    ...(closedBy === undefined ? {} : { closedBy }),
    ...(closedReason === undefined ? {} : { closedReason }),
    ttl: Number(item.ttl),
  };
}
