/**
 * A revoke racing a refresh and a re-check of the same server-mode session, 200 times,
 * on the real adapters against DynamoDB Local; only STS is replaced (by an issuer that
 * answers after a random delay and counts what it minted).
 *
 * What must hold in every trial, timed with performance.now():
 * - no refresh delivers credentials whose mark-issued update reached the wire after
 *   the revoke's update had returned (that update is conditional on the session still
 *   being active, so DynamoDB applies it after the revoke and refuses it);
 * - a refresh or check started after the revoke returned is refused with
 *   SESSION_REVOKED, and such a refresh never reaches STS;
 * - the session ends revoked.
 *
 * The session store is the DynamoDB adapter behind a proxy that notes when each
 * mark-issued update was asked for, sent (a middleware on the client's stack, on every
 * attempt) and settled.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { vendingDeps } from '../../src/compose/credentials.js';
import { policyStore } from '../../src/compose/dynamo.js';
import { createRuntime } from '../../src/compose/runtime.js';
import type { SentinelConfig } from '../../src/config.js';
import { SentinelError } from '../../src/errors.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import type { SessionStore } from '../../src/sessions/types.js';
import { checkSession } from '../../src/vending/check.js';
import type { CheckDeps } from '../../src/vending/check.js';
import { vendCredentials } from '../../src/vending/issue.js';
import type { VendingDeps } from '../../src/vending/issue.js';
import type { CredentialIssuer, IssueInput, IssuedCredentials } from '../../src/vending/ports.js';
import { person } from '../support/callers.js';
import { createTestTable, dynamodbEndpoint } from './dynamodb.js';
import { parsePolicy } from '../../src/policy/parse.js';

const POLICY = readFileSync(new URL('../../examples/policy.yaml', import.meta.url), 'utf8');
const TRIALS = 200;
/** Trials run two at a time, each with its own session and timings: the run stays near 15 s. */
const AT_ONCE = 2;
const alice = person('alice');

/** One mark-issued update: when it was asked for, last sent on the wire, and settled. */
interface MarkIssued {
  id: string;
  calledAt: number;
  sentAt: number;
  settledAt: number;
  applied: boolean;
}

/** The mark-issued update in flight in this async context, for the middleware to stamp. */
const inFlight = new AsyncLocalStorage<MarkIssued>();

/**
 * The DynamoDB store with every mark-issued update timed into `marks`; every other
 * method passes through untouched, whatever the port grows.
 */
function timedSessionStore(inner: SessionStore, marks: MarkIssued[]): SessionStore {
  const markIssued: SessionStore['markIssued'] = async (table, id, update) => {
    const mark: MarkIssued = { id, calledAt: performance.now(), sentAt: Number.NaN, settledAt: Number.NaN, applied: false };
    marks.push(mark);
    try {
      await inFlight.run(mark, () => inner.markIssued(table, id, update));
      mark.applied = true;
    } finally {
      mark.settledAt = performance.now();
    }
  };
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'markIssued') return markIssued;
      const value: unknown = Reflect.get(target, property);
      // The adapter keeps its client in a private field: its methods must run on the adapter, not on the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** STS stand-in: answers after the delay planned for the session, and counts what it minted per session. */
class MintingIssuer implements CredentialIssuer {
  readonly kind = 'sts' as const;
  readonly delays = new Map<string, number>();
  readonly minted = new Map<string, string[]>();
  #count = 0;

  async issue(input: IssueInput): Promise<IssuedCredentials> {
    const session = input.sessionId ?? '';
    const delay = this.delays.get(session) ?? 0;
    if (delay > 0) await sleep(delay);
    this.#count += 1;
    const accessKeyId = `ASIARACE${String(this.#count).padStart(12, '0')}`;
    this.minted.set(session, [...(this.minted.get(session) ?? []), accessKeyId]);
    return { accessKeyId, secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(Date.now() + input.durationSeconds * 1000) };
  }
}

/** Mulberry32: the planned delays come from a fixed seed (the timings DynamoDB Local adds do not). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What one refresh or check got and when it started. */
interface Attempt {
  startedAt: number;
  /** `issued` / `allowed`, or the error code. */
  outcome: string;
  accessKeyId?: string;
}

interface Trial {
  id: string;
  revokedAt: number;
  revoked: boolean;
  refresh: Attempt;
  check: Attempt;
  /** The mark-issued updates of the refresh (none when it was refused before STS). */
  marks: MarkIssued[];
  minted: string[];
  finalStatus: string | undefined;
}

