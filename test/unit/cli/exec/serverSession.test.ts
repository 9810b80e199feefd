/**
 * The endpoint's logic (src/cli/exec/serverSession.ts) against a fake API on fake
 * timers: what the child's SDKs get, and what that costs the API, over minutes and
 * hours of a command's life.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckSessionRequest, CheckSessionResponse, CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import { ServerSession } from '../../../../src/cli/exec/serverSession.js';
import type { ServerSessionOptions } from '../../../../src/cli/exec/serverSession.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const SESSION = { id: 'f05bac6542fb82bd0ea7e54d1d3f76fe', table: 'sentinel-sessions' };

const revoked = (): ApiError => new ApiError('SESSION_REVOKED', 'session f05bac65 was revoked by admin: incident', { status: 403 });
const unreachable = (): ApiError => new ApiError('API_UNREACHABLE', 'cannot reach the Sentinel API at https://api.example: connection refused');
const unavailable = (): ApiError => new ApiError('UNAVAILABLE', 'a dependency failed: try again', { status: 503 });

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * A fake API: every issuance grants new keys numbered by call, lasting `lifetimeMs`
 * from the moment it answers (15 minutes: the default max_server_duration); every
 * re-check succeeds. `next` replaces the next answers of a route, in order.
 */
function fakeApi(options: { lifetimeMs?: number; session?: typeof SESSION | null } = {}) {
  const lifetimeMs = options.lifetimeMs ?? 15 * MINUTE;
  const issued: Array<{ at: number; body: CredentialsRequest }> = [];
  const checked: Array<{ at: number; id: string; body: CheckSessionRequest }> = [];
  const nextIssue: Array<() => Promise<CredentialsResponse>> = [];
  const nextCheck: Array<() => Promise<CheckSessionResponse>> = [];
  let session = options.session === undefined ? SESSION : options.session;
  const grant = (n: number): CredentialsResponse => ({
    credentials: {
      accessKeyId: `ASIASENTINELDEV${String(n).padStart(5, '0')}`,
      secretAccessKey: `sentinel-dev-secret-${n}`,
      sessionToken: `sentinel-dev:token-${n}`,
      expiration: new Date(Date.now() + lifetimeMs).toISOString(),
    },
    session: session === null ? null : { ...session, expiresAt: new Date(Date.now() + lifetimeMs).toISOString() },
    sourceIdentity: 'sentinel.alice.direct.4973b874',
    profile: 'prod',
    region: 'eu-west-1',
    decision: { effect: 'allow', rule: 'prod-tracked' },
  });
  const api = {
    credentials: vi.fn(async (body: CredentialsRequest): Promise<CredentialsResponse> => {
      issued.push({ at: Date.now() - T0, body });
      const n = issued.length;
      const scripted = nextIssue.shift();
      if (scripted === undefined) return grant(n);
      return scripted();
    }),
    checkSession: vi.fn(async (id: string, body: CheckSessionRequest): Promise<CheckSessionResponse> => {
      checked.push({ at: Date.now() - T0, id, body });
      const scripted = nextCheck.shift();
      if (scripted !== undefined) return scripted();
      return {
        session: { id, status: 'active', expiresAt: new Date(Date.now() + lifetimeMs).toISOString(), lastAccessAt: new Date().toISOString(), requestCount: checked.length + 1 },
        decision: { effect: 'allow', rule: 'prod-tracked' },
        policyVersion: 1,
      };
    }),
    endSession: vi.fn(async (id: string) => ({ id, status: 'ended' as const, endedAt: new Date().toISOString() })),
  };
  return {
    api,
    issued,
    checked,
    grant: () => grant(issued.length),
    /** The next issuance answers with what `answer` gives (a promise the test settles). */
    nextIssue: (answer: () => Promise<CredentialsResponse>) => void nextIssue.push(answer),
    nextCheck: (answer: () => Promise<CheckSessionResponse>) => void nextCheck.push(answer),
    startTracking: (value: typeof SESSION) => void (session = value),
  };
}

type Fake = ReturnType<typeof fakeApi>;

function open(fake: Fake, options: Partial<ServerSessionOptions> = {}) {
  const reported: unknown[] = [];
  const session = new ServerSession(fake.api, { profile: 'prod', random: () => 0, report: (error) => reported.push(error), ...options });
  sessions.push(session);
  return { session, reported };
}

/** The key id a read gets, or the code of its refusal, however long it takes. */
function read(session: ServerSession): Promise<string> {
  return session.credentials().then(
    (credentials) => credentials.accessKeyId,
    (error: unknown) => (error instanceof ApiError ? error.code : String(error)),
  );
}

