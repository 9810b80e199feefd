/**
 * The endpoint over HTTP, as the child's SDKs meet it: the token, the paths, the
 * container-credentials format, and answers from memory (the logic behind them is
 * test/unit/cli/exec/serverSession.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckSessionRequest, CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { CREDENTIALS_PATH, SESSION_PATH, startCredentialServer } from '../../../../src/cli/exec/credentialServer.js';
import type { CredentialServer } from '../../../../src/cli/exec/credentialServer.js';
import { ServerSession } from '../../../../src/cli/exec/serverSession.js';

const SESSION = { id: 'f05bac6542fb82bd0ea7e54d1d3f76fe', table: 'sentinel-sessions', expiresAt: '2030-01-01T00:15:00.000Z' };

/** A fake API whose every answer carries new, obviously fake keys, numbered by call, lasting 15 minutes. */
function fakeApi(options: { session?: typeof SESSION | null } = {}) {
  const calls: CredentialsRequest[] = [];
  let refuse: ApiError | undefined;
  let gate: Promise<void> | undefined;
  const api = {
    credentials: vi.fn(async (body: CredentialsRequest): Promise<CredentialsResponse> => {
      calls.push(body);
      const n = calls.length;
      if (gate !== undefined) await gate;
      if (refuse !== undefined) throw refuse;
      return {
        credentials: {
          accessKeyId: `ASIASENTINELDEV${String(n).padStart(5, '0')}`,
          secretAccessKey: `sentinel-dev-secret-${n}`,
          sessionToken: `sentinel-dev:token-${n}`,
          expiration: new Date(Date.now() + 15 * 60_000).toISOString(),
        },
        session: options.session === undefined ? SESSION : options.session,
        sourceIdentity: 'sentinel.alice.direct.4973b874',
        profile: 'prod',
        region: 'eu-west-1',
        decision: { effect: 'allow', rule: 'prod-tracked' },
      };
    }),
    checkSession: vi.fn(async (id: string, _body: CheckSessionRequest) => ({
      session: { id, status: 'active' as const, expiresAt: SESSION.expiresAt, lastAccessAt: new Date().toISOString(), requestCount: 2 },
      decision: { effect: 'allow' as const, rule: 'prod-tracked' },
      policyVersion: 1,
    })),
    endSession: vi.fn(async (id: string) => ({ id, status: 'ended' as const, endedAt: '2030-01-01T00:05:00.000Z' })),
  } satisfies Pick<SentinelApi, 'credentials' | 'checkSession' | 'endSession'>;
  return {
    api,
    calls,
    refuseWith(error: ApiError | undefined) {
      refuse = error;
    },
    hold(): () => void {
      let release = (): void => undefined;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const servers: CredentialServer[] = [];
const sessions: ServerSession[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const session of sessions.splice(0)) session.close();
  vi.useRealTimers();
});

function newSession(fake: ReturnType<typeof fakeApi>, report?: (error: unknown) => void): ServerSession {
  const session = new ServerSession(fake.api, { profile: 'prod', ...(report === undefined ? {} : { report }) });
  sessions.push(session);
  return session;
}

async function serve(session: ServerSession, wrap?: (fetch: () => Promise<unknown>) => () => Promise<unknown>) {
  const fetchCredentials = wrap === undefined ? () => session.credentials() : wrap(() => session.credentials());
  const server = await startCredentialServer({
    getCredentials: async () => (await fetchCredentials()) as Awaited<ReturnType<ServerSession['credentials']>>,
    describeSession: () => session.describe(),
  });
  servers.push(server);
  return server;
}

async function get(url: string, authorization?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the credential server', () => {
  it('listens on 127.0.0.1 with a long random token', async () => {
    const server = await serve(newSession(fakeApi()));
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${CREDENTIALS_PATH}$`));
    // 32 random bytes, base64url.
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await serve(newSession(fakeApi()));
    expect(other.token).not.toBe(server.token);
  });

  it('answers 403 without the token or with a wrong one, on every path, and never asks the API', async () => {
    const fake = fakeApi();
    const server = await serve(newSession(fake));
    for (const url of [server.url, server.url.replace(CREDENTIALS_PATH, SESSION_PATH)]) {
      for (const authorization of [undefined, '', 'wrong', `${server.token}x`, server.token.slice(0, -1), `Bearer ${server.token}`]) {
        const { status, body } = await get(url, authorization);
        expect(status, String(authorization)).toBe(403);
        expect(body).toEqual({ code: 'FORBIDDEN', message: 'missing or wrong authorization token' });
      }
    }
    expect(fake.api.credentials).not.toHaveBeenCalled();
  });

  it('serves container-format credentials to the right token, with their real expiry', async () => {
    const fake = fakeApi();
    const server = await serve(newSession(fake));
    const { status, body } = await get(server.url, server.token);
    expect(status).toBe(200);
    expect(body).toEqual({
      AccessKeyId: 'ASIASENTINELDEV00001',
      SecretAccessKey: 'sentinel-dev-secret-1',
      Token: 'sentinel-dev:token-1',
      Expiration: (await fake.api.credentials.mock.results[0]?.value as CredentialsResponse).credentials.expiration,
    });
  });

  it('answers 404 on other paths and 405 for other methods', async () => {
    const server = await serve(newSession(fakeApi()));
    expect((await get(server.url.replace(CREDENTIALS_PATH, '/latest/meta-data'), server.token)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST', headers: { authorization: server.token } });
    expect(post.status).toBe(405);
    const plain = await startCredentialServer({ getCredentials: () => Promise.reject(new Error('unused')) });
    servers.push(plain);
    expect((await get(plain.url.replace(CREDENTIALS_PATH, SESSION_PATH), plain.token)).status).toBe(404);
  });

  it('GET /session names the session and its region once the API has (for --lazy), and asks the API nothing', async () => {
    const fake = fakeApi();
    const server = await serve(newSession(fake));
    const session = server.url.replace(CREDENTIALS_PATH, SESSION_PATH);
    expect(await get(session, server.token)).toEqual({ status: 200, body: { profile: 'prod', sessionId: null, sessionTable: null, region: null } });
    expect(fake.api.credentials).not.toHaveBeenCalled();
    await get(server.url, server.token);
    expect(await get(session, server.token)).toEqual({ status: 200, body: { profile: 'prod', sessionId: SESSION.id, sessionTable: SESSION.table, region: 'eu-west-1' } });
  });

  it('1,000 requests cost one API call: every answer after the first comes from memory', async () => {
    const fake = fakeApi();
    const server = await serve(newSession(fake));
    const keys = new Set<unknown>();
    for (let i = 0; i < 1000; i++) {
      const { status, body } = await get(server.url, server.token);
      expect(status).toBe(200);
      keys.add(body['AccessKeyId']);
    }
    expect(keys).toEqual(new Set(['ASIASENTINELDEV00001']));
    expect(fake.api.credentials).toHaveBeenCalledOnce();
  });

  it('makes one API call for 10 concurrent first requests', async () => {
    const fake = fakeApi();
    const release = fake.hold();
    let arrived = 0;
    // Let the API answer only once all ten requests are being served.
    const server = await serve(newSession(fake), (fetchCredentials) => () => {
      arrived += 1;
      const pending = fetchCredentials();
      if (arrived === 10) release();
      return pending;
    });
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(server.url, server.token)));
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((answer) => answer.body['AccessKeyId']))).toEqual(new Set(['ASIASENTINELDEV00001']));
  });

  it('answers well within the SDKs’ 1 s timeout while a refresh hangs on the API', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const fake = fakeApi();
    const server = await serve(newSession(fake));
    expect((await get(server.url, server.token)).body['AccessKeyId']).toBe('ASIASENTINELDEV00001');
    // Five minutes on, the refresh is due; the API takes forever.
    fake.hold();
    vi.setSystemTime(Date.now() + 5 * 60_000);
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const { status, body } = await get(server.url, server.token);
      answers.push(performance.now() - started);
      expect({ status, key: body['AccessKeyId'] }).toEqual({ status: 200, key: 'ASIASENTINELDEV00001' });
    }
    expect(Math.max(...answers)).toBeLessThan(1000);
    expect(fake.api.credentials).toHaveBeenCalledTimes(2);
  });

  it('refuses with the API’s status and code once it refused, and reports the reason once', async () => {
    const fake = fakeApi();
    const reported: unknown[] = [];
    const server = await serve(newSession(fake, (error) => reported.push(error)));
    const denied = new ApiError('POLICY_DENY', 'access to profile "prod" is denied: frozen', { status: 403 });
    fake.refuseWith(denied);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { status, body } = await get(server.url, server.token);
      expect(status).toBe(403);
      expect(body).toEqual({ code: 'POLICY_DENY', message: 'access to profile "prod" is denied: frozen' });
    }
    expect(reported).toEqual([denied]);
    expect(fake.api.credentials).toHaveBeenCalledOnce();
  });

  it('answers 502 when the API cannot be reached and nothing is held, and says so once', async () => {
    const fake = fakeApi();
    const reported: unknown[] = [];
    const server = await serve(newSession(fake, (error) => reported.push(error)));
    const unreachable = new ApiError('API_UNREACHABLE', 'cannot reach the Sentinel API: connection refused');
    fake.refuseWith(unreachable);
    expect(await get(server.url, server.token)).toEqual({ status: 502, body: { code: 'API_UNREACHABLE', message: 'cannot reach the Sentinel API: connection refused' } });
    expect((await get(server.url, server.token)).status).toBe(502);
    expect(reported).toEqual([unreachable]);
  });

  it('says which port is taken when --server-port is in use', async () => {
    const server = await serve(newSession(fakeApi()));
    await expect(startCredentialServer({ getCredentials: () => Promise.reject(new Error('unused')), port: server.port })).rejects.toMatchObject({
      code: 'SERVER_PORT_IN_USE',
      message: `port ${server.port} on 127.0.0.1 is already in use: choose another --server-port, or leave it out for a free one`,
    });
  });

  it('frees its port when closed', async () => {
    const server = await serve(newSession(fakeApi()));
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await expect(fetch(server.url, { headers: { authorization: server.token } })).rejects.toThrow();
  });
});
