/**
 * The deployed requests function (functions/requests.ts) end to end inside the process:
 * its real module-scope wiring, the HTTP stack and the six routes, with DynamoDB
 * replaced by aws-sdk-client-mock and the example policy stored. Each test compares the
 * whole response, and the DynamoDB requests that matter.
 */

import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { policyDocumentItem } from '../../support/policyDocument.js';

const POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
const ACCOUNT = '000000000000';
const ID = '3f2a9c0d1e2b4c5d6e7f8091a2b3c4d5';
const NOW = new Date('2026-11-18T10:00:00.000Z');
const JUSTIFICATION = 'INC-4711: rotate the leaked deploy key';

const ddb = mockClient(DynamoDBDocumentClient);
const iam = mockClient(IAMClient);

const SSO_ROLE = 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468';
const SSO_ROLE_ID = 'AROAENGINEERROLE0001';

type Handler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const ENV = { AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: ACCOUNT, SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions', SENTINEL_CONFIG_TABLE: 'sentinel-config' };

let handler: Handler;

/** An API Gateway event for `route` (its template), signed by the Identity Center person `user`. */
function event(
  route: string,
  options: { user?: string; body?: string; id?: string; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [method = 'GET', template = '/'] = route.split(' ');
  const user = options.user ?? 'alice';
  const path = options.id === undefined ? template : template.replace('{id}', options.id);
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
    ...(options.id === undefined ? {} : { pathParameters: { id: options.id } }),
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-123',
      routeKey: route,
      stage: '$default',
      time: '18/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: {
        iam: { accessKey: 'AKIAEXAMPLE', accountId: ACCOUNT, callerId: `${SSO_ROLE_ID}:${user}`, cognitoIdentity: null, principalOrgId: null, userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/${user}`, userId: `${SSO_ROLE_ID}:${user}` },
      } as never,
    },
  };
}

const context = { awsRequestId: 'lambda-req', functionName: 'sentinel-requests', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function call(request: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const response = await handler(request, context);
  return { ...response, body: JSON.parse(String(response.body)) as unknown };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function error(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message, requestId: 'req-123' } } };
}

/** A stored request, as the table holds it. */
function item(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    requester: 'alice',
    requester_principal: 'person/alice',
    profile: 'prod-admin',
    justification: JUSTIFICATION,
    duration_s: 3600,
    status: 'pending',
    pending_profile: 'prod-admin',
    created_at: '2026-11-18T09:00:00.000Z',
    expires_at: '2026-11-19T09:00:00.000Z',
    min_approvals: 1,
    approvals: [],
    ttl: 1_800_000_000,
    ...overrides,
  };
}

/** The same request as the API shows it. */
function view(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    requester: 'alice',
    profile: 'prod-admin',
    justification: JUSTIFICATION,
    durationSeconds: 3600,
    status: 'pending',
    createdAt: '2026-11-18T09:00:00.000Z',
    expiresAt: '2026-11-19T09:00:00.000Z',
    minApprovals: 1,
    approvals: [],
    ...overrides,
  };
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  // The function logs every decision; keep the test output clean.
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true);
  for (const [key, value] of Object.entries(ENV)) vi.stubEnv(key, value);
  vi.resetModules();
  handler = ((await import('../../../functions/requests.js')) as { handler: Handler }).handler;
});

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  ddb.reset();
  iam.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1' } }).resolves({ Item: { pk: 'policy', sk: 'v1', version: 1, text: POLICY, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1#document' } }).resolves({ Item: policyDocumentItem(POLICY) });
  ddb.on(GetCommand, { TableName: 'sentinel-requests', Key: { id: ID } }).resolves({ Item: item() });
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  iam.on(GetRoleCommand).rejects(new IAMServiceException({ name: 'AccessDenied', message: 'denied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
  iam.on(GetRoleCommand, { RoleName: SSO_ROLE }).resolves({
    Role: { Path: '/aws-reserved/sso.amazonaws.com/eu-west-1/', RoleName: SSO_ROLE, RoleId: SSO_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${SSO_ROLE}`, CreateDate: new Date('2026-01-01T00:00:00Z'), AssumeRolePolicyDocument: '{}' },
  });
});

