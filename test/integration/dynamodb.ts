/**
 * Helpers for integration tests against the DynamoDB Local started by
 * test/integration/globalSetup.ts.
 */

import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createTableInput, TTL_ATTRIBUTE } from '../../src/provisioning/schemas.js';
import type { TableKind } from '../../src/provisioning/schemas.js';

/** `http://127.0.0.1:<port>` of the shared DynamoDB Local. */
export function dynamodbEndpoint(): string {
  return inject('dynamodbEndpoint');
}

/** SDK clients pointed at the shared DynamoDB Local. */
export interface TestClients {
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
}

let clients: TestClients | undefined;

/**
 * Clients for the shared DynamoDB Local (region us-east-1, dummy credentials; the emulator
 * runs with `-sharedDb`, so every client sees the same tables). The document client drops
 * `undefined` attributes like the application's does. One pair per test file.
 */
export function testClients(): TestClients {
  if (clients === undefined) {
    const dynamodb = new DynamoDBClient({
      endpoint: dynamodbEndpoint(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    clients = { dynamodb, documents };
  }
  return clients;
}

/**
 * Creates a table of `kind` from the provisioning schema (keys, indexes, billing) with TTL
 * enabled on `ttl`, waits until it is active and returns its name. Without `name`, the
 * name is unique (`sentinel-test-<kind>-<random>`), so tests never share a table.
 */
export async function createTestTable(kind: TableKind, name?: string): Promise<string> {
  const tableName = name ?? `sentinel-test-${kind}-${randomBytes(4).toString('hex')}`;
  const { dynamodb } = testClients();
  await dynamodb.send(new CreateTableCommand(createTableInput(kind, tableName)));
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }));
  return tableName;
}
