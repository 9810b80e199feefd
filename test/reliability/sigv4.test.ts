/**
 * SigV4 tampering against the real local stack (issue 15, Hostile input): the stack
 * started in-process (test/support/localStack.ts), requests signed with
 * @smithy/signature-v4 as the JS SDK signs them (bench/support/localStack.ts), sent over
 * a raw TCP socket on 127.0.0.1 so that every byte — duplicate headers, odd paths — goes
 * out exactly as written.
 *
 * A correctly signed control request gets 200. Every tampered request — body, signed
 * header, query, path, a date outside the 5-minute window, wrong region or service,
 * unknown key, wrong secret, inherited property names in SignedHeaders, duplicate
 * headers, a missing signed header, an empty signature, a presigned URL,
 * UNSIGNED-PAYLOAD — gets API Gateway's 403 `{"message":"Forbidden"}` (the stack answers
 * failed signatures in API Gateway's own shape, src/local/apiServer.ts; the handlers'
 * `IAM_AUTH_REQUIRED` is for events without an authorizer, which the stack never
 * forwards). A changed path that no route matches is API Gateway's 404
 * `{"message":"Not Found"}` instead: the route is matched before the signature is checked,
 * as API Gateway does; either way nothing runs. Then fast-check: single-character
 * mutations of valid signed requests (method, path, query, each signed header value,
 * body, signature) are never answered 2xx or 5xx, and those that still reach a route are
 * 403. Every logger and `log` line the stack printed is scanned for the identities'
 * secret keys and the credentials it vended.
 */

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSharedCredentialsFile } from '../../src/local/identities.js';
import { startTestStack } from '../support/localStack.js';
import type { TestStack } from '../support/localStack.js';
import { capturingLogger } from './support/logs.js';
import { leakedSecrets, LONG, recordLogs, recordPart, recordSecrets, scaled } from './support/report.js';

const PART = 'local stack SigV4 tampering';
const MUTATIONS = scaled(300, 5_000);
const FORBIDDEN = { message: 'Forbidden' };
const NOT_FOUND = { message: 'Not Found' };

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as it goes on the wire: the request target (path and query, as sent), headers in order (names may repeat), body. */
interface Wire {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: string;
}

interface Answer {
  status: number;
  body: string;
}

let running: TestStack;
let alice: Keys;
let bob: Keys;
let host: string;
const captured = capturingLogger('sentinel-sigv4');
const logLines: string[] = [];
const secrets = new Set<string>();
/** Outcomes per case, for the record. */
const outcomes: Array<{ name: string; status: number }> = [];
const violations: string[] = [];
let sent = 0;

/** Sends `wire` over a fresh socket and reads the whole answer (`connection: close`). */
function send(wire: Wire): Promise<Answer> {
  sent += 1;
  const body = Buffer.from(wire.body, 'utf8');
  const lines = [`${wire.method} ${wire.target} HTTP/1.1`, ...wire.headers.map(([name, value]) => `${name}: ${value}`)];
  if (!wire.headers.some(([name]) => name.toLowerCase() === 'content-length')) lines.push(`content-length: ${body.length}`);
  lines.push('connection: close', '', '');
  return new Promise((resolve, reject) => {
    const socket = connect(running.stack.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      let rest = split === -1 ? '' : text.slice(split + 4);
      if (/\r\ntransfer-encoding: chunked/i.test(head)) {
        let decoded = '';
        while (rest.length > 0) {
          const eol = rest.indexOf('\r\n');
          const size = Number.parseInt(rest.slice(0, eol), 16);
          if (!(size > 0)) break;
          decoded += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        rest = decoded;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest });
    });
    // write, not end: a half-closed socket would make the server drop the request.
    socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), body]));
  });
}

interface Unsigned {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body: string;
}

interface SignOptions {
  keys?: Keys;
  region?: string;
  service?: string;
  date?: Date;
  /** false: no x-amz-content-sha256 (the signer hashes the body itself). */
  checksum?: boolean;
}

/** Signs as the JS SDK does for execute-api. */
async function sign(request: Unsigned, options: SignOptions = {}): Promise<HttpRequest> {
  const signer = new SignatureV4({
    credentials: options.keys ?? alice,
    region: options.region ?? running.stack.region,
    service: options.service ?? 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: options.checksum ?? true,
  });
  return signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: running.stack.port,
      path: request.path,
      query: request.query ?? {},
      headers: { host, 'content-type': 'application/json', ...(request.headers ?? {}) },
      body: request.body,
    },
    options.date === undefined ? {} : { signingDate: options.date },
  );
}

const queryText = (query: Record<string, unknown>) =>
  Object.entries(query)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');