describe('POST /v1/requests', () => {
  it('201 with the pending request, written once with a condition that never overwrites', async () => {
    const response = await call(event('POST /v1/requests', { body: JSON.stringify({ profile: 'billing', justification: JUSTIFICATION, durationSeconds: 1800 }) }));
    const id = (response.body as { request: { id: string } }).request.id;
    expect(response).toEqual({
      statusCode: 201,
      headers: JSON_HEADERS,
      body: {
        request: {
          id: expect.stringMatching(/^[0-9a-f]{32}$/),
          requester: 'alice',
          profile: 'billing',
          justification: JUSTIFICATION,
          durationSeconds: 1800,
          status: 'pending',
          createdAt: NOW.toISOString(),
          expiresAt: '2026-11-19T10:00:00.000Z',
          minApprovals: 2,
          approvals: [],
        },
      },
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: 'sentinel-requests',
      ConditionExpression: 'attribute_not_exists(id)',
      Item: {
        id,
        requester: 'alice',
        requester_principal: 'person/alice',
        profile: 'billing',
        justification: JUSTIFICATION,
        duration_s: 1800,
        status: 'pending',
        pending_profile: 'billing',
        created_at: NOW.toISOString(),
        expires_at: '2026-11-19T10:00:00.000Z',
        min_approvals: 2,
        approvals: [],
        // 90 days of audit retention after the request's end of life.
        ttl: Date.parse('2026-11-19T10:00:00.000Z') / 1000 + 90 * 86_400,
      },
    });
  });

  it.each([
    ['a short justification', { profile: 'prod-admin', justification: 'because' }, 'justification: must be at least 10 characters'],
    ['a control character', { profile: 'prod-admin', justification: 'rotate \u001b[2J the key now' }, 'justification: must not contain control characters'],
    ['a duration below STS\'s floor', { profile: 'prod-admin', justification: JUSTIFICATION, durationSeconds: 60 }, 'durationSeconds: Too small: expected number to be >=900'],
    ['an unknown field', { profile: 'prod-admin', justification: JUSTIFICATION, approver: 'bob' }, 'unknown field "approver"'],
  ])('400 for %s, nothing written', async (_name, body, message) => {
    expect(await call(event('POST /v1/requests', { body: JSON.stringify(body) }))).toEqual(error(400, 'INVALID_REQUEST', message));
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('400 for requests that could never help: no approval rule, already allowed, above max_duration', async () => {
    expect(await call(event('POST /v1/requests', { body: JSON.stringify({ profile: 'dev', justification: JUSTIFICATION }) }))).toEqual(
      error(400, 'INVALID_REQUEST', 'you can already get profile "dev" (rule "dev-engineers" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>'),
    );
    expect(await call(event('POST /v1/requests', { body: JSON.stringify({ profile: 'prod-admin', justification: JUSTIFICATION, durationSeconds: 7200 }) }))).toEqual(
      error(400, 'INVALID_REQUEST', 'durationSeconds: at most 3600 (1h) for profile "prod-admin" (approval rule "prod-admin-approvers")'),
    );
    expect(await call(event('POST /v1/requests', { body: JSON.stringify({ profile: 'nope', justification: JUSTIFICATION }) }))).toEqual(error(404, 'UNKNOWN_PROFILE', 'no profile "nope" in the policy'));
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('503 with Retry-After when the table is missing: a deployment fault', async () => {
    ddb.on(PutCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await call(event('POST /v1/requests', { body: JSON.stringify({ profile: 'prod-admin', justification: JUSTIFICATION }) }))).toEqual(
      error(503, 'UNAVAILABLE', 'the request store is unavailable', { 'retry-after': '30' }),
    );
  });
});

describe('POST /v1/requests/{id}/approve, /deny, /cancel', () => {
  it('bob approves: one conditional update completes it, the window from now', async () => {
    const approval = { approver: 'bob', at: NOW.toISOString(), comment: 'go' };
    ddb.on(UpdateCommand).resolves({
      Attributes: item({ status: 'approved', approvals: [approval], approver_set: new Set(['bob']), decided_at: NOW.toISOString(), window_ends_at: '2026-11-18T11:00:00.000Z', pending_profile: undefined }),
    });
    expect(await call(event('POST /v1/requests/{id}/approve', { user: 'bob', id: ID, body: JSON.stringify({ comment: 'go' }) }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { request: view({ status: 'approved', approvals: [approval], decidedAt: NOW.toISOString(), windowEndsAt: '2026-11-18T11:00:00.000Z' }) },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'sentinel-requests',
      Key: { id: ID },
      UpdateExpression: 'SET approvals = list_append(approvals, :entry), #status = :approved, decided_at = :now, window_ends_at = :windowEndsAt, #ttl = :ttl ADD approver_set :meSet REMOVE pending_profile',
      ConditionExpression:
        '#status = :pending AND expires_at > :now AND requester <> :me AND (attribute_not_exists(approver_set) OR NOT contains(approver_set, :me)) AND attribute_not_exists(approver_set)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':now': NOW.toISOString(),
        ':me': 'bob',
        ':entry': [approval],
        ':meSet': new Set(['bob']),
        ':approved': 'approved',
        ':windowEndsAt': '2026-11-18T11:00:00.000Z',
        ':ttl': Date.parse('2026-11-19T09:00:00.000Z') / 1000 + 90 * 86_400,
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('409 CONFLICT naming who approved it first, when another approval won the race', async () => {
    const won = item({ status: 'approved', approvals: [{ approver: 'approver-2', at: '2026-11-18T09:59:59.000Z' }], approver_set: new Set(['approver-2']), decided_at: '2026-11-18T09:59:59.000Z', window_ends_at: '2026-11-18T10:59:59.000Z' });
    delete won.pending_profile;
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(won) }));
    expect(await call(event('POST /v1/requests/{id}/approve', { user: 'bob', id: ID, body: '{}' }))).toEqual(
      error(409, 'CONFLICT', `request ${ID} is already approved (by approver-2) at 2026-11-18T09:59:59.000Z`),
    );
    // The item came back with the failure: no second read, no second write.
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('403 NOT_OWNER for the requester and for someone the policy does not name; nothing written', async () => {
    expect(await call(event('POST /v1/requests/{id}/approve', { user: 'alice', id: ID, body: '{}' }))).toEqual(error(403, 'NOT_OWNER', `"alice" may not approve their own request ${ID}`));
    expect(await call(event('POST /v1/requests/{id}/deny', { user: 'admin', id: ID, body: '{}' }))).toEqual(
      error(403, 'NOT_OWNER', '"admin" may not deny requests for profile "prod-admin": only the approvers its approval rules name may'),
    );
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('bob denies with a comment; alice cancels; a bad id and a body on cancel are 400s', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'denied', denied_by: 'bob', deny_comment: 'not now', decided_at: NOW.toISOString() }) });
    expect(await call(event('POST /v1/requests/{id}/deny', { user: 'bob', id: ID, body: JSON.stringify({ comment: 'not now' }) }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { request: view({ status: 'denied', deniedBy: 'bob', denyComment: 'not now', decidedAt: NOW.toISOString() }) },
    });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ ConditionExpression: '#status = :pending AND expires_at > :now AND requester <> :by' });

    ddb.on(UpdateCommand).resolves({ Attributes: item({ status: 'cancelled', decided_at: NOW.toISOString() }) });
    expect(await call(event('POST /v1/requests/{id}/cancel', { id: ID }))).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { request: view({ status: 'cancelled', decidedAt: NOW.toISOString() }) } });
    expect(ddb.commandCalls(UpdateCommand)[1]?.args[0].input).toMatchObject({ ConditionExpression: '#status = :pending AND expires_at > :now AND requester = :me', ExpressionAttributeValues: { ':me': 'alice' } });

    expect(await call(event('POST /v1/requests/{id}/cancel', { id: 'ABC' }))).toEqual(error(400, 'INVALID_REQUEST', 'the path must name a request id (32 hex digits)'));
    expect(await call(event('POST /v1/requests/{id}/cancel', { id: ID, body: '{}' }))).toEqual(error(400, 'INVALID_REQUEST', 'this route takes no request body'));
  });
});

describe('GET /v1/requests and /v1/requests/{id}', () => {
  it('mine: a Query of the by-requester index, newest first, effective status', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(), item({ id: 'f'.repeat(32), expires_at: '2026-11-18T09:30:00.000Z' })] });
    expect(await call(event('GET /v1/requests'))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { requests: [view(), view({ id: 'f'.repeat(32), expiresAt: '2026-11-18T09:30:00.000Z', status: 'expired' })] },
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: 'sentinel-requests',
      IndexName: 'by-requester',
      KeyConditionExpression: '#pk = :key',
      ExpressionAttributeNames: { '#pk': 'requester' },
      ExpressionAttributeValues: { ':key': 'alice' },
      ScanIndexForward: false,
      Limit: 50,
    });
  });

  it('approvable: the pending index of each profile bob approves, from the last 24 hours, without his own or those he approved', async () => {
    await call(event('GET /v1/requests', { user: 'bob', query: { scope: 'approvable' } }));
    const inputs = ddb.commandCalls(QueryCommand).map((query) => query.args[0].input);
    expect(inputs.map((input) => [input.IndexName, input.ExpressionAttributeValues?.[':key']])).toEqual([
      ['by-pending', 'billing'],
      ['by-pending', 'prod-admin'],
    ]);
    expect(inputs[0]).toMatchObject({
      KeyConditionExpression: '#pk = :key AND created_at > :after',
      FilterExpression: '#status = :pending AND expires_at > :now AND requester <> :notRequester AND (attribute_not_exists(approver_set) OR NOT contains(approver_set, :notApprover))',
      ExpressionAttributeValues: { ':after': '2026-11-17T10:00:00.000Z', ':notRequester': 'bob', ':notApprover': 'bob' },
    });
  });

  it('all: NOT_ADMIN for alice; show: NOT_FOUND for someone who is neither requester, approver nor admin', async () => {
    expect(await call(event('GET /v1/requests', { query: { scope: 'all', profile: 'prod-admin' } }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may list every request; "alice" is not in the policy\'s admins (list your own, or --pending those you may approve)'),
    );
    expect(await call(event('GET /v1/requests/{id}', { user: 'carol', id: ID }))).toEqual(error(404, 'NOT_FOUND', `request ${ID} does not exist`));
    expect(await call(event('GET /v1/requests/{id}', { user: 'admin', id: ID }))).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { request: view() } });
    expect(await call(event('GET /v1/requests', { query: { scope: 'everything' } }))).toEqual(
      error(400, 'INVALID_REQUEST', 'query parameter scope: Invalid option: expected one of "mine"|"approvable"|"all"'),
    );
  });
});
