import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { DynamoTableRegistry } from '../../../src/provisioning/DynamoTableRegistry.js';
import type { RegisteredTable } from '../../../src/provisioning/types.js';
import { caught } from '../../support/caught.js';

const CONFIG = 'sentinel-config';
const documents = mockClient(DynamoDBDocumentClient);
const registry = new DynamoTableRegistry(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), CONFIG);

const ENTRY: RegisteredTable = {
  table: 'sentinel-team-sessions',
  kind: 'sessions',
  arn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/sentinel-team-sessions',
  registeredAt: '2026-11-20T09:30:00.000Z',
  registeredBy: 'ops-erin',
};

beforeEach(() => {
  documents.reset();
});

describe('register', () => {
  it('puts pk=table, sk=<name> with kind, arn, who and when, unless the identical entry is there', async () => {
    documents.on(PutCommand).resolves({});
    await registry.register(ENTRY);
    expect(documents).toHaveReceivedCommandWith(PutCommand, {
      TableName: CONFIG,
      Item: {
        pk: 'table',
        sk: 'sentinel-team-sessions',
        kind: 'sessions',
        arn: ENTRY.arn,
        registered_at: '2026-11-20T09:30:00.000Z',
        registered_by: 'ops-erin',
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #kind <> :kind OR #arn <> :arn',
      ExpressionAttributeNames: { '#kind': 'kind', '#arn': 'arn' },
      ExpressionAttributeValues: { ':kind': 'sessions', ':arn': ENTRY.arn },
    });
  });

  it('is idempotent: an identical entry already there is success', async () => {
    documents.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(registry.register(ENTRY)).resolves.toBeUndefined();
  });

  it('is UNAVAILABLE for 30 s when the config table is missing (a deployment problem), AWS detail only in the cause', async () => {
    const fault = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    documents.on(PutCommand).rejects(fault);
    const error = await caught(registry.register(ENTRY));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the table registry is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.cause).toBe(fault);
  });

  it('is UNAVAILABLE for 30 s when the role may not write the registry', async () => {
    const fault = Object.assign(new Error('User is not authorized to perform: dynamodb:PutItem'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    documents.on(PutCommand).rejects(fault);
    const error = await caught(registry.register(ENTRY));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the table registry is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.cause).toBe(fault);
  });

  it('is retryable UNAVAILABLE (in 2 s) when DynamoDB throttles', async () => {
    const fault = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    documents.on(PutCommand).rejects(fault);
    const error = await caught(registry.register(ENTRY));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the table registry is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
  });
});

describe('get', () => {
  it('reads the entry consistently', async () => {
    documents.on(GetCommand).resolves({
      Item: { pk: 'table', sk: ENTRY.table, kind: 'sessions', arn: ENTRY.arn, registered_at: ENTRY.registeredAt, registered_by: 'ops-erin' },
    });
    expect(await registry.get(ENTRY.table)).toEqual(ENTRY);
    expect(documents).toHaveReceivedCommandWith(GetCommand, { TableName: CONFIG, Key: { pk: 'table', sk: ENTRY.table }, ConsistentRead: true });
  });

  it('is undefined for a table never registered', async () => {
    documents.on(GetCommand).resolves({});
    expect(await registry.get('sentinel-other')).toBeUndefined();
  });

  it('fails closed on a damaged entry rather than vouching for the table', async () => {
    documents.on(GetCommand).resolves({ Item: { pk: 'table', sk: ENTRY.table, kind: 'session', arn: ENTRY.arn } });
    const error = await caught(registry.get(ENTRY.table));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the table registry entry of "sentinel-team-sessions" is unreadable');
  });

  it('is UNAVAILABLE when the connection to DynamoDB drops', async () => {
    documents.on(GetCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await caught(registry.get(ENTRY.table));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the table registry is unavailable');
    expect(error.retryAfterSeconds).toBe(1);
  });

  it('is INTERNAL for a failure nobody can name (a bug, not an outage)', async () => {
    const fault = new Error('something odd');
    documents.on(GetCommand).rejects(fault);
    const error = await caught(registry.get(ENTRY.table));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the table registry rejected the request');
    expect(error.cause).toBe(fault);
  });
});
