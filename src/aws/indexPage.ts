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