/** Reads without ever letting the clock move while it waits: 'pending' when the answer needs the API. */
async function readNow(session: ServerSession): Promise<string> {
  let outcome: string | undefined;
  session.credentials().then(
    (credentials) => (outcome = credentials.accessKeyId),
    (error: unknown) => (outcome = error instanceof ApiError ? error.code : String(error)),
  );
  // Microtasks only: an answer from memory is there; one that waits on the API is not.
  for (let i = 0; i < 20 && outcome === undefined; i++) await Promise.resolve();
  return outcome ?? 'pending';
}

const sessions: ServerSession[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  for (const session of sessions.splice(0)) session.close();
  vi.useRealTimers();
});

describe('serving from memory', () => {
  it('1,000 reads over 5 minutes: one refresh (4 minutes in, 11 before expiry) and at most one re-check per 30 s', async () => {
    const fake = fakeApi();
    const { session } = open(fake, { recheckMs: 30_000 });
    await session.open();
    const elapsedMs = 5 * MINUTE;
    for (let i = 0; i < 1000; i++) {
      expect(await readNow(session)).toMatch(/^ASIASENTINELDEV0000[12]$/);
      await vi.advanceTimersByTimeAsync(elapsedMs / 1000);
    }
    // The first issuance and one refresh: 15-minute credentials are renewed when 11 minutes remain.
    expect(fake.issued.map(({ at, body }) => [at, body.sessionId ?? null])).toEqual([
      [0, null],
      [4 * MINUTE, SESSION.id],
    ]);
    expect(fake.checked.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 30_000));
    // Every 30 s after the last confirmation; the refresh at 4 minutes confirmed the session too.
    expect(fake.checked.map(({ at }) => at / 1000)).toEqual([30, 60, 90, 120, 150, 180, 210, 270, 300]);
    expect(fake.checked[0]).toMatchObject({ id: SESSION.id, body: { profile: 'prod', sessionTable: SESSION.table } });
  });

  it('serves the held credentials with their real expiry, and the renewed ones once they arrive', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    const first = await session.open();
    expect(await session.credentials()).toEqual(first.credentials);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    const renewed = await session.credentials();
    expect(renewed.accessKeyId).toBe('ASIASENTINELDEV00002');
    expect(renewed.expiration).toBe(new Date(T0 + 19 * MINUTE).toISOString());
  });

  it('answers at once while a refresh is on its way, and the refresh is one call however many reads come', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    await session.open();
    const refresh = deferred<CredentialsResponse>();
    fake.nextIssue(() => refresh.promise);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(fake.api.credentials).toHaveBeenCalledTimes(2);
    const reads = await Promise.all(Array.from({ length: 100 }, () => readNow(session)));
    expect(new Set(reads)).toEqual(new Set(['ASIASENTINELDEV00001']));
    expect(fake.api.credentials).toHaveBeenCalledTimes(2);
    // No re-check either while the refresh (which re-checks) is on its way.
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(await readNow(session)).toBe('ASIASENTINELDEV00001');
    expect(fake.checked.map(({ at }) => at / 1000)).toEqual([30, 60, 90, 120, 150, 180, 210]);
    refresh.resolve(fake.grant());
    await vi.advanceTimersByTimeAsync(0);
    expect(await readNow(session)).toBe('ASIASENTINELDEV00002');
  });

  it('answers at once while a re-check is on its way', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    await session.open();
    fake.nextCheck(() => new Promise(() => undefined));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.api.checkSession).toHaveBeenCalledTimes(1);
    expect(await Promise.all(Array.from({ length: 50 }, () => readNow(session)))).toEqual(Array(50).fill('ASIASENTINELDEV00001'));
    expect(fake.api.checkSession).toHaveBeenCalledTimes(1);
  });

  it('with --lazy: concurrent first reads share one issuance, and later ones need no API call', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    const first = deferred<CredentialsResponse>();
    fake.nextIssue(() => first.promise);
    const reads = Array.from({ length: 25 }, () => session.credentials());
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    first.resolve(fake.grant());
    expect(new Set((await Promise.all(reads)).map((credentials) => credentials.accessKeyId))).toEqual(new Set(['ASIASENTINELDEV00001']));
    expect(session.describe()).toEqual({ profile: 'prod', sessionId: SESSION.id, sessionTable: SESSION.table, region: 'eu-west-1' });
    for (let i = 0; i < 100; i++) await session.credentials();
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    expect(fake.issued[0]?.body).toEqual({ profile: 'prod', mode: 'server' });
  });

  it('renews 1-hour credentials 16 minutes before expiry, outside botocore’s 15-minute window, so botocore stops asking', async () => {
    const fake = fakeApi({ lifetimeMs: 60 * MINUTE });
    const { session } = open(fake);
    await session.open();
    for (let minute = 0; minute < 100; minute++) {
      await session.credentials();
      await vi.advanceTimersByTimeAsync(MINUTE);
    }
    expect(fake.issued.map(({ at }) => at / MINUTE)).toEqual([0, 44, 88]);
  });

  it('asks for no new credentials for an idle command, and starts again at its next request', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    await session.open();
    // No request for 2 hours: renewed while the command could still hold credentials it got (15 minutes), then nothing.
    await vi.advanceTimersByTimeAsync(120 * MINUTE);
    expect(fake.issued.map(({ at }) => at / MINUTE)).toEqual([0, 4, 8, 12]);
    // Re-checks only while there was something to serve (until 27 minutes in).
    expect(fake.checked.at(-1)?.at).toBeLessThan(27 * MINUTE);
    const calls = fake.api.checkSession.mock.calls.length;
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(fake.api.checkSession.mock.calls.length).toBe(calls);
    // Nothing held is still valid: this one request waits for a refresh.
    const next = session.credentials();
    expect(fake.api.credentials).toHaveBeenCalledTimes(5);
    expect((await next).accessKeyId).toBe('ASIASENTINELDEV00005');
  });

  it('an untracked session is never re-checked; each refresh asks as the first request did, and tracking that starts is followed', async () => {
    const fake = fakeApi({ session: null });
    const { session } = open(fake, { sessionTable: 'sentinel-team', durationSeconds: 900 });
    await session.open();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(fake.api.checkSession).not.toHaveBeenCalled();
    fake.startTracking(SESSION);
    // The refresh at 8 minutes opens a tracked session; it is re-checked 30 s later.
    await vi.advanceTimersByTimeAsync(3 * MINUTE + 30_000);
    expect(fake.issued.map(({ body }) => body)).toEqual([
      { profile: 'prod', mode: 'server', sessionTable: 'sentinel-team', durationSeconds: 900 },
      { profile: 'prod', mode: 'server', sessionTable: 'sentinel-team', durationSeconds: 900 },
      { profile: 'prod', mode: 'server', sessionTable: 'sentinel-team', durationSeconds: 900 },
    ]);
    expect(fake.api.checkSession).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(fake.issued.at(-1)?.body).toEqual({ profile: 'prod', mode: 'server', sessionId: SESSION.id, sessionTable: SESSION.table, durationSeconds: 900 });
  });
});

