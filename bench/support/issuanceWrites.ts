/**
 * The writes a new issuance makes, done bare with a plain DynamoDBClient: the rate-limit
 * counter update and the `pending` session put in one TransactWriteItems, then the update
 * that marks the session issued, each with a condition like Sentinel's
 * (src/vending/DynamoCountedWrites.ts, src/sessions/DynamoSessionStore.ts). What DynamoDB
 * Local charges for an issuance's writes alone: the benchmarks set the credential route
 * beside it to show what the pipeline adds.
 */

import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

export interface IssuanceWriteTables {
  /** A config-kind table (pk/sk): the counters. */
  config: string;
  /** A sessions-kind table (id): the session items. */
  sessions: string;
}

/**
 * One issuance's writes per call. `principals` counters take turns (one per concurrent
 * caller, so that concurrent calls do not collide on one counter item; a conflict would
 * fail the call).
 */
export function issuanceWrites(dynamodb: DynamoDBClient, tables: IssuanceWriteTables, principals = 1): () => Promise<void> {
  let next = 0;
  return async () => {
    next += 1;
    const id = `writes-${next}-${randomBytes(12).toString('hex')}`;
    const now = new Date();
    await dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: tables.config,
              Key: { pk: { S: `ratelimit#bench-${next % principals}` }, sk: { S: String(Math.floor(now.getTime() / 60_000) * 60) } },
              UpdateExpression: 'ADD #count :one',
              ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':one': { N: '1' }, ':limit': { N: '1000000000' } },
            },
          },
          {
            Put: {
              TableName: tables.sessions,
              Item: {
                id: { S: id },
                user: { S: 'iam:alice' },
                profile: { S: 'dev' },
                role_arn: { S: 'arn:aws:iam::111122223333:role/dev' },
                status: { S: 'pending' },
                created_at: { S: now.toISOString() },
                expires_at: { S: new Date(now.getTime() + 3_600_000).toISOString() },
                ttl: { N: String(Math.floor(now.getTime() / 1000) + 90 * 86_400) },
              },
              ConditionExpression: 'attribute_not_exists(id)',
            },
          },
        ],
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tables.sessions,
        Key: { id: { S: id } },
        UpdateExpression: 'SET #status = :active, issued_at = :now',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': { S: 'active' }, ':pending': { S: 'pending' }, ':now': { S: new Date().toISOString() } },
      }),
    );
  };
}
