/**
 * The API client against a real HTTP server on 127.0.0.1 that checks every signature
 * with the local stack's SigV4 verifier, as API Gateway would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Denial } from '../../../../src/api/denial.js';
import { createApiClient } from '../../../../src/cli/api/client.js';
import type { ApiClientOptions } from '../../../../src/cli/api/client.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import type { ApiSettings } from '../../../../src/cli/api/types.js';
import { createSigV4Verifier } from '../../../../src/local/sigv4Verifier.js';
import type { LocalIdentityCredentials } from '../../../../src/local/sigv4Verifier.js';

const REGION = 'eu-west-1';
// AWS's documentation example keys: never valid anywhere.
const ALICE: AwsCredentialIdentity = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const TEMPORARY: AwsCredentialIdentity = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN',
};
const IDENTITIES = new Map<string, LocalIdentityCredentials>([
  [ALICE.accessKeyId, { secretAccessKey: ALICE.secretAccessKey, arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', userId: 'AIDAEXAMPLEALICE' }],
  [
    TEMPORARY.accessKeyId,
    {
      secretAccessKey: TEMPORARY.secretAccessKey,
      sessionToken: TEMPORARY.sessionToken!,
      arn: 'arn:aws:sts::000000000000:assumed-role/dev/bob',
      accountId: '000000000000',
      userId: 'AROAEXAMPLE:bob',
    },
  ],
]);
const SECRETS = [ALICE.secretAccessKey, TEMPORARY.secretAccessKey, TEMPORARY.sessionToken!];

interface Received {
  method: string;
  path: string;
  body: string;
  /** The caller's ARN when the signature verified, else the verifier's reason. */
  signedBy: string;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (the client's timeout has to end the attempt). */
  hang?: boolean;
}

const verifier = createSigV4Verifier({ identities: IDENTITIES, region: REGION });
const received: Received[] = [];
/** Scripted replies to verified requests, in order; when empty, 200 with the caller. */
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
  received.push({ method: req.method ?? '', path: url, body: body.toString('utf8'), signedBy: verified.ok ? verified.identity.arn : `refused: ${verified.reason}` });
  if (!verified.ok) {
    // What API Gateway answers for a bad signature.
    res.writeHead(403, { 'content-type': 'application/json', 'apigw-requestid': 'gw-403' }).end('{"message":"Forbidden"}');
    return;
  }
  const reply = replies.shift() ?? { status: 200, body: JSON.stringify(answer(req.method ?? 'GET', q === -1 ? url : url.slice(0, q), verified.identity.arn)) };
  if (reply.hang === true) return;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? '');
}

/** A valid answer of each route (the client checks answers against the route table's schemas). */
function answer(method: string, path: string, arn: string): unknown {
  const expiration = '2026-11-18T11:00:00.000Z';
  if (path.endsWith('/v1/whoami')) return { user: 'alice', arn, accountId: '000000000000', admin: false };
  if (path.endsWith('/v1/credentials')) {
    return { credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token', expiration }, session: null, sourceIdentity: 'sentinel.alice.direct.a1b2c3d4', profile: 'dev', decision: { effect: 'allow', rule: 'dev' } };
  }
  if (path.endsWith('/v1/profiles')) return { profiles: [], policyVersion: 1 };
  if (path.endsWith('/v1/policy') && method === 'PUT') return { version: 4, updatedAt: expiration };
  if (path.endsWith('/end')) return { id: 'a b/c', status: 'ended', endedAt: expiration };
  if (path.endsWith('/v1/provision/iam-policy')) return { Version: '2012-10-17', Statement: [] };
  if (path.includes('/v1/provision')) {
    return { status: 'READY', table: 'sentinel-sessions', kind: 'sessions', plan: { action: 'none', differences: [], schema: { billingMode: 'PAY_PER_REQUEST', keys: ['id'], indexes: [], ttlAttribute: 'ttl', pointInTimeRecovery: true, encryption: true } } };
  }
  return { unexpected: path };
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

/** A client with injected credentials and a sleep that records instead of waiting. */
function client(options: ApiClientOptions & { settings?: Partial<ApiSettings> } = {}): { api: ReturnType<typeof createApiClient>; sleeps: number[] } {
  const sleeps: number[] = [];
  const { settings, ...rest } = options;
  const api = createApiClient(
    { apiUrl: baseUrl, region: REGION, ...settings },
    {
      credentials: async () => ALICE,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...rest,
    },
  );
  return { api, sleeps };
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) {
      for (const secret of SECRETS) expect(error.message).not.toContain(secret);
      return error;
    }
    throw error;
  }
  throw new Error('expected an ApiError');
}