describe('a refusal', () => {
  it('at a re-check stops serving at once, is reported once, and nothing more is asked of the API', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    await session.open();
    const error = revoked();
    fake.nextCheck(() => Promise.reject(error));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(await readNow(session)).toBe('ASIASENTINELDEV00001');
    await vi.advanceTimersByTimeAsync(1);
    for (let i = 0; i < 10; i++) expect(await readNow(session)).toBe('SESSION_REVOKED');
    expect(reported).toEqual([error]);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    expect(fake.api.checkSession).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([error]);
  });

  it('at a refresh (the policy now denies) stops serving too, though the held credentials have not expired', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    await session.open();
    const denial = new ApiError('POLICY_DENY', 'access to profile "prod" is denied: frozen', {
      status: 403,
      denial: { effect: 'deny', rule: 'freeze', reason: 'frozen', requiresServerMode: false, requiresSessionTracking: false, sessionTable: null, mode: 'server', profile: 'prod', alternatives: [] },
    });
    fake.nextIssue(() => Promise.reject(denial));
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(await readNow(session)).toBe('POLICY_DENY');
    expect(reported).toEqual([denial]);
  });

  it.each([
    ['SESSION_ENDED', 403],
    ['SESSION_EXPIRED', 403],
    ['NOT_OWNER', 403],
    ['NOT_FOUND', 404],
    ['UNKNOWN_PROFILE', 404],
    ['CONFLICT', 409],
  ] as const)('%s (%i) is a refusal', async (code, status) => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    await session.open();
    fake.nextCheck(() => Promise.reject(new ApiError(code, `refused: ${code}`, { status })));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await readNow(session)).toBe(code);
    expect(reported).toHaveLength(1);
  });

  it('of the first request of --lazy is every request’s answer, reported once', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    const error = new ApiError('SERVER_SESSION_REQUIRED', 'denied', { status: 403 });
    fake.nextIssue(() => Promise.reject(error));
    expect(await read(session)).toBe('SERVER_SESSION_REQUIRED');
    expect(await readNow(session)).toBe('SERVER_SESSION_REQUIRED');
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([error]);
  });
});

