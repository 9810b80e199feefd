import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { SentinelError } from '../../src/errors.js';
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
/** 2025-03-04T10:00:00Z, a whole minute; the requests below all fall in the window it starts. */
const WINDOW_START = 1_741_082_400;
const IN_WINDOW = new Date((WINDOW_START + 15) * 1000);

let table: string;
let limiter: DynamoRateLimiter;

beforeAll(async () => {
  table = await createTestTable('config');
  limiter = new DynamoRateLimiter(app.documents, table, { requests: LIMIT, windowSeconds: 60 });
});

describe('DynamoRateLimiter on DynamoDB Local', () => {
  it('counts concurrent requests exactly: of limit + 5 at once, exactly 5 are refused', async () => {
    const results = await Promise.allSettled(Array.from({ length: LIMIT + 5 }, () => limiter.consume('alice', IN_WINDOW)));
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(LIMIT);
    expect(refused).toHaveLength(5);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(SentinelError);
      expect(reason).toMatchObject({
        code: 'RATE_LIMITED',
        message: 'too many credential requests: at most 10 per 60 s; retry in 45 s',
        retryAfterSeconds: 45,
      });
    }
    const counter = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'ratelimit#alice', sk: String(WINDOW_START) } }));
    expect(counter.Item).toEqual({ pk: 'ratelimit#alice', sk: String(WINDOW_START), hits: LIMIT + 5, ttl: WINDOW_START + 60 + 3600 });
  });

  it('keeps users apart and starts every window afresh', async () => {
    for (let i = 0; i < LIMIT; i++) await limiter.consume('bob', IN_WINDOW);
    await expect(limiter.consume('bob', IN_WINDOW)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(limiter.consume('carol', IN_WINDOW)).resolves.toBeUndefined();
    await expect(limiter.consume('bob', new Date((WINDOW_START + 60) * 1000))).resolves.toBeUndefined();
  });

  it('fails closed when the config table is missing', async () => {
    const broken = new DynamoRateLimiter(app.documents, 'sentinel-no-such-config', { requests: LIMIT, windowSeconds: 60 });
    await expect(broken.consume('alice', IN_WINDOW)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
