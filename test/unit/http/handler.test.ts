/**
 * One function behind an HTTP API (payload 2.0) and behind a REST API (payload 1.0):
 * `functionHandler` (src/http/handler.ts) must answer the same request the same way,
 * whichever API delivered it. Each request is built once and sent as both events; the
 * whole responses are compared with each other and with what the caller should see.
 */

import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { functionHandler } from '../../../src/http/handler.js';
import type { HttpHandler } from '../../../src/http/handler.js';
import type { RouteInput } from '../../../src/http/route.js';
import { whoamiRoute } from '../../../src/http/routes/whoami.js';
import type { HttpDeps } from '../../../src/http/stack.js';
import type { IdentityRules } from '../../../src/identity/types.js';
import { loaded } from '../vending/fakes.js';

const OWN = '111122223333';
const MEMBER = '555566667777';
const ORG = 'o-a1b2c3d4e5';
const SESSION_ID = '0123456789abcdef0123456789abcdef';
const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

const RULES: IdentityRules = { ownAccountId: OWN, allowedAccounts: [OWN], allowedOrganizations: [ORG], identityRolePatterns: [], identityRoles: [], identityRoleLookup: false };

function deps(identity: IdentityRules = RULES): HttpDeps {
  return {
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    identity,
    identityRoles: { isIdentityRole: async () => false },
    clock: { now: () => new Date('2026-11-18T10:00:00Z') },
  };
}

const context = { awsRequestId: 'lambda-1', functionName: 'sentinel-test' } as unknown as Context;

/** What the client sent and what AWS verified about who sent it (`arn: null`: an unsigned request). */
interface Request {
  method: string;
  /** The route template API Gateway matched. */
  resource: string;
  path: string;
  pathParameters?: Record<string, string>;
  /** Every value of every query parameter, in order. */
  query?: Record<string, string[]>;
  /** Every value of every header, as the client spelt the names. */
  headers?: Record<string, string[]>;
  body?: string;
  base64?: boolean;
  arn?: string | null;
  userId?: string;
  orgId?: string | null;
}

const ALICE = `arn:aws:iam::${OWN}:user/alice`;