describe('a failure to reach the API', () => {
  it('at a re-check keeps serving and retries with backoff, never further apart than the interval', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake, { recheckMs: 10_000 });
    await session.open();
    for (let i = 0; i < 6; i++) fake.nextCheck(() => Promise.reject(unreachable()));
    await vi.advanceTimersByTimeAsync(10_000 + 500 + 1_000 + 2_000 + 4_000 + 5_000 + 5_000);
    // random() = 0: half of 1 s, 2 s, 4 s, 8 s, then half of the 10 s cap.
    expect(fake.checked.map(({ at }) => at)).toEqual([10_000, 10_500, 11_500, 13_500, 17_500, 22_500, 27_500]);
    expect(await readNow(session)).toBe('ASIASENTINELDEV00001');
    expect(reported).toEqual([]);
    // Recovered: every 10 s again.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.checked.at(-1)?.at).toBe(37_500);
  });

  it.each([
    ['API_UNREACHABLE', undefined],
    ['API_TIMEOUT', undefined],
    ['UNAVAILABLE', 503],
    ['RATE_LIMITED', 429],
    ['INTERNAL', 500],
    ['API_BAD_RESPONSE', 502],
    // API Gateway refusing the signature: the user's own credentials ran out, not the session.
    ['API_FORBIDDEN', 403],
  ] as const)('%s at a refresh keeps serving the held credentials until they expire, and never after', async (code, status) => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    await session.open();
    const error = new ApiError(code, `failed: ${code}`, status === undefined ? {} : { status });
    for (let i = 0; i < 100; i++) fake.nextIssue(() => Promise.reject(error));
    await vi.advanceTimersByTimeAsync(15 * MINUTE - 1);
    expect(await readNow(session)).toBe('ASIASENTINELDEV00001');
    expect(reported).toEqual([]);
    // Retried from 4 minutes on, backing off to 15 s apart (random() = 0: half the 30 s cap).
    const retries = fake.issued.slice(1).map(({ at }) => at);
    expect(retries[0]).toBe(4 * MINUTE);
    expect(retries.at(-1)! - retries.at(-2)!).toBe(15_000);
    await vi.advanceTimersByTimeAsync(1);
    expect(await readNow(session)).toBe(code);
    expect(await readNow(session)).toBe(code);
    // Said once, when it first left the command without credentials.
    expect(reported).toEqual([error]);
  });

  it('that ends: credentials flow again, and a new episode is reported again', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    await session.open();
    for (let i = 0; i < 60; i++) fake.nextIssue(() => Promise.reject(unavailable()));
    await vi.advanceTimersByTimeAsync(15 * MINUTE);
    expect(await readNow(session)).toBe('UNAVAILABLE');
    expect(reported).toHaveLength(1);
    // The scripted failures run out: the next retry is granted.
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    expect(await readNow(session)).toMatch(/^ASIASENTINELDEV/);
    for (let i = 0; i < 200; i++) fake.nextIssue(() => Promise.reject(unavailable()));
    await vi.advanceTimersByTimeAsync(16 * MINUTE);
    expect(await readNow(session)).toBe('UNAVAILABLE');
    expect(reported).toHaveLength(2);
  });

  it('while nothing is held: the request gets the failure, and the next attempt waits for its backoff', async () => {
    const fake = fakeApi();
    const { session, reported } = open(fake);
    fake.nextIssue(() => Promise.reject(unreachable()));
    fake.nextIssue(() => Promise.reject(unreachable()));
    expect(await read(session)).toBe('API_UNREACHABLE');
    // Within the backoff (0.5 s): answered at once, no new call.
    expect(await readNow(session)).toBe('API_UNREACHABLE');
    expect(fake.api.credentials).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(await read(session)).toBe('API_UNREACHABLE');
    expect(fake.api.credentials).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await read(session)).toBe('ASIASENTINELDEV00003');
    expect(reported).toHaveLength(1);
  });
});

describe('closing', () => {
  it('stops every timer: no API call after the command is done', async () => {
    const fake = fakeApi();
    const { session } = open(fake);
    await session.open();
    session.close();
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(fake.api.credentials).toHaveBeenCalledOnce();
    expect(fake.api.checkSession).not.toHaveBeenCalled();
    await session.end();
    expect(fake.api.endSession).toHaveBeenCalledExactlyOnceWith(SESSION.id, { sessionTable: SESSION.table });
  });

  it('ends nothing when no session is tracked', async () => {
    const fake = fakeApi({ session: null });
    const { session } = open(fake);
    await session.open();
    await expect(session.end()).resolves.toBeUndefined();
    expect(fake.api.endSession).not.toHaveBeenCalled();
  });
});

describe('an expiry further away than a timer can wait (a clock far off)', () => {
  it('wakes up at the longest timeout and looks again, never in a loop', async () => {
    const fake = fakeApi({ lifetimeMs: 60 * 24 * 60 * MINUTE, session: null });
    const { session } = open(fake);
    await session.open();
    // A timer that fired at once (Node's answer to an overlong timeout) would run thousands of times here.
    await vi.advanceTimersByTimeAsync(30 * 24 * 60 * MINUTE);
    expect(fake.api.credentials).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(1);
  });
});