/** The signed request as it would be sent: its own path, query and headers. */
function wireOf(signed: HttpRequest): Wire {
  const query = queryText(signed.query ?? {});
  return { method: signed.method, target: `${signed.path}${query === '' ? '' : `?${query}`}`, headers: Object.entries(signed.headers), body: String(signed.body ?? '') };
}

const header = (wire: Wire, name: string) => wire.headers.find(([key]) => key.toLowerCase() === name)?.[1] ?? '';
const withHeader = (wire: Wire, name: string, value: string): Wire => ({ ...wire, headers: wire.headers.map(([key, old]) => [key, key.toLowerCase() === name ? value : old]) });
const withoutHeader = (wire: Wire, name: string): Wire => ({ ...wire, headers: wire.headers.filter(([key]) => key.toLowerCase() !== name) });
const plusHeader = (wire: Wire, name: string, value: string): Wire => ({ ...wire, headers: [...wire.headers, [name, value]] });
const authorizationWith = (wire: Wire, change: (value: string) => string) => withHeader(wire, 'authorization', change(header(wire, 'authorization')));

const CREDENTIALS: Unsigned = { method: 'POST', path: '/v1/credentials', body: '{"profile":"dev","mode":"cli"}' };

/** One named case: `expected` is what the stack must answer (status and API Gateway body). */
async function expectAnswer(name: string, wire: Wire, expected: 403 | 404 | Array<403 | 404>): Promise<Answer> {
  const answer = await send(wire);
  outcomes.push({ name, status: answer.status });
  const allowed = Array.isArray(expected) ? expected : [expected];
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = answer.body;
  }
  const shape = answer.status === 403 ? FORBIDDEN : answer.status === 404 ? NOT_FOUND : undefined;
  if (!(allowed as number[]).includes(answer.status) || shape === undefined || JSON.stringify(body) !== JSON.stringify(shape)) {
    violations.push(`${name}: answered ${answer.status} ${answer.body.slice(0, 160)} (expected ${allowed.join(' or ')})`);
  }
  return answer;
}

/** The control: a correctly signed request must work, or every refusal below proves nothing. */
async function control(request: Unsigned = CREDENTIALS, keys: Keys = alice): Promise<Record<string, unknown>> {
  const answer = await send(wireOf(await sign(request, { keys })));
  outcomes.push({ name: `control ${request.method} ${request.path}`, status: answer.status });
  expect(answer.status, answer.body).toBe(200);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  const credentials = body.credentials as Record<string, string> | undefined;
  for (const value of Object.values(credentials ?? {})) secrets.add(value);
  return body;
}

beforeAll(async () => {
  running = await startTestStack({ logger: captured.logger, log: (line) => void logLines.push(line), sweepIntervalSeconds: 0 });
  host = `127.0.0.1:${running.stack.port}`;
  const identities = (await readSharedCredentialsFile(running.stack.credentialsFile)) ?? [];
  const keysOf = (name: string): Keys => {
    const identity = identities.find((entry) => entry.name === name);
    if (identity === undefined) throw new Error(`no ${name} in ${running.stack.credentialsFile}`);
    return { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey };
  };
  alice = keysOf('alice');
  bob = keysOf('bob');
  for (const identity of identities) {
    secrets.add(identity.secretAccessKey);
  }
}, 120_000);

afterAll(async () => {
  await running?.stop();
});

