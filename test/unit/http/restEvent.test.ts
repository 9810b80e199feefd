/**
 * REST API proxy events (payload 1.0) translated into the HTTP API shape (payload 2.0)
 * the stack reads (src/http/restEvent.ts). The functions behind either API must see the
 * same request: same route key, same caller, same query and headers as HTTP APIs give them.
 */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRestEvent, httpEventOf, isRestEvent } from '../../../src/http/restEvent.js';
import type { HttpEvent } from '../../../src/http/stack.js';

const ACCOUNT = '111122223333';

/** A REST API event as API Gateway sends it for `GET /v1/sessions/{id}` signed by an IAM user. */
function restEvent(overrides: Record<string, unknown> = {}): APIGatewayProxyEvent {
  return {
    resource: '/v1/sessions/{id}',
    path: '/v1/sessions/0123456789abcdef0123456789abcdef',
    httpMethod: 'GET',
    headers: { Host: 'abc.execute-api.eu-west-1.amazonaws.com', 'User-Agent': 'sentinel/0.1.0', 'X-Amz-Date': '20261118T100000Z' },
    multiValueHeaders: { Host: ['abc.execute-api.eu-west-1.amazonaws.com'], 'User-Agent': ['sentinel/0.1.0'], 'X-Amz-Date': ['20261118T100000Z'] },
    queryStringParameters: { sessionTable: 'sentinel-sessions' },
    multiValueQueryStringParameters: { sessionTable: ['sentinel-sessions'] },
    pathParameters: { id: '0123456789abcdef0123456789abcdef' },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc',
      authorizer: null,
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc',
      extendedRequestId: 'ext-1',
      httpMethod: 'GET',
      identity: {
        accessKey: 'AKIAEXAMPLE',
        accountId: ACCOUNT,
        apiKey: null,
        apiKeyId: null,
        caller: 'AIDAALICE',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: 'o-a1b2c3d4e5',
        sourceIp: '203.0.113.7',
        user: 'AIDAALICE',
        userAgent: 'sentinel/0.1.0',
        userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      },
      path: '/prod/v1/sessions/0123456789abcdef0123456789abcdef',
      protocol: 'HTTP/1.1',
      requestId: 'req-1',
      requestTime: '18/Nov/2026:10:00:00 +0000',
      requestTimeEpoch: 1_794_996_000_000,
      resourceId: 'res1',
      resourcePath: '/v1/sessions/{id}',
      stage: 'prod',
    },
    body: null,
    isBase64Encoded: false,
    ...overrides,
  } as APIGatewayProxyEvent;
}

function withIdentity(fields: Record<string, unknown> | null): APIGatewayProxyEvent {
  const base = restEvent();
  return { ...base, requestContext: { ...base.requestContext, identity: fields as never } };
}

