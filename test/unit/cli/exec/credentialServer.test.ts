import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { CREDENTIALS_PATH, startCredentialServer } from '../../../../src/cli/exec/credentialServer.js';
import type { CredentialServer } from '../../../../src/cli/exec/credentialServer.js';
import { ServerSession } from '../../../../src/cli/exec/serverSession.js';

const SESSION = { id: 'f05bac6542fb82bd0ea7e54d1d3f76fe', table: 'sentinel-sessions', expiresAt: '2030-01-01T00:15:00.000Z' };

/** A fake API whose every answer carries new, obviously fake keys, numbered by call. */
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
          expiration: '2030-01-01T00:15:00.000Z',
        },
        session: options.session === undefined ? SESSION : options.session,
        sourceIdentity: 'sentinel.alice.direct.4973b874',
        profile: 'prod',
        region: 'eu-west-1',
        decision: { effect: 'allow', rule: 'prod-tracked' },
      };
    }),
    endSession: vi.fn(async (id: string) => ({ id, status: 'ended' as const, endedAt: '2030-01-01T00:05:00.000Z' })),
  } satisfies Pick<SentinelApi, 'credentials' | 'endSession'>;
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
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(session: ServerSession, onRefusal?: (error: unknown) => void, wrap?: (fetch: () => Promise<CredentialsResponse>) => () => Promise<CredentialsResponse>) {
  const fetchCredentials = wrap === undefined ? () => session.fetch() : wrap(() => session.fetch());
  const server = await startCredentialServer({
    getCredentials: async () => (await fetchCredentials()).credentials,
    ...(onRefusal === undefined ? {} : { onRefusal }),
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
    const server = await serve(new ServerSession(fakeApi().api, { profile: 'prod' }));
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${CREDENTIALS_PATH}$`));
    // 32 random bytes, base64url.
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await serve(new ServerSession(fakeApi().api, { profile: 'prod' }));
    expect(other.token).not.toBe(server.token);
  });

  it('answers 403 without the token or with a wrong one, and never asks the API', async () => {
    const fake = fakeApi();
    const server = await serve(new ServerSession(fake.api, { profile: 'prod' }));
    for (const authorization of [undefined, '', 'wrong', `${server.token}x`, server.token.slice(0, -1), `Bearer ${server.token}`]) {
      const { status, body } = await get(server.url, authorization);
      expect(status, String(authorization)).toBe(403);
      expect(body).toEqual({ code: 'FORBIDDEN', message: 'missing or wrong authorization token' });
    }
    expect(fake.api.credentials).not.toHaveBeenCalled();
  });

  it('serves container-format credentials to the right token', async () => {
    const fake = fakeApi();
    const server = await serve(new ServerSession(fake.api, { profile: 'prod' }));
    const { status, body } = await get(server.url, server.token);
    expect(status).toBe(200);
    expect(body).toEqual({
      AccessKeyId: 'ASIASENTINELDEV00001',
      SecretAccessKey: 'sentinel-dev-secret-1',
      Token: 'sentinel-dev:token-1',
      Expiration: '2030-01-01T00:15:00.000Z',
    });
  });

  it('answers 404 on other paths and 405 for other methods', async () => {
    const server = await serve(new ServerSession(fakeApi().api, { profile: 'prod' }));
    expect((await get(server.url.replace(CREDENTIALS_PATH, '/latest/meta-data'), server.token)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST', headers: { authorization: server.token } });
    expect(post.status).toBe(405);
  });

  it('asks the API again for every request, refreshing the session by id', async () => {
    const fake = fakeApi();
    const session = new ServerSession(fake.api, { profile: 'prod', sessionTable: 'sentinel-other', durationSeconds: 900 });
    const server = await serve(session);
    const first = await get(server.url, server.token);
    const second = await get(server.url, server.token);
    expect(first.body['AccessKeyId']).not.toBe(second.body['AccessKeyId']);
    expect(fake.calls).toEqual([
      { profile: 'prod', mode: 'server', sessionTable: 'sentinel-other', durationSeconds: 900 },
      { profile: 'prod', mode: 'server', sessionId: SESSION.id, sessionTable: SESSION.table, durationSeconds: 900 },
    ]);
  });

  it('keeps asking without a session id when the API tracks none', async () => {
    const fake = fakeApi({ session: null });
    const session = new ServerSession(fake.api, { profile: 'staging' });
    const server = await serve(session);
    await get(server.url, server.token);
    await get(server.url, server.token);
    expect(fake.calls).toEqual([
      { profile: 'staging', mode: 'server' },
      { profile: 'staging', mode: 'server' },
    ]);
    expect(session.session).toBeUndefined();
    await expect(session.end()).resolves.toBeUndefined();
    expect(fake.api.endSession).not.toHaveBeenCalled();
  });

  it('makes one API call for 10 concurrent requests', async () => {
    const fake = fakeApi();
    const release = fake.hold();
    let arrived = 0;
    // Let the API answer only once all ten requests are being served.
    const server = await serve(new ServerSession(fake.api, { profile: 'prod' }), undefined, (fetchCredentials) => () => {
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

  it('refuses when the API refuses, and reports the reason once for repeated refusals', async () => {
    const fake = fakeApi();
    const reported: unknown[] = [];
    const server = await serve(new ServerSession(fake.api, { profile: 'prod' }), (error) => reported.push(error));
    expect((await get(server.url, server.token)).status).toBe(200);

    const revoked = new ApiError('SESSION_REVOKED', 'session f05bac65 was revoked by admin: incident', { status: 403 });
    fake.refuseWith(revoked);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { status, body } = await get(server.url, server.token);
      expect(status).toBe(403);
      expect(body).toEqual({ code: 'SESSION_REVOKED', message: 'session f05bac65 was revoked by admin: incident' });
    }
    expect(reported).toEqual([revoked]);
  });

  it('reports a new refusal after credentials flowed again, and answers 502 when the API is unreachable', async () => {
    const fake = fakeApi();
    const reported: unknown[] = [];
    const server = await serve(new ServerSession(fake.api, { profile: 'prod' }), (error) => reported.push(error));
    const unreachable = new ApiError('API_UNREACHABLE', 'cannot reach the Sentinel API: connection refused');
    fake.refuseWith(unreachable);
    expect(await get(server.url, server.token)).toEqual({ status: 502, body: { code: 'API_UNREACHABLE', message: 'cannot reach the Sentinel API: connection refused' } });
    expect((await get(server.url, server.token)).status).toBe(502);
    fake.refuseWith(undefined);
    expect((await get(server.url, server.token)).status).toBe(200);
    fake.refuseWith(unreachable);
    expect((await get(server.url, server.token)).status).toBe(502);
    expect(reported).toEqual([unreachable, unreachable]);
  });

  it('says which port is taken when --server-port is in use', async () => {
    const server = await serve(new ServerSession(fakeApi().api, { profile: 'prod' }));
    await expect(startCredentialServer({ getCredentials: () => Promise.reject(new Error('unused')), port: server.port })).rejects.toMatchObject({
      code: 'SERVER_PORT_IN_USE',
      message: `port ${server.port} on 127.0.0.1 is already in use: choose another --server-port, or leave it out for a free one`,
    });
  });

  it('frees its port when closed', async () => {
    const server = await serve(new ServerSession(fakeApi().api, { profile: 'prod' }));
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await expect(fetch(server.url, { headers: { authorization: server.token } })).rejects.toThrow();
  });
});

describe('ServerSession.end', () => {
  it('ends the tracked session in its table', async () => {
    const fake = fakeApi({ session: { ...SESSION, table: 'sentinel-other' } });
    const session = new ServerSession(fake.api, { profile: 'prod' });
    await session.fetch();
    await session.end();
    expect(fake.api.endSession).toHaveBeenCalledWith(SESSION.id, { sessionTable: 'sentinel-other' });
  });
});
