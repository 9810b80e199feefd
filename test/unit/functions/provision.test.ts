/**
 * functions/provision.ts end to end inside the process: its real module-scope wiring,
 * the router, the HTTP stack and the three provisioning routes, with DynamoDB's
 * control plane (DynamoDBClient) and the item API (DynamoDBDocumentClient: policy,
 * registry) replaced by aws-sdk-client-mock. Each test compares what the caller gets.
 */

import { readFileSync } from 'node:fs';
import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  LimitExceededException,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TABLE_SCHEMAS } from '../../../src/provisioning/schemas.js';
import { expectedSessionTablePolicy } from '../../support/iamPolicy.js';
import { policyDocumentItem } from '../../support/policyDocument.js';

const POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SESSIONS_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-sessions`;

const ddb = mockClient(DynamoDBDocumentClient);
const dynamodb = mockClient(DynamoDBClient);

type Handler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const ENV = {
  AWS_REGION: REGION,
  SENTINEL_ACCOUNT_ID: ACCOUNT,
  SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions',
  SENTINEL_CONFIG_TABLE: 'sentinel-config',
  // Callers are people on a pinned Identity Center role (docs/identity.md); no IAM lookup.
  SENTINEL_IDENTITY_ROLE_LOOKUP: 'none',
  SENTINEL_IDENTITY_ROLES: `${ACCOUNT}:AROAADMINROLE0000001`,
};

async function loadHandler(env: Record<string, string> = {}): Promise<Handler> {
  vi.resetModules();
  for (const [key, value] of Object.entries({ ...ENV, ...env })) vi.stubEnv(key, value);
  const module = (await import('../../../functions/provision.js')) as { handler: Handler };
  return module.handler;
}

interface Request {
  body?: unknown;
  user?: string;
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}

/** An API Gateway event for the route `routeKey` (the template, as API Gateway sends it). */
function event(routeKey: string, options: Request = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const path = options.path ?? template;
  const query = new URLSearchParams(options.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query,
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-123',
      routeKey,
      stage: '$default',
      time: '18/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: {
        iam: { accessKey: 'AKIAEXAMPLE', accountId: ACCOUNT, callerId: 'AIDAEXAMPLE', cognitoIdentity: null, principalOrgId: null, userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/${options.user ?? 'admin'}`, userId: `AROAADMINROLE0000001:${options.user ?? 'admin'}` },
      } as never,
    },
  };
}

const provision = (body: unknown, user?: string) => event('POST /v1/provision', { body, ...(user === undefined ? {} : { user }) });
const status = (table: string, query?: Record<string, string>, user?: string) =>
  event('GET /v1/provision/{table}', { path: `/v1/provision/${table}`, pathParameters: { table }, ...(query === undefined ? {} : { query }), ...(user === undefined ? {} : { user }) });
const iamPolicy = (query: Record<string, string>, user?: string) => event('GET /v1/provision/iam-policy', { query, ...(user === undefined ? {} : { user }) });

const context = { awsRequestId: 'lambda-req', functionName: 'sentinel-provision', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function call(handler: Handler, request: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const response = await handler(request, context);
  return { ...response, body: JSON.parse(String(response.body)) as unknown };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function error(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message, requestId: 'req-123' } } };
}

/** What a sessions table's create makes, as `--plan` shows it. */
const SESSIONS_SCHEMA = {
  billingMode: 'PAY_PER_REQUEST',
  keys: ['id (HASH)'],
  indexes: ['by-user (user, created_at)', 'by-profile (profile, created_at)', 'by-active (active_user, created_at)'],
  ttlAttribute: 'ttl',
  pointInTimeRecovery: true,
  encryption: true,
};

/** DescribeTable's answer for a sessions table as Sentinel creates it, minus `dropIndexes`. */
function sessionsTable(tableStatus: string, dropIndexes: string[] = []): TableDescription {
  const schema = TABLE_SCHEMAS.sessions;
  return {
    TableName: 'sentinel-sessions',
    TableArn: SESSIONS_ARN,
    TableStatus: tableStatus as TableDescription['TableStatus'],
    KeySchema: schema.keySchema,
    AttributeDefinitions: schema.attributeDefinitions,
    GlobalSecondaryIndexes: schema.globalSecondaryIndexes
      .filter((index) => !dropIndexes.includes(index.IndexName ?? ''))
      .map((index) => ({ ...index, IndexStatus: tableStatus === 'CREATING' ? 'CREATING' : 'ACTIVE' })),
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    SSEDescription: { Status: 'ENABLED', SSEType: 'KMS' },
  };
}

