/**
 * The provisioning methods of the API client against a server on 127.0.0.1 that checks
 * every signature with the local stack's SigV4 verifier, as API Gateway would: the
 * query strings of the two GET routes must be signed exactly as they are sent.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionResponse } from '../../../../src/api/contract.js';
import { createApiClient } from '../../../../src/cli/api/client.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import { createSigV4Verifier } from '../../../../src/local/sigv4Verifier.js';

const REGION = 'eu-west-1';
// AWS's documentation example keys: never valid anywhere.
const ALICE: AwsCredentialIdentity = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ALICE_ARN = 'arn:aws:iam::000000000000:user/alice';
const verifier = createSigV4Verifier({
  identities: new Map([[ALICE.accessKeyId, { secretAccessKey: ALICE.secretAccessKey, arn: ALICE_ARN, accountId: '000000000000', userId: 'AIDAEXAMPLEALICE' }]]),
  region: REGION,
});

interface Received {
  method: string;
  url: string;
  body: string;
  signedBy: string;
}
interface Reply {
  status: number;
  body: string;
}

const received: Received[] = [];
let replies: Reply[] = [];
let server: Server;
let baseUrl: string;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const verified = await verifier.verify({ method: req.method ?? 'GET', path: q === -1 ? url : url.slice(0, q), query: q === -1 ? '' : url.slice(q + 1), headers, body });
  received.push({ method: req.method ?? '', url, body: body.toString('utf8'), signedBy: verified.ok ? verified.identity.arn : `refused: ${verified.reason}` });
  if (!verified.ok) {
    res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
    return;
  }
  // By default a valid answer of the route (the client checks answers against the route table).
  const reply = replies.shift() ?? { status: 200, body: JSON.stringify(url.startsWith('/v1/provision/iam-policy') ? { Version: '2012-10-17', Statement: [] } : CREATING) };
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  received.length = 0;
  replies = [];
});

function client() {
  const sleeps: number[] = [];
  const api = createApiClient(
    { apiUrl: baseUrl, region: REGION },
    { credentials: async () => ALICE, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  );
  return { api, sleeps };
}

const CREATING: ProvisionResponse = {
  status: 'CREATING',
  table: 'sentinel-sessions',
  kind: 'sessions',
  plan: {
    action: 'create',
    differences: [],
    schema: { billingMode: 'PAY_PER_REQUEST', keys: ['id (HASH)'], indexes: [], ttlAttribute: 'ttl', pointInTimeRecovery: true, encryption: true },
  },
};

const unavailable = (message: string): Reply => ({ status: 503, body: JSON.stringify({ error: { code: 'UNAVAILABLE', message, requestId: 'req-1' } }) });

describe('provisioning calls', () => {
  it('POST /v1/provision sends the request and takes the 202 answer as it is', async () => {
    replies = [{ status: 202, body: JSON.stringify(CREATING) }];
    const { api } = client();
    expect(await api.provision({ kind: 'sessions', table: 'sentinel-sessions' })).toEqual(CREATING);
    expect(received).toEqual([{ method: 'POST', url: '/v1/provision', body: '{"kind":"sessions","table":"sentinel-sessions"}', signedBy: ALICE_ARN }]);
  });

  it('signs the query strings of the status and iam-policy calls', async () => {
    const { api } = client();
    await api.provisionStatus('sentinel-sessions', 'sessions');
    await api.iamPolicy('requests', 'sentinel-requests');
    // Not names a caller would use, but whatever is sent must be signed as sent.
    await api.provisionStatus('sentinel-x', "a b&c=d(!)*'");
    expect(received.map(({ method, url, signedBy }) => ({ method, url, signedBy }))).toEqual([
      { method: 'GET', url: '/v1/provision/sentinel-sessions?kind=sessions', signedBy: ALICE_ARN },
      { method: 'GET', url: '/v1/provision/iam-policy?kind=requests&table=sentinel-requests', signedBy: ALICE_ARN },
      { method: 'GET', url: '/v1/provision/sentinel-x?kind=a%20b%26c%3Dd%28%21%29%2A%27', signedBy: ALICE_ARN },
    ]);
  });

  it('retries a status poll after a 503 (it only moves creation on), but not a create', async () => {
    replies = [unavailable('DynamoDB is throttling'), { status: 200, body: JSON.stringify({ ...CREATING, status: 'READY' }) }];
    const { api, sleeps } = client();
    expect((await api.provisionStatus('sentinel-sessions', 'sessions')).status).toBe('READY');
    expect(sleeps).toHaveLength(1);

    replies = [unavailable("this AWS account has reached its DynamoDB table limit")];
    const error = await api.provision({ kind: 'sessions' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'this AWS account has reached its DynamoDB table limit', status: 503 });
    expect(received.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries a plan (it changes nothing) after a 503', async () => {
    replies = [unavailable('DynamoDB is throttling'), { status: 200, body: JSON.stringify({ ...CREATING, status: 'PLAN' }) }];
    const { api } = client();
    expect((await api.provision({ kind: 'sessions', plan: true })).status).toBe('PLAN');
    expect(received).toHaveLength(2);
  });
});
