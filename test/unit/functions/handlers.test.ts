/**
 * The deployed handlers (functions/*.ts) end to end inside the process: their real
 * module-scope wiring, the HTTP stack and the routes, with DynamoDB and STS replaced
 * by aws-sdk-client-mock. Each test compares the whole response.
 */

import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, ResourceNotFoundException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, IAMServiceException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { policyDocumentItem } from '../../support/policyDocument.js';

const POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
const ACCOUNT = '000000000000';
const SESSION_ID = '0123456789abcdef0123456789abcdef';

const ddb = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);

/**
 * The callers sign as people: sessions of this IAM Identity Center role, which the
 * function confirms with iam:GetRole (mocked below), so `user: 'alice'` is the policy's alice.
 */
const SSO_ROLE = 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468';
const SSO_ROLE_ID = 'AROAENGINEERROLE0001';
const personArn = (user: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/${user}`;

type Handler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const ENV = {
  AWS_REGION: 'eu-west-1',
  SENTINEL_ACCOUNT_ID: ACCOUNT,
  SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions',
  SENTINEL_CONFIG_TABLE: 'sentinel-config',
  SENTINEL_RATE_LIMIT_REQUESTS: '5',
};

async function loadHandler(name: string, env: Record<string, string> = {}): Promise<Handler> {
  vi.resetModules();
  for (const [key, value] of Object.entries({ ...ENV, ...env })) vi.stubEnv(key, value);
  const module = (await import(`../../../functions/${name}.ts`)) as { handler: Handler };
  return module.handler;
}

function event(
  method: string,
  path: string,
  options: { body?: string; user?: string; arn?: string | null; userId?: string; accountId?: string; pathParameters?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const arn = options.arn === undefined ? personArn(options.user ?? 'alice') : options.arn;
  const userId = options.userId ?? (options.arn === undefined ? `${SSO_ROLE_ID}:${options.user ?? 'alice'}` : 'AIDAEXAMPLE');
  // API Gateway's route key is the route's template (`/v1/sessions/{id}/end`), not the request path.
  let template = path;
  for (const [name, value] of Object.entries(options.pathParameters ?? {})) template = template.replace(`/${value}`, `/{${name}}`);
  return {
    version: '2.0',
    routeKey: `${method} ${template}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
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
      authorizer: (arn === null
        ? undefined
        : { iam: { accessKey: 'AKIAEXAMPLE', accountId: options.accountId ?? ACCOUNT, callerId: userId, cognitoIdentity: null, principalOrgId: null, userArn: arn, userId } }) as never,
    },
  };
}

const context = { awsRequestId: 'lambda-req', functionName: 'sentinel-test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function call(handler: Handler, request: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const response = await handler(request, context);
  return { ...response, body: JSON.parse(String(response.body)) as unknown };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function error(statusCode: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: { error: { code, message, requestId: 'req-123', ...extra } } };
}

const credentialsBody = (body: Record<string, unknown>) => JSON.stringify(body);

/** DynamoDB's answer to a cancelled transaction, one reason per item. */
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`, CancellationReasons: codes.map((Code) => ({ Code })), $metadata: { httpStatusCode: 400 } });

let logged = '';
beforeAll(() => {
  // Info lines go to stdout, warnings and errors to stderr: both are "the logs".
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged += String(chunk);
      return true;
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  logged = '';
  ddb.reset();
  sts.reset();
  // Anything not set up below is absent (e.g. an unregistered table in the registry).
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1' } }).resolves({ Item: { pk: 'policy', sk: 'v1', version: 1, text: POLICY, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
  ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1#document' } }).resolves({ Item: policyDocumentItem(POLICY) });
  // The rate limiter's one UpdateItem answers with this window's count and the previous one's.
  // (Other config-table updates, the revocation ledger's, get the same harmless answer.)
  ddb.on(UpdateCommand, { TableName: 'sentinel-config' }).callsFake((input: { ExpressionAttributeNames?: Record<string, string> }) => ({
    Attributes: { [input.ExpressionAttributeNames?.['#current'] ?? '']: 1, previous: 0 },
  }));
  ddb.on(PutCommand).resolves({});
  // Index reads (listings, the grants a refused issuance looks for) find nothing unless a test says otherwise.
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).resolves({});
  // The session write with the request's count (one TransactWriteItems) is cancelled unless a
  // test says otherwise: the issuance then counts and writes apart, the calls the tests below
  // look at one by one. 'the count and the session write together' covers the transaction.
  ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
  iam.reset();
  // IAM answers for the Identity Center role only; the function may read nothing else (AccessDenied).
  iam.on(GetRoleCommand).rejects(new IAMServiceException({ name: 'AccessDenied', message: 'not authorized to perform iam:GetRole', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
  iam.on(GetRoleCommand, { RoleName: SSO_ROLE }).resolves({
    Role: { Path: '/aws-reserved/sso.amazonaws.com/eu-west-1/', RoleName: SSO_ROLE, RoleId: SSO_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${SSO_ROLE}`, CreateDate: new Date('2026-01-01T00:00:00Z'), AssumeRolePolicyDocument: '{}' },
  });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIAMOCKED', SecretAccessKey: 'mocked-secret-access-key', SessionToken: 'mocked-session-token', Expiration: new Date('2099-01-01T01:00:00Z') },
  });
});