describe('SigV4 tampering against the local stack', () => {
  it('a correctly signed request is answered; every tampered one is 403 (404 where no route matches)', async () => {
    await control();
    const valid = wireOf(await sign(CREDENTIALS));

    // The body.
    await expectAnswer('tampered body (x-amz-content-sha256 signed)', { ...valid, body: valid.body.replace('cli', 'clj') }, 403);
    const unhashed = wireOf(await sign(CREDENTIALS, { checksum: false }));
    await expectAnswer('tampered body (no content hash header)', { ...unhashed, body: unhashed.body.replace('dev', 'deV') }, 403);
    await expectAnswer('body appended', { ...unhashed, body: `${unhashed.body} ` }, 403);
    await expectAnswer('content hash of the tampered body', withHeader({ ...valid, body: '{"profile":"dev","mode":"server"}' }, 'x-amz-content-sha256', '9'.repeat(64)), 403);

    // Signed headers.
    await expectAnswer('tampered content-type', withHeader(valid, 'content-type', 'application/json; charset=utf-8'), 403);
    await expectAnswer('tampered host', withHeader(valid, 'host', `localhost:${running.stack.port}`), 403);
    const date = header(valid, 'x-amz-date');
    await expectAnswer('x-amz-date one second later', withHeader(valid, 'x-amz-date', date.replace(/(\d)Z$/, (_m, d: string) => `${(Number(d) + 1) % 10}Z`)), 403);
    await expectAnswer('x-amz-date on another day (scope mismatch)', withHeader(valid, 'x-amz-date', `${Number(date.slice(0, 4)) - 1}${date.slice(4)}`), 403);
    await expectAnswer('content-type header missing', withoutHeader(valid, 'content-type'), 403);
    await expectAnswer('x-amz-content-sha256 header missing', withoutHeader(valid, 'x-amz-content-sha256'), 403);
    await expectAnswer('an unsigned x-amz-security-token added', plusHeader(valid, 'x-amz-security-token', 'IQoJb3JpZ2luX2VjEhostile'), 403);

    // The query.
    await expectAnswer('query parameter added', { ...valid, target: `${valid.target}?profile=prod` }, 403);
    const queried = wireOf(await sign({ ...CREDENTIALS, query: { a: '1', b: 'two' } }));
    await expectAnswer('query parameter changed', { ...queried, target: queried.target.replace('a=1', 'a=2') }, 403);
    await expectAnswer('query parameter repeated', { ...queried, target: `${queried.target}&a=1` }, 403);
    await expectAnswer('query parameter removed', { ...queried, target: queried.target.replace('&b=two', '') }, 403);
    // The same query encoded differently is the same request (SigV4's canonical query decodes
    // unreserved characters), so it is answered, as API Gateway answers it.
    const reencoded = await send({ ...queried, target: queried.target.replace('two', 'tw%6F') });
    outcomes.push({ name: 'query with an unreserved character percent-encoded (same request)', status: reencoded.status });
    expect(reencoded.status, reencoded.body).toBe(200);
    for (const value of Object.values((JSON.parse(reencoded.body) as { credentials: Record<string, string> }).credentials)) secrets.add(value);

    // The path: another session's id is 403; a path no route matches is API Gateway's 404.
    const first = (await control({ method: 'POST', path: '/v1/credentials', body: '{"profile":"dev","mode":"server"}' })).session as { id: string };
    const second = (await control({ method: 'POST', path: '/v1/credentials', body: '{"profile":"dev","mode":"server"}' })).session as { id: string };
    const check = (id: string): Unsigned => ({ method: 'POST', path: `/v1/sessions/${id}/check`, body: '{"profile":"dev"}' });
    await control(check(first.id));
    const checkWire = wireOf(await sign(check(first.id)));
    await expectAnswer('path names another session', { ...checkWire, target: checkWire.target.replace(first.id, second.id) }, 403);
    await expectAnswer('path names another route', { ...checkWire, target: checkWire.target.replace('/check', '/end') }, 403);
    for (const target of ['/v1/./credentials', '//v1/credentials', '/v1//credentials', '/v1/credentials/', '/v1/credentials/.', '/v1/x/../credentials', '/v1%2Fcredentials', '/v1/%63redentials', '/V1/credentials']) {
      await expectAnswer(`path ${target}`, { ...valid, target }, [403, 404]);
    }
    // Paths that route, signed for their canonical form (smithy drops `.`, `..` and empty segments before signing).
    const listed = wireOf(await sign({ method: 'GET', path: '/v1/requests', body: '' }));
    await expectAnswer('GET /v1/requests/. with the signature of GET /v1/requests', { ...listed, target: '/v1/requests/.' }, [403, 404]);
    await expectAnswer('GET /v1/sessions/.. with the signature of GET /', { ...wireOf(await sign({ method: 'GET', path: '/', body: '' })), target: '/v1/sessions/..' }, [403, 404]);
    const bulk = wireOf(await sign({ method: 'POST', path: '/v1/sessions/revoke', body: '{"reason":"tampering test"}' }, { keys: bob }));
    await expectAnswer('POST /v1/sessions/./revoke with the signature of POST /v1/sessions/revoke', { ...bulk, target: '/v1/sessions/./revoke' }, [403, 404]);
    await expectAnswer('path id with an encoded slash', { ...checkWire, target: checkWire.target.replace(first.id, `${first.id}%2F..`) }, [403, 404]);
    await expectAnswer('path id with dot segments', { ...checkWire, target: checkWire.target.replace(first.id, '%2e%2e') }, 403);

    // The date window (5 minutes, as API Gateway): a captured request replayed 16 minutes on either side.
    for (const minutes of [-16, 16]) {
      await expectAnswer(`signed ${minutes} min from now`, wireOf(await sign(CREDENTIALS, { date: new Date(Date.now() + minutes * 60_000) })), 403);
    }

    // Scope and keys.
    await expectAnswer('wrong region', wireOf(await sign(CREDENTIALS, { region: 'eu-west-1' })), 403);
    await expectAnswer('wrong service (sts)', wireOf(await sign(CREDENTIALS, { service: 'sts' })), 403);
    await expectAnswer('wrong service (execute-apI)', wireOf(await sign(CREDENTIALS, { service: 'execute-apI' })), 403);
    await expectAnswer('unknown access key', wireOf(await sign(CREDENTIALS, { keys: { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase().slice(0, 16)}`, secretAccessKey: alice.secretAccessKey } })), 403);
    await expectAnswer("a known key with another's secret", wireOf(await sign(CREDENTIALS, { keys: { accessKeyId: alice.accessKeyId, secretAccessKey: bob.secretAccessKey } })), 403);
    await expectAnswer('a known key with a guessed secret', wireOf(await sign(CREDENTIALS, { keys: { accessKeyId: alice.accessKeyId, secretAccessKey: 'x'.repeat(40) } })), 403);

    // The Authorization header itself.
    for (const name of ['constructor', '__proto__', 'toString', 'hasownproperty', 'valueof', '__definegetter__']) {
      await expectAnswer(`SignedHeaders naming ${name}`, authorizationWith(valid, (value) => value.replace('SignedHeaders=', `SignedHeaders=${name};`)), 403);
      await expectAnswer(`SignedHeaders only ${name}`, authorizationWith(valid, (value) => value.replace(/SignedHeaders=[^,]*/, `SignedHeaders=${name}`)), 403);
    }
    await expectAnswer('key id __proto__', authorizationWith(valid, (value) => value.replace(alice.accessKeyId, '__proto__')), 403);
    await expectAnswer('key id constructor', authorizationWith(valid, (value) => value.replace(alice.accessKeyId, 'constructor')), 403);
    await expectAnswer('empty signature', authorizationWith(valid, (value) => value.replace(/Signature=[0-9a-f]+/, 'Signature=')), 403);
    await expectAnswer('signature upper-case', authorizationWith(valid, (value) => value.replace(/Signature=([0-9a-f]+)/, (_m, hex: string) => `Signature=${hex.toUpperCase()}`)), 403);
    await expectAnswer('signature of zeros', authorizationWith(valid, (value) => value.replace(/Signature=[0-9a-f]+/, `Signature=${'0'.repeat(64)}`)), 403);
    await expectAnswer('signed header list without host', authorizationWith(valid, (value) => value.replace('host;', '')), 403);
    await expectAnswer('signed header list unsorted', authorizationWith(valid, (value) => value.replace('content-type;host', 'host;content-type')), 403);
    await expectAnswer('SigV4a algorithm', authorizationWith(valid, (value) => value.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256')), 403);
    await expectAnswer('Authorization missing', withoutHeader(valid, 'authorization'), 403);
    await expectAnswer('Authorization field repeated', authorizationWith(valid, (value) => `${value}, Signature=${'0'.repeat(64)}`), 403);

    // Duplicate headers on the wire (the server joins them with `,`, as API Gateway does).
    await expectAnswer('two authorization headers', plusHeader(valid, 'authorization', header(valid, 'authorization')), 403);
    await expectAnswer('two x-amz-date headers', plusHeader(valid, 'x-amz-date', header(valid, 'x-amz-date')), 403);
    await expectAnswer('two host headers', plusHeader(valid, 'host', host), 403);
    await expectAnswer('two content-type headers', plusHeader(valid, 'content-type', 'application/json'), 403);
    await expectAnswer('two x-amz-content-sha256 headers', plusHeader(valid, 'x-amz-content-sha256', header(valid, 'x-amz-content-sha256')), 403);

    // Signatures the stack does not take.
    const presigner = new SignatureV4({ credentials: alice, region: running.stack.region, service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
    const presigned = await presigner.presign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: running.stack.port, path: '/v1/credentials', query: {}, headers: { host, 'content-type': 'application/json' }, body: CREDENTIALS.body }, { expiresIn: 300 });
    await expectAnswer('presigned URL', wireOf(presigned), 403);
    await expectAnswer('presigned URL beside a valid Authorization', { ...valid, target: `${valid.target}?${queryText(presigned.query ?? {})}` }, 403);
    await expectAnswer('UNSIGNED-PAYLOAD', wireOf(await sign({ ...CREDENTIALS, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })), 403);
    await expectAnswer('streaming payload', wireOf(await sign({ ...CREDENTIALS, headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } })), 403);

    // The control once more: the refusals above did not break the stack.
    await control();
  });

  it(`${MUTATIONS.toLocaleString('en-US')} single-character mutations of signed requests: never 2xx or 5xx, 403 whenever a route is reached`, async () => {
    const session = (await control({ method: 'POST', path: '/v1/credentials', body: '{"profile":"dev","mode":"server"}' })).session as { id: string };
    const bases: Unsigned[] = [
      { ...CREDENTIALS, query: { a: '1', b: 'two' } },
      { method: 'POST', path: `/v1/sessions/${session.id}/check`, body: '{"profile":"dev"}' },
    ];
    for (const base of bases) await control(base);
    const statuses = new Map<string, number>();
    const mutated = fc.record({
      base: fc.nat({ max: bases.length - 1 }),
      part: fc.constantFrom('method', 'target', 'host', 'content-type', 'x-amz-date', 'x-amz-content-sha256', 'authorization', 'signature', 'body'),
      at: fc.nat(),
      // Printable ASCII: the byte length stays the same, so content-length stays right.
      char: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
    });
    await fc.assert(
      fc.asyncProperty(mutated, async ({ base, part, at, char }) => {
        const wire = wireOf(await sign(bases[base] ?? CREDENTIALS));
        const replace = (text: string) => {
          const index = at % Math.max(1, text.length);
          return `${text.slice(0, index)}${char}${text.slice(index + 1)}`;
        };
        let changed: Wire;
        let original: string;
        if (part === 'method') [original, changed] = [wire.method, { ...wire, method: replace(wire.method) }];
        else if (part === 'target') [original, changed] = [wire.target, { ...wire, target: replace(wire.target) }];
        else if (part === 'body') [original, changed] = [wire.body, { ...wire, body: replace(wire.body) }];
        else if (part === 'signature') {
          const signature = /Signature=([0-9a-f]+)/.exec(header(wire, 'authorization'))?.[1] ?? '';
          original = signature;
          changed = authorizationWith(wire, (value) => value.replace(signature, replace(signature)));
        } else [original, changed] = [header(wire, part), withHeader(wire, part, replace(header(wire, part)))];
        const now = part === 'method' ? changed.method : part === 'target' ? changed.target : part === 'body' ? changed.body : part === 'signature' ? header(changed, 'authorization') : header(changed, part);
        if (now === original || (part === 'signature' && header(changed, 'authorization') === header(wire, 'authorization'))) return true; // the same character: no mutation
        const answer = await send(changed);
        const key = `${part} ${answer.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        // A changed method or path can leave every route (404, or Node's 400 for a request
        // line it cannot parse); everything else still reaches the route and must be refused.
        const allowed = part === 'method' || part === 'target' ? [400, 403, 404] : [403];
        if (!allowed.includes(answer.status)) {
          violations.push(`mutated ${part} (${JSON.stringify(original.slice(0, 80))} at ${at % Math.max(1, original.length)} → ${JSON.stringify(char)}) answered ${answer.status} ${answer.body.slice(0, 120)}`);
          return false;
        }
        return true;
      }),
      { numRuns: MUTATIONS, endOnFailure: true },
    ).catch((error: unknown) => violations.push(`fast-check: ${String(error).split('\n').slice(0, 3).join(' ')}`));
    outcomes.push(...[...statuses].map(([name, count]) => ({ name: `mutation ${name} ×${count}`, status: Number(name.split(' ').pop()) })));
    await control();
  });

  it('no secret key or vended credential appears in any log line of the stack', () => {
    const lines = [...captured.lines, ...logLines];
    const leaks = leakedSecrets(lines, secrets);
    for (const leak of leaks) violations.push(`secret in a stack log line: ${leak}`);
    recordLogs(PART, lines);
    recordSecrets(PART, secrets);
    const tally = new Map<number, number>();
    for (const { status } of outcomes) tally.set(status, (tally.get(status) ?? 0) + 1);
    recordPart({
      section: 'inputs',
      part: PART,
      tried: sent,
      unit: 'requests',
      violations: [...violations],
      notes: [
        `${PART}: ${sent} requests over raw sockets (${MUTATIONS} fast-check mutations${LONG ? ', long run' : ''}); answers ${[...tally].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}; ${lines.length} stack log lines scanned for ${secrets.size} secrets`,
        `${PART}: mutations ${outcomes.filter(({ name }) => name.startsWith('mutation ')).map(({ name }) => name.replace('mutation ', '')).join(', ')}`,
      ],
    });
    console.log(outcomes.map(({ name, status }) => `${status} ${name}`).join('\n'));
    expect(lines.length).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThan(3);
    expect(violations).toEqual([]);
  });
});