let table: string;
let deps: VendingDeps;
let checkDeps: CheckDeps;
let store: SessionStore;
/** Every mark-issued update, in call order. */
const marks: MarkIssued[] = [];
let issuer: MintingIssuer;

beforeAll(async () => {
  let configTable: string;
  [table, configTable] = await Promise.all([createTestTable('sessions'), createTestTable('config')]);
  const config: SentinelConfig = {
    region: 'us-east-1',
    accountId: '000000000000',
    configTable,
    requestsTable: 'sentinel-requests',
    breakglassTable: 'sentinel-breakglass',
    notifications: {},
    defaultSessionTable: table,
    tablePrefix: 'sentinel-',
    identity: { ownAccountId: '000000000000', identityRolePatterns: ['AWSReservedSSO_*'], allowedAccounts: ['000000000000'], allowedOrganizations: [], identityRoles: [], identityRoleLookup: false },
    // Cached as in a deployment: the race is between session writes, not policy reads.
    policyTtlSeconds: 60,
    rateLimit: { requests: 1_000_000, windowSeconds: 60 },
    maxSessionLifetimeSeconds: 12 * 3600,
    auditRetentionSeconds: 90 * 86_400,
    bootstrapAdmins: [],
    issuer: 'sts',
    dynamodbEndpoint: dynamodbEndpoint(),
  };
  issuer = new MintingIssuer();
  const runtime = createRuntime(config, { issuer, logger: new Logger({ logLevel: 'SILENT' }), dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await policyStore(runtime).put({ text: POLICY, policy: parsePolicy(POLICY) }, 0, 'test', new Date());

  // The session store on a client of its own (src/aws/dynamodb.ts) whose every attempt to send stamps the mark-issued update in flight.
  const clients = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  clients.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const mark = inFlight.getStore();
      if (mark !== undefined) mark.sentAt = performance.now();
      return next(args);
    },
    // Innermost: right before the HTTP handler, after retries and signing.
    { step: 'deserialize', priority: 'low', name: 'stampMarkIssued' },
  );
  store = timedSessionStore(new DynamoSessionStore(clients.documents), marks);
  deps = { ...vendingDeps(runtime), sessions: store };
  const { settings, policies, sessionTables, clock } = deps;
  checkDeps = { settings, sessions: store, policies, sessionTables, clock };
});

async function attempt(run: () => Promise<string | { accessKeyId: string }>): Promise<Attempt> {
  const startedAt = performance.now();
  try {
    const result = await run();
    return typeof result === 'string' ? { startedAt, outcome: result } : { startedAt, outcome: 'issued', accessKeyId: result.accessKeyId };
  } catch (error) {
    if (error instanceof SentinelError) return { startedAt, outcome: error.code };
    throw error;
  }
}

/** How long the steps take on this machine now: a refresh (its median, warm) and a revoke. */
interface Pace {
  refreshMs: number;
  revokeMs: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Times unraced refreshes and revokes, so that the trials' random delays spread over the window where the order flips. */
async function pace(): Promise<Pace> {
  const context = { caller: alice, requestId: 'pace', receivedAt: new Date() };
  const refreshes: number[] = [];
  const revokes: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const id = (await vendCredentials({ profile: 'prod', mode: 'server' }, context, deps)).session?.id as string;
    for (let j = 0; j < 3; j += 1) {
      const started = performance.now();
      await vendCredentials({ profile: 'prod', mode: 'server', sessionId: id }, context, deps);
      refreshes.push(performance.now() - started);
    }
    const started = performance.now();
    await store.revoke(table, { id, by: 'admin', reason: 'pace', now: new Date().toISOString() });
    revokes.push(performance.now() - started);
  }
  return { refreshMs: median(refreshes), revokeMs: median(revokes) };
}

/**
 * One trial: a fresh active session, then refresh, check and revoke each after its own
 * random delay, and STS answering the refresh after another: scaled to the machine's
 * pace, so that the revoke lands before, during and after the refresh.
 */
