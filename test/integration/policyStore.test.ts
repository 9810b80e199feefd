import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { CachedPolicySource, NO_POLICY_REASON } from '../../src/policyStore/CachedPolicySource.js';
import { DynamoPolicyStore } from '../../src/policyStore/DynamoPolicyStore.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';
import { caught } from '../support/caught.js';
import { bigPolicy } from '../support/policies.js';
import { encodePolicyDocument } from '../../src/policy/document.js';
import { parsePolicy } from '../../src/policy/parse.js';
import type { NewPolicyVersion } from '../../src/policyStore/types.js';
import { gzipSync } from 'node:zlib';

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

/** A version to push: the text and what the parser makes of it, as the push route passes them. */
function versionOf(source: string): NewPolicyVersion {
  return { text: source, policy: parsePolicy(source) };
}

let table: string;
let store: DynamoPolicyStore;

beforeEach(async () => {
  table = await createTestTable('config');
  store = new DynamoPolicyStore(app.documents, table);
});

describe('DynamoPolicyStore on DynamoDB Local', () => {
  it('stores and serves a valid 1.5 MB policy of 10,000 rules (text and document each compressed within one item)', async () => {
    const big = bigPolicy(10_000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(1_500_000);
    const version = versionOf(big);
    await store.put(version, 0, 'ops-erin', NOW);
    expect((await store.current())?.text).toBe(big);
    const source = new CachedPolicySource(store, { ttlSeconds: 0 });
    expect((await source.current(NOW)).policy).toEqual(version.policy);
  });

  it('stores successive versions, keeps every one, and serves the newest', async () => {
    expect(await store.current()).toBeUndefined();
    expect(await store.put(versionOf(text('first')), 0, 'ops-erin', NOW)).toEqual({
      text: text('first'),
      version: 1,
      updatedAt: NOW.toISOString(),
      updatedBy: 'ops-erin',
    });
    await store.put(versionOf(text('second')), 1, 'ops-frank', new Date('2025-03-05T08:00:00.000Z'));
    expect(await store.current()).toEqual({
      text: text('second'),
      version: 2,
      updatedAt: '2025-03-05T08:00:00.000Z',
      updatedBy: 'ops-frank',
    });
    const items = await documents.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'policy' } }));
    expect((items.Items ?? []).map((item) => item.sk).sort()).toEqual(['current', 'v1', 'v1#document', 'v2', 'v2#document']);
  });

  it('refuses a push from a stale version, naming the stored one, and keeps the stored text', async () => {
    await store.put(versionOf(text('first')), 0, 'ops-erin', NOW);
    await store.put(versionOf(text('second')), 1, 'ops-erin', NOW);
    const error = await caught(store.put(versionOf(text('stale')), 1, 'ops-frank', NOW));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('the stored policy is at version 2, not 1: pull it, merge, and push again');
    expect((await store.current())?.text).toBe(text('second'));
  });

  it('refuses a first push when a policy is already stored', async () => {
    await store.put(versionOf(text('first')), 0, 'ops-erin', NOW);
    const error = await caught(store.put(versionOf(text('again')), 0, 'ops-frank', NOW));
    expect(error.message).toBe('the stored policy is at version 1, not 0: pull it, merge, and push again');
  });

  it.each([0, 3])('lets exactly one of two concurrent pushes from version %i win; the other gets CONFLICT', async (start) => {
    for (let version = 0; version < start; version++) await store.put(versionOf(text(`v${version + 1}`)), version, 'ops-erin', NOW);
    const results = await Promise.allSettled([
      store.put(versionOf(text('alice-edit')), start, 'alice', NOW),
      store.put(versionOf(text('bob-edit')), start, 'bob', NOW),
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

    await store.put(versionOf(text('everyone')), 0, 'ops-erin', NOW);
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
    expect((await caught(missing.put(versionOf(text('x')), 0, 'ops-erin', NOW))).code).toBe('UNAVAILABLE');
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

  it('reads only the pointer on each TTL expiry while the version is unchanged, and the document once per push', async () => {
    await store.put(versionOf(text('first')), 0, 'ops-erin', NOW);
    const { store: counted, sent } = recordedStore(table);
    const source = new CachedPolicySource(counted, { ttlSeconds: 10 });
    const first = await source.current(NOW);
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v1#document']);

    sent.length = 0;
    for (let expiry = 1; expiry <= 5; expiry++) expect(await source.current(after(10 * expiry))).toBe(first);
    expect(sent).toEqual(Array.from({ length: 5 }, () => 'GetItemCommand current'));

    await store.put(versionOf(text('second')), 1, 'ops-erin', NOW);
    sent.length = 0;
    const pushed = await source.current(after(60));
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v2#document']);
    expect(pushed.version).toBe(2);
    expect(pushed.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'second' });

    sent.length = 0;
    expect(await source.current(after(70))).toBe(pushed);
    expect(sent).toEqual(['GetItemCommand current']);
  });

  it('fails closed when the pointer read fails after the TTL, without reading any text, and recovers on the next read', async () => {
    await store.put(versionOf(text('first')), 0, 'ops-erin', NOW);
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
    await store.put(versionOf(text('first')), 0, 'ops-erin', NOW);
    const { store: counted, sent } = recordedStore(table);
    const source = new CachedPolicySource(counted, { ttlSeconds: 10 });
    await source.current(NOW);
    // A damaged store: the pointer moved on without the transaction that writes the version's text.
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'policy', sk: 'current', version: 2, updated_at: NOW.toISOString(), updated_by: 'ops-erin' } }));

    sent.length = 0;
    const error = await caught(source.current(after(10)));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store names version 2, but its text is missing');
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v2#document', 'GetItemCommand v2']);
  });
});

