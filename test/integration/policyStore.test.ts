import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { CachedPolicySource, NO_POLICY_REASON } from '../../src/policyStore/CachedPolicySource.js';
import { DynamoPolicyStore } from '../../src/policyStore/DynamoPolicyStore.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';
import { caught } from '../support/caught.js';
import { bigPolicy } from '../support/policies.js';
import { loadPolicy } from '../../src/policy/parse.js';

// The adapters run on the application's own clients (src/aws/dynamodb.ts); the test inspects the table with the shared ones.
const app = createDynamoClients({
  region: 'us-east-1',
  endpoint: dynamodbEndpoint(),
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const { documents } = testClients();
const NOW = new Date('2025-03-04T10:00:00.000Z');

function text(name: string): string {
  return `version: "1"\nrules:\n  - name: ${name}\n    effect: allow\n`;
}

let table: string;
let store: DynamoPolicyStore;

beforeEach(async () => {
  table = await createTestTable('config');
  store = new DynamoPolicyStore(app.documents, table);
});

describe('DynamoPolicyStore on DynamoDB Local', () => {
  it('stores and serves a valid 750 kB policy of 5,000 rules (compressed within one item)', async () => {
    const big = bigPolicy(5000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(700_000);
    expect(loadPolicy(big).issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    await store.put(big, 0, 'ops-erin', NOW);
    expect((await store.current())?.text).toBe(big);
    const source = new CachedPolicySource(store, { ttlSeconds: 0 });
    expect((await source.current(NOW)).policy.rules).toHaveLength(5000);
  });

  it('stores successive versions, keeps every one, and serves the newest', async () => {
    expect(await store.current()).toBeUndefined();
    expect(await store.put(text('first'), 0, 'ops-erin', NOW)).toEqual({
      text: text('first'),
      version: 1,
      updatedAt: NOW.toISOString(),
      updatedBy: 'ops-erin',
    });
    await store.put(text('second'), 1, 'ops-frank', new Date('2025-03-05T08:00:00.000Z'));
    expect(await store.current()).toEqual({
      text: text('second'),
      version: 2,
      updatedAt: '2025-03-05T08:00:00.000Z',
      updatedBy: 'ops-frank',
    });
    const items = await documents.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'policy' } }));
    expect((items.Items ?? []).map((item) => item.sk).sort()).toEqual(['current', 'v1', 'v2']);
  });

  it('refuses a push from a stale version, naming the stored one, and keeps the stored text', async () => {
    await store.put(text('first'), 0, 'ops-erin', NOW);
    await store.put(text('second'), 1, 'ops-erin', NOW);
    const error = await caught(store.put(text('stale'), 1, 'ops-frank', NOW));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('the stored policy is at version 2, not 1: pull it, merge, and push again');
    expect((await store.current())?.text).toBe(text('second'));
  });

  it('refuses a first push when a policy is already stored', async () => {
    await store.put(text('first'), 0, 'ops-erin', NOW);
    const error = await caught(store.put(text('again'), 0, 'ops-frank', NOW));
    expect(error.message).toBe('the stored policy is at version 1, not 0: pull it, merge, and push again');
  });

  it.each([0, 3])('lets exactly one of two concurrent pushes from version %i win; the other gets CONFLICT', async (start) => {
    for (let version = 0; version < start; version++) await store.put(text(`v${version + 1}`), version, 'ops-erin', NOW);
    const results = await Promise.allSettled([
      store.put(text('alice-edit'), start, 'alice', NOW),
      store.put(text('bob-edit'), start, 'bob', NOW),
    ]);
    const winners = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const losers = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]).toMatchObject({
      code: 'CONFLICT',
      message: `the stored policy is at version ${start + 1}, not ${start}: pull it, merge, and push again`,
    });
    expect(await store.current()).toEqual(winners[0]);
  });
});

describe('CachedPolicySource over DynamoPolicyStore', () => {
  it('denies with "no policy stored" until the first push, then serves it once the TTL has passed', async () => {
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: NOW };
    const empty = await source.current(NOW);
    expect(empty.version).toBe(0);
    expect(empty.compiled.evaluate(request)).toMatchObject({ effect: 'deny', reason: NO_POLICY_REASON });

    await store.put(text('everyone'), 0, 'ops-erin', NOW);
    expect((await source.current(new Date(NOW.getTime() + 5_000))).version).toBe(0);
    const pushed = await source.current(new Date(NOW.getTime() + 10_000));
    expect(pushed.version).toBe(1);
    expect(pushed.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'everyone' });
  });

  it('a config table that does not exist holds no policy: everything is denied (a deployment before sentinel init bootstrap)', async () => {
    const source = new CachedPolicySource(new DynamoPolicyStore(app.documents, 'sentinel-no-such-config'), { ttlSeconds: 10 });
    const loaded = await source.current(NOW);
    expect(loaded.version).toBe(0);
    expect(loaded.compiled.evaluate({ user: 'alice', profile: 'prod', mode: 'cli', time: NOW })).toMatchObject({ effect: 'deny', reason: NO_POLICY_REASON });
  });

  it('a push into a config table that does not exist is UNAVAILABLE, not a silent success', async () => {
    const missing = new DynamoPolicyStore(app.documents, 'sentinel-no-such-config');
    expect((await caught(missing.put(text('x'), 0, 'ops-erin', NOW))).code).toBe('UNAVAILABLE');
  });
});
