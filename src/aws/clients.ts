/**
 * The one place AWS clients are built (STYLE.md 5): region, the DynamoDB endpoint
 * override for DynamoDB Local, retries and timeouts. Adapters receive these clients;
 * they never build their own.
 */

import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** What the composition root knows about where AWS is. */
export interface AwsClientOptions {
  region: string;
  /** DynamoDB Local (or another endpoint override); absent in AWS. Applies to DynamoDB only. */
  dynamodbEndpoint?: string;
  /** Explicit credentials for every client (tests); absent = the SDK's default chain. */
  credentials?: DynamoDBClientConfig['credentials'];
  /**
   * Credentials for DynamoDB alone, over `credentials`: the local stack's DynamoDB Local
   * takes dummy keys while STS (when it is used) keeps the user's real ones.
   */
  dynamodbCredentials?: DynamoDBClientConfig['credentials'];
}

/** The clients every adapter is built from. */
export interface AwsClients {
  dynamodb: DynamoDBClient;
  /** Plain JavaScript values in and out; `undefined` members are dropped, not sent. */
  documents: DynamoDBDocumentClient;
  sts: STSClient;
}

/**
 * Three attempts in all (the SDK's standard retry strategy with its jittered
 * backoff): a Lambda behind API Gateway has 30 s, and a caller waiting for
 * credentials is better served by a prompt 503 than by a long stall.
 */
const MAX_ATTEMPTS = 3;
/** A TCP connection to a regional endpoint takes milliseconds; a second means it is not coming. */
const CONNECTION_TIMEOUT_MS = 1_000;
/** Single-item DynamoDB and STS calls answer in tens of milliseconds; 3 s of silence is a fault. */
const REQUEST_TIMEOUT_MS = 3_000;

function httpHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Without this the handler only logs a warning when requestTimeout passes, and keeps waiting.
    throwOnRequestTimeout: true,
  });
}

/**
 * Builds each client once. Call it at module scope of a Lambda entry (or once in the
 * local stack) and pass the result down; nothing here reads `process.env`.
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const credentials = options.credentials === undefined ? {} : { credentials: options.credentials };
  const dynamodbCredentials = options.dynamodbCredentials ?? options.credentials;
  const dynamodb = new DynamoDBClient({
    region: options.region,
    ...(options.dynamodbEndpoint === undefined ? {} : { endpoint: options.dynamodbEndpoint }),
    ...(dynamodbCredentials === undefined ? {} : { credentials: dynamodbCredentials }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(),
  });
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sts = new STSClient({
    region: options.region,
    ...credentials,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(),
  });
  return { dynamodb, documents, sts };
}
