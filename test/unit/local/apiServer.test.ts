import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalApiServer } from '../../../src/local/apiServer.js';
import type { LocalRoute } from '../../../src/local/apiServer.js';
import { createLocalIdentities, verifierIdentities } from '../../../src/local/identities.js';
import { createSigV4Verifier } from '../../../src/local/sigv4Verifier.js';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const [alice] = createLocalIdentities(ACCOUNT, ['alice']);
const ALICE = alice!;

interface Seen {
  event: APIGatewayProxyEventV2WithIAMAuthorizer;
  context: Context;
  remainingMs: number;
}

const seen: Seen[] = [];
const logLines: string[] = [];

const echo: LocalRoute['handler'] = async (event, context) => {
  seen.push({ event, context, remainingMs: context.getRemainingTimeInMillis() });
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-echo': 1 }, body: JSON.stringify({ route: event.routeKey }) };
};

const routes: LocalRoute[] = [
  { method: 'POST', path: '/v1/credentials', handler: echo },
  { method: 'GET', path: '/v1/sessions', handler: echo },
  { method: 'GET', path: '/v1/sessions/{id}', handler: echo },
  { method: 'POST', path: '/v1/sessions/{id}/end', handler: echo },
  { method: 'GET', path: '/v1/sessions/mine', handler: echo, name: 'mine' },
  { method: 'GET', path: '/files/{proxy+}', handler: echo },
  {
    method: 'GET',
    path: '/v1/boom',
    handler: async () => {
      throw new Error('kaboom in the handler');
    },
  },
  { method: 'GET', path: '/v1/slow', handler: () => new Promise(() => undefined) },
  { method: 'GET', path: '/v1/binary', handler: async () => ({ statusCode: 201, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true, cookies: ['a=1', 'b=2'] }) },
  { method: 'GET', path: '/v1/bare', handler: async () => ({ user: 'alice' }) as never },
  { method: 'GET', path: '/v1/unusable', handler: async () => ({ statusCode: 'ok' }) as never },
];

let server: Server;
let port: number;

beforeAll(async () => {
  server = createLocalApiServer({
    routes,
    verifier: createSigV4Verifier({ identities: verifierIdentities([ALICE]), region: REGION }),
    region: REGION,
    accountId: '999988887777',
    log: (line) => logLines.push(line),
    maxBodyBytes: 256,
    functionTimeoutMs: 1000,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => unknown;
}

interface Call {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  sign?: boolean;
  secret?: string;
  /** Send the body with chunked transfer encoding (no content-length). */
  chunked?: boolean;
  /** Rewrites the signed Authorization header before sending (a tampering client). */
  authorization?: (signed: string) => string;
}

/** Signs the request as a JS SDK client would and sends it over real HTTP. */
async function call({ method, path, query = {}, headers = {}, body, sign = true, secret, chunked = false, authorization }: Call): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(body);
  let sendHeaders: Record<string, string> = { host: `127.0.0.1:${port}`, ...headers };
  if (payload !== undefined && !chunked) sendHeaders['content-length'] = String(payload.length);
  if (sign) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: secret ?? ALICE.secretAccessKey },
      region: REGION,
      service: 'execute-api',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign({ method, protocol: 'http:', hostname: '127.0.0.1', port, path, query, headers: sendHeaders, body: payload });
    sendHeaders = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));
    if (authorization !== undefined) sendHeaders['authorization'] = authorization(sendHeaders['authorization'] ?? '');
  }
  const search = new URLSearchParams(query).toString().replaceAll('+', '%20');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: search ? `${path}?${search}` : path, headers: sendHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data.toString('utf8')) });
      });
    });
    req.on('error', reject);
    if (chunked && payload !== undefined) {
      // Two writes: the limit must hold while the body streams in, not only for a declared length.
      req.write(payload.subarray(0, 100));
      req.end(payload.subarray(100));
    } else {
      req.end(payload);
    }
  });
}

