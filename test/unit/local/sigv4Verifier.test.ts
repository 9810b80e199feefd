import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSigV4Verifier } from '../../../src/local/sigv4Verifier.js';
import type { LocalIdentityCredentials, SignedRequest, VerifyResult } from '../../../src/local/sigv4Verifier.js';

const NOW = new Date('2024-05-01T10:00:00Z');
const REGION = 'eu-west-1';
const ACCESS_KEY = 'AKIAALICE0000000TEST';
const SECRET = 'alice-secret-0123456789abcdefghijklmnopq';
const HOST = '127.0.0.1:8787';

const ALICE: LocalIdentityCredentials = {
  secretAccessKey: SECRET,
  arn: 'arn:aws:iam::111122223333:user/alice',
  accountId: '111122223333',
  userId: 'AIDAALICE00000000000',
};

const verifier = createSigV4Verifier({ identities: new Map([[ACCESS_KEY, ALICE]]), region: REGION, now: () => NOW });

interface Unsigned {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  date?: Date;
  unsignableHeaders?: Set<string>;
  signableHeaders?: Set<string>;
}

/** Signs like a JS SDK client would, then turns the result into what the HTTP server hands the verifier. */
async function sign(request: Unsigned, options: SignOptions = {}): Promise<SignedRequest> {
  const body = Buffer.from(request.body ?? '', 'utf8');
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId ?? ACCESS_KEY,
      secretAccessKey: options.secretAccessKey ?? SECRET,
      sessionToken: options.sessionToken,
    },
    region: options.region ?? REGION,
    service: options.service ?? 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8787,
      path: request.path,
      query: request.query ?? {},
      headers: { host: HOST, ...request.headers },
      body: body.length > 0 ? body : undefined,
    },
    { signingDate: options.date ?? NOW, unsignableHeaders: options.unsignableHeaders, signableHeaders: options.signableHeaders },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = String(value);
  return { method: request.method, path: request.path, query: rawQuery(request.query ?? {}), headers, body };
}

