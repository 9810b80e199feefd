import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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

/**
 * A store on the application's own clients whose every DynamoDB command is recorded as
 * `<command> <sort key>`,
 * and whose next command can be made to fail as DynamoDB would.
 */
function recordedStore(configTable: string): { store: DynamoPolicyStore; sent: string[]; failNext: (fault: Error) => void } {
  const clients = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbEndpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const sent: string[] = [];
  let fault: Error | undefined;
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      // The plain value, or DynamoDB's own shape (`{ S }`) once lib-dynamodb has marshalled it.
      const sk = (args.input as { Key?: { sk?: string | { S?: string } } }).Key?.sk;
      sent.push(`${String(context.commandName)} ${(typeof sk === 'string' ? sk : sk?.S) ?? '-'}`);
      const failure = fault;
      fault = undefined;
      if (failure !== undefined) throw failure;
      return next(args);
    },
    { step: 'initialize', name: 'recordPolicyReads', priority: 'low' },
  );
  return { store: new DynamoPolicyStore(clients.documents, configTable), sent, failNext: (next) => (fault = next) };
}

function after(seconds: number): Date {
  return new Date(NOW.getTime() + seconds * 1000);
}

describe('what a cache refresh costs in DynamoDB calls', () => {
  const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: NOW };

  it('reads only the pointer on each TTL expiry while the version is unchanged, and the text once per push', async () => {
    await store.put(text('first'), 0, 'ops-erin', NOW);
    const { store: counted, sent } = recordedStore(table);
    const source = new CachedPolicySource(counted, { ttlSeconds: 10 });
    const first = await source.current(NOW);
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v1']);

    sent.length = 0;
    for (let expiry = 1; expiry <= 5; expiry++) expect(await source.current(after(10 * expiry))).toBe(first);
    expect(sent).toEqual(Array.from({ length: 5 }, () => 'GetItemCommand current'));

    await store.put(text('second'), 1, 'ops-erin', NOW);
    sent.length = 0;
    const pushed = await source.current(after(60));
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v2']);
    expect(pushed.version).toBe(2);
    expect(pushed.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'second' });

    sent.length = 0;
    expect(await source.current(after(70))).toBe(pushed);
    expect(sent).toEqual(['GetItemCommand current']);
  });

  it('fails closed when the pointer read fails after the TTL, without reading any text, and recovers on the next read', async () => {
    await store.put(text('first'), 0, 'ops-erin', NOW);
    const { store: counted, sent, failNext } = recordedStore(table);
    const source = new CachedPolicySource(counted, { ttlSeconds: 10 });
    const first = await source.current(NOW);

    sent.length = 0;
    failNext(new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }));
    const error = await caught(source.current(after(10)));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
    expect(sent).toEqual(['GetItemCommand current']);

    expect(await source.current(after(10))).toBe(first);
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand current']);
  });

  it('is UNAVAILABLE, not the cached version, when the pointer names a version whose item is missing', async () => {
    await store.put(text('first'), 0, 'ops-erin', NOW);
    const { store: counted, sent } = recordedStore(table);
    const source = new CachedPolicySource(counted, { ttlSeconds: 10 });
    await source.current(NOW);
    // A damaged store: the pointer moved on without the transaction that writes the version's text.
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'policy', sk: 'current', version: 2, updated_at: NOW.toISOString(), updated_by: 'ops-erin' } }));

    sent.length = 0;
    const error = await caught(source.current(after(10)));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store names version 2, but its text is missing');
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v2']);
  });
});
