/**
 * One page of a DynamoDB index listing, newest first, shared by the session, request and
 * break-glass stores: a Query on one partition of an index, repeated a bounded number of
 * times while filters leave the page short, cut to `limit`, with the key the next page
 * starts after. Never a Scan.
 */

import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from './dynamoErrors.js';

/** Filters joined with AND; DynamoDB refuses redundant parentheses, so only a part holding OR gets them. */
export function filterExpression(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] as string;
  return parts.map((part) => (part.includes(' OR ') ? `(${part})` : part)).join(' AND ');
}

/** How a store writes each effective status as a filter: the expression, and the stored statuses it names. */
export interface StatusFilters<S extends string> {
  /** Each status as a filter on the stored `#status` (and, for those time decides, `expires_at` against `:now`). */
  filters: Readonly<Record<S, string>>;
  /** The stored statuses each filter names as `:<status>`. */
  stored: Readonly<Record<S, readonly string[]>>;
}

/**
 * The filter keeping items in any of `statuses` (at least one), each given as its filter
 * in `table`; binds `#status`, the stored values those filters name and `:now` into
 * `names` and `values` — `:now` only when a filter uses it, since DynamoDB refuses a
 * value no expression uses.
 */
export function statusFilter<S extends string>(statuses: readonly S[], table: StatusFilters<S>, now: string, names: Record<string, string>, values: Record<string, unknown>): string {
  names['#status'] = 'status';
  for (const status of statuses) for (const stored of table.stored[status]) values[`:${stored}`] = stored;
  const filter = statuses.length === 1 ? table.filters[statuses[0] as S] : statuses.map((status) => `(${table.filters[status]})`).join(' OR ');
  if (filter.includes(':now')) values[':now'] = now;
  return filter;
}

export interface IndexPageQuery<T> {
  table: string;
  index: string;
  /** The partition (and sort-key) condition, e.g. `#pk = :key AND created_at >= :since`. */
  keyCondition: string;
  /** Applied after the read (DynamoDB bills what it read): a page may come back short. */
  filters: readonly string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
  limit: number;
  startKey?: Record<string, unknown>;
  /** Queries one page may send, so a request stays well inside the function's timeout. */
  maxQueries: number;
  /** How dependency failures name the store (src/aws/dynamoErrors.ts). */
  store: string;
  read(item: Record<string, unknown>): T;
  /** The index key of `record` (table key plus the index's keys): where DynamoDB would have stopped after it. */
  keyOf(record: T): Record<string, unknown>;
}

export async function queryIndexPage<T>(documents: DynamoDBDocumentClient, query: IndexPageQuery<T>): Promise<{ items: T[]; next?: Record<string, unknown> }> {
  const items: T[] = [];
  let startKey = query.startKey;
  for (let sent = 0; sent < query.maxQueries && items.length < query.limit; sent += 1) {
    let output;
    try {
      output = await documents.send(
        new QueryCommand({
          TableName: query.table,
          IndexName: query.index,
          KeyConditionExpression: query.keyCondition,
          ...(query.filters.length === 0 ? {} : { FilterExpression: filterExpression(query.filters) }),
          ExpressionAttributeNames: query.names,
          ExpressionAttributeValues: query.values,
          // Newest first: every listing index sorts on `created_at`.
          ScanIndexForward: false,
          Limit: query.limit,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
    } catch (error) {
      throw dynamoFailure(error, query.store);
    }
    for (const item of output.Items ?? []) items.push(query.read(item));
    startKey = output.LastEvaluatedKey;
    if (startKey === undefined) break;
  }
  if (items.length > query.limit) {
    // The last query returned more than the page holds: the next page starts after the last item kept.
    const kept = items.slice(0, query.limit);
    return { items: kept, next: query.keyOf(kept[kept.length - 1] as T) };
  }
  return startKey === undefined ? { items } : { items, next: startKey };
}
