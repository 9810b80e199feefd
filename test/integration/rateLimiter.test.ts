import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { SentinelError } from '../../src/errors.js';
import { resolveCaller } from '../../src/identity/resolve.js';
import type { IdentityRules } from '../../src/identity/types.js';
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
