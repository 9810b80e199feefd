/**
 * The deployed break-glass handler (functions/breakglass.ts) end to end inside the
 * process: its real module-scope wiring, the HTTP stack and the routes, with DynamoDB
 * and IAM replaced by aws-sdk-client-mock, on examples/policy.yaml (rule
 * prod-admin-oncall: alice and bob, reason codes incident and security, 1 h, cooldown
 * 30m, 3 per user and 10 per profile a day). Each test compares the whole response.
 */

import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, ResourceNotFoundException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { policyDocumentItem } from '../../support/policyDocument.js';

const POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
const ACCOUNT = '000000000000';
const EVENT_ID = '0badc0de0123456789abcdef01234567';
/** The handlers' clock: 10:00 UTC, 10 h into a day (the 24 h quota window started at midnight). */
const NOW = new Date('2026-11-18T10:00:00.000Z');
const MIDNIGHT = Date.parse('2026-11-18T00:00:00.000Z') / 1000;

const ddb = mockClient(DynamoDBDocumentClient);
const iam = mockClient(IAMClient);

/** People: sessions of this IAM Identity Center role, which the function confirms with iam:GetRole. */
const SSO_ROLE = 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468';
const SSO_ROLE_ID = 'AROAENGINEERROLE0001';

type Handler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

async function loadHandler(): Promise<Handler> {
  vi.resetModules();
  for (const [key, value] of Object.entries({ AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: ACCOUNT, SENTINEL_CONFIG_TABLE: 'sentinel-config' })) vi.stubEnv(key, value);
  return ((await import('../../../functions/breakglass.js')) as { handler: Handler }).handler;
}

function event(method: string, path: string, options: { body?: unknown; user?: string; query?: Record<string, string>; id?: string } = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const user = options.user ?? 'alice';
  const template = options.id === undefined ? path : path.replace(`/${options.id}`, '/{id}');
  return {
    version: '2.0',
    routeKey: `${method} ${template}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(options.id === undefined ? {} : { pathParameters: { id: options.id } }),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-123',
      routeKey: `${method} ${template}`,
      stage: '$default',
      time: '18/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: {
        iam: {
          accessKey: 'AKIAEXAMPLE',
          accountId: ACCOUNT,
          callerId: `${SSO_ROLE_ID}:${user}`,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/${user}`,
          userId: `${SSO_ROLE_ID}:${user}`,
        },
      } as never,
    },
  };
}

const context = { awsRequestId: 'lambda-req', functionName: 'sentinel-breakglass', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function call(handler: Handler, request: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const response = await handler(request, context);
  return { ...response, body: JSON.parse(String(response.body)) as unknown };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function error(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message, requestId: 'req-123' } } };
}

const INVOKE = { profile: 'prod-admin', reasonCode: 'incident', justification: 'the payment queue is stuck' };

/** The event item as the table holds it. */
const ITEM = {
  id: EVENT_ID,
  invoker: 'alice',
  invoker_principal: 'person/alice',
  invoker_arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/alice`,
  profile: 'prod-admin',
  reason_code: 'incident',
  justification: 'the payment queue is stuck',
  duration_s: 3600,
  status: 'active',
  created_at: '2026-11-18T09:30:00.000Z',
  expires_at: '2026-11-18T10:30:00.000Z',
  rule: 'prod-admin-oncall',
  ttl: 1_800_000_000,
};

const VIEW = {
  id: EVENT_ID,
  invoker: 'alice',
  profile: 'prod-admin',
  reasonCode: 'incident',
  justification: 'the payment queue is stuck',
  durationSeconds: 3600,
  status: 'active',
  createdAt: '2026-11-18T09:30:00.000Z',
  expiresAt: '2026-11-18T10:30:00.000Z',
  rule: 'prod-admin-oncall',
};

function cancelled(...reasons: Array<{ Code: string; Item?: Record<string, unknown> }>): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    $metadata: {},
    CancellationReasons: reasons.map((reason) => (reason.Item === undefined ? { Code: reason.Code } : { Code: reason.Code, Item: marshall(reason.Item) })),
  });
}

let logged = '';
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged += String(chunk);
      return true;
    });
  }
});
afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  logged = '';
  ddb.reset();
  iam.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1' } }).resolves({ Item: { pk: 'policy', sk: 'v1', version: 1, text: POLICY, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1#document' } }).resolves({ Item: policyDocumentItem(POLICY) });
  ddb.on(TransactWriteCommand).resolves({});
  iam.on(GetRoleCommand).rejects(new IAMServiceException({ name: 'AccessDenied', message: 'not authorized', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
  iam.on(GetRoleCommand, { RoleName: SSO_ROLE }).resolves({
    Role: { Path: '/aws-reserved/sso.amazonaws.com/eu-west-1/', RoleName: SSO_ROLE, RoleId: SSO_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${SSO_ROLE}`, CreateDate: new Date('2026-01-01T00:00:00Z'), AssumeRolePolicyDocument: '{}' },
  });
});