function last(): Seen {
  const entry = seen.at(-1);
  if (!entry) throw new Error('the handler was not called');
  return entry;
}

describe('createLocalApiServer', () => {
  it('hands a signed request to its route with the IAM authorizer context API Gateway would build', async () => {
    const reply = await call({
      method: 'POST',
      path: '/v1/credentials',
      query: { trace: 'a b', flag: '1' },
      headers: { 'content-type': 'application/json', 'user-agent': 'sentinel-cli/0.1', cookie: 'c1=v1; c2=v2' },
      body: '{"profile":"prod","mode":"cli"}',
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ route: 'POST /v1/credentials' });
    expect(reply.headers['x-echo']).toBe('1');
    const { event, context, remainingMs } = last();
    expect(reply.headers['apigw-requestid']).toBe(event.requestContext.requestId);
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{14}==?$|^[A-Za-z0-9+/]{15}=$/);

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/credentials',
      rawPath: '/v1/credentials',
      rawQueryString: 'trace=a%20b&flag=1',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { trace: 'a b', flag: '1' },
      body: '{"profile":"prod","mode":"cli"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '999988887777',
        apiId: 'local',
        authorizer: {
          iam: {
            accessKey: ALICE.accessKeyId,
            accountId: ACCOUNT,
            callerId: ALICE.userId,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
            userId: ALICE.userId,
          },
        },
        domainName: '127.0.0.1',
        http: { method: 'POST', path: '/v1/credentials', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'sentinel-cli/0.1' },
        routeKey: 'POST /v1/credentials',
        stage: '$default',
      },
    });
    expect(event.pathParameters).toBeUndefined();
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['cookie']).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(typeof event.requestContext.timeEpoch).toBe('number');

    expect(context.functionName).toBe('sentinel-local-post-v1-credentials');
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-west-1:999988887777:function:sentinel-local-post-v1-credentials');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(1000);
  });

  it('passes path parameters, decoded, and picks the most specific route', async () => {
    expect((await call({ method: 'POST', path: '/v1/sessions/0f3a9c21/end' })).status).toBe(200);
    expect(last().event).toMatchObject({ routeKey: 'POST /v1/sessions/{id}/end', pathParameters: { id: '0f3a9c21' } });

    expect((await call({ method: 'GET', path: '/v1/sessions/a%20b' })).status).toBe(200);
    expect(last().event).toMatchObject({ routeKey: 'GET /v1/sessions/{id}', rawPath: '/v1/sessions/a%20b', pathParameters: { id: 'a b' } });

    expect((await call({ method: 'GET', path: '/v1/sessions/mine' })).status).toBe(200);
    expect(last().event.routeKey).toBe('GET /v1/sessions/mine');
    expect(last().event.pathParameters).toBeUndefined();
    expect(last().context.functionName).toBe('sentinel-local-mine');

    expect((await call({ method: 'GET', path: '/files/a/b/c.txt' })).status).toBe(200);
    expect(last().event.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('base64-encodes a body whose content type is not text', async () => {
    await call({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]) });
    expect(last().event).toMatchObject({ body: 'AQID', isBase64Encoded: true });
    await call({ method: 'POST', path: '/v1/credentials', body: '{"a":1}' });
    expect(last().event).toMatchObject({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true });
  });

  it('answers an unsigned request with 403 Forbidden and logs why, without reaching the handler', async () => {
    const before = seen.length;
    const reply = await call({ method: 'GET', path: '/v1/sessions', sign: false });
    expect(reply.status).toBe(403);
    expect(reply.json()).toEqual({ message: 'Forbidden' });
    expect(reply.headers['content-type']).toBe('application/json');
    expect(typeof reply.headers['apigw-requestid']).toBe('string');
    expect(seen.length).toBe(before);
    expect(logLines.some((line) => line.includes('GET /v1/sessions: SigV4 refused: missing Authorization header'))).toBe(true);
  });

  it('answers a request signed with the wrong secret with 403, and logs no secret', async () => {
    const reply = await call({ method: 'GET', path: '/v1/sessions', secret: 'x'.repeat(40) });
    expect(reply.status).toBe(403);
    expect(reply.json()).toEqual({ message: 'Forbidden' });
    const line = logLines.find((l) => l.includes('signature mismatch'));
    expect(line).toBeDefined();
    expect(line).not.toContain(ALICE.secretAccessKey);
    expect(line).not.toContain('x'.repeat(40));
  });

  it('answers 403 Forbidden, not 500, when SignedHeaders or the credential scope name an Object property', async () => {
    const before = seen.length;
    for (const rewrite of [
      (value: string) => value.replace(/SignedHeaders=/, 'SignedHeaders=constructor;'),
      (value: string) => value.replace(/SignedHeaders=/, 'SignedHeaders=__proto__;'),
      (value: string) => value.replace(/Credential=[^/]+\//, 'Credential=constructor/'),
      (value: string) => value.replace(/Credential=[^/]+\//, 'Credential=__proto__/'),
      (value: string) => value.replace(/Credential=[^/]+\//, 'Credential=toString/'),
    ]) {
      const reply = await call({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: '{}', authorization: rewrite });
      expect({ status: reply.status, body: reply.json() }).toEqual({ status: 403, body: { message: 'Forbidden' } });
    }
    expect(seen.length).toBe(before);
    expect(logLines.some((line) => line.includes('SigV4 refused: signed header "constructor" is missing from the request'))).toBe(true);
    expect(logLines.some((line) => line.includes('SigV4 refused: unknown access key "toString"'))).toBe(true);
  });

  it('answers an unknown route (or method) with 404 Not Found', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/sessions'],
      ['GET', '/v1/sessions/a/b'],
      ['GET', '/v1/sessions/'],
      // `.` and `..` are never a path parameter: SigV4 signs the path with them resolved,
      // so `/v1/sessions/.` carries a valid signature of `GET /v1/sessions`.
      ['GET', '/v1/sessions/.'],
      ['GET', '/v1/sessions/..'],
      ['GET', '/v1/sessions/./x'],
    ] as const) {
      const reply = await call({ method, path });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('answers 500 Internal Server Error when the handler throws, and logs the error', async () => {
    const reply = await call({ method: 'GET', path: '/v1/boom' });
    expect(reply.status).toBe(500);
    expect(reply.json()).toEqual({ message: 'Internal Server Error' });
    expect(logLines.some((line) => line.includes('kaboom in the handler'))).toBe(true);
  });

  it('answers 500 when the handler outlives its Lambda timeout or returns something unusable', async () => {
    const slow = await call({ method: 'GET', path: '/v1/slow' });
    expect(slow.status).toBe(500);
    expect(logLines.some((line) => line.includes('the Lambda function would have timed out'))).toBe(true);
    const unusable = await call({ method: 'GET', path: '/v1/unusable' });
    expect(unusable.status).toBe(500);
    expect(unusable.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 413 when the body is over the limit', async () => {
    const before = seen.length;
    const reply = await call({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(300) }) });
    expect(reply.status).toBe(413);
    expect(reply.json()).toEqual({ message: 'Request Entity Too Large' });
    const streamed = await call({ method: 'POST', path: '/v1/credentials', body: 'y'.repeat(300), sign: false, chunked: true });
    expect(streamed.status).toBe(413);
    expect(seen.length).toBe(before);
  });

  it('decodes base64 results, turns cookies into set-cookie, and sends a bare result as JSON', async () => {
    const binary = await call({ method: 'GET', path: '/v1/binary' });
    expect(binary.status).toBe(201);
    expect([...binary.body]).toEqual([0, 1, 2, 255]);
    expect(binary.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const bare = await call({ method: 'GET', path: '/v1/bare' });
    expect(bare.status).toBe(200);
    expect(bare.headers['content-type']).toBe('application/json');
    expect(bare.json()).toEqual({ user: 'alice' });
  });
});