describe('fromRestEvent', () => {
  it('gives the stack the payload 2.0 event of the same request', () => {
    expect(fromRestEvent(restEvent())).toEqual({
      version: '2.0',
      routeKey: 'GET /v1/sessions/{id}',
      rawPath: '/v1/sessions/0123456789abcdef0123456789abcdef',
      rawQueryString: 'sessionTable=sentinel-sessions',
      headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'sentinel/0.1.0', 'x-amz-date': '20261118T100000Z' },
      queryStringParameters: { sessionTable: 'sentinel-sessions' },
      isBase64Encoded: false,
      pathParameters: { id: '0123456789abcdef0123456789abcdef' },
      requestContext: {
        accountId: ACCOUNT,
        apiId: 'abc',
        domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
        domainPrefix: 'abc',
        http: { method: 'GET', path: '/v1/sessions/0123456789abcdef0123456789abcdef', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'sentinel/0.1.0' },
        requestId: 'req-1',
        routeKey: 'GET /v1/sessions/{id}',
        stage: 'prod',
        time: '18/Nov/2026:10:00:00 +0000',
        timeEpoch: 1_794_996_000_000,
        authorizer: {
          iam: {
            accessKey: 'AKIAEXAMPLE',
            accountId: ACCOUNT,
            callerId: 'AIDAALICE',
            cognitoIdentity: null,
            principalOrgId: 'o-a1b2c3d4e5',
            userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
            userId: 'AIDAALICE',
          },
        },
      },
    });
  });

  it("takes an assumed role's unique id and session from identity.user, and keeps a null organisation null", () => {
    const event = withIdentity({
      accountId: '222233334444',
      accessKey: 'ASIAEXAMPLE',
      caller: 'AROAROLEID000000001:ci-42',
      user: 'AROAROLEID000000001:ci-42',
      userArn: 'arn:aws:sts::222233334444:assumed-role/deploy/ci-42',
      principalOrgId: null,
      sourceIp: '203.0.113.7',
      userAgent: null,
    });
    expect(fromRestEvent(event).requestContext.authorizer).toEqual({
      iam: {
        accessKey: 'ASIAEXAMPLE',
        accountId: '222233334444',
        callerId: 'AROAROLEID000000001:ci-42',
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: 'arn:aws:sts::222233334444:assumed-role/deploy/ci-42',
        userId: 'AROAROLEID000000001:ci-42',
      },
    });
    expect(fromRestEvent(event).requestContext.http.userAgent).toBe('');
  });

  it.each([
    ['no caller ARN (the method is not AWS_IAM)', withIdentity({ sourceIp: '203.0.113.7', userArn: null, user: null, accountId: null })],
    ['an empty caller ARN', withIdentity({ userArn: '', user: 'AIDAALICE', accountId: ACCOUNT })],
    ['no identity at all', withIdentity(null)],
    ['no request context at all', restEvent({ requestContext: undefined })],
  ])('has no authorizer with %s', (_name, event) => {
    expect(fromRestEvent(event).requestContext).not.toHaveProperty('authorizer');
  });

  it('joins the values of a repeated query parameter with commas, in order, as HTTP APIs do', () => {
    // API Gateway's single-value map holds only the last value of a repeated parameter.
    const event = restEvent({
      queryStringParameters: { status: 'revoked', user: 'alice', limit: '10' },
      multiValueQueryStringParameters: { status: ['active', 'revoked'], user: ['alice'], limit: ['10'] },
    });
    expect(fromRestEvent(event)).toMatchObject({
      queryStringParameters: { status: 'active,revoked', user: 'alice', limit: '10' },
      rawQueryString: 'status=active&status=revoked&user=alice&limit=10',
    });
  });

  it('keeps a parameter only the single-value map carries, and an empty value', () => {
    const event = restEvent({ queryStringParameters: { user: 'alice', cursor: '' }, multiValueQueryStringParameters: { user: ['alice'] } });
    expect(fromRestEvent(event).queryStringParameters).toEqual({ user: 'alice', cursor: '' });
  });

  it('has no query parameters when the request has none', () => {
    const event = fromRestEvent(restEvent({ queryStringParameters: null, multiValueQueryStringParameters: null }));
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event.rawQueryString).toBe('');
  });

  it('lower-cases header names and joins repeated headers with commas', () => {
    const event = restEvent({
      headers: { Accept: 'application/json', 'X-Forwarded-For': '198.51.100.2', accept: 'text/plain' },
      multiValueHeaders: { Accept: ['application/json'], 'X-Forwarded-For': ['203.0.113.7', '198.51.100.2'], accept: ['text/plain'] },
    });
    expect(fromRestEvent(event).headers).toEqual({ accept: 'application/json,text/plain', 'x-forwarded-for': '203.0.113.7,198.51.100.2' });
  });

  it('passes a body and its base64 flag through, and has no body for a null one', () => {
    const encoded = Buffer.from('{"sessionTable":"sentinel-sessions"}').toString('base64');
    expect(fromRestEvent(restEvent({ body: encoded, isBase64Encoded: true }))).toMatchObject({ body: encoded, isBase64Encoded: true });
    expect(fromRestEvent(restEvent({ body: '' }))).toMatchObject({ body: '' });
    expect(fromRestEvent(restEvent())).not.toHaveProperty('body');
  });

  it('has no path parameters when the resource has none', () => {
    expect(fromRestEvent(restEvent({ resource: '/v1/whoami', pathParameters: null }))).not.toHaveProperty('pathParameters');
  });

  it('keeps __proto__ names as plain own properties and pollutes nothing', () => {
    const event = JSON.parse(
      JSON.stringify(restEvent({ headers: {}, multiValueHeaders: {}, queryStringParameters: {}, multiValueQueryStringParameters: {}, pathParameters: {} }))
        .replace('"headers":{}', '"headers":{"__proto__":"h"}')
        .replace('"multiValueQueryStringParameters":{}', '"multiValueQueryStringParameters":{"__proto__":["a","b"],"constructor":["c"]}')
        .replace('"pathParameters":{}', '"pathParameters":{"__proto__":"p"}'),
    ) as APIGatewayProxyEvent;
    const translated = fromRestEvent(event);
    expect(Object.entries(translated.headers)).toEqual([['__proto__', 'h']]);
    expect(Object.entries(translated.queryStringParameters ?? {})).toEqual([
      ['__proto__', 'a,b'],
      ['constructor', 'c'],
    ]);
    expect(Object.entries(translated.pathParameters ?? {})).toEqual([['__proto__', 'p']]);
    expect(Object.getPrototypeOf(translated.headers)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it('never throws, whatever the fields of an event with a method and a resource hold', () => {
    const anyField = fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.anything())), fc.anything())));
    const event = fc.record(
      {
        httpMethod: fc.string(),
        resource: fc.string(),
        path: fc.anything(),
        headers: anyField,
        multiValueHeaders: anyField,
        queryStringParameters: anyField,
        multiValueQueryStringParameters: anyField,
        pathParameters: anyField,
        body: fc.anything(),
        isBase64Encoded: fc.anything(),
        requestContext: fc.oneof(fc.anything(), fc.record({ requestId: fc.anything(), identity: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())) })),
      },
      { requiredKeys: ['httpMethod', 'resource'] },
    );
    fc.assert(
      fc.property(event, (value) => {
        const translated = fromRestEvent(value as unknown as APIGatewayProxyEvent);
        expect(translated.routeKey).toBe(`${value.httpMethod} ${value.resource}`);
      }),
      { numRuns: 500 },
    );
  });

  it('copes with huge values and lone surrogates', () => {
    const huge = 'x'.repeat(1_000_000);
    const event = restEvent({ queryStringParameters: {}, multiValueQueryStringParameters: { [huge]: [huge, '\uD800'] }, multiValueHeaders: { [huge]: [huge] }, headers: {} });
    const translated = fromRestEvent(event);
    expect(translated.queryStringParameters?.[huge]).toBe(`${huge},\uD800`);
    expect(translated.headers[huge]).toBe(huge);
    expect(translated.rawQueryString.endsWith('%EF%BF%BD')).toBe(true);
  });
});

