import 'aws-sdk-client-mock-vitest/extend';
import {
  ContinuousBackupsUnavailableException,
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  LimitExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  ThrottlingException,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { DynamoProvisioner } from '../../../src/provisioning/DynamoProvisioner.js';
import { DynamoTableRegistry } from '../../../src/provisioning/DynamoTableRegistry.js';
import { provisionStatus, provisionTable } from '../../../src/provisioning/provision.js';
import type { ProvisioningDeps } from '../../../src/provisioning/provision.js';
import { createTableInput } from '../../../src/provisioning/schemas.js';
import { caught } from '../../support/caught.js';

const TABLE = 'sentinel-sessions';
const ARN = `arn:aws:dynamodb:eu-west-1:111122223333:table/${TABLE}`;

const dynamodb = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const provisioner = new DynamoProvisioner(client);

/** Errors DynamoDB sends that the SDK does not model as classes: only the name is known. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });
}

const index = (name: string, hash: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hash, KeyType: 'HASH' as const },
    { AttributeName: 'created_at', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
  IndexStatus: 'ACTIVE' as const,
});

/** DescribeTable of a sessions table as CreateTable made it. */
function sessionsTable(status: TableDescription['TableStatus'] = 'ACTIVE'): TableDescription {
  return {
    TableName: TABLE,
    TableArn: ARN,
    TableStatus: status,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: ['id', 'user', 'profile', 'created_at', 'active_user'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    GlobalSecondaryIndexes: [index('by-user', 'user'), index('by-profile', 'profile'), index('by-active', 'active_user')],
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
  };
}

beforeEach(() => {
  dynamodb.reset();
  documents.reset();
});

describe('describe', () => {
  it('reads the table, its TTL and its PITR into one live table', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' } });
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' } },
    });
    const live = await provisioner.describe(TABLE);
    expect(live).toEqual({
      name: TABLE,
      arn: ARN,
      status: 'ACTIVE',
      keySchema: [{ attributeName: 'id', keyType: 'HASH', attributeType: 'S' }],
      indexes: [
        {
          name: 'by-user',
          keySchema: [
            { attributeName: 'user', keyType: 'HASH', attributeType: 'S' },
            { attributeName: 'created_at', keyType: 'RANGE', attributeType: 'S' },
          ],
          projection: 'ALL',
          status: 'ACTIVE',
        },
        expect.objectContaining({ name: 'by-profile' }),
        expect.objectContaining({ name: 'by-active' }),
      ],
      billingMode: 'PAY_PER_REQUEST',
      encrypted: true,
      ttl: { status: 'ENABLED', attribute: 'ttl' },
      pointInTimeRecovery: 'ENABLED',
    });
    expect(dynamodb).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: TABLE });
  });

  it('is undefined for a table that does not exist', async () => {
    dynamodb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await provisioner.describe(TABLE)).toBeUndefined();
  });

  it('reports PITR as unsupported where the endpoint has no PITR API (DynamoDB Local)', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    dynamodb.on(DescribeContinuousBackupsCommand).rejects(awsError('UnknownOperationException', 'An unknown operation was requested.'));
    expect(await provisioner.describe(TABLE)).toMatchObject({ ttl: { status: 'DISABLED' }, pointInTimeRecovery: 'unsupported' });
  });

  it('reads provisioned billing, turned-off encryption and local indexes', async () => {
    const { BillingModeSummary: _, ...provisioned } = sessionsTable();
    dynamodb.on(DescribeTableCommand).resolves({
      Table: {
        ...provisioned,
        SSEDescription: { Status: 'DISABLED' },
        LocalSecondaryIndexes: [{ IndexName: 'by-time', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
      },
    });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({});
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({});
    const live = await provisioner.describe(TABLE);
    expect(live).toMatchObject({ billingMode: 'PROVISIONED', encrypted: false, ttl: { status: 'DISABLED' }, pointInTimeRecovery: 'DISABLED' });
    expect(live?.indexes.map((each) => each.name)).toEqual(['by-user', 'by-profile', 'by-active', 'by-time']);
  });

  it('does not ask about TTL or PITR while the table is being created', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable('CREATING') });
    expect(await provisioner.describe(TABLE)).toMatchObject({ status: 'CREATING', ttl: { status: 'DISABLED' }, pointInTimeRecovery: 'DISABLED' });
    expect(dynamodb).toHaveReceivedCommandTimes(DescribeTimeToLiveCommand, 0);
    expect(dynamodb).toHaveReceivedCommandTimes(DescribeContinuousBackupsCommand, 0);
  });

  it('is undefined when the table disappears between the calls', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({});
    expect(await provisioner.describe(TABLE)).toBeUndefined();
  });

  it('is UNAVAILABLE (retry in 2 s), generic, when reading TTL is throttled', async () => {
    const fault = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).rejects(fault);
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({});
    const error = await caught(provisioner.describe(TABLE));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
  });
});