describe('POST /v1/credentials (functions/credentials.ts)', () => {
  it('issues credentials and writes the session before calling STS', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    expect(response).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: {
        credentials: { accessKeyId: 'ASIAMOCKED', secretAccessKey: 'mocked-secret-access-key', sessionToken: 'mocked-session-token', expiration: '2099-01-01T01:00:00.000Z' },
        session: { id: expect.stringMatching(/^[0-9a-f]{32}$/), table: 'sentinel-sessions', expiresAt: '2099-01-01T01:00:00.000Z' },
        sourceIdentity: expect.stringMatching(/^sentinel\.alice\.direct\.[0-9a-f]{8}$/),
        profile: 'dev',
        region: 'eu-west-1',
        decision: { effect: 'allow', rule: 'dev-engineers' },
      },
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe('sentinel-sessions');
    // Written pending before STS; made active (into the active index) only once STS answered.
    expect(put?.Item).toMatchObject({ user: 'alice', profile: 'dev', status: 'pending', mode: 'cli', request_count: 1 });
    expect(put?.Item).not.toHaveProperty('active_user');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({ RoleArn: 'arn:aws:iam::111122223333:role/sentinel-dev', DurationSeconds: 3600 });
    const issued = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-sessions' }).map((call) => call.args[0].input.ExpressionAttributeValues);
    expect(issued).toContainEqual(expect.objectContaining({ ':active': 'active', ':pending': 'pending', ':user': 'alice' }));
  });

  it('logs one decision line with the request id, and no credential anywhere in the logs', async () => {
    const handler = await loadHandler('credentials');
    await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    const lines = logged.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const decisions = lines.filter((line) => line.message === 'decision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ requestId: 'req-123', user: 'alice', profile: 'dev', outcome: 'issued', effect: 'allow', rule: 'dev-engineers', policyVersion: 1 });
    for (const line of lines) expect(line.requestId).toBe('req-123');
    expect(logged).not.toContain('mocked-secret-access-key');
    expect(logged).not.toContain('mocked-session-token');
  });

  it.each([
    ['not JSON', '{"profile":', 'the request body is not valid JSON'],
    ['an unknown field', credentialsBody({ profile: 'dev', mode: 'cli', role: 'x' }), 'unknown field "role"'],
    ['a bad mode', credentialsBody({ profile: 'dev', mode: 'shell' }), 'mode: Invalid option: expected one of "server"|"cli"|"credential_process"'],
    ['a short duration', credentialsBody({ profile: 'dev', mode: 'cli', durationSeconds: 60 }), 'durationSeconds: Too small: expected number to be >=900'],
    ['no profile', credentialsBody({ mode: 'cli' }), 'profile: required'],
  ])('refuses %s with INVALID_REQUEST', async (_name, body, message) => {
    const handler = await loadHandler('credentials');
    expect(await call(handler, event('POST', '/v1/credentials', { body }))).toEqual(error(400, 'INVALID_REQUEST', message));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('refuses an unsigned request (no IAM authorizer context) with IAM_AUTH_REQUIRED', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }), arn: null }));
    expect(response).toEqual(error(403, 'IAM_AUTH_REQUIRED', expect.any(String) as unknown as string));
  });

  it('refuses root credentials with INVALID_IDENTITY', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }), arn: `arn:aws:iam::${ACCOUNT}:root` }));
    expect(response.statusCode).toBe(403);
    expect(response.body).toEqual({ error: { code: 'INVALID_IDENTITY', message: expect.stringContaining('root') as unknown, requestId: 'req-123' } });
  });

  const denial = (fields: Record<string, unknown>) => ({ denial: { effect: 'deny', alternatives: [], ...fields } });

  it('SERVER_SESSION_REQUIRED: a require_server_session profile through plain exec', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'prod', mode: 'cli' }) }));
    expect(response).toEqual(
      error(403, 'SERVER_SESSION_REQUIRED', 'access to profile "prod" is denied: Production needs tracked server sessions', denial({
        rule: 'prod-tracked', reason: 'Production needs tracked server sessions', requiresServerMode: true, requiresSessionTracking: true,
        sessionTable: 'sentinel-sessions', mode: 'cli', profile: 'prod',
      })),
    );
  });

  it('SESSION_TRACKING_REQUIRED: server mode with no session table anywhere', async () => {
    const handler = await loadHandler('credentials', { SENTINEL_DEFAULT_SESSION_TABLE: 'none' });
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'prod', mode: 'server' }) }));
    expect(response).toEqual(
      error(403, 'SESSION_TRACKING_REQUIRED', 'access to profile "prod" is denied: Production needs tracked server sessions', denial({
        rule: 'prod-tracked', reason: 'Production needs tracked server sessions', requiresServerMode: false, requiresSessionTracking: true,
        sessionTable: null, mode: 'server', profile: 'prod',
      })),
    );
  });

  it('SERVER_MODE_REQUIRED: a require_server profile through plain exec', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'staging', mode: 'credential_process' }) }));
    expect(response).toEqual(
      error(403, 'SERVER_MODE_REQUIRED', 'access to profile "staging" is denied: Staging credentials are only served through sentinel exec --server', denial({
        rule: 'staging-server-only', reason: 'Staging credentials are only served through sentinel exec --server', requiresServerMode: true, requiresSessionTracking: false,
        sessionTable: 'sentinel-sessions', mode: 'credential_process', profile: 'staging',
      })),
    );
  });

  it('APPROVAL_REQUIRED: require_approval never issues', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'prod-admin', mode: 'server' }) }));
    expect(response).toEqual(
      error(403, 'APPROVAL_REQUIRED', 'profile "prod-admin" requires an approved access request: Administrative access to production needs a second person', {
        denial: {
          effect: 'require_approval', rule: 'prod-admin-approval', reason: 'Administrative access to production needs a second person', requiresServerMode: false,
          requiresSessionTracking: false, sessionTable: 'sentinel-sessions', mode: 'server', profile: 'prod-admin', alternatives: ['request', 'breakglass'], breakglassReasonCodes: ['incident', 'security'],
        },
      }),
    );
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('UNKNOWN_PROFILE for a profile the caller may not see (nobody matched in any mode), exactly as for one that does not exist', async () => {
    const handler = await loadHandler('credentials');
    const hidden = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }), user: 'carol' }));
    const missing = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'nope', mode: 'cli' }), user: 'carol' }));
    expect(hidden).toEqual(error(404, 'UNKNOWN_PROFILE', 'no profile "dev" in the policy'));
    expect(missing).toEqual(error(404, 'UNKNOWN_PROFILE', 'no profile "nope" in the policy'));
  });

  it('UNKNOWN_PROFILE with a suggestion', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'stagin', mode: 'server' }) }));
    expect(response).toEqual(error(404, 'UNKNOWN_PROFILE', 'no profile "stagin" in the policy (did you mean "staging"?)'));
  });

  it('RATE_LIMITED with Retry-After', async () => {
    ddb.on(UpdateCommand, { TableName: 'sentinel-config' }).callsFake((input: { ExpressionAttributeNames: Record<string, string> }) => ({
      Attributes: { [input.ExpressionAttributeNames['#current'] ?? '']: 6, previous: 0 },
    }));
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    expect(response.statusCode).toBe(429);
    expect(response.headers).toEqual({ ...JSON_HEADERS, 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(response.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('at most 5') as unknown, requestId: 'req-123' } });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('UNAVAILABLE when the session write fails: nothing issued', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    // Throttling: worth a retry after a short pause (src/aws/dynamoErrors.ts).
    expect(response).toEqual(error(503, 'UNAVAILABLE', 'the session store is unavailable', {}, { 'retry-after': '2' }));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('UNAVAILABLE when STS refuses: the session is marked failed, AWS text stays in the log', async () => {
    sts.on(AssumeRoleCommand).rejects(new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'User: arn:aws:sts::000000000000:assumed-role/x is not authorized' }));
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    expect(response.statusCode).toBe(503);
    expect(JSON.stringify(response.body)).not.toContain('is not authorized');
    const failed = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-sessions' }).map((entry) => entry.args[0].input.ExpressionAttributeValues);
    expect(failed.some((values) => Object.values(values ?? {}).includes('failed'))).toBe(true);
  });

  it('INVALID_REQUEST when the named session table is not a provisioned sessions table', async () => {
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli', sessionTable: 'sentinel-nope' }) }));
    expect(response).toEqual(error(400, 'INVALID_REQUEST', 'session table "sentinel-nope" is not a provisioned sessions table: an admin creates it with sentinel init sessions --table sentinel-nope'));
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('UNAVAILABLE when a registered session table has since disappeared: a deployment fault, nothing issued', async () => {
    ddb.on(GetCommand, { Key: { pk: 'table', sk: 'sentinel-gone' } }).resolves({ Item: { pk: 'table', sk: 'sentinel-gone', kind: 'sessions', arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/sentinel-gone', registered_at: '2026-11-18T09:00:00.000Z', registered_by: 'admin' } });
    ddb.on(PutCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli', sessionTable: 'sentinel-gone' }) }));
    expect(response).toEqual(error(503, 'UNAVAILABLE', 'the session store is unavailable', {}, { 'retry-after': '30' }));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  describe('refresh of a server session', () => {
    const refresh = () => event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'prod', mode: 'server', sessionId: SESSION_ID }) });
    const stored = (fields: Record<string, unknown>) => ({
      Item: {
        id: SESSION_ID, user: 'alice', caller_arn: `arn:aws:iam::${ACCOUNT}:user/alice`, account_id: ACCOUNT, profile: 'prod', role_arn: 'arn:aws:iam::111122223333:role/sentinel-prod-operator',
        mode: 'server', status: 'active', source_identity: 'sentinel.alice.direct.00000001', created_at: '2026-11-18T09:00:00.000Z', last_access_at: '2026-11-18T09:00:00.000Z',
        expires_at: '2099-01-01T00:00:00.000Z', request_count: 1, ttl: 1, ...fields,
      },
    });
    const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

    it.each([
      ['SESSION_REVOKED', { status: 'revoked', revoked_by: 'admin', revoked_reason: 'laptop lost' }],
      ['SESSION_ENDED', { status: 'ended', ended_at: '2026-11-18T09:30:00.000Z' }],
      ['SESSION_EXPIRED', { status: 'active', expires_at: '2026-11-18T09:15:00.000Z' }],
      ['NOT_OWNER', { user: 'bob' }],
    ])('%s', async (code, fields) => {
      ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).rejects(conditionFailed());
      ddb.on(GetCommand, { TableName: 'sentinel-sessions' }).resolves(stored(fields));
      const handler = await loadHandler('credentials');
      const response = await call(handler, refresh());
      expect(response).toEqual(error(403, code, expect.stringContaining(SESSION_ID) as unknown as string));
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    });
  });

  describe('the count and the session write together', () => {
    it('a new session: one TransactWriteItems of the counter and the pending session before STS, then the mark; nothing apart', async () => {
      ddb.on(TransactWriteCommand).resolves({});
      const handler = await loadHandler('credentials');
      const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
      expect(response.statusCode).toBe(200);
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items).toHaveLength(2);
      expect(items[0]?.Update).toMatchObject({ TableName: 'sentinel-config', Key: { pk: 'ratelimit#person/alice' }, ExpressionAttributeValues: { ':threshold': 5, ':previous': 0 } });
      expect(items[1]?.Put).toMatchObject({ TableName: 'sentinel-sessions', Item: { user: 'alice', profile: 'dev', status: 'pending', request_count: 1 }, ConditionExpression: 'attribute_not_exists(id)' });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-config' })).toHaveLength(0);
      // DynamoDB calls in order: the policy (pointer, document), the transaction, the mark; STS between the last two.
      expect(ddb.calls().map((entry) => (entry.args[0] as { constructor: { name: string } }).constructor.name)).toEqual(['GetCommand', 'GetCommand', 'TransactWriteCommand', 'UpdateCommand']);
    });

    it('a refresh: the conditional refresh update in the transaction, bounded on the session start, for the whole duration', async () => {
      ddb.on(TransactWriteCommand).resolves({});
      const handler = await loadHandler('credentials');
      const before = Date.now();
      const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'prod', mode: 'server', sessionId: SESSION_ID }) }));
      expect(response.statusCode).toBe(200);
      const update = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Update;
      expect(update).toMatchObject({
        TableName: 'sentinel-sessions',
        Key: { id: SESSION_ID },
        UpdateExpression: 'SET last_access_at = :now ADD request_count :one',
        ConditionExpression: '#status = :active AND #user = :user AND profile = :profile AND expires_at > :now AND created_at >= :createdFrom',
        ExpressionAttributeValues: { ':user': 'alice', ':profile': 'prod' },
      });
      // prod-tracked's 15 minutes must fit in the 12 h lifetime: the session started no earlier than 11 h 45 min ago.
      const createdFrom = Date.parse(String(update?.ExpressionAttributeValues?.[':createdFrom']));
      expect(createdFrom).toBeGreaterThanOrEqual(before - (12 * 3600 - 900) * 1000);
      expect(createdFrom).toBeLessThanOrEqual(Date.now() - (12 * 3600 - 900) * 1000);
      expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.DurationSeconds).toBe(900);
      expect(ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-sessions' })).toHaveLength(1);
    });

    it('a session table that has disappeared fails the transaction closed: 503, nothing issued, not retried apart', async () => {
      ddb.on(TransactWriteCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }));
      const handler = await loadHandler('credentials');
      const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
      expect(response).toEqual(error(503, 'UNAVAILABLE', 'the session store is unavailable', {}, { 'retry-after': '30' }));
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    });
  });
});