/** The table exists in `tableStatus`, with TTL and PITR as given. */
function liveTable(tableStatus: string, options: { ttl?: 'ENABLED' | 'DISABLED'; pitr?: 'ENABLED' | 'DISABLED'; dropIndexes?: string[] } = {}): void {
  dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable(tableStatus, options.dropIndexes) });
  dynamodb.on(DescribeTimeToLiveCommand).resolves({
    TimeToLiveDescription: options.ttl === 'ENABLED' ? { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' } : { TimeToLiveStatus: 'DISABLED' },
  });
  dynamodb.on(DescribeContinuousBackupsCommand).resolves({
    ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: options.pitr ?? 'DISABLED' } },
  });
}

const registryWrites = () => ddb.commandCalls(PutCommand, { TableName: 'sentinel-config' });
/** Every control-plane call that changes something. */
const changes = () => [CreateTableCommand, UpdateTimeToLiveCommand, UpdateContinuousBackupsCommand].flatMap((command) => dynamodb.commandCalls(command as never));

beforeAll(() => {
  // The handler logs JSON lines to stdout/stderr; keep the test output readable.
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  ddb.reset();
  dynamodb.reset();
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1' } }).resolves({ Item: { pk: 'policy', sk: 'v1', version: 1, text: POLICY, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1#document' } }).resolves({ Item: policyDocumentItem(POLICY) });
  ddb.on(GetCommand, { Key: { pk: 'table', sk: 'sentinel-sessions' } }).resolves({});
  ddb.on(PutCommand).resolves({});
  dynamodb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found: Table: sentinel-sessions not found', $metadata: {} }));
  dynamodb.on(CreateTableCommand).resolves({ TableDescription: sessionsTable('CREATING') });
  dynamodb.on(UpdateTimeToLiveCommand).resolves({ TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  dynamodb.on(UpdateContinuousBackupsCommand).resolves({});
});