describe('create', () => {
  it('sends CreateTable from the schema (on-demand, encrypted, tagged) and answers true', async () => {
    dynamodb.on(CreateTableCommand).resolves({});
    expect(await provisioner.create('sessions', TABLE)).toBe(true);
    expect(dynamodb.commandCalls(CreateTableCommand)[0]?.args[0].input).toEqual(createTableInput('sessions', TABLE));
    expect(dynamodb).toHaveReceivedCommandWith(CreateTableCommand, {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { Enabled: true },
      Tags: [
        { Key: 'app', Value: 'sentinel' },
        { Key: 'sentinel:kind', Value: 'sessions' },
      ],
    });
  });

  it('answers false when the table exists already (ResourceInUseException)', async () => {
    dynamodb.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'Table already exists: sentinel-sessions', $metadata: {} }));
    expect(await provisioner.create('sessions', TABLE)).toBe(false);
  });

  it('is INTERNAL when DynamoDB rejects the CreateTable request itself', async () => {
    const fault = awsError('ValidationException', 'One or more parameter values were invalid');
    dynamodb.on(CreateTableCommand).rejects(fault);
    const error = await caught(provisioner.create('sessions', TABLE));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the DynamoDB control plane rejected the request');
    expect(error.cause).toBe(fault);
  });
});

describe('finish', () => {
  it('turns on TTL on `ttl` and point-in-time recovery', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).resolves({});
    dynamodb.on(UpdateContinuousBackupsCommand).resolves({});
    await provisioner.finish(TABLE);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateTimeToLiveCommand, { TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateContinuousBackupsCommand, {
      TableName: TABLE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is idempotent: TTL already enabled is fine', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).rejects(awsError('ValidationException', 'TimeToLive is already enabled'));
    dynamodb.on(UpdateContinuousBackupsCommand).resolves({});
    await provisioner.finish(TABLE);
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateContinuousBackupsCommand, 1);
  });

  it('accepts a refused TTL change when TTL is on `ttl` by now (two requests finishing at once)', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).rejects(awsError('ValidationException', 'Time to live has been modified multiple times within a fixed interval'));
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLING', AttributeName: 'ttl' } });
    dynamodb.on(UpdateContinuousBackupsCommand).resolves({});
    await provisioner.finish(TABLE);
  });

  it('fails (INTERNAL: DynamoDB rejected the request) when TTL is on another attribute', async () => {
    const fault = awsError('ValidationException', 'TimeToLive is active on a different AttributeName');
    dynamodb.on(UpdateTimeToLiveCommand).rejects(fault);
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' } });
    const error = await caught(provisioner.finish(TABLE));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the DynamoDB control plane rejected the request');
    expect(error.cause).toBe(fault);
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateContinuousBackupsCommand, 0);
  });

  it('translates a failure to read TTL back while finishing (the table deleted meanwhile): UNAVAILABLE for 30 s', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).rejects(awsError('ValidationException', 'Time to live has been modified multiple times within a fixed interval'));
    dynamodb.on(DescribeTimeToLiveCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const error = await caught(provisioner.finish(TABLE));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateContinuousBackupsCommand, 0);
  });

  it('treats LimitExceededException outside CreateTable as throttling (too many table operations at once)', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).rejects(new LimitExceededException({ message: 'Subscriber limit exceeded', $metadata: {} }));
    const error = await caught(provisioner.finish(TABLE));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
  });

  it('skips PITR where the endpoint has none (DynamoDB Local)', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).resolves({});
    dynamodb.on(UpdateContinuousBackupsCommand).rejects(awsError('UnknownOperationException', 'An unknown operation was requested.'));
    await provisioner.finish(TABLE);
  });

  it('asks for a retry when AWS cannot turn on PITR on a table this new', async () => {
    dynamodb.on(UpdateTimeToLiveCommand).resolves({});
    dynamodb.on(UpdateContinuousBackupsCommand).rejects(new ContinuousBackupsUnavailableException({ message: 'Backups are being enabled for the table', $metadata: {} }));
    const error = await caught(provisioner.finish(TABLE));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('point-in-time recovery cannot be turned on for table "sentinel-sessions" yet: retry shortly');
    expect((error as UnavailableError).retryAfterSeconds).toBe(5);
  });
});