describe('the other routes', () => {
  it('GET /v1/whoami', async () => {
    const handler = await loadHandler('whoami');
    expect(await call(handler, event('GET', '/v1/whoami', { user: 'admin' }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: 'admin', arn: personArn('admin'), accountId: ACCOUNT, admin: true },
    });
  });

  it('GET /v1/profiles lists what the caller could get, per mode', async () => {
    const handler = await loadHandler('profiles');
    const response = await call(handler, event('GET', '/v1/profiles', { user: 'bob' }));
    const body = response.body as { profiles: Array<{ name: string; modes: Record<string, { effect: string }> }> };
    expect(body.profiles.map((profile) => profile.name)).toEqual(['billing', 'dev', 'prod', 'prod-admin', 'staging']);
    expect(body.profiles.find((profile) => profile.name === 'staging')?.modes).toEqual({
      server: { effect: 'allow', rule: 'staging-server-only', requiresServerMode: false, requiresSessionTracking: false },
      cli: { effect: 'deny', rule: 'staging-server-only', requiresServerMode: true, requiresSessionTracking: false },
      credential_process: { effect: 'deny', rule: 'staging-server-only', requiresServerMode: true, requiresSessionTracking: false },
    });
    const stranger = await call(handler, event('GET', '/v1/profiles', { user: 'carol' }));
    expect(stranger.body).toEqual({ profiles: [], policyVersion: 1 });
  });

  it('GET /v1/policy is for admins: NOT_ADMIN for others', async () => {
    const handler = await loadHandler('getPolicy');
    expect(await call(handler, event('GET', '/v1/policy', { user: 'alice' }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may read the policy; "alice" is not in the policy\'s admins'),
    );
    const response = await call(handler, event('GET', '/v1/policy', { user: 'admin' }));
    expect(response).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { text: POLICY, version: 1, updatedAt: '2026-11-18T09:00:00.000Z', updatedBy: 'admin' } });
  });

  it('GET /v1/policy answers NOT_FOUND when nothing is stored', async () => {
    ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({});
    const handler = await loadHandler('getPolicy', { SENTINEL_BOOTSTRAP_ADMINS: 'root-admin' });
    expect(await call(handler, event('GET', '/v1/policy', { user: 'root-admin' }))).toEqual(
      error(404, 'NOT_FOUND', 'no policy has been stored yet: push one with PUT /v1/policy (sentinel policy push)'),
    );
  });

  it('PUT /v1/policy refuses an invalid document with its line and column', async () => {
    const handler = await loadHandler('putPolicy');
    const response = await call(handler, event('PUT', '/v1/policy', { user: 'admin', body: JSON.stringify({ text: 'version: "1"\nrules:\n  - name: x\n    effect: alow\n', expectedVersion: 1 }) }));
    expect(response.statusCode).toBe(400);
    expect((response.body as { error: { message: string } }).error.message).toMatch(/^the policy is invalid:\npolicy:4:13: /);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('PUT /v1/policy answers CONFLICT for a stale expectedVersion', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }));
    const handler = await loadHandler('putPolicy');
    const response = await call(handler, event('PUT', '/v1/policy', { user: 'admin', body: JSON.stringify({ text: POLICY, expectedVersion: 0 }) }));
    expect(response.statusCode).toBe(409);
    expect(response.body).toEqual({ error: { code: 'CONFLICT', message: expect.stringContaining('version 1') as unknown, requestId: 'req-123' } });
  });

  it('POST /v1/policy/evaluate: for oneself, and NOT_ADMIN for someone else', async () => {
    const handler = await loadHandler('evaluatePolicy');
    const own = await call(handler, event('POST', '/v1/policy/evaluate', { body: JSON.stringify({ profile: 'prod', mode: 'server', time: '2026-11-18T10:00:00Z' }) }));
    expect(own).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: {
        user: 'alice', profile: 'prod', mode: 'server', time: '2026-11-18T10:00:00.000Z', effect: 'allow', rule: 'prod-tracked', ruleIndex: 2,
        reason: 'Production needs tracked server sessions', requiresServerMode: false, requiresSessionTracking: false, sessionTable: 'sentinel-sessions',
        maxServerDurationSeconds: 900, denial: null, policyVersion: 1,
      },
    });
    const other = await call(handler, event('POST', '/v1/policy/evaluate', { body: JSON.stringify({ profile: 'prod', mode: 'server', user: 'bob' }) }));
    expect(other).toEqual(error(403, 'NOT_ADMIN', 'only admins may evaluate requests of other users; "alice" is not in the policy\'s admins'));
    // Simulating a profile one may not see reveals no more than asking for credentials does.
    const hidden = await call(handler, event('POST', '/v1/policy/evaluate', { body: JSON.stringify({ profile: 'dev', mode: 'cli' }), user: 'carol' }));
    expect(hidden).toEqual(error(404, 'UNKNOWN_PROFILE', 'no profile "dev" in the policy'));
  });

  it('POST /v1/sessions/{id}/end: NOT_FOUND for a session that does not exist, INVALID_REQUEST for a bad id', async () => {
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddb.on(GetCommand, { TableName: 'sentinel-sessions' }).resolves({});
    const handler = await loadHandler('endSession');
    const missing = await call(handler, event('POST', `/v1/sessions/${SESSION_ID}/end`, { pathParameters: { id: SESSION_ID } }));
    expect(missing).toEqual(error(404, 'NOT_FOUND', `session ${SESSION_ID} does not exist`));
    const bad = await call(handler, event('POST', '/v1/sessions/xyz/end', { pathParameters: { id: 'xyz' } }));
    expect(bad).toEqual(error(400, 'INVALID_REQUEST', 'the path must name a session id (32 hex digits)'));
  });

  it('POST /v1/sessions/{id}/check: the state and decision of an active session, no credentials; NOT_OWNER for another user', async () => {
    const active = {
      id: SESSION_ID, user: 'alice', caller_arn: `arn:aws:iam::${ACCOUNT}:user/alice`, account_id: ACCOUNT, profile: 'prod', role_arn: 'arn:aws:iam::111122223333:role/sentinel-prod',
      mode: 'server', status: 'active', active_user: 'alice', source_identity: 'sentinel.alice.direct.0a1b2c3d', created_at: '2026-11-18T09:55:00.000Z',
      last_access_at: '2026-11-18T10:00:00.000Z', expires_at: '2026-11-18T10:10:00.000Z', request_count: 4, ttl: 1_800_000_000,
    };
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).resolves({ Attributes: active });
    const handler = await loadHandler('checkSession');
    const checked = await call(handler, event('POST', `/v1/sessions/${SESSION_ID}/check`, { body: JSON.stringify({ profile: 'prod' }), pathParameters: { id: SESSION_ID } }));
    expect(checked).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: {
        session: { id: SESSION_ID, status: 'active', expiresAt: '2026-11-18T10:10:00.000Z', lastAccessAt: '2026-11-18T10:00:00.000Z', requestCount: 4 },
        decision: { effect: 'allow', rule: 'prod-tracked' },
        policyVersion: 1,
      },
    });
    const update = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-sessions' })[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('#status = :active AND #user = :user AND profile = :profile AND expires_at > :now');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);

    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(active) }));
    const stranger = await call(handler, event('POST', `/v1/sessions/${SESSION_ID}/check`, { body: JSON.stringify({ profile: 'prod' }), pathParameters: { id: SESSION_ID }, user: 'bob' }));
    expect(stranger).toEqual(error(403, 'NOT_OWNER', `session ${SESSION_ID} belongs to another user`));
  });

  it('a GET route refuses a body', async () => {
    const handler = await loadHandler('whoami');
    expect(await call(handler, event('GET', '/v1/whoami', { body: '{}' }))).toEqual(error(400, 'INVALID_REQUEST', 'this route takes no request body'));
  });
});