describe('the document a push stores, and when the text is read instead', () => {
  const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: NOW };

  /** Writes version 1 as items of the caller's making, and the pointer to it. */
  async function storeItems(items: Record<string, unknown>[]): Promise<void> {
    for (const item of items) await documents.send(new PutCommand({ TableName: table, Item: { pk: 'policy', version: 1, ...item } }));
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'policy', sk: 'current', version: 1, updated_at: NOW.toISOString(), updated_by: 'ops-erin' } }));
  }

  const textItem = (source: string): Record<string, unknown> => ({
    sk: 'v1',
    text_gz: gzipSync(Buffer.from(source, 'utf8')),
    updated_at: NOW.toISOString(),
    updated_by: 'ops-erin',
  });

  it('compiles a version from its document, without reading the text', async () => {
    // A document that differs from the text shows which of the two the instance enforces (a push never writes such a pair).
    await storeItems([
      textItem(text('from-text')),
      { sk: 'v1#document', document_gz: gzipSync(Buffer.from(encodePolicyDocument(parsePolicy(text('from-document'))), 'utf8')) },
    ]);
    const { store: counted, sent } = recordedStore(table);
    const loaded = await new CachedPolicySource(counted, { ttlSeconds: 10 }).current(NOW);
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'from-document' });
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v1#document']);
  });

  it.each([
    ['a version pushed before documents were stored (no document item)', undefined],
    ['a document of another format', { sk: 'v1#document', document_gz: gzipSync(Buffer.from(JSON.stringify({ format: 99, policy: {} }), 'utf8')) }],
    ['a document that does not decompress', { sk: 'v1#document', document_gz: Buffer.from('not gzip') }],
    ['a document of the wrong shape', { sk: 'v1#document', document_gz: gzipSync(Buffer.from(JSON.stringify({ format: 1, policy: { version: '1', rules: 'all' } }), 'utf8')) }],
  ])('parses the text when the version has %s', async (_case, documentItem) => {
    await storeItems([textItem(text('from-text')), ...(documentItem === undefined ? [] : [documentItem])]);
    const { store: counted, sent } = recordedStore(table);
    const loaded = await new CachedPolicySource(counted, { ttlSeconds: 10 }).current(NOW);
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'from-text' });
    expect(loaded.policy).toEqual(parsePolicy(text('from-text'), '<stored policy v1>'));
    expect(sent).toEqual(['GetItemCommand current', 'GetItemCommand v1#document', 'GetItemCommand v1']);
  });

  it('is UNAVAILABLE, never an allow, when the version has no usable document and its text no longer parses', async () => {
    await storeItems([textItem('version: "1"\nrules:\n  - name: broken\n    effect: perhaps\n')]);
    const error = await caught(new CachedPolicySource(store, { ttlSeconds: 10 }).current(NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the stored policy (version 1) no longer parses');
  });

  it('refuses, before writing anything, a version whose document does not fit an item even compressed', async () => {
    // Rules whose names do not compress: the text fits (it is given as tiny), the document does not.
    const names = Array.from({ length: 60_000 }, () => `${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`);
    const policy = parsePolicy(text('small'));
    policy.rules = names.map((name) => ({ name, effect: 'allow' as const, conditions: { users: [name] } }));
    const error = await caught(store.put({ text: text('small'), policy }, 0, 'ops-erin', NOW));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/^the policy's validated document is too large to store: \d+\.\d KiB compressed, and a version holds at most 396\.0 KiB compressed/);
    expect(await store.current()).toBeUndefined();
  });
});