describe('faults DynamoDB Local cannot show', () => {
  const registry = new DynamoTableRegistry(DynamoDBDocumentClient.from(client), 'sentinel-config');
  const deps: ProvisioningDeps = { provisioner, registry, tablePrefix: 'sentinel-', clock: { now: () => new Date('2026-11-20T09:30:00.000Z') } };

  it('explains the account table limit on create, and records nothing', async () => {
    const fault = new LimitExceededException({ message: 'Subscriber limit exceeded: Only 10 tables can be created simultaneously', $metadata: {} });
    dynamodb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    dynamodb.on(CreateTableCommand).rejects(fault);
    const error = await caught(provisionTable({ kind: 'sessions' }, 'ops-erin', deps));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe(
      'DynamoDB refused CreateTable on table "sentinel-sessions": the account has reached its limit of tables (or of tables being created at once) in this region; delete unused tables or ask AWS for a higher quota, then retry',
    );
    expect(error.message).not.toContain('Subscriber');
    expect(error.retryAfterSeconds).toBe(5);
    expect(error.cause).toBe(fault);
    expect(documents).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('is UNAVAILABLE when DynamoDB throttles, retryable in 2 s, and records nothing', async () => {
    const fault = new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} });
    dynamodb.on(DescribeTableCommand).rejects(fault);
    const error = await caught(provisionStatus(TABLE, 'sessions', 'ops-erin', deps));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
    expect(documents).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('throttling while finishing leaves the table unregistered', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } });
    dynamodb.on(UpdateTimeToLiveCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    expect((await caught(provisionStatus(TABLE, 'sessions', 'ops-erin', deps))).code).toBe('UNAVAILABLE');
    expect(documents).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it.each([
    ['DescribeTable', DescribeTableCommand],
    ['CreateTable', CreateTableCommand],
  ] as const)('is UNAVAILABLE for 30 s when %s is denied (a deployment problem), AWS text in the cause only, and records nothing', async (action, command) => {
    const fault = awsError('AccessDeniedException', `User: arn:aws:sts::111122223333:assumed-role/x is not authorized to perform: dynamodb:${action}`);
    dynamodb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    dynamodb.on(command).rejects(fault);
    const error = await caught(provisionTable({ kind: 'sessions' }, 'ops-erin', deps));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.cause).toBe(fault);
    expect(documents).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('is UNAVAILABLE for 30 s when the role may not turn on PITR, and records nothing', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable() });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' } });
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({});
    dynamodb.on(UpdateTimeToLiveCommand).rejects(awsError('ValidationException', 'TimeToLive is already enabled'));
    dynamodb.on(UpdateContinuousBackupsCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const error = await caught(provisionStatus(TABLE, 'sessions', 'ops-erin', deps));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(documents).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('is UNAVAILABLE, without AWS text, when DynamoDB cannot be reached', async () => {
    const fault = Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' });
    dynamodb.on(DescribeTableCommand).rejects(fault);
    const error = await caught(provisioner.describe(TABLE));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('the DynamoDB control plane is unavailable');
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.cause).toBe(fault);
  });
});