describe('sessions: list, show, revoke (functions/sessions.ts, functions/revokeSessions.ts)', () => {
  const item = (overrides: Record<string, unknown> = {}) => ({
    id: SESSION_ID, user: 'alice', caller_arn: personArn('alice'), account_id: ACCOUNT, profile: 'prod', role_arn: 'arn:aws:iam::111122223333:role/sentinel-prod',
    mode: 'server', status: 'active', active_user: 'alice', source_identity: 'sentinel.alice.direct.0a1b2c3d', created_at: '2026-11-18T09:55:00.000Z',
    last_access_at: '2026-11-18T10:00:00.000Z', expires_at: '2099-11-18T10:10:00.000Z', request_count: 4, ttl: 1_800_000_000, ...overrides,
  });
  const view = (overrides: Record<string, unknown> = {}) => ({
    id: SESSION_ID, table: 'sentinel-sessions', user: 'alice', callerArn: personArn('alice'), accountId: ACCOUNT, profile: 'prod', roleArn: 'arn:aws:iam::111122223333:role/sentinel-prod',
    mode: 'server', status: 'active', sourceIdentity: 'sentinel.alice.direct.0a1b2c3d', createdAt: '2026-11-18T09:55:00.000Z',
    lastAccessAt: '2026-11-18T10:00:00.000Z', expiresAt: '2099-11-18T10:10:00.000Z', requestCount: 4, ttl: 1_800_000_000, ...overrides,
  });
  const withQuery = (request: APIGatewayProxyEventV2WithIAMAuthorizer, query: Record<string, string>) => ({ ...request, queryStringParameters: query });

  it('GET /v1/sessions: the caller\'s own sessions from the by-user index (a Query, never a Scan), the effective status', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(), item({ id: 'f'.repeat(32), expires_at: '2026-11-18T10:00:00.000Z' })] });
    const handler = await loadHandler('sessions');
    const listed = await call(handler, event('GET', '/v1/sessions'));
    expect(listed).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { sessions: [view(), view({ id: 'f'.repeat(32), expiresAt: '2026-11-18T10:00:00.000Z', status: 'expired' })] } });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ TableName: 'sentinel-sessions', IndexName: 'by-user', KeyConditionExpression: '#pk = :key', ExpressionAttributeValues: { ':key': 'alice' }, ScanIndexForward: false, Limit: 50 });
  });

  it('GET /v1/sessions: NOT_ADMIN for another user\'s, INVALID_REQUEST for an admin naming nobody, a bad limit, or an altered cursor', async () => {
    const handler = await loadHandler('sessions');
    expect(await call(handler, withQuery(event('GET', '/v1/sessions'), { user: 'bob' }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may list the sessions of other users; "alice" is not in the policy\'s admins'),
    );
    expect(await call(handler, event('GET', '/v1/sessions', { user: 'admin' }))).toEqual(
      error(400, 'INVALID_REQUEST', 'name a user or a profile: listing every session would need a Scan of the table'),
    );
    expect(await call(handler, withQuery(event('GET', '/v1/sessions'), { limit: '101' }))).toEqual(error(400, 'INVALID_REQUEST', 'query parameter limit: must be a whole number from 1 to 100'));
    expect(await call(handler, withQuery(event('GET', '/v1/sessions'), { cursor: 'abc.def' }))).toEqual(error(400, 'INVALID_REQUEST', 'the cursor has expired or was altered: list again'));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('GET /v1/sessions: a cursor continues the same listing and is refused for another caller', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item()], LastEvaluatedKey: { id: SESSION_ID, user: 'alice', created_at: '2026-11-18T09:55:00.000Z' } });
    const handler = await loadHandler('sessions');
    const first = (await call(handler, withQuery(event('GET', '/v1/sessions'), { limit: '1' }))).body as { cursor: string };
    expect(typeof first.cursor).toBe('string');
    const second = await call(handler, withQuery(event('GET', '/v1/sessions'), { limit: '1', cursor: first.cursor }));
    expect(second.statusCode).toBe(200);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ id: SESSION_ID, user: 'alice', created_at: '2026-11-18T09:55:00.000Z' });
    expect(await call(handler, withQuery(event('GET', '/v1/sessions', { user: 'bob' }), { limit: '1', cursor: first.cursor }))).toEqual(
      error(400, 'INVALID_REQUEST', 'the cursor belongs to another listing (other parameters or another caller): send the same parameters, or list again without it'),
    );
  });

  it('GET /v1/sessions/{id}: the owner\'s and an admin\'s view; NOT_FOUND to anyone else', async () => {
    ddb.on(GetCommand, { TableName: 'sentinel-sessions' }).resolves({ Item: item() });
    const handler = await loadHandler('sessions');
    const own = await call(handler, event('GET', `/v1/sessions/${SESSION_ID}`, { pathParameters: { id: SESSION_ID } }));
    expect(own).toEqual({ statusCode: 200, headers: JSON_HEADERS, body: { session: view() } });
    const admin = await call(handler, event('GET', `/v1/sessions/${SESSION_ID}`, { pathParameters: { id: SESSION_ID }, user: 'admin' }));
    expect(admin).toEqual(own);
    const stranger = await call(handler, event('GET', `/v1/sessions/${SESSION_ID}`, { pathParameters: { id: SESSION_ID }, user: 'bob' }));
    expect(stranger).toEqual(error(404, 'NOT_FOUND', `session ${SESSION_ID} does not exist`));
  });

  it('POST /v1/sessions/{id}/revoke: admins only; a second revocation answers the first; an ended session is a CONFLICT', async () => {
    const handler = await loadHandler('revokeSessions');
    const body = JSON.stringify({ reason: 'laptop stolen' });
    const path = `/v1/sessions/${SESSION_ID}/revoke`;
    /** Every AWS call of one request, in order: the figure docs/revocation.md gives. */
    const callsOf = async (request: Parameters<typeof call>[1]) => {
      ddb.resetHistory();
      const iamBefore = iam.calls().length;
      const answer = await call(handler, request);
      const dynamodb = ddb.calls().map((sent) => `${sent.args[0].constructor.name} ${(sent.args[0].input as { TableName?: string }).TableName}`);
      const iamCalls = iam.calls().slice(iamBefore).map((sent) => sent.args[0].constructor.name).filter((name) => name !== 'GetRoleCommand');
      return { answer, dynamodb, iam: iamCalls };
    };
    expect(await call(handler, event('POST', path, { body, pathParameters: { id: SESSION_ID } }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may revoke sessions; "alice" is not in the policy\'s admins'),
    );
    const revokedItem = item({ status: 'revoked', active_user: undefined, revoked_by: 'admin', revoked_reason: 'laptop stolen', revoked_at: '2026-11-18T10:05:00.000Z' });
    delete (revokedItem as Record<string, unknown>).active_user;
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).resolves({ Attributes: revokedItem });
    const revokedView = view({ status: 'revoked', revokedBy: 'admin', revokedReason: 'laptop stolen', revokedAt: '2026-11-18T10:05:00.000Z' });
    // The profile's role is in another account (111122223333): the IAM client is one on its sentinel-revoker role
    // (test/unit/aws/IamRoleRevoker.test.ts checks which role; here every IAM client is the mock).
    const deny = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'SentinelRevokedSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/SentinelSessionID': [SESSION_ID] } } }],
    });
    iam.on(GetRolePolicyCommand, { RoleName: 'sentinel-prod' }).rejectsOnce(new IAMServiceException({ name: 'NoSuchEntity', message: 'no policy', $fault: 'client', $metadata: { httpStatusCode: 404 } })).resolves({ PolicyDocument: encodeURIComponent(deny) });
    iam.on(PutRolePolicyCommand).resolves({});
    const first = await callsOf(event('POST', path, { body, pathParameters: { id: SESSION_ID }, user: 'admin' }));
    expect(first.answer).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { session: revokedView, alreadyRevoked: false, aws: { status: 'denied' } },
    });
    // The ledger intent, the revoke, the ledger outcome (the admin check's policy is cached from the refusal above);
    // IAM: read, write, read back.
    expect(first.dynamodb).toEqual([
      'UpdateCommand sentinel-config',
      'UpdateCommand sentinel-sessions',
      'UpdateCommand sentinel-config',
    ]);
    expect(first.iam).toEqual(['GetRolePolicyCommand', 'PutRolePolicyCommand', 'GetRolePolicyCommand']);
    expect(ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-sessions' })[0]?.args[0].input.ConditionExpression).toBe('#status IN (:active, :pending) AND expires_at > :now');
    expect(iam.commandCalls(PutRolePolicyCommand).map((put) => put.args[0].input)).toEqual([{ RoleName: 'sentinel-prod', PolicyName: 'SentinelRevokedSessions', PolicyDocument: deny }]);
    // The ledger: the intent before the revoke, the outcome after, in the config table.
    const ledger = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-config', Key: { pk: 'revocation', sk: SESSION_ID } }).map((update) => update.args[0].input.ExpressionAttributeValues);
    expect(ledger).toEqual([
      expect.objectContaining({ ':pending': 'pending', ':table': 'sentinel-sessions' }),
      expect.objectContaining({ ':aws': 'denied', ':role': 'arn:aws:iam::111122223333:role/sentinel-prod', ':expires': '2099-11-18T10:10:00.000Z' }),
    ]);

    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(revokedItem) }));
    // The second revocation answers the first; the deny is there already, so IAM is only read.
    const puts = iam.commandCalls(PutRolePolicyCommand).length;
    expect(await call(handler, event('POST', path, { body: JSON.stringify({ reason: 'again' }), pathParameters: { id: SESSION_ID }, user: 'admin' }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { session: revokedView, alreadyRevoked: true, aws: { status: 'denied' } },
    });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(puts);

    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(item({ status: 'ended', ended_at: '2026-11-18T10:01:00.000Z' })) }));
    ddb.on(DeleteCommand).resolves({});
    expect(await call(handler, event('POST', path, { body, pathParameters: { id: SESSION_ID }, user: 'admin' }))).toEqual(
      error(409, 'CONFLICT', `session ${SESSION_ID} is ended: only active or pending sessions can be revoked`),
    );
    // The refused revocation's ledger intent is dropped.
    expect(ddb.commandCalls(DeleteCommand).map((del) => del.args[0].input)).toEqual([{ TableName: 'sentinel-config', Key: { pk: 'revocation', sk: SESSION_ID } }]);
    expect(await call(handler, event('POST', path, { body: JSON.stringify({ reason: 'a\u001b[2Jb' }), pathParameters: { id: SESSION_ID }, user: 'admin' }))).toEqual(
      error(400, 'INVALID_REQUEST', 'reason: must not contain control characters'),
    );
  });

  it('POST /v1/sessions/{id}/revoke: IAM failing leaves the session revoked and says the AWS side is pending', async () => {
    const handler = await loadHandler('revokeSessions');
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions' }).resolves({ Attributes: item({ status: 'revoked', revoked_by: 'admin', revoked_reason: 'incident', revoked_at: '2026-11-18T10:05:00.000Z' }) });
    iam.on(GetRolePolicyCommand).rejects(new IAMServiceException({ name: 'ServiceFailure', message: 'internal error', $fault: 'server', $metadata: { httpStatusCode: 500 } }));
    const answer = await call(handler, event('POST', `/v1/sessions/${SESSION_ID}/revoke`, { body: JSON.stringify({ reason: 'incident' }), pathParameters: { id: SESSION_ID }, user: 'admin' }));
    expect(answer.statusCode).toBe(200);
    expect((answer.body as { session: { status: string }; aws: unknown }).session.status).toBe('revoked');
    expect((answer.body as { aws: unknown }).aws).toEqual({ status: 'pending', message: 'IAM is unavailable; the sweep retries every 5 minutes' });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    // The ledger says pending, with the failure, for the sweep.
    const settled = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-config', Key: { pk: 'revocation', sk: SESSION_ID } }).at(-1)?.args[0].input.ExpressionAttributeValues;
    expect(settled).toMatchObject({ ':aws': 'pending', ':error': 'IAM is unavailable; the sweep retries every 5 minutes', ':one': 1 });
  });

  it('POST /v1/sessions/revoke: every active session of a user, counted; exactly one of user and profile', async () => {
    // IAM keeps what is written, as the real one does.
    const documents = new Map<string, string>();
    iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string }) => {
      const document = documents.get(input.RoleName);
      if (document === undefined) throw new IAMServiceException({ name: 'NoSuchEntity', message: 'no policy', $fault: 'client', $metadata: { httpStatusCode: 404 } });
      return { PolicyDocument: encodeURIComponent(document) };
    });
    iam.on(PutRolePolicyCommand).callsFake((input: { RoleName: string; PolicyDocument: string }) => documents.set(input.RoleName, input.PolicyDocument) && {});
    ddb.on(QueryCommand).resolves({ Items: [item(), item({ id: 'f'.repeat(32) })] });
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions', Key: { id: SESSION_ID } }).resolves({ Attributes: item({ status: 'revoked' }) });
    ddb.on(UpdateCommand, { TableName: 'sentinel-sessions', Key: { id: 'f'.repeat(32) } }).rejects(
      new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(item({ id: 'f'.repeat(32), status: 'ended' })) }),
    );
    const handler = await loadHandler('revokeSessions');
    expect(await call(handler, event('POST', '/v1/sessions/revoke', { body: JSON.stringify({ user: 'alice', reason: 'offboarding' }), user: 'admin' }))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { revoked: 1, skipped: 1, awsPending: 0 },
    });
    // One deny for the one session revoked; the ended one is not in it.
    expect(JSON.parse(documents.get('sentinel-prod') ?? '{}').Statement[0].Condition.StringEquals['aws:PrincipalTag/SentinelSessionID']).toEqual([SESSION_ID]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'by-user', ExpressionAttributeValues: { ':key': 'alice' }, Limit: 100 });
    expect(await call(handler, event('POST', '/v1/sessions/revoke', { body: JSON.stringify({ user: 'alice', profile: 'prod', reason: 'x' }), user: 'admin' }))).toEqual(
      error(400, 'INVALID_REQUEST', 'name exactly one of user and profile'),
    );
  });
});