/** The query as a client puts it on the wire: RFC 3986-encoded. */
function rawQuery(query: Record<string, string | string[]>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(query)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${enc(key)}=${enc(v)}`))
    .join('&');
}

function expectRefused(result: VerifyResult, reason: RegExp): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(reason);
  expect(result.reason).not.toContain(SECRET);
}

describe('createSigV4Verifier: accepts what an SDK signed', () => {
  it('GET with a query string', async () => {
    const request = await sign({ method: 'GET', path: '/v1/sessions', query: { status: 'active', user: 'alice@example.com', tag: ['b', 'a'] } });
    expect(await verifier.verify(request)).toEqual({
      ok: true,
      identity: { accessKeyId: ACCESS_KEY, arn: ALICE.arn, accountId: '111122223333', userId: 'AIDAALICE00000000000' },
    });
  });

  it('POST with a JSON body and x-amz-content-sha256', async () => {
    const request = await sign({
      method: 'POST',
      path: '/v1/credentials',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ profile: 'prod', mode: 'cli' }),
    });
    expect(request.headers['x-amz-content-sha256']).toBeDefined();
    expect((await verifier.verify(request)).ok).toBe(true);
  });

  it('a path with an {id} value, including an encoded character', async () => {
    expect((await verifier.verify(await sign({ method: 'POST', path: '/v1/sessions/0f3a9c21-7d4e/end' }))).ok).toBe(true);
    expect((await verifier.verify(await sign({ method: 'GET', path: '/v1/sessions/a%20b%2Fc' }))).ok).toBe(true);
  });

  it('a query with characters that must be encoded', async () => {
    const request = await sign({ method: 'GET', path: '/v1/provision/iam-policy', query: { kind: 'sessions', table: 'a b+c/d~e*' } });
    expect((await verifier.verify(request)).ok).toBe(true);
  });

  it('a client that signed a header smithy would skip (user-agent), plus an unsigned extra header', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami', headers: { 'user-agent': 'aws-cli/2.15' } }, { signableHeaders: new Set(['user-agent']) });
    expect(request.headers['authorization']).toContain('SignedHeaders=host;user-agent;');
    request.headers['x-forwarded-for'] = '10.0.0.1';
    expect((await verifier.verify(request)).ok).toBe(true);
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, 'user-agent': 'curl/8' } }), /^signature mismatch/);
  });

  it('a query sent with + for spaces or loosely encoded, normalised as API Gateway does', async () => {
    const request = await sign({ method: 'GET', path: '/v1/sessions', query: { $filter: 'id eq 123', tilde: '~' } });
    expect(request.query).toBe('%24filter=id%20eq%20123&tilde=~');
    expect((await verifier.verify({ ...request, query: '%24filter=id+eq+123&tilde=%7E' })).ok).toBe(true);
    expect((await verifier.verify({ ...request, query: '$filter=id%20eq%20123&tilde=~' })).ok).toBe(true);
  });

  it('a date within 5 minutes either way', async () => {
    expect((await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { date: new Date(NOW.getTime() - 299_000) }))).ok).toBe(true);
    expect((await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { date: new Date(NOW.getTime() + 299_000) }))).ok).toBe(true);
  });
});

describe('createSigV4Verifier: refuses', () => {
  it('a wrong secret', async () => {
    const result = await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { secretAccessKey: 'not-the-secret' }));
    expectRefused(result, /^signature mismatch for access key AKIAALICE0000000TEST$/);
  });

  it('an unknown access key', async () => {
    const result = await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { accessKeyId: 'AKIAUNKNOWN000000000' }));
    expectRefused(result, /^unknown access key "AKIAUNKNOWN000000000"$/);
  });

  it('a tampered body, whether or not x-amz-content-sha256 was sent', async () => {
    const request = await sign({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: '{"profile":"dev"}' });
    expectRefused(await verifier.verify({ ...request, body: Buffer.from('{"profile":"prod"}') }), /^x-amz-content-sha256 does not match the body$/);
    const resigned = await sign({ method: 'POST', path: '/v1/credentials', body: '{"profile":"dev"}' }, { unsignableHeaders: new Set(['x-amz-content-sha256']) });
    delete resigned.headers['x-amz-content-sha256'];
    expect((await verifier.verify(resigned)).ok).toBe(true);
    expectRefused(await verifier.verify({ ...resigned, body: Buffer.from('{"profile":"prod"}') }), /^signature mismatch/);
  });

  it('a tampered signed header', async () => {
    const request = await sign({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, 'content-type': 'text/plain' } }), /^signature mismatch/);
  });

  it('a tampered path, query or method', async () => {
    const request = await sign({ method: 'POST', path: '/v1/sessions/abc/end', query: { a: '1' } });
    expectRefused(await verifier.verify({ ...request, path: '/v1/sessions/abd/end' }), /^signature mismatch/);
    expectRefused(await verifier.verify({ ...request, query: 'a=2' }), /^signature mismatch/);
    expectRefused(await verifier.verify({ ...request, method: 'PUT' }), /^signature mismatch/);
  });

  it('a stale date (6 minutes old)', async () => {
    const result = await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { date: new Date(NOW.getTime() - 360_000) }));
    expectRefused(result, /^x-amz-date 20240501T095400Z is 360 s old \(allowed 300 s\)$/);
  });

  it('a date in the future', async () => {
    const result = await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { date: new Date(NOW.getTime() + 360_000) }));
    expectRefused(result, /is 360 s in the future/);
  });

  it('a wrong region', async () => {
    expectRefused(await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { region: 'us-east-1' })), /^credential scope region "us-east-1" is not eu-west-1$/);
  });

  it('a wrong service', async () => {
    expectRefused(await verifier.verify(await sign({ method: 'GET', path: '/v1/whoami' }, { service: 'sts' })), /^credential scope service "sts" is not execute-api$/);
  });

  it('a missing Authorization header', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    delete request.headers['authorization'];
    expectRefused(await verifier.verify(request), /^missing Authorization header$/);
  });

  it('an unsigned host', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' }, { unsignableHeaders: new Set(['host']) });
    expectRefused(await verifier.verify(request), /^host is not a signed header$/);
  });

  it.each([
    ['another algorithm', 'AWS4-ECDSA-P256-SHA256 Credential=x', /^unsupported signing algorithm "AWS4-ECDSA-P256-SHA256"$/],
    ['SigV2', 'AWS AKIAALICE0000000TEST:abc', /^unsupported signing algorithm "AWS"$/],
    ['no fields', 'AWS4-HMAC-SHA256', /^malformed Authorization header/],
    ['a missing Signature', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20240501/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date`, /needs exactly Credential, SignedHeaders and Signature/],
    ['a short scope', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20240501/eu-west-1, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, /^malformed credential scope/],
    ['a wrong terminator', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20240501/eu-west-1/execute-api/aws5_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, /^malformed credential scope/],
    ['a short signature', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20240501/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`, /^malformed Signature/],
    ['a duplicated field', `AWS4-HMAC-SHA256 Credential=a, Credential=b, Signature=c`, /given twice/],
    ['a bad header name', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20240501/eu-west-1/execute-api/aws4_request, SignedHeaders=Host;x-amz-date, Signature=${'0'.repeat(64)}`, /^malformed SignedHeaders$/],
  ])('a malformed header: %s', async (_name, authorization, reason) => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, authorization } }), reason);
  });

  it('a scope date that is not the x-amz-date day', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    const authorization = request.headers['authorization']!.replace('/20240501/', '/20240430/');
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, authorization } }), /^credential scope date "20240430" does not match x-amz-date$/);
  });

  it('a missing or malformed x-amz-date', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    const { 'x-amz-date': _date, ...withoutDate } = request.headers;
    expectRefused(await verifier.verify({ ...request, headers: withoutDate }), /^missing x-amz-date header$/);
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, 'x-amz-date': '20240231T100000Z' } }), /^malformed x-amz-date "20240231T100000Z"$/);
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, 'x-amz-date': '2024-05-01T10:00:00Z' } }), /^malformed x-amz-date/);
  });

  it('a signed header that is not in the request', async () => {
    const request = await sign({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: '{}' });
    const { 'content-type': _type, ...headers } = request.headers;
    expectRefused(await verifier.verify({ ...request, headers }), /^signed header "content-type" is missing from the request$/);
  });

  it('UNSIGNED-PAYLOAD', async () => {
    const request = await sign({ method: 'POST', path: '/v1/credentials', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: '{}' });
    expectRefused(await verifier.verify(request), /^x-amz-content-sha256 "UNSIGNED-PAYLOAD" is not accepted/);
  });

  it('a security token for long-term credentials', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' }, { sessionToken: 'FwoGZXIvYXdzEXAMPLE' });
    expectRefused(await verifier.verify(request), /^unknown x-amz-security-token$/);
  });

  it('a presigned (query-string) signature next to the header', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami', query: { 'X-Amz-Signature': '00' } });
    expectRefused(await verifier.verify(request), /^query-string \(presigned\) signatures are not supported$/);
  });

  it('malformed percent-encoding in the query', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    expectRefused(await verifier.verify({ ...request, query: 'a=%E0%A4%A' }), /^malformed percent-encoding/);
  });

  it('an unsorted SignedHeaders list', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    const authorization = request.headers['authorization']!.replace('SignedHeaders=host;x-amz-content-sha256;x-amz-date', 'SignedHeaders=x-amz-date;host;x-amz-content-sha256');
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, authorization } }), /^SignedHeaders is not in canonical form/);
  });

  it('never puts the expected signature in the reason', async () => {
    const good = await sign({ method: 'GET', path: '/v1/whoami' });
    const expected = /Signature=([0-9a-f]{64})/.exec(good.headers['authorization']!)?.[1] ?? '';
    const forged = good.headers['authorization']!.replace(expected, 'f'.repeat(64));
    const result = await verifier.verify({ ...good, headers: { ...good.headers, authorization: forged } });
    expectRefused(result, /^signature mismatch/);
    if (!result.ok) expect(result.reason).not.toContain(expected);
  });
});