function logLines(): Array<Record<string, unknown>> {
  return logged
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('POST /v1/breakglass (functions/breakglass.ts)', () => {
  it('201 with the event; one transaction with the rule\'s four guards; a WARN line with the alert', async () => {
    const handler = await loadHandler();
    const response = await call(handler, event('POST', '/v1/breakglass', { body: INVOKE }));
    expect(response).toEqual({
      statusCode: 201,
      headers: JSON_HEADERS,
      body: { event: { ...VIEW, id: expect.stringMatching(/^[0-9a-f]{32}$/), createdAt: NOW.toISOString(), expiresAt: '2026-11-18T11:00:00.000Z' } },
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => item.Put?.TableName ?? item.Update?.Key)).toEqual([
      'sentinel-breakglass',
      { pk: 'breakglass#principal#person/alice', sk: 'prod-admin' },
      { pk: 'breakglass#user#person/alice', sk: `86400#${MIDNIGHT}#prod-admin-oncall` },
      { pk: 'breakglass#profile#prod-admin', sk: `86400#${MIDNIGHT}#prod-admin-oncall` },
    ]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'break-glass invoked', alert: 'SentinelBreakglassInvoked', invoker: 'alice', principal: 'person/alice', profile: 'prod-admin', reasonCode: 'incident', requestId: 'req-123' }),
    );
  });

  it('429 RATE_LIMITED with Retry-After while the cooldown runs', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { last_at: '2026-11-18T09:50:00.000Z' } }, { Code: 'None' }, { Code: 'None' }));
    const response = await call(await loadHandler(), event('POST', '/v1/breakglass', { body: INVOKE }));
    expect(response).toEqual(
      error(
        429,
        'RATE_LIMITED',
        'break-glass refused: break-glass for profile "prod-admin" has a cooldown of 30m (rule "prod-admin-oncall"): your last one started at 2026-11-18T09:50:00.000Z, the next may start at 2026-11-18T10:20:00.000Z',
        { 'retry-after': '1200' },
      ),
    );
  });

  it('429 when the day\'s quota is used up: Retry-After until the window rolls over at midnight UTC', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { count: 3 } }, { Code: 'None' }));
    const response = await call(await loadHandler(), event('POST', '/v1/breakglass', { body: INVOKE }));
    expect(response).toEqual(
      error(429, 'RATE_LIMITED', 'break-glass refused: at most 3 break-glass invocations by you per 24h window (rule "prod-admin-oncall"; fixed windows, the next starts at 2026-11-19T00:00:00.000Z)', { 'retry-after': String(14 * 3600) }),
    );
  });

  it('409 CONFLICT while the caller has an active event for the profile', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { active_until: '2026-11-18T10:40:00.000Z', active_id: EVENT_ID, last_at: '2026-11-18T09:40:00.000Z' } }, { Code: 'None' }, { Code: 'None' }));
    const response = await call(await loadHandler(), event('POST', '/v1/breakglass', { body: INVOKE }));
    // The cooldown (30 m from 09:40) is also still running: both are named; the active event decides the status.
    expect(response).toEqual(
      error(
        409,
        'CONFLICT',
        `break-glass refused: an active break-glass exists for you and profile "prod-admin" until 2026-11-18T10:40:00.000Z (event ${EVENT_ID}): use it, or close it before invoking another; ` +
          'break-glass for profile "prod-admin" has a cooldown of 30m (rule "prod-admin-oncall"): your last one started at 2026-11-18T09:40:00.000Z, the next may start at 2026-11-18T10:10:00.000Z',
      ),
    );
  });

  it.each([
    ['someone no rule names', { user: 'carol', body: INVOKE }, 403, 'POLICY_DENY', 'no break-glass rule lets "carol" break glass for profile "prod-admin"'],
    ['a reason code the rule does not list', { body: { ...INVOKE, reasonCode: 'boredom' } }, 400, 'INVALID_REQUEST', 'reason code "boredom" is not one of break-glass rule "prod-admin-oncall"\'s: use one of "incident", "security"'],
    ['a duration over the rule\'s', { body: { ...INVOKE, durationSeconds: 7200 } }, 400, 'INVALID_REQUEST', 'durationSeconds: break-glass rule "prod-admin-oncall" allows at most 3600 s (1h)'],
    ['a short justification', { body: { ...INVOKE, justification: 'because' } }, 400, 'INVALID_REQUEST', 'justification: must be at least 10 characters'],
    ['an unknown field', { body: { ...INVOKE, user: 'bob' } }, 400, 'INVALID_REQUEST', 'unknown field "user"'],
  ])('refuses %s before writing anything', async (_what, options, status, code, message) => {
    expect(await call(await loadHandler(), event('POST', '/v1/breakglass', options))).toEqual(error(status, code, message));
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('503 UNAVAILABLE with Retry-After when the table is missing: nothing granted', async () => {
    ddb.on(TransactWriteCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await call(await loadHandler(), event('POST', '/v1/breakglass', { body: INVOKE }))).toEqual(error(503, 'UNAVAILABLE', 'the break-glass store is unavailable', { 'retry-after': '30' }));
  });
});