describe('functions/provision.ts', () => {
  it.each([
    ['POST /v1/provision', provision({ kind: 'sessions' }, 'alice'), 'provision tables'],
    ['GET /v1/provision/{table}', status('sentinel-sessions', { kind: 'sessions' }, 'alice'), 'provision tables'],
    ['GET /v1/provision/iam-policy', iamPolicy({ kind: 'sessions' }, 'alice'), 'read provisioning IAM policies'],
  ])('%s is for admins: NOT_ADMIN for alice, and DynamoDB is not asked', async (_route, request, action) => {
    const handler = await loadHandler();
    expect(await call(handler, request)).toEqual(error(403, 'NOT_ADMIN', `only admins may ${action}; "alice" is not in the policy's admins`));
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('a bootstrap admin may provision before any config table (and so any policy) exists', async () => {
    ddb.on(GetCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const handler = await loadHandler({ SENTINEL_BOOTSTRAP_ADMINS: 'root-admin' });
    const response = await call(handler, provision({ kind: 'config' }, 'root-admin'));
    expect(response).toMatchObject({ statusCode: 202, body: { status: 'CREATING', table: 'sentinel-config', kind: 'config' } });
  });

  it('plan for a missing table: create, with what would be made, and nothing changed', async () => {
    const handler = await loadHandler();
    expect(await call(handler, provision({ kind: 'sessions', plan: true }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { status: 'PLAN', table: 'sentinel-sessions', kind: 'sessions', plan: { action: 'create', differences: [], schema: SESSIONS_SCHEMA } },
    });
    expect(changes()).toHaveLength(0);
  });

  it('create: starts CreateTable and answers 202 CREATING; nothing is registered yet', async () => {
    const handler = await loadHandler();
    expect(await call(handler, provision({ kind: 'sessions' }))).toEqual({
      statusCode: 202,
      headers: JSON_HEADERS,
      body: { status: 'CREATING', table: 'sentinel-sessions', kind: 'sessions', plan: { action: 'create', differences: [], schema: SESSIONS_SCHEMA } },
    });
    const created = dynamodb.commandCalls(CreateTableCommand)[0]?.args[0].input;
    expect(created).toMatchObject({
      TableName: 'sentinel-sessions',
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { Enabled: true },
      Tags: [
        { Key: 'app', Value: 'sentinel' },
        { Key: 'sentinel:kind', Value: 'sessions' },
      ],
    });
    expect(created?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['by-user', 'by-profile', 'by-active']);
    expect(registryWrites()).toHaveLength(0);
  });

  it('status while DynamoDB creates the table: 200 CREATING, nothing registered', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: sessionsTable('CREATING') });
    const handler = await loadHandler();
    const response = await call(handler, status('sentinel-sessions', { kind: 'sessions' }));
    expect(response).toMatchObject({ statusCode: 200, body: { status: 'CREATING', table: 'sentinel-sessions' } });
    expect(changes()).toHaveLength(0);
    expect(registryWrites()).toHaveLength(0);
  });

  it('status once ACTIVE: turns on TTL and PITR, registers the table, answers READY with the ARN', async () => {
    liveTable('ACTIVE');
    const handler = await loadHandler();
    expect(await call(handler, status('sentinel-sessions', { kind: 'sessions' }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { status: 'READY', table: 'sentinel-sessions', kind: 'sessions', arn: SESSIONS_ARN, plan: { action: 'none', differences: [], schema: SESSIONS_SCHEMA } },
    });
    expect(dynamodb.commandCalls(UpdateTimeToLiveCommand)[0]?.args[0].input).toEqual({ TableName: 'sentinel-sessions', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    expect(dynamodb.commandCalls(UpdateContinuousBackupsCommand)[0]?.args[0].input).toEqual({
      TableName: 'sentinel-sessions',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(registryWrites().map((entry) => entry.args[0].input.Item)).toEqual([
      { pk: 'table', sk: 'sentinel-sessions', kind: 'sessions', arn: SESSIONS_ARN, registered_at: expect.stringMatching(/Z$/) as unknown, registered_by: 'admin' },
    ]);
  });

  it('status of a registered table needs no ?kind', async () => {
    liveTable('ACTIVE', { ttl: 'ENABLED', pitr: 'ENABLED' });
    ddb.on(GetCommand, { Key: { pk: 'table', sk: 'sentinel-sessions' } }).resolves({
      Item: { pk: 'table', sk: 'sentinel-sessions', kind: 'sessions', arn: SESSIONS_ARN, registered_at: '2026-11-18T09:00:00.000Z', registered_by: 'admin' },
    });
    const handler = await loadHandler();
    const response = await call(handler, status('sentinel-sessions'));
    expect(response).toMatchObject({ statusCode: 200, body: { status: 'READY', kind: 'sessions', arn: SESSIONS_ARN } });
    expect(changes()).toHaveLength(0);
  });

  it('status of an unregistered table without ?kind says to pass it', async () => {
    const handler = await loadHandler();
    expect(await call(handler, status('sentinel-sessions'))).toEqual(
      error(400, 'INVALID_REQUEST', 'table "sentinel-sessions" is not registered yet: pass ?kind=sessions|requests|breakglass|config to say what it is'),
    );
  });

  it('status of a table that does not exist is NOT_FOUND', async () => {
    const handler = await loadHandler();
    expect(await call(handler, status('sentinel-sessions', { kind: 'sessions' }))).toEqual(
      error(404, 'NOT_FOUND', 'table "sentinel-sessions" does not exist: create it with POST /v1/provision (sentinel init)'),
    );
  });

  it('DRIFT: a table missing an index is reported and left alone, for a create and for a status call', async () => {
    liveTable('ACTIVE', { ttl: 'ENABLED', pitr: 'ENABLED', dropIndexes: ['by-active'] });
    const handler = await loadHandler();
    const drift = {
      statusCode: 200,
      headers: JSON_HEADERS,
      body: {
        status: 'DRIFT',
        table: 'sentinel-sessions',
        kind: 'sessions',
        plan: { action: 'drift', differences: [{ kind: 'missing_index', message: 'index "by-active" is missing' }], schema: SESSIONS_SCHEMA },
      },
    };
    expect(await call(handler, provision({ kind: 'sessions' }))).toEqual(drift);
    expect(await call(handler, status('sentinel-sessions', { kind: 'sessions' }))).toEqual(drift);
    expect(changes()).toHaveLength(0);
    expect(registryWrites()).toHaveLength(0);
  });

  it('iam-policy: the document for one table, statement by statement, in the real account and region', async () => {
    const handler = await loadHandler();
    const response = await call(handler, iamPolicy({ kind: 'sessions' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(JSON_HEADERS);
    expect(response.body).toEqual(expectedSessionTablePolicy(SESSIONS_ARN));
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('iam-policy for a named table of another kind', async () => {
    const handler = await loadHandler();
    const response = await call(handler, iamPolicy({ kind: 'requests', table: 'sentinel-approvals' }));
    const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-approvals`;
    expect((response.body as { Statement: unknown[] }).Statement).toEqual([
      expect.objectContaining({ Sid: 'SentinelRequestsTableProvisioning', Resource: [arn] }),
      expect.objectContaining({ Sid: 'SentinelRequestsTableOperations', Resource: [arn, `${arn}/index/*`] }),
    ]);
  });

  const PREFIX_MESSAGE = (table: string) =>
    `table "${table}" does not carry this deployment's table prefix "sentinel-": Sentinel's IAM permissions cover only tables whose names start with it (for example "sentinel-sessions")`;

  it.each([
    ['an unknown kind in the body', provision({ kind: 'approvals' }), 'kind: Invalid option: expected one of "sessions"|"requests"|"breakglass"|"config"'],
    ['an unknown field in the body', provision({ kind: 'sessions', region: 'us-east-1' }), 'unknown field "region"'],
    ['a table outside the prefix (create)', provision({ kind: 'sessions', table: 'prod-sessions' }), PREFIX_MESSAGE('prod-sessions')],
    ['a table outside the prefix (status)', status('prod-sessions', { kind: 'sessions' }), PREFIX_MESSAGE('prod-sessions')],
    ['a table outside the prefix (iam-policy)', iamPolicy({ kind: 'sessions', table: 'prod-sessions' }), PREFIX_MESSAGE('prod-sessions')],
    ['the bare prefix as a table name', provision({ kind: 'sessions', table: 'sentinel-' }), PREFIX_MESSAGE('sentinel-')],
    ['an unknown kind in the query', status('sentinel-sessions', { kind: 'approvals' }), 'query parameter kind: Invalid option: expected one of "sessions"|"requests"|"breakglass"|"config"'],
    ['no kind for iam-policy', iamPolicy({ table: 'sentinel-sessions' }), 'query parameter kind: required'],
    ['an unknown query parameter', iamPolicy({ kind: 'sessions', account: '*' }), 'unknown query parameter "account"'],
    ['a body on a GET', { ...iamPolicy({ kind: 'sessions' }), body: '{}' }, 'this route takes no request body'],
  ])('refuses %s with INVALID_REQUEST, before DynamoDB is asked', async (_name, request, message) => {
    const handler = await loadHandler();
    expect(await call(handler, request)).toEqual(error(400, 'INVALID_REQUEST', message));
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("LimitExceededException: 503 UNAVAILABLE naming the account's table limit, AWS text kept out, nothing registered", async () => {
    dynamodb.on(CreateTableCommand).rejects(new LimitExceededException({ message: 'Subscriber limit exceeded: Only 10 tables can be created, updated, or deleted simultaneously', $metadata: {} }));
    const handler = await loadHandler();
    const response = await call(handler, provision({ kind: 'sessions' }));
    expect(response).toEqual(
      error(
        503,
        'UNAVAILABLE',
        'DynamoDB refused CreateTable on table "sentinel-sessions": the account has reached its limit of tables (or of tables being created at once) in this region; delete unused tables or ask AWS for a higher quota, then retry',
        { 'retry-after': '5' },
      ),
    );
    expect(JSON.stringify(response.body)).not.toContain('Subscriber limit');
    expect(registryWrites()).toHaveLength(0);
  });

  it('a route key this function does not serve is a 404 NOT_FOUND from the same stack', async () => {
    const handler = await loadHandler();
    expect(await call(handler, { ...event('DELETE /v1/provision/{table}', { pathParameters: { table: 'sentinel-sessions' } }), body: 'not json' })).toEqual(
      error(404, 'NOT_FOUND', 'this function serves no such route'),
    );
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
