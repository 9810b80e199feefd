/**
 * The one place DynamoDB clients are built (STYLE.md 5): region, the endpoint override
 * for DynamoDB Local, retries and timeouts. Adapters receive these clients; they never
 * build their own. Nothing here reads `process.env`.
 */

import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { httpHandler, MAX_ATTEMPTS } from './http.js';

export interface DynamoClientOptions {
  region: string;
  /** DynamoDB Local (or another endpoint override); absent in AWS. */
  endpoint?: string;
  /** Explicit credentials (DynamoDB Local's placeholders, tests); absent = the SDK's default chain. */
  credentials?: DynamoDBClientConfig['credentials'];
}

export interface DynamoClients {
  dynamodb: DynamoDBClient;
  /** Plain JavaScript values in and out; `undefined` members are dropped, not sent. */
  documents: DynamoDBDocumentClient;
}

export function createDynamoClients(options: DynamoClientOptions): DynamoClients {
  const dynamodb = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(),
  });
  return { dynamodb, documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }) };
}