describe('GET /v1/breakglass', () => {
  it('the caller\'s own events from by-invoker, effective status', async () => {
    ddb.on(QueryCommand).resolves({ Items: [ITEM, { ...ITEM, id: 'e'.repeat(32), expires_at: '2026-11-18T09:45:00.000Z' }] });
    const response = await call(await loadHandler(), event('GET', '/v1/breakglass'));
    expect(response).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { events: [VIEW, { ...VIEW, id: 'e'.repeat(32), expiresAt: '2026-11-18T09:45:00.000Z', status: 'expired' }] } });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ TableName: 'sentinel-breakglass', IndexName: 'by-invoker', ExpressionAttributeValues: { ':key': 'alice' } });
  });

  it('scope=all: admins by profile; anyone else NOT_ADMIN', async () => {
    ddb.on(QueryCommand).resolves({ Items: [ITEM] });
    const handler = await loadHandler();
    expect(await call(handler, event('GET', '/v1/breakglass', { user: 'admin', query: { scope: 'all', profile: 'prod-admin' } }))).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { events: [VIEW] } });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'by-profile', ExpressionAttributeValues: { ':key': 'prod-admin' } });
    expect(await call(handler, event('GET', '/v1/breakglass', { query: { scope: 'all', profile: 'prod-admin' } }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may list every break-glass event; "alice" is not in the policy\'s admins'),
    );
  });

  it('refuses an unknown query parameter', async () => {
    expect(await call(await loadHandler(), event('GET', '/v1/breakglass', { query: { user: 'bob' } }))).toEqual(error(400, 'INVALID_REQUEST', 'unknown query parameter "user"'));
  });
});

describe('POST /v1/breakglass/{id}/close', () => {
  const closed = { ...ITEM, status: 'closed', closed_at: NOW.toISOString(), closed_by: 'alice', closed_reason: 'fixed: the disk was full' };

  it('200 with the closed event; the guard released; an INFO line with the alert', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: closed });
    const response = await call(await loadHandler(), event('POST', `/v1/breakglass/${EVENT_ID}/close`, { id: EVENT_ID, body: { reason: 'fixed: the disk was full' } }));
    expect(response).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { event: { ...VIEW, status: 'closed', closedAt: NOW.toISOString(), closedBy: 'alice', closedReason: 'fixed: the disk was full' } } });
    const updates = ddb.commandCalls(UpdateCommand).map((update) => update.args[0].input);
    expect(updates.map((update) => [update.TableName, update.ConditionExpression])).toEqual([
      ['sentinel-breakglass', '#status = :active AND expires_at > :now AND invoker = :by'],
      ['sentinel-config', 'active_id = :id'],
    ]);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'break-glass closed', alert: 'SentinelBreakglassClosed', eventId: EVENT_ID, closedBy: 'alice' }));
  });

  it('403 NOT_OWNER for someone else\'s event', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(ITEM) }));
    const response = await call(await loadHandler(), event('POST', `/v1/breakglass/${EVENT_ID}/close`, { id: EVENT_ID, user: 'bob', body: { reason: 'mine now' } }));
    expect(response).toEqual(error(403, 'NOT_OWNER', `break-glass event ${EVENT_ID} belongs to another user: only its invoker or an admin may close it`));
  });

  it('the event stays closed when the guard cannot be released: 200, and a WARN line', async () => {
    ddb.on(UpdateCommand, { TableName: 'sentinel-breakglass' }).resolves({ Attributes: closed });
    ddb.on(UpdateCommand, { TableName: 'sentinel-config' }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    const response = await call(await loadHandler(), event('POST', `/v1/breakglass/${EVENT_ID}/close`, { id: EVENT_ID, body: { reason: 'fixed: the disk was full' } }));
    expect(response.statusCode).toBe(200);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'WARN', eventId: EVENT_ID, guardUntil: '2026-11-18T10:30:00.000Z' }));
  });

  it('400 for a path that is not an event id', async () => {
    const response = await call(await loadHandler(), event('POST', '/v1/breakglass/nope/close', { id: 'nope', body: { reason: 'x' } }));
    expect(response).toEqual(error(400, 'INVALID_REQUEST', 'the path must name a break-glass event id (32 hex digits)'));
  });
});
