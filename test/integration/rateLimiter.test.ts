import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { SentinelError } from '../../src/errors.js';
import { resolveCaller } from '../../src/identity/resolve.js';
import type { IdentityRules } from '../../src/identity/types.js';
import { DynamoSessionStore } from '../../src/sessions/DynamoSessionStore.js';
import type { SessionRecord } from '../../src/sessions/types.js';
import { DynamoCountedWrites } from '../../src/vending/DynamoCountedWrites.js';
import { DynamoRateLimiter } from '../../src/vending/DynamoRateLimiter.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';

// The adapters run on the application's own clients (src/aws/dynamodb.ts); the test inspects the table with the shared ones.
const app = createDynamoClients({
  region: 'us-east-1',
  endpoint: dynamodbEndpoint(),
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const { documents } = testClients();
const LIMIT = 10;
const ACCOUNT = '000000000000';
/**
 * Tomorrow's epoch (it starts at midnight UTC) and 10:00 in it: a whole minute, not the
 * first of its epoch. In the future on purpose: DynamoDB Local's TTL deletes items whose
 * `ttl` has passed, and a counter deleted mid-test would let requests through.
 */
const EPOCH_START = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400;
const WINDOW_START = EPOCH_START + 36_000;
const at = (seconds: number): Date => new Date((WINDOW_START + seconds) * 1000);

let table: string;
let limiter: DynamoRateLimiter;

beforeAll(async () => {
  table = await createTestTable('config');
  limiter = new DynamoRateLimiter(app.documents, table, { requests: LIMIT, windowSeconds: 60 });
});

/** How many of the requests made at `times` (one after another) pass. */
async function passed(principal: string, times: Date[], subject = limiter): Promise<number> {
  let count = 0;
  for (const time of times) {
    const outcome = await subject.consume(principal, time).then(
      () => true,
      (error: unknown) => {
        if (error instanceof SentinelError && error.code === 'RATE_LIMITED') return false;
        throw error;
      },
    );
    if (outcome) count++;
  }
  return count;
}

describe('DynamoRateLimiter on DynamoDB Local', () => {
  it('counts per principal: 20 requests under fresh session names of one role, limit 3, exactly 3 pass', async () => {
    const rules: IdentityRules = { ownAccountId: ACCOUNT, allowedAccounts: [ACCOUNT], allowedOrganizations: [], identityRolePatterns: ['AWSReservedSSO_*'], identityRoles: [], identityRoleLookup: true };
    const noLookups = { isIdentityRole: async () => false };
    const strict = new DynamoRateLimiter(app.documents, table, { requests: 3, windowSeconds: 60 });
    const outcomes: string[] = [];
    for (let run = 0; run < 20; run++) {
      const name = `ci-run-${run}`;
      const caller = await resolveCaller(
        { accountId: ACCOUNT, userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/${name}`, userId: `AROADEPLOYROLE000001:${name}` },
        rules,
        noLookups,
      );
      // Each session is its own user, but the role is the one principal the limit counts.
      expect(caller).toMatchObject({ user: `role:deploy/${name}`, principal: `${ACCOUNT}:role/deploy` });
      outcomes.push(await strict.consume(caller.principal, at(15)).then(() => 'passed', (error: SentinelError) => error.code));
    }
    expect(outcomes).toEqual([...Array<string>(3).fill('passed'), ...Array<string>(17).fill('RATE_LIMITED')]);
  });

  it('counts concurrent requests exactly: of limit + 5 at once, exactly 5 are refused', async () => {
    const results = await Promise.allSettled(Array.from({ length: LIMIT + 5 }, () => limiter.consume('person/alice', at(15))));
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(LIMIT);
    expect(refused).toHaveLength(5);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(SentinelError);
      expect(reason).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^too many credential requests: at most 10 per 60 s; retry in \d+ s$/) });
    }
    const item = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'ratelimit#person/alice', sk: String(EPOCH_START) } }));
    expect(item.Item).toEqual({ pk: 'ratelimit#person/alice', sk: String(EPOCH_START), [`w${WINDOW_START}`]: LIMIT + 5, previous: 0, ttl: WINDOW_START + 120 + 3600 });
  });

  it('lets a burst straddling a window boundary pass no more than the limit (a fixed window let twice through)', async () => {
    // 15 requests in the last second before 10:01, 15 in the first second after.
    const before = Array.from({ length: 15 }, () => at(59.5));
    const after = Array.from({ length: 15 }, () => at(60.5));
    const total = (await passed('000000000000:user/burst', before)) + (await passed('000000000000:user/burst', after));
    // Tolerance of the scheme: limit × (time after the boundary ÷ window) = 10 × 0.5/60, less than one request.
    expect(total).toBe(LIMIT);
  });

  it('slides: half a minute into the next window, half of the previous one still counts', async () => {
    expect(await passed('000000000000:user/slide', Array.from({ length: LIMIT }, () => at(59)))).toBe(LIMIT);
    // 10 × 30/60 = 5 of the limit is still taken.
    expect(await passed('000000000000:user/slide', Array.from({ length: 8 }, () => at(90)))).toBe(5);
  });

  it("says truthfully when to come back: a request at Retry-After passes", async () => {
    await passed('000000000000:user/retry', Array.from({ length: LIMIT }, () => at(59)));
    const refusal = await limiter.consume('000000000000:user/retry', at(61)).then(
      () => undefined,
      (error: SentinelError) => error,
    );
    expect(refusal?.code).toBe('RATE_LIMITED');
    const retryAfter = refusal?.retryAfterSeconds ?? 0;
    expect(retryAfter).toBe(11);
    await expect(limiter.consume('000000000000:user/retry', at(61 + retryAfter))).resolves.toBeUndefined();
  });

  it('keeps principals apart and forgets a window two windows later', async () => {
    expect(await passed('000000000000:user/bob', Array.from({ length: LIMIT + 1 }, () => at(15)))).toBe(LIMIT);
    await expect(limiter.consume('000000000000:user/carol', at(15))).resolves.toBeUndefined();
    await expect(limiter.consume('000000000000:user/bob', at(120))).resolves.toBeUndefined();
    const item = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'ratelimit#000000000000:user/bob', sk: String(EPOCH_START) } }));
    // The counter of 10:00 went with the update at 10:02; 10:01 had none.
    expect(item.Item).toEqual({ pk: 'ratelimit#000000000000:user/bob', sk: String(EPOCH_START), [`w${WINDOW_START + 120}`]: 1, previous: 0, ttl: WINDOW_START + 240 + 3600 });
  });

  it('at an epoch boundary (midnight UTC) does not see the previous window: the documented tolerance of twice the limit', async () => {
    const midnight = EPOCH_START + 86_400;
    const late = Array.from({ length: LIMIT }, () => new Date((midnight - 1) * 1000));
    const early = Array.from({ length: LIMIT + 1 }, () => new Date((midnight + 1) * 1000));
    expect(await passed('000000000000:user/midnight', late)).toBe(LIMIT);
    expect(await passed('000000000000:user/midnight', early)).toBe(LIMIT);
  });

  it('fails closed when the config table is missing', async () => {
    const broken = new DynamoRateLimiter(app.documents, 'sentinel-no-such-config', { requests: LIMIT, windowSeconds: 60 });
    await expect(broken.consume('person/alice', at(15))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('the count written with the session (DynamoCountedWrites) on DynamoDB Local', () => {
  let sessionsTable: string;
  /** Every request the application's client sends, by command. */
  const sent: string[] = [];
  const counting = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  counting.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  const store = new DynamoSessionStore(counting.documents);
  let ids = 0;

  beforeAll(async () => {
    sessionsTable = await createTestTable('sessions');
  });

  function newSession(principal: string, now: Date): SessionRecord {
    ids += 1;
    const createdAt = now.toISOString();
    return {
      id: ids.toString(16).padStart(32, '0'),
      user: principal,
      callerArn: `arn:aws:iam::000000000000:user/${principal}`,
      accountId: ACCOUNT,
      profile: 'prod',
      roleArn: 'arn:aws:iam::111122223333:role/prod',
      mode: 'server',
      status: 'pending',
      sourceIdentity: `sentinel.${principal}.direct.00000001`,
      createdAt,
      lastAccessAt: createdAt,
      expiresAt: new Date(now.getTime() + 900_000).toISOString(),
      requestCount: 1,
      ttl: Math.floor(now.getTime() / 1000) + 3600,
    };
  }

  /** What the issuance pipeline does for a new session (src/vending/issue.ts, writeSession): together, else counted and written apart. */
  async function issue(limit: DynamoRateLimiter, principal: string, now: Date): Promise<'together' | 'apart' | 'RATE_LIMITED'> {
    const counted = new DynamoCountedWrites(limit, store);
    const session = newSession(principal, now);
    if (await counted.create(sessionsTable, session, principal, now)) return 'together';
    try {
      await limit.consume(principal, now);
    } catch (error) {
      if (error instanceof SentinelError && error.code === 'RATE_LIMITED') return 'RATE_LIMITED';
      throw error;
    }
    await store.create(sessionsTable, session);
    return 'apart';
  }

  const counter = async (principal: string): Promise<Record<string, unknown> | undefined> =>
    (await documents.send(new GetCommand({ TableName: table, Key: { pk: `ratelimit#${principal}`, sk: String(EPOCH_START) } }))).Item;

  it('one round trip per issuance once the previous window is known, and the limit holds exactly', async () => {
    const limit = new DynamoRateLimiter(counting.documents, table, { requests: LIMIT, windowSeconds: 60 });
    sent.length = 0;
    const outcomes: string[] = [];
    for (let i = 0; i < LIMIT + 2; i++) outcomes.push(await issue(limit, 'person/fold', at(20)));
    // A fresh principal's previous window is empty: nothing to learn first.
    expect(outcomes).toEqual([...Array<string>(LIMIT).fill('together'), 'RATE_LIMITED', 'RATE_LIMITED']);
    // Each issuance one TransactWriteItems; each refusal a cancelled one, then the exact count.
    expect(sent).toEqual([...Array<string>(LIMIT).fill('TransactWriteItemsCommand'), 'TransactWriteItemsCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
    // Every request counted, refused ones too, as consume alone counts them.
    expect((await counter('person/fold'))?.[`w${WINDOW_START}`]).toBe(LIMIT + 2);
  });

  it('slides as consume does: the previous window is learnt once (one extra round trip), then folded', async () => {
    const limit = new DynamoRateLimiter(counting.documents, table, { requests: LIMIT, windowSeconds: 60 });
    expect((await Promise.all(Array.from({ length: LIMIT }, async () => issue(limit, 'person/slide', at(59))))).filter((o) => o !== 'RATE_LIMITED')).toHaveLength(LIMIT);
    sent.length = 0;
    const later: string[] = [];
    for (let i = 0; i < 8; i++) later.push(await issue(limit, 'person/slide', at(90)));
    // 10 × 30/60 = 5 of the limit is still taken, as in 'slides' above.
    expect(later).toEqual(['apart', 'together', 'together', 'together', 'together', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(sent.slice(0, 4)).toEqual(['TransactWriteItemsCommand', 'UpdateItemCommand', 'PutItemCommand', 'TransactWriteItemsCommand']);
  });

  it('counts concurrent issuances exactly: of limit + 5 at once, exactly the limit get a session, every one is counted', async () => {
    const limit = new DynamoRateLimiter(counting.documents, table, { requests: LIMIT, windowSeconds: 60 });
    const before = await store.list(sessionsTable, { index: 'by-user', key: 'person/crowd', limit: 100, now: at(30).toISOString() });
    expect(before.sessions).toHaveLength(0);
    const outcomes = await Promise.all(Array.from({ length: LIMIT + 5 }, async () => issue(limit, 'person/crowd', at(30))));
    expect(outcomes.filter((outcome) => outcome !== 'RATE_LIMITED')).toHaveLength(LIMIT);
    const after = await store.list(sessionsTable, { index: 'by-user', key: 'person/crowd', limit: 100, now: at(30).toISOString() });
    expect(after.sessions).toHaveLength(LIMIT);
    expect((await counter('person/crowd'))?.[`w${WINDOW_START}`]).toBe(LIMIT + 5);
  });

  it('writes neither when the session put fails: the request is not counted twice', async () => {
    const limit = new DynamoRateLimiter(counting.documents, table, { requests: LIMIT, windowSeconds: 60 });
    const session = newSession('person/dup', at(10));
    await store.create(sessionsTable, session);
    expect(await new DynamoCountedWrites(limit, store).create(sessionsTable, session, 'person/dup', at(10))).toBe(false);
    expect(await counter('person/dup')).toBeUndefined();
  });

  it('a refresh is written with the count only while the session is active, its own, and started late enough', async () => {
    const limit = new DynamoRateLimiter(counting.documents, table, { requests: LIMIT, windowSeconds: 60 });
    const counted = new DynamoCountedWrites(limit, store);
    const session = newSession('person/refresh', at(0));
    await store.create(sessionsTable, session);
    await store.markIssued(sessionsTable, session.id, { user: 'person/refresh', expiresAt: at(900).toISOString(), ttl: 0 });
    const request = { id: session.id, user: 'person/refresh', profile: 'prod', now: at(40).toISOString(), createdFrom: session.createdAt };
    expect(await counted.refresh(sessionsTable, request, 'person/refresh', at(40))).toBe(true);
    expect(await counted.refresh(sessionsTable, { ...request, createdFrom: at(1).toISOString() }, 'person/refresh', at(40))).toBe(false);
    expect(await counted.refresh(sessionsTable, { ...request, user: 'person/mallory' }, 'person/refresh', at(40))).toBe(false);
    expect(await counted.refresh(sessionsTable, { ...request, profile: 'dev' }, 'person/refresh', at(40))).toBe(false);
    await store.revoke(sessionsTable, { id: session.id, by: 'admin', reason: 'test', now: at(41).toISOString() });
    expect(await counted.refresh(sessionsTable, request, 'person/refresh', at(42))).toBe(false);
    // One refresh written: the session counted it, and so did the limiter, once.
    expect((await store.get(sessionsTable, session.id))?.requestCount).toBe(2);
    expect((await counter('person/refresh'))?.[`w${WINDOW_START}`]).toBe(1);
  });
});