function sentinelError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: JSON.stringify({ error: { code, message, requestId: 'req-1', ...extra } }) };
}

const DENIAL: Denial = {
  effect: 'deny',
  rule: 'prod-tracked',
  reason: 'Production needs tracked server sessions',
  requiresServerMode: true,
  requiresSessionTracking: true,
  sessionTable: 'sentinel-sessions',
  mode: 'cli',
  profile: 'prod',
  alternatives: [],
};

describe('signing', () => {
  it('signs GETs and bodies so that an execute-api verifier accepts them', async () => {
    const { api } = client();
    expect(await api.whoami()).toEqual({ user: 'alice', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', admin: false });
    await api.credentials({ profile: 'dev', mode: 'cli', durationSeconds: 900 });
    await api.putPolicy({ text: 'version: "1"\n# ünïcödé\n', expectedVersion: 3 });
    expect(received).toEqual([
      { method: 'GET', path: '/v1/whoami', body: '', signedBy: 'arn:aws:iam::000000000000:user/alice' },
      { method: 'POST', path: '/v1/credentials', body: '{"profile":"dev","mode":"cli","durationSeconds":900}', signedBy: 'arn:aws:iam::000000000000:user/alice' },
      { method: 'PUT', path: '/v1/policy', body: '{"text":"version: \\"1\\"\\n# ünïcödé\\n","expectedVersion":3}', signedBy: 'arn:aws:iam::000000000000:user/alice' },
    ]);
  });

  it('signs with temporary credentials (session token)', async () => {
    const { api } = client({ credentials: async () => TEMPORARY });
    await api.profiles();
    expect(received.map((r) => r.signedBy)).toEqual(['arn:aws:sts::000000000000:assumed-role/dev/bob']);
  });

  it('signs under a stage path and with an escaped session id', async () => {
    const { api } = client({ settings: { apiUrl: `${baseUrl}/prod` } });
    await api.endSession('a b/c', { sessionTable: 'sentinel-sessions' });
    expect(received).toEqual([
      { method: 'POST', path: '/prod/v1/sessions/a%20b%2Fc/end', body: '{"sessionTable":"sentinel-sessions"}', signedBy: 'arn:aws:iam::000000000000:user/alice' },
    ]);
  });

  it('asks the credential provider on every attempt', async () => {
    let asked = 0;
    replies = [sentinelError(503, 'UNAVAILABLE', 'the session store failed')];
    const { api } = client({ credentials: async () => (asked++, ALICE) });
    await api.whoami();
    expect(asked).toBe(2);
    expect(received.every((r) => r.signedBy.startsWith('arn:'))).toBe(true);
  });
});

describe('errors', () => {
  it('turns a Sentinel error body with a denial into an ApiError and never retries a 403', async () => {
    replies = [sentinelError(403, 'SERVER_SESSION_REQUIRED', 'access to profile "prod" is denied', { denial: DENIAL })];
    const { api, sleeps } = client();
    const error = await apiError(api.credentials({ profile: 'prod', mode: 'cli' }));
    expect(error).toMatchObject({ code: 'SERVER_SESSION_REQUIRED', message: 'access to profile "prod" is denied', status: 403, requestId: 'req-1', denial: DENIAL });
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports a signature API Gateway refuses (wrong secret) as API_FORBIDDEN, without the secret', async () => {
    const { api } = client({ credentials: async () => ({ ...ALICE, secretAccessKey: 'not-the-secret-of-this-key-0000000000000' }) });
    const error = await apiError(api.whoami());
    expect(error).toMatchObject({
      code: 'API_FORBIDDEN',
      message: "the API refused the request signature: check that your AWS credentials are valid and that the region (eu-west-1) is the API's",
      status: 403,
      requestId: 'gw-403',
    });
    expect(error.message).not.toContain('not-the-secret');
    expect(received).toHaveLength(1);
  });

  it('reports a signature for the wrong region as API_FORBIDDEN naming the region', async () => {
    const { api } = client({ settings: { region: 'us-east-1' } });
    const error = await apiError(api.whoami());
    expect(error.code).toBe('API_FORBIDDEN');
    expect(error.message).toContain('the region (us-east-1)');
    expect(received[0]?.signedBy).toMatch(/^refused: credential scope region/);
  });

  it.each([
    ['HTML from a proxy', { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad Gateway</body></html>' }, /answered HTTP 502 with an unexpected body: "<html><body>Bad Gateway<\/body><\/html>"$/],
    ['an empty error body', { status: 500, body: '' }, /answered HTTP 500 with an empty body$/],
    ['a 200 that is not JSON', { status: 200, body: 'OK' }, /answered HTTP 200 with a body that is not a JSON object: "OK"$/],
    ["a 200 that is not the route's answer", { status: 200, body: '{"user":"alice","arn":"x","accountId":"1","admin":"yes"}' }, /answered HTTP 200 with a body that is not a GET \/v1\/whoami answer \(admin: Invalid input: expected boolean, received string\)$/],
    ['an error body with a code the client does not know', { status: 403, body: '{"error":{"code":"NOT_A_CODE","message":"x","requestId":"r"}}' }, /answered HTTP 403 with an unexpected body/],
    ["API Gateway's own 500", { status: 500, body: '{"message":"Internal Server Error"}' }, /answered HTTP 500 "Internal Server Error"$/],
    ["API Gateway's 404 (wrong URL or stage)", { status: 404, body: '{"message":"Not Found"}' }, /has no route GET \/v1\/whoami \(HTTP 404\): check --api \/ SENTINEL_API_URL, including the stage path/],
  ])('reports %s as API_BAD_RESPONSE with the status', async (_what, reply, message) => {
    replies = [reply];
    const error = await apiError(client().api.whoami());
    expect(error.code).toBe('API_BAD_RESPONSE');
    expect(error.status).toBe(reply.status);
    expect(error.message).toMatch(message);
  });

  it('reports missing credentials without the SDK text, and sends nothing', async () => {
    const { api } = client({
      credentials: async () => {
        throw new Error('credential_process "get-creds --secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" failed');
      },
      settings: { awsProfile: 'work' },
    });
    const error = await apiError(api.whoami());
    expect(error.code).toBe('NO_AWS_CREDENTIALS');
    expect(error.message).toBe(
      'no AWS credentials to sign the request: the AWS SDK found none for profile "work" (--aws-profile). Check that the profile is in your AWS config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), or run aws sso login --profile work if its SSO session has expired (aws sts get-caller-identity --profile work shows the SDK\'s own reason)',
    );
    expect(received).toEqual([]);
  });
});

describe('retries', () => {
  it('waits out Retry-After on a 503, then succeeds', async () => {
    replies = [{ ...sentinelError(503, 'UNAVAILABLE', 'the session store failed'), headers: { 'retry-after': '2' } }];
    const { api, sleeps } = client();
    expect(await api.whoami()).toEqual({ user: 'alice', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', admin: false });
    expect(sleeps).toEqual([2000]);
    expect(received).toHaveLength(2);
  });

  it('backs off with jitter when there is no Retry-After, and gives up after maxAttempts', async () => {
    replies = [sentinelError(429, 'RATE_LIMITED', 'slow down'), sentinelError(429, 'RATE_LIMITED', 'slow down'), sentinelError(429, 'RATE_LIMITED', 'still too fast')];
    const { api, sleeps } = client();
    const error = await apiError(api.credentials({ profile: 'dev', mode: 'cli' }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', message: 'still too fast', status: 429 });
    expect(received).toHaveLength(3);
    // random() = 0.5 of 200 ms, then of 400 ms.
    expect(sleeps).toEqual([100, 200]);
  });

  it('reports a Retry-After longer than it would wait instead of blocking', async () => {
    replies = [{ ...sentinelError(429, 'RATE_LIMITED', 'too many credential requests; retry in 45 s'), headers: { 'retry-after': '45' } }];
    const { api, sleeps } = client();
    expect((await apiError(api.credentials({ profile: 'dev', mode: 'cli' }))).message).toBe('too many credential requests; retry in 45 s');
    expect(sleeps).toEqual([]);
    expect(received).toHaveLength(1);
  });

  it("retries a credentials request after Sentinel's UNAVAILABLE, but not after API Gateway's 503", async () => {
    replies = [sentinelError(503, 'UNAVAILABLE', 'STS failed')];
    const { api } = client();
    await api.credentials({ profile: 'dev', mode: 'cli' });
    expect(received).toHaveLength(2);

    received.length = 0;
    replies = [{ status: 503, body: '{"message":"Service Unavailable"}' }];
    const error = await apiError(api.credentials({ profile: 'dev', mode: 'cli' }));
    expect(error).toMatchObject({ code: 'API_BAD_RESPONSE', status: 503 });
    expect(received).toHaveLength(1);
  });

  it('retries a policy push on 429 but not on 503', async () => {
    replies = [{ status: 429, body: '{"message":"Too Many Requests"}' }];
    const { api } = client();
    await api.putPolicy({ text: 'x', expectedVersion: 1 });
    expect(received).toHaveLength(2);

    received.length = 0;
    replies = [sentinelError(503, 'UNAVAILABLE', 'the config table failed')];
    expect((await apiError(api.putPolicy({ text: 'x', expectedVersion: 1 }))).code).toBe('UNAVAILABLE');
    expect(received).toHaveLength(1);
  });

  it('reports throttling by API Gateway itself as RATE_LIMITED', async () => {
    replies = [1, 2, 3].map(() => ({ status: 429, body: '{"message":"Too Many Requests"}' }));
    const error = await apiError(client().api.profiles());
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, message: 'the API is throttling requests (HTTP 429 "Too Many Requests"): try again in a moment' });
  });

  it('times out each attempt; retries reads, but not a credentials request', async () => {
    replies = [{ status: 200, hang: true }, { status: 200, hang: true }, { status: 200, hang: true }];
    const { api } = client({ timeoutMs: 100 });
    const error = await apiError(api.whoami());
    expect(error.code).toBe('API_TIMEOUT');
    expect(error.message).toBe(`the Sentinel API at ${baseUrl} did not answer GET /v1/whoami within 100 ms (tried 3 times)`);
    expect(received).toHaveLength(3);

    received.length = 0;
    replies = [{ status: 200, hang: true }];
    expect((await apiError(api.credentials({ profile: 'dev', mode: 'cli' }))).message).toBe(
      `the Sentinel API at ${baseUrl} did not answer POST /v1/credentials within 100 ms`,
    );
    expect(received).toHaveLength(1);
  });

  it('reports an unreachable API naming its URL; a refused connection is retried for any route', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { api, sleeps } = client({ settings: { apiUrl: url } });
    const error = await apiError(api.credentials({ profile: 'dev', mode: 'cli' }));
    expect(error.code).toBe('API_UNREACHABLE');
    expect(error.message).toBe(`cannot reach the Sentinel API at ${url}: connection refused (check --api / SENTINEL_API_URL) (tried 3 times)`);
    expect(sleeps).toHaveLength(2);
  });
});

describe('default credentials (the AWS SDK chain)', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sentinel-client-'));
    await writeFile(path.join(dir, 'credentials'), `[work]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n`);
    await writeFile(path.join(dir, 'config'), '');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  function useFiles(): void {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    process.env['AWS_SHARED_CREDENTIALS_FILE'] = path.join(dir, 'credentials');
    process.env['AWS_CONFIG_FILE'] = path.join(dir, 'config');
    // Nothing on this machine should be asked for instance credentials.
    process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  }

  it('signs with the --aws-profile named', async () => {
    useFiles();
    const api = createApiClient({ apiUrl: baseUrl, region: REGION, awsProfile: 'work' });
    expect(await api.whoami()).toEqual({ user: 'alice', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', admin: false });
  });

  it('reports a profile that does not exist as NO_AWS_CREDENTIALS', async () => {
    useFiles();
    const api = createApiClient({ apiUrl: baseUrl, region: REGION, awsProfile: 'nobody' });
    const error = await apiError(api.whoami());
    expect(error.code).toBe('NO_AWS_CREDENTIALS');
    expect(error.message).toContain('the AWS SDK found none for profile "nobody" (--aws-profile)');
    expect(received).toEqual([]);
  });

  it('names the profile AWS_PROFILE names when it does not exist, as a shell word in the commands', async () => {
    useFiles();
    process.env['AWS_PROFILE'] = "wrok's";
    const error = await apiError(createApiClient({ apiUrl: baseUrl, region: REGION }).whoami());
    expect(error.code).toBe('NO_AWS_CREDENTIALS');
    expect(error.message).toContain('the AWS SDK found none for profile "wrok\'s" (AWS_PROFILE). Check that the profile is in your AWS config or credentials file');
    expect(error.message).toContain("aws sso login --profile 'wrok'\\''s'");
    expect(received).toEqual([]);
  });

  it('names no profile when neither --aws-profile nor AWS_PROFILE names one', async () => {
    useFiles();
    process.env['AWS_SHARED_CREDENTIALS_FILE'] = path.join(dir, 'none');
    const error = await apiError(createApiClient({ apiUrl: baseUrl, region: REGION }).whoami());
    expect(error.code).toBe('NO_AWS_CREDENTIALS');
    expect(error.message).toContain('the AWS SDK found none (AWS_PROFILE, environment variables, SSO, instance roles…). Pass --aws-profile <name> or set AWS_PROFILE');
  });
});