/** Names every plain object answers to: a lookup by one of them must never find Object.prototype. */
const INHERITED = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];

/** `request` with its Authorization header's Credential, SignedHeaders and/or Signature replaced. */
function withAuthorization(request: SignedRequest, parts: { credential?: string; signedHeaders?: string; signature?: string }): SignedRequest {
  const original = /^AWS4-HMAC-SHA256 Credential=([^,]*), SignedHeaders=([^,]*), Signature=(.*)$/.exec(request.headers['authorization']!)!;
  const authorization = `AWS4-HMAC-SHA256 Credential=${parts.credential ?? original[1]}, SignedHeaders=${parts.signedHeaders ?? original[2]}, Signature=${parts.signature ?? original[3]}`;
  return { ...request, headers: { ...request.headers, authorization } };
}

describe('createSigV4Verifier: names that are also properties of every object', () => {
  it.each(INHERITED)('a SignedHeaders list naming %s is refused with a reason, never a throw', async (name) => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    const signedHeaders = [name, 'host', 'x-amz-content-sha256', 'x-amz-date'].sort().join(';');
    // Header names are lower-case: toString and the like are not even well-formed.
    const reason = name === name.toLowerCase() ? new RegExp(`^signed header "${name}" is missing from the request$`) : /^malformed SignedHeaders$/;
    expectRefused(await verifier.verify(withAuthorization(request, { signedHeaders })), reason);
  });

  it.each(INHERITED)('a credential scope whose access key id is %s is an unknown key', async (name) => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    expectRefused(await verifier.verify(withAuthorization(request, { credential: `${name}/20240501/${REGION}/execute-api/aws4_request` })), new RegExp(`^unknown access key "${name}"$`));
  });

  it.each(INHERITED)('a credential scope whose region or service is %s is refused', async (name) => {
    const request = await sign({ method: 'GET', path: '/v1/whoami' });
    expectRefused(await verifier.verify(withAuthorization(request, { credential: `${ACCESS_KEY}/20240501/${name}/execute-api/aws4_request` })), /^credential scope region/);
    expectRefused(await verifier.verify(withAuthorization(request, { credential: `${ACCESS_KEY}/20240501/${REGION}/${name}/aws4_request` })), /^credential scope service/);
  });

  it('a header really called constructor, when signed, counts like any other header', async () => {
    const request = await sign({ method: 'GET', path: '/v1/whoami', headers: { constructor: 'yes', __proto__: 'also' } as Record<string, string> }, { signableHeaders: new Set(['constructor']) });
    expect(request.headers['authorization']).toContain('SignedHeaders=constructor;host;');
    expect(await verifier.verify(request)).toMatchObject({ ok: true });
    expectRefused(await verifier.verify({ ...request, headers: { ...request.headers, constructor: 'no' } }), /^signature mismatch/);
  });

  it('never throws and never accepts a tampered Authorization header (property)', async () => {
    const good = await sign({ method: 'POST', path: '/v1/credentials', headers: { 'content-type': 'application/json' }, body: '{"profile":"dev"}' });
    const original = /Credential=([^,]*), SignedHeaders=([^,]*), Signature=(.*)$/.exec(good.headers['authorization']!)!;
    const headerName = fc.oneof(fc.constantFrom(...INHERITED, 'host', 'x-amz-date', 'x-amz-content-sha256', 'content-type', 'authorization', 'date', 'x-amz-security-token'), fc.string({ maxLength: 12 }));
    const signedHeaders = fc.oneof(
      // Everything the request really has, plus a name every object answers to.
      fc
        .tuple(fc.subarray(['content-type', 'x-amz-content-sha256']), fc.constantFrom(...INHERITED))
        .map(([present, inherited]) => [...present, 'host', 'x-amz-date', inherited].sort().join(';')),
      fc.array(headerName, { minLength: 1, maxLength: 6 }).map((names) => names.join(';')),
      fc.array(headerName, { minLength: 1, maxLength: 6 }).map((names) => [...names].sort().join(';')),
      fc.string({ maxLength: 40 }),
    );
    const part = fc.oneof(fc.constantFrom(...INHERITED, ACCESS_KEY, '20240501', REGION, 'execute-api', 'aws4_request', ''), fc.string({ maxLength: 12 }));
    const credential = fc.oneof(
      fc.constant(original[1]!),
      fc.tuple(part, part, part, part, part).map((parts) => parts.join('/')),
      fc.tuple(part, part).map(([key, region]) => `${key}/20240501/${region}/execute-api/aws4_request`),
      fc.string({ maxLength: 60 }),
    );
    const signature = fc.oneof(fc.constant(original[3]!), fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 70 }));
    await fc.assert(
      fc.asyncProperty(credential, fc.oneof(fc.constant(original[2]!), signedHeaders), signature, async (credentialValue, signedHeadersValue, signatureValue) => {
        const tampered = withAuthorization(good, { credential: credentialValue, signedHeaders: signedHeadersValue, signature: signatureValue });
        fc.pre(tampered.headers['authorization'] !== good.headers['authorization']);
        const result = await verifier.verify(tampered);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toMatch(/\S/);
      }),
      { numRuns: 400 },
    );
  });
});