/** The HTTP API event of `request`: names lower-cased, repeated values joined with commas (what HTTP APIs do). */
function v2(request: Request): APIGatewayProxyEventV2WithIAMAuthorizer {
  const arn = request.arn === undefined ? ALICE : request.arn;
  const join = (values: Record<string, string[]>, lower: boolean) => {
    const result = new Map<string, string[]>();
    for (const [name, list] of Object.entries(values)) {
      const key = lower ? name.toLowerCase() : name;
      result.set(key, [...(result.get(key) ?? []), ...list]);
    }
    return Object.fromEntries([...result].map(([name, list]) => [name, list.join(',')]));
  };
  const routeKey = `${request.method} ${request.resource}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString: new URLSearchParams(Object.entries(request.query ?? {}).flatMap(([name, list]) => list.map((value): [string, string] => [name, value]))).toString(),
    headers: join(request.headers ?? {}, true),
    ...(request.query === undefined ? {} : { queryStringParameters: join(request.query, false) }),
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: request.base64 === true,
    ...(request.pathParameters === undefined ? {} : { pathParameters: request.pathParameters }),
    requestContext: {
      accountId: OWN,
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'sentinel/0.1.0' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '18/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: (arn === null
        ? undefined
        : {
            iam: {
              accessKey: 'AKIAEXAMPLE',
              accountId: arn.split(':')[4],
              callerId: request.userId ?? 'AIDAEXAMPLE',
              cognitoIdentity: null,
              principalOrgId: request.orgId ?? null,
              userArn: arn,
              userId: request.userId ?? 'AIDAEXAMPLE',
            },
          }) as never,
    },
  };
}

/** The REST API event of `request`: names as sent, the last value in the single-value maps, every value in the multi-value ones. */
function v1(request: Request): APIGatewayProxyEvent {
  const arn = request.arn === undefined ? ALICE : request.arn;
  const last = (values: Record<string, string[]>) => Object.fromEntries(Object.entries(values).map(([name, list]) => [name, list.at(-1) ?? '']));
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers: last(request.headers ?? {}),
    multiValueHeaders: request.headers ?? {},
    queryStringParameters: request.query === undefined ? null : last(request.query),
    multiValueQueryStringParameters: request.query ?? null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: request.base64 === true,
    requestContext: {
      accountId: OWN,
      apiId: 'api',
      authorizer: null,
      httpMethod: request.method,
      path: `/prod${request.path}`,
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'res',
      resourcePath: request.resource,
      stage: 'prod',
      identity: {
        accessKey: arn === null ? null : 'AKIAEXAMPLE',
        accountId: arn === null ? null : (arn.split(':')[4] ?? null),
        apiKey: null,
        apiKeyId: null,
        caller: arn === null ? null : (request.userId ?? 'AIDAEXAMPLE'),
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: request.orgId ?? null,
        sourceIp: '203.0.113.7',
        user: arn === null ? null : (request.userId ?? 'AIDAEXAMPLE'),
        userAgent: 'sentinel/0.1.0',
        userArn: arn,
      },
    },
  };
}

/** The response to `request` through both APIs; fails unless both are the same. */
async function both(handler: HttpHandler, request: Request) {
  const [fromHttpApi, fromRestApi] = await Promise.all([handler(v2(request), context), handler(v1(request), context)]);
  expect(fromRestApi).toEqual(fromHttpApi);
  return { ...fromHttpApi, body: JSON.parse(String(fromHttpApi.body)) as unknown };
}

function error(statusCode: number, code: string, message: string) {
  return { statusCode, headers: JSON_HEADERS, body: { error: { code, message, requestId: 'req-1' } } };
}

const whoami = (identity?: IdentityRules) => functionHandler(deps(identity), 'whoami', { whoami: whoamiRoute({ policies: { current: async () => loaded() }, bootstrapAdmins: [] }) });

/** A route that answers with what the stack gave it, to see the input both APIs produce. */
async function echo(input: RouteInput<unknown, unknown>) {
  return { status: 200, body: { path: input.path, query: input.query, body: input.body, user: input.caller.user, requestId: input.requestId } as never };
}
const sessions = functionHandler(deps(), 'sessions', { listSessions: echo, showSession: echo });
const endSession = functionHandler(deps(), 'endSession', { endSession: echo });

describe('a function behind an HTTP API and behind a REST API', () => {
  it('GET /v1/whoami: the same caller and answer', async () => {
    expect(await both(whoami(), { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', headers: { Accept: ['application/json'] } })).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: 'iam:alice', arn: ALICE, accountId: OWN, admin: false },
    });
  });

  it('an assumed role of another account of the organisation: the same user, account in the name', async () => {
    const request = { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', arn: `arn:aws:sts::${MEMBER}:assumed-role/deploy/ci-42`, userId: 'AROAROLEID000000001:ci-42', orgId: ORG };
    expect(await both(whoami(), request)).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: `${MEMBER}:role:deploy/ci-42`, arn: request.arn, accountId: MEMBER, admin: false },
    });
  });

  it('a caller of another organisation, or of none, is refused the same way', async () => {
    const request = { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', arn: `arn:aws:iam::${MEMBER}:user/mallory` };
    expect(await both(whoami(), { ...request, orgId: 'o-zzzzzzzzzz' })).toEqual(
      error(403, 'INVALID_IDENTITY', `account ${MEMBER} is not allowed to use this Sentinel deployment; an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS, or its organisation o-zzzzzzzzzz in SENTINEL_ALLOWED_ORGANIZATIONS`),
    );
    expect(await both(whoami(), request)).toEqual(
      error(403, 'INVALID_IDENTITY', `account ${MEMBER} is not allowed to use this Sentinel deployment; an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS (AWS reported no organisation for this caller, so SENTINEL_ALLOWED_ORGANIZATIONS cannot admit it)`),
    );
  });

  it('never takes an organisation from what the client sends', async () => {
    const request: Request = {
      method: 'GET',
      resource: '/v1/whoami',
      path: '/v1/whoami',
      arn: `arn:aws:iam::${MEMBER}:user/mallory`,
      headers: { 'X-Principal-Org-Id': [ORG], 'aws-principal-org-id': [ORG] },
      query: { principalOrgId: [ORG] },
    };
    expect((await both(whoami(), request)).body).toMatchObject({ error: { code: 'INVALID_IDENTITY' } });
  });

  it('refuses an unsigned request with IAM_AUTH_REQUIRED, never a crash', async () => {
    expect(await both(whoami(), { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', arn: null })).toEqual(
      error(403, 'IAM_AUTH_REQUIRED', 'this API needs a SigV4-signed request (AWS_IAM)'),
    );
  });

  it('answers a route the function does not serve with 404 NOT_FOUND from the same stack', async () => {
    expect(await both(whoami(), { method: 'GET', resource: '/v1/sessions/{id}', path: `/v1/sessions/${SESSION_ID}`, pathParameters: { id: SESSION_ID }, body: 'not json' })).toEqual(
      error(404, 'NOT_FOUND', 'this function serves no such route'),
    );
    expect(await both(whoami(), { method: 'POST', resource: '/v1/whoami', path: '/v1/whoami' })).toEqual(error(404, 'NOT_FOUND', 'this function serves no such route'));
  });

  it('gives a route its path parameters and query', async () => {
    expect(
      await both(sessions, { method: 'GET', resource: '/v1/sessions/{id}', path: `/v1/sessions/${SESSION_ID}`, pathParameters: { id: SESSION_ID }, query: { sessionTable: ['sentinel-sessions'] } }),
    ).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { path: { id: SESSION_ID }, query: { sessionTable: 'sentinel-sessions' }, body: {}, user: 'iam:alice', requestId: 'req-1' },
    });
  });

  it('never silently picks one value of a repeated query parameter', async () => {
    // The REST event's single-value map says status=revoked; the caller asked for two statuses.
    const request = { method: 'GET', resource: '/v1/sessions', path: '/v1/sessions', query: { status: ['active', 'revoked'], limit: ['10'] } };
    const response = await both(sessions, request);
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/^query parameter status/) as unknown } });
    expect(await both(sessions, { ...request, query: { status: ['revoked'], limit: ['10'] } })).toMatchObject({ statusCode: 200, body: { query: { status: 'revoked', limit: 10 } } });
  });

  it('decodes a base64 body the same way', async () => {
    const request = {
      method: 'POST',
      resource: '/v1/sessions/{id}/end',
      path: `/v1/sessions/${SESSION_ID}/end`,
      pathParameters: { id: SESSION_ID },
      body: Buffer.from('{"sessionTable":"sentinel-sessions"}').toString('base64'),
      base64: true,
    };
    expect(await both(endSession, request)).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { path: { id: SESSION_ID }, query: {}, body: { sessionTable: 'sentinel-sessions' }, user: 'iam:alice', requestId: 'req-1' },
    });
    expect(await both(endSession, { ...request, body: Buffer.from('{"sessionTable":').toString('base64') })).toEqual(error(400, 'INVALID_REQUEST', 'the request body is not valid JSON'));
    expect(await both(endSession, { ...request, body: '{"sessionTable":"sentinel-sessions"}', base64: false })).toMatchObject({ statusCode: 200 });
  });

  it('refuses a query parameter named __proto__ like any unknown one, and ignores such a header', async () => {
    const request = { method: 'GET', resource: '/v1/sessions', path: '/v1/sessions' };
    // Built as API Gateway's JSON is parsed: `__proto__` an own property, not the prototype.
    const query = JSON.parse('{"__proto__":["x"]}') as Record<string, string[]>;
    expect(await both(sessions, { ...request, query })).toEqual(error(400, 'INVALID_REQUEST', 'unknown query parameter "__proto__"'));
    const headers = JSON.parse('{"__proto__":["x"],"constructor":["y"]}') as Record<string, string[]>;
    expect(await both(sessions, { ...request, headers })).toMatchObject({ statusCode: 200, body: { query: {} } });
    expect(await both(sessions, { ...request, pathParameters: JSON.parse('{"__proto__":"x"}') as Record<string, string> })).toMatchObject({ statusCode: 200 });
  });

  it('answers huge values with a refusal, never a crash', async () => {
    const huge = 'x'.repeat(1_000_000);
    const request = { method: 'GET', resource: '/v1/sessions', path: '/v1/sessions', headers: { [huge]: [huge], 'X-Big': [huge, huge] } };
    expect(await both(sessions, { ...request, query: { user: [huge] } })).toMatchObject({ statusCode: 400, body: { error: { code: 'INVALID_REQUEST' } } });
    expect(await both(sessions, { ...request, query: { [huge]: ['1'] } })).toMatchObject({ statusCode: 400, body: { error: { code: 'INVALID_REQUEST' } } });
    expect(await both(whoami(), { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', arn: `arn:aws:iam::${OWN}:user/${huge}` })).toMatchObject({
      statusCode: 403,
      body: { error: { code: 'INVALID_IDENTITY' } },
    });
    expect(await both(endSession, { method: 'POST', resource: '/v1/sessions/{id}/end', path: '/v1/sessions/x/end', pathParameters: { id: 'x' }, body: `{"sessionTable":"${huge}"}` })).toMatchObject({
      statusCode: 400,
      body: { error: { code: 'INVALID_REQUEST' } },
    });
  });
});

describe('the deployed entry (functions/whoami.ts) behind a REST API', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');
  afterAll(() => {
    ddb.restore();
    vi.unstubAllEnvs();
  });

  /** The Lambda handler as deployed, configured by `env` (nothing but the policy read reaches DynamoDB, mocked). */
  async function deployed(env: Record<string, string>): Promise<HttpHandler> {
    vi.resetModules();
    const base = { AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: OWN, SENTINEL_IDENTITY_ROLE_LOOKUP: 'none', SENTINEL_ALLOWED_ORGANIZATIONS: '' };
    for (const [key, value] of Object.entries({ ...base, ...env })) vi.stubEnv(key, value);
    ddb.reset();
    ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
    ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1' } }).resolves({ Item: { pk: 'policy', sk: 'v1', version: 1, text: POLICY, updated_at: '2026-11-18T09:00:00.000Z', updated_by: 'admin' } });
    // A version stored before documents were: read from its text.
    ddb.on(GetCommand, { Key: { pk: 'policy', sk: 'v1#document' } }).resolves({});
    return ((await import('../../../functions/whoami.js')) as { handler: HttpHandler }).handler;
  }

  const member = { method: 'GET', resource: '/v1/whoami', path: '/v1/whoami', arn: `arn:aws:iam::${MEMBER}:user/alice`, userId: 'AIDAALICE', orgId: ORG };

  it('admits a principal of another account through SENTINEL_ALLOWED_ORGANIZATIONS, account in its name', async () => {
    const response = await (await deployed({ SENTINEL_ALLOWED_ORGANIZATIONS: `o-0000000000,${ORG}` }))(v1(member), context);
    expect({ ...response, body: JSON.parse(String(response.body)) as unknown }).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: { user: `${MEMBER}:iam:alice`, arn: member.arn, accountId: MEMBER, admin: false },
    });
  });

  it('refuses the same principal without it', async () => {
    const response = await (await deployed({}))(v1(member), context);
    expect({ ...response, body: JSON.parse(String(response.body)) as unknown }).toEqual(
      error(403, 'INVALID_IDENTITY', `account ${MEMBER} is not allowed to use this Sentinel deployment; an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS, or its organisation ${ORG} in SENTINEL_ALLOWED_ORGANIZATIONS`),
    );
  });
});