async function trial(draw: () => number, { refreshMs, revokeMs }: Pace): Promise<Trial> {
  const context = () => ({ caller: alice, requestId: 'race', receivedAt: new Date() });
  const created = await vendCredentials({ profile: 'prod', mode: 'server' }, context(), deps);
  const id = created.session?.id as string;
  const marksBefore = marks.filter((mark) => mark.id === id).length;
  issuer.delays.set(id, Math.round(draw() * refreshMs * 0.5));
  const refreshAfter = draw() * refreshMs * 0.5;
  const checkAfter = draw() * (refreshMs + revokeMs);
  const revokeAfter = draw() * (refreshMs * 1.5 + revokeMs) - revokeMs;
  let revokedAt = Number.NaN;
  const [refresh, check, revoked] = await Promise.all([
    sleep(refreshAfter).then(() =>
      attempt(async () => (await vendCredentials({ profile: 'prod', mode: 'server', sessionId: id }, context(), deps)).credentials),
    ),
    sleep(checkAfter).then(() => attempt(async () => (await checkSession(id, { profile: 'prod' }, alice, checkDeps), 'allowed'))),
    sleep(Math.max(0, revokeAfter)).then(async () => {
      // The admin's revoke: the store's one conditional update.
      const outcome = await store.revoke(table, { id, by: 'admin', reason: 'laptop lost', now: new Date().toISOString() });
      revokedAt = performance.now();
      return outcome.revoked;
    }),
  ]);
  const stored = await store.get(table, id);
  return {
    id,
    revokedAt,
    revoked,
    refresh,
    check,
    marks: marks.filter((mark) => mark.id === id).slice(marksBefore),
    minted: (issuer.minted.get(id) ?? []).slice(1),
    finalStatus: stored?.status,
  };
}

describe('revoke racing refresh and check on DynamoDB Local', () => {
  it(`never delivers credentials marked issued after the revoke returned, over ${TRIALS} trials`, async () => {
    const draw = random(20_261_118);
    const measured = await pace();
    const trials: Trial[] = [];
    for (let next = 0; next < TRIALS; next += AT_ONCE) trials.push(...(await Promise.all(Array.from({ length: Math.min(AT_ONCE, TRIALS - next) }, () => trial(draw, measured)))));

    for (const t of trials) {
      expect(t.revoked, t.id).toBe(true);
      expect(t.finalStatus, t.id).toBe('revoked');
      expect(['issued', 'SESSION_REVOKED'], `${t.id} refresh`).toContain(t.refresh.outcome);
      expect(['allowed', 'SESSION_REVOKED'], `${t.id} check`).toContain(t.check.outcome);
      // Every mark-issued update that reached DynamoDB after the revoke returned was refused.
      for (const mark of t.marks) {
        expect(Number.isNaN(mark.sentAt), `${t.id} mark-issued never sent`).toBe(false);
        if (mark.sentAt > t.revokedAt) expect(mark.applied, `${t.id} mark-issued sent after the revoke`).toBe(false);
      }
      if (t.refresh.outcome === 'issued') {
        // Delivered: minted for this session, and its mark-issued update was sent before the revoke returned.
        expect(t.minted, t.id).toContain(t.refresh.accessKeyId);
        expect(t.marks.filter((mark) => mark.applied), t.id).toHaveLength(1);
        expect((t.marks[0] as MarkIssued).sentAt, t.id).toBeLessThan(t.revokedAt);
      }
      if (t.refresh.startedAt > t.revokedAt) {
        expect(t.refresh.outcome, `${t.id} refresh started after the revoke`).toBe('SESSION_REVOKED');
        // Refused at the conditional refresh update, before STS.
        expect(t.minted, t.id).toEqual([]);
      }
      if (t.check.startedAt > t.revokedAt) expect(t.check.outcome, `${t.id} check started after the revoke`).toBe('SESSION_REVOKED');
    }

    const delivered = trials.filter((t) => t.refresh.outcome === 'issued').length;
    const refused = trials.filter((t) => t.refresh.outcome === 'SESSION_REVOKED');
    const refusedAfter = refused.filter((t) => t.refresh.startedAt > t.revokedAt).length;
    // Got through the conditional refresh, STS minted, and the mark-issued update lost to the revoke: minted, never delivered.
    const dropped = refused.filter((t) => t.minted.length > 0).length;
    const checksAllowed = trials.filter((t) => t.check.outcome === 'allowed').length;
    const checksRefusedAfter = trials.filter((t) => t.check.outcome === 'SESSION_REVOKED' && t.check.startedAt > t.revokedAt).length;
    console.log(
      `revoke race: ${TRIALS} trials (warm refresh ${measured.refreshMs.toFixed(1)} ms, revoke ${measured.revokeMs.toFixed(1)} ms); refreshes delivered before the revoke ${delivered}, refused ${refused.length} ` +
        `(${refusedAfter} started after the revoke returned, ${dropped} minted by STS then dropped); ` +
        `checks allowed ${checksAllowed}, refused after the revoke ${checksRefusedAfter}`,
    );
    // Not vacuous: both orders happened, and so did the window between STS and the mark-issued update.
    expect(delivered).toBeGreaterThan(0);
    expect(refusedAfter).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(checksAllowed).toBeGreaterThan(0);
    expect(checksRefusedAfter).toBeGreaterThan(0);
  }, 120_000);
});