/**
 * AWS's published SigV4 test suite (the "aws-sig-v4-test-suite", as carried in
 * awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/header-signed-request.txt):
 * credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service
 * "service", 2015-08-30T12:36:00Z. Each request is given as the suite's request line and
 * headers; the verifier must accept AWS's signature and refuse it once anything changes.
 */
describe('createSigV4Verifier: AWS SigV4 test suite vectors', () => {
  const suite = createSigV4Verifier({
    identities: new Map([
      [
        'AKIDEXAMPLE',
        { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', arn: 'arn:aws:iam::123456789012:user/example', accountId: '123456789012', userId: 'AIDAEXAMPLE' },
      ],
    ]),
    region: 'us-east-1',
    service: 'service',
    now: () => new Date('2015-08-30T12:36:00Z'),
  });
  const withToken = createSigV4Verifier({
    identities: new Map([
      [
        'AKIDEXAMPLE',
        {
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
          arn: 'arn:aws:sts::123456789012:assumed-role/example/session',
          accountId: '123456789012',
          userId: 'AROAEXAMPLE:session',
          sessionToken: '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
        },
      ],
    ]),
    region: 'us-east-1',
    service: 'service',
    now: () => new Date('2015-08-30T12:36:00Z'),
  });

  function vector(method: string, target: string, signedHeaders: string, signature: string, extra: Record<string, string> = {}): SignedRequest {
    const q = target.indexOf('?');
    return {
      method,
      path: q === -1 ? target : target.slice(0, q),
      query: q === -1 ? '' : target.slice(q + 1),
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        ...extra,
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
      },
      body: Buffer.alloc(0),
    };
  }

  const vectors: Array<[string, SignedRequest]> = [
    ['get-vanilla', vector('GET', '/', 'host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31')],
    ['get-vanilla-query-order-key-case', vector('GET', '/?Param2=value2&Param1=value1', 'host;x-amz-date', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500')],
    ['get-vanilla-empty-query-key', vector('GET', '/?Param1=value1', 'host;x-amz-date', 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb')],
    [
      'get-vanilla-query-unreserved',
      vector(
        'GET',
        '/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
        'host;x-amz-date',
        '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
      ),
    ],
    // The suite writes the path and query as raw UTF-8; the signer encodes them once.
    ['get-utf8', vector('GET', '/ሴ', 'host;x-amz-date', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85')],
    ['get-vanilla-utf8-query', vector('GET', '/?ሴ=bar', 'host;x-amz-date', '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04')],
    ['get-slashes-normalized', vector('GET', '//example//', 'host;x-amz-date', '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84')],
    [
      'get-header-value-trim',
      vector('GET', '/', 'host;my-header1;my-header2;x-amz-date', 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736', {
        'my-header1': ' value1',
        'my-header2': '"a   b   c"',
      }),
    ],
    [
      'get-header-key-duplicate',
      vector('GET', '/', 'host;my-header1;x-amz-date', 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea', { 'my-header1': 'value2,value2,value1' }),
    ],
    [
      'post-header-key-sort',
      vector('POST', '/', 'host;my-header1;x-amz-date', 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c', { 'my-header1': 'value1' }),
    ],
  ];

  it.each(vectors)('%s is accepted', async (_name, request) => {
    expect(await suite.verify(request)).toMatchObject({ ok: true, identity: { accessKeyId: 'AKIDEXAMPLE' } });
  });

  it.each(vectors)('%s is refused once the path changes', async (_name, request) => {
    expectRefused(await suite.verify({ ...request, path: `${request.path}x` }), /^signature mismatch/);
  });

  it('get-vanilla-with-session-token is accepted with the token and refused without it', async () => {
    const token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
    const request = vector('GET', '/', 'host;x-amz-date;x-amz-security-token', '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8', {
      'x-amz-security-token': token,
    });
    expect((await withToken.verify(request)).ok).toBe(true);
    const { 'x-amz-security-token': _t, ...headers } = request.headers;
    expectRefused(await withToken.verify({ ...request, headers }), /^signed header "x-amz-security-token" is missing from the request$/);
    expectRefused(await withToken.verify({ ...request, headers: { ...request.headers, 'x-amz-security-token': `${token}0` } }), /^unknown x-amz-security-token$/);
  });
});