describe('isRestEvent and httpEventOf', () => {
  const v2 = { version: '2.0', routeKey: 'GET /v1/whoami', rawPath: '/v1/whoami', rawQueryString: '', headers: {}, isBase64Encoded: false, requestContext: {} } as unknown as HttpEvent;

  it('tells a payload 1.0 event (REST API, or HTTP API 1.0) from a payload 2.0 one', () => {
    expect(isRestEvent(restEvent())).toBe(true);
    expect(isRestEvent({ ...restEvent(), version: '1.0' })).toBe(true);
    expect(isRestEvent(v2)).toBe(false);
    // A 2.0 event says so: fields named like 1.0's do not make it one.
    expect(isRestEvent({ ...v2, httpMethod: 'GET', resource: '/v1/whoami' })).toBe(false);
    expect(isRestEvent({ httpMethod: 'GET' })).toBe(false);
    expect(isRestEvent({ httpMethod: 'GET', resource: 7 })).toBe(false);
    for (const value of [null, undefined, 'GET /v1/whoami', 42, ['GET', '/v1/whoami']]) expect(isRestEvent(value)).toBe(false);
  });

  it('passes a payload 2.0 event through untouched and translates a 1.0 one', () => {
    expect(httpEventOf(v2)).toBe(v2);
    expect(httpEventOf(restEvent()).routeKey).toBe('GET /v1/sessions/{id}');
  });
});