describe('who the caller is (docs/identity.md), through the deployed handlers', () => {
  const SECOND = '222222222222';
  const twoAccounts = { SENTINEL_ALLOWED_ACCOUNTS: `${ACCOUNT},${SECOND}` };

  afterEach(() => {
    // loadHandler's stubs outlive a test: put these back to "unset" for whatever runs next.
    for (const key of ['SENTINEL_ALLOWED_ACCOUNTS', 'SENTINEL_IDENTITY_ROLE_LOOKUP', 'SENTINEL_IDENTITY_ROLES']) vi.stubEnv(key, '');
  });

  it('an IAM admin of a second allowed account whose user name equals a policy admin is not an admin', async () => {
    const whoami = await loadHandler('whoami', twoAccounts);
    const foreign = { arn: `arn:aws:iam::${SECOND}:user/admin`, accountId: SECOND };
    expect(await call(whoami, event('GET', '/v1/whoami', foreign))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: `${SECOND}:iam:admin`, arn: `arn:aws:iam::${SECOND}:user/admin`, accountId: SECOND, admin: false },
    });
    const getPolicy = await loadHandler('getPolicy', twoAccounts);
    expect(await call(getPolicy, event('GET', '/v1/policy', foreign))).toEqual(
      error(403, 'NOT_ADMIN', `only admins may read the policy; "${SECOND}:iam:admin" is not in the policy's admins`),
    );
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(0);
  });

  it("an IAM user of the deployment's own account named like a person is not that person", async () => {
    const getPolicy = await loadHandler('getPolicy');
    expect(await call(getPolicy, event('GET', '/v1/policy', { arn: `arn:aws:iam::${ACCOUNT}:user/admin` }))).toEqual(
      error(403, 'NOT_ADMIN', 'only admins may read the policy; "iam:admin" is not in the policy\'s admins'),
    );
  });

  it('a role made to look like an Identity Center role is an ordinary role, and IAM refusing to show it is the answer', async () => {
    const whoami = await loadHandler('whoami');
    const lookAlike = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_x/admin`, userId: 'AROALOOKALIKEROLE001:admin' };
    expect(await call(whoami, event('GET', '/v1/whoami', lookAlike))).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: 'role:AWSReservedSSO_x/admin', arn: lookAlike.arn, accountId: ACCOUNT, admin: false },
    });
    expect(iam.commandCalls(GetRoleCommand).map((entry) => entry.args[0].input)).toEqual([{ RoleName: 'AWSReservedSSO_x' }]);
    expect(logged).toContain('IAM refused GetRole for AWSReservedSSO_x: not an identity role');
    // A longer look-alike cannot even be represented as an ordinary role session: refused.
    const selfmade = await call(whoami, event('GET', '/v1/whoami', { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_selfmade/ops-erin`, userId: 'AROALOOKALIKEROLE002:ops-erin' }));
    expect(selfmade).toEqual(
      error(403, 'INVALID_IDENTITY', 'user name "role:AWSReservedSSO_selfmade/ops-erin" is 37 characters; Sentinel can represent at most 33'),
    );
  });

  it('a recreated Identity Center role (another unique id than the session names) is not confirmed', async () => {
    const whoami = await loadHandler('whoami');
    const response = await call(whoami, event('GET', '/v1/whoami', { user: 'admin', userId: 'AROAOLDENGINEERROLE1:admin' }));
    expect(response).toEqual(error(403, 'INVALID_IDENTITY', `user name "role:${SSO_ROLE}/admin" is 51 characters; Sentinel can represent at most 33`));
  });

  it('fails closed with 503 UNAVAILABLE when IAM cannot answer, and issues nothing', async () => {
    iam.on(GetRoleCommand, { RoleName: SSO_ROLE }).rejects(new IAMServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const handler = await loadHandler('credentials');
    const response = await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    expect(response).toEqual(error(503, 'UNAVAILABLE', 'IAM is unavailable', {}, { 'retry-after': '2' }));
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('asks IAM once per function instance, not once per request', async () => {
    const handler = await loadHandler('whoami');
    for (let i = 0; i < 3; i++) expect((await call(handler, event('GET', '/v1/whoami', { user: 'bob' }))).statusCode).toBe(200);
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(1);
  });

  it('with SENTINEL_IDENTITY_ROLE_LOOKUP=none only pinned roles are people, and IAM is never asked', async () => {
    const pinned = await loadHandler('whoami', { SENTINEL_IDENTITY_ROLE_LOOKUP: 'none', SENTINEL_IDENTITY_ROLES: `${ACCOUNT}:${SSO_ROLE_ID}` });
    expect((await call(pinned, event('GET', '/v1/whoami', { user: 'admin' }))).body).toMatchObject({ user: 'admin', admin: true });
    const unpinned = await loadHandler('whoami', { SENTINEL_IDENTITY_ROLE_LOOKUP: 'none', SENTINEL_IDENTITY_ROLES: '' });
    expect((await call(unpinned, event('GET', '/v1/whoami', { user: 'admin' }))).body).toMatchObject({ error: { code: 'INVALID_IDENTITY' } });
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(0);
  });

  it('counts the rate limit per principal: a role, never its session name; a person', async () => {
    const handler = await loadHandler('credentials');
    await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }), arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-42`, userId: 'AROADEPLOYROLE000001:ci-42' }));
    await call(handler, event('POST', '/v1/credentials', { body: credentialsBody({ profile: 'dev', mode: 'cli' }) }));
    const keys = ddb.commandCalls(UpdateCommand, { TableName: 'sentinel-config' }).map((entry) => (entry.args[0].input.Key as { pk: string }).pk);
    expect(keys).toEqual([`ratelimit#${ACCOUNT}:role/deploy`, 'ratelimit#person/alice']);
  });
});
