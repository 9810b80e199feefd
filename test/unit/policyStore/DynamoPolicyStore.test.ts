import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient, ResourceNotFoundException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodePolicyDocument, encodePolicyDocument } from '../../../src/policy/document.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import { DynamoPolicyStore, MAX_COMPRESSED_POLICY_BYTES } from '../../../src/policyStore/DynamoPolicyStore.js';
import type { NewPolicyVersion } from '../../../src/policyStore/types.js';
import { caught } from '../../support/caught.js';
import { bigPolicy } from '../../support/policies.js';

const TABLE = 'sentinel-config';
const TEXT = 'version: "1"\nrules: []\n';
/** A version as the push route passes it: the text and what the parser made of it. */
const VERSION: NewPolicyVersion = { text: TEXT, policy: parsePolicy(TEXT) };

function versionOf(text: string): NewPolicyVersion {
  return { text, policy: parsePolicy(text) };
}
const NOW = new Date('2025-03-04T10:00:00.000Z');

const dynamo = mockClient(DynamoDBDocumentClient);
const store = new DynamoPolicyStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE);

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function pointerAt(version: number | undefined): void {
  dynamo
    .on(GetCommand, { Key: { pk: 'policy', sk: 'current' } })
    .resolves(version === undefined ? {} : { Item: { pk: 'policy', sk: 'current', version, updated_at: NOW.toISOString(), updated_by: 'ops-erin' } });
}

beforeEach(() => {
  dynamo.reset();
});

describe('put', () => {
  it('writes the first version\'s text and document and the pointer in one transaction, refusing if any pointer exists', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const stored = await store.put(VERSION, 0, 'ops-erin', NOW);
    expect(stored).toEqual({ text: TEXT, version: 1, updatedAt: '2025-03-04T10:00:00.000Z', updatedBy: 'ops-erin' });
    expect(dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'policy', sk: 'v1', text_gz: expect.any(Uint8Array), version: 1, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'policy', sk: 'v1#document', document_gz: expect.any(Uint8Array), version: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'policy', sk: 'current', version: 1, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
    const [text, document] = (dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []).map((item) => item.Put?.Item);
    expect(gunzipSync(text?.text_gz as Uint8Array).toString('utf8')).toBe(TEXT);
    expect(decodePolicyDocument(gunzipSync(document?.document_gz as Uint8Array).toString('utf8'))).toEqual(VERSION.policy);
  });

  it('stores a 750 kB policy of 5,000 rules compressed, within one item', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const text = bigPolicy(5000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(700_000);
    await store.put(versionOf(text), 0, 'ops-erin', NOW);
    const written = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item?.text_gz as Uint8Array;
    expect(written.byteLength).toBeLessThan(MAX_COMPRESSED_POLICY_BYTES);
    expect(gunzipSync(written).toString('utf8')).toBe(text);
  });

  it('refuses a text that does not fit even compressed with a 400 naming the limit, before writing anything', async () => {
    // Random bytes do not compress: 600 kB of them stay far over the limit.
    const text = `version: "1"\nrules: []\n# ${randomBytes(450_000).toString('base64')}\n`;
    const error = await caught(store.put({ text, policy: VERSION.policy }, 0, 'ops-erin', NOW));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/^the policy is too large to store: \d+\.\d KiB compressed, and a version holds at most 396\.0 KiB compressed \(DynamoDB's 400 KB item limit\): remove or merge rules$/);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('reads versions written compressed and those written before compression', async () => {
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'current' } }).resolves({ Item: { pk: 'policy', sk: 'current', version: 2 } });
    dynamo
      .on(GetCommand, { Key: { pk: 'policy', sk: 'v2' } })
      .resolves({ Item: { pk: 'policy', sk: 'v2', version: 2, text_gz: gzipSync(TEXT), updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' } });
    expect((await store.current())?.text).toBe(TEXT);
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'v2' } }).resolves({ Item: { pk: 'policy', sk: 'v2', version: 2, text: TEXT, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' } });
    expect((await store.current())?.text).toBe(TEXT);
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'v2' } }).resolves({ Item: { pk: 'policy', sk: 'v2', version: 2, text_gz: new Uint8Array([1, 2, 3]), updated_at: 'x', updated_by: 'y' } });
    expect((await caught(store.current())).message).toBe('the policy store is unreadable (version 2 does not decompress)');
  });

  it('writes a later version only while the pointer is still at the expected version', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const stored = await store.put(VERSION, 4, 'ops-erin', NOW);
    expect(stored.version).toBe(5);
    const [version, document, pointer] = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(version?.Put?.Item).toMatchObject({ sk: 'v5', version: 5 });
    expect(version?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(document?.Put?.Item).toMatchObject({ sk: 'v5#document', version: 5 });
    expect(document?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(pointer?.Put).toEqual({
      TableName: TABLE,
      Item: { pk: 'policy', sk: 'current', version: 5, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' },
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': 4 },
    });
  });

  it('names the stored version when someone pushed first', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed', 'ConditionalCheckFailed'));
    pointerAt(6);
    const error = await caught(store.put(VERSION, 4, 'ops-erin', NOW));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('the stored policy is at version 6, not 4: pull it, merge, and push again');
  });

  it('says version 0 when a pusher expects a version but nothing is stored', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'));
    pointerAt(undefined);
    const error = await caught(store.put(VERSION, 2, 'ops-erin', NOW));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('the stored policy is at version 0, not 2: pull it, merge, and push again');
  });

  it('is a CONFLICT when a concurrent push made the transaction collide and won', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None', 'None'));
    pointerAt(1);
    expect((await caught(store.put(VERSION, 0, 'ops-erin', NOW))).code).toBe('CONFLICT');
  });

  it('is UNAVAILABLE (retry in 1 s) when a collision left the pointer where it was', async () => {
    const fault = cancelled('TransactionConflict', 'None', 'None');
    dynamo.on(TransactWriteCommand).rejects(fault);
    pointerAt(3);
    const error = await caught(store.put(VERSION, 3, 'ops-erin', NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.cause).toBe(fault);
  });

  it('is UNAVAILABLE (retry in 2 s) when throttling cancelled the push', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ThrottlingError', 'None', 'None'));
    pointerAt(3);
    const error = await caught(store.put(VERSION, 3, 'ops-erin', NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
  });

  it('is INTERNAL when DynamoDB cancelled the push as invalid', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ValidationError', 'None', 'None'));
    pointerAt(3);
    const error = await caught(store.put(VERSION, 3, 'ops-erin', NOW));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the policy store rejected the request');
  });

  it('asks for a plain push again when the pointer condition failed but the pointer is back where expected', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'));
    pointerAt(3);
    const error = await caught(store.put(VERSION, 3, 'ops-erin', NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store could not save the policy: push again');
  });

  it('reports a damaged store when the next version exists but the pointer was not moved', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed', 'None'));
    pointerAt(3);
    const error = await caught(store.put(VERSION, 3, 'ops-erin', NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is inconsistent: version 4 exists but the current version is 3');
  });

  it('is UNAVAILABLE for 30 s when the config table is missing (a broken deployment)', async () => {
    dynamo.on(TransactWriteCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const error = await caught(store.put(VERSION, 0, 'ops-erin', NOW));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('reads a config table that does not exist as holding no policy (a new deployment), but a throttled read is UNAVAILABLE', async () => {
    dynamo.on(GetCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await store.current()).toBeUndefined();
    dynamo.on(GetCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    expect((await caught(store.current())).code).toBe('UNAVAILABLE');
  });

  it('is UNAVAILABLE when the conflict cannot be explained because the read fails too', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed', 'ConditionalCheckFailed'));
    dynamo.on(GetCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect((await caught(store.put(VERSION, 1, 'ops-erin', NOW))).code).toBe('UNAVAILABLE');
  });

  it('refuses an expected version that is not a whole number ≥ 0 without writing', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect((await caught(store.put(VERSION, bad, 'ops-erin', NOW))).code).toBe('INVALID_REQUEST');
    }
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });
});

describe('readDocument', () => {
  it('reads the version\'s document item alone, consistently, and decompresses it', async () => {
    const json = encodePolicyDocument(VERSION.policy);
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'v5#document' } }).resolves({ Item: { pk: 'policy', sk: 'v5#document', version: 5, document_gz: gzipSync(json) } });
    expect(await store.readDocument(5)).toBe(json);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'policy', sk: 'v5#document' }, ConsistentRead: true });
  });

  it.each([
    ['there is no document item (a version pushed before documents were stored)', undefined],
    ['the item has no compressed document', { pk: 'policy', sk: 'v5#document', version: 5, document: '{}' }],
    ['the document does not decompress', { pk: 'policy', sk: 'v5#document', version: 5, document_gz: new Uint8Array([1, 2, 3]) }],
  ])('is undefined (read the text instead) when %s', async (_case, item) => {
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'v5#document' } }).resolves(item === undefined ? {} : { Item: item });
    expect(await store.readDocument(5)).toBeUndefined();
  });

  it('is UNAVAILABLE, not "no document", when the read fails', async () => {
    const fault = new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });
    dynamo.on(GetCommand).rejects(fault);
    const error = await caught(store.readDocument(5));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.cause).toBe(fault);
  });
});

describe('current', () => {
  it('follows the pointer to the version it names, reading consistently', async () => {
    pointerAt(3);
    dynamo
      .on(GetCommand, { Key: { pk: 'policy', sk: 'v3' } })
      .resolves({ Item: { pk: 'policy', sk: 'v3', text: TEXT, version: 3, updated_at: '2025-03-01T08:00:00.000Z', updated_by: 'ops-erin' } });
    expect(await store.current()).toEqual({ text: TEXT, version: 3, updatedAt: '2025-03-01T08:00:00.000Z', updatedBy: 'ops-erin' });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'policy', sk: 'current' }, ConsistentRead: true });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'policy', sk: 'v3' }, ConsistentRead: true });
  });

  it('is undefined when nothing was ever stored', async () => {
    pointerAt(undefined);
    expect(await store.current()).toBeUndefined();
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('fails closed when the pointer names a version whose text is missing', async () => {
    pointerAt(3);
    dynamo.on(GetCommand, { Key: { pk: 'policy', sk: 'v3' } }).resolves({});
    const error = await caught(store.current());
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store names version 3, but its text is missing');
  });

  it('fails closed on a pointer without a usable version', async () => {
    dynamo.on(GetCommand).resolves({ Item: { pk: 'policy', sk: 'current', version: 'three' } });
    expect((await caught(store.current())).code).toBe('UNAVAILABLE');
  });

  it('is UNAVAILABLE when DynamoDB cannot be reached', async () => {
    const fault = Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' });
    dynamo.on(GetCommand).rejects(fault);
    const error = await caught(store.current());
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).not.toContain('ENOTFOUND');
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.cause).toBe(fault);
  });

  it('is UNAVAILABLE (retry in 2 s), with a generic message, when DynamoDB throttles the read', async () => {
    const fault = new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });
    dynamo.on(GetCommand).rejects(fault);
    const error = await caught(store.current());
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
  });
});


describe('currentVersion', () => {
  it('reads the pointer alone, consistently, never a version\'s text', async () => {
    pointerAt(3);
    expect(await store.currentVersion()).toBe(3);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'policy', sk: 'current' }, ConsistentRead: true });
  });

  it('is undefined when nothing was ever stored, or the config table does not exist yet', async () => {
    pointerAt(undefined);
    expect(await store.currentVersion()).toBeUndefined();
    dynamo.on(GetCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await store.currentVersion()).toBeUndefined();
  });

  it('fails closed on a pointer without a usable version', async () => {
    for (const version of ['three', 0, 2.5]) {
      dynamo.on(GetCommand).resolves({ Item: { pk: 'policy', sk: 'current', version } });
      const error = await caught(store.currentVersion());
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toBe('the policy store is unreadable (the current pointer has no valid version)');
    }
  });

  it('is UNAVAILABLE (retry in 2 s) when DynamoDB throttles the pointer read', async () => {
    const fault = new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });
    dynamo.on(GetCommand).rejects(fault);
    const error = await caught(store.currentVersion());
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
  });
});

describe('read', () => {
  it('reads the version\'s item alone, consistently, without the pointer', async () => {
    dynamo
      .on(GetCommand, { Key: { pk: 'policy', sk: 'v5' } })
      .resolves({ Item: { pk: 'policy', sk: 'v5', version: 5, text_gz: gzipSync(TEXT), updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' } });
    expect(await store.read(5)).toEqual({ text: TEXT, version: 5, updatedAt: '2025-03-04T10:00:00.000Z', updatedBy: 'ops-erin' });
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'policy', sk: 'v5' }, ConsistentRead: true });
  });

  it('is UNAVAILABLE when the version\'s item is missing (a damaged store), never another version', async () => {
    dynamo.on(GetCommand).resolves({});
    const error = await caught(store.read(5));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store names version 5, but its text is missing');
  });

  it('is UNAVAILABLE when the item holds another version, or no text', async () => {
    dynamo.on(GetCommand).resolves({ Item: { pk: 'policy', sk: 'v5', version: 4, text: TEXT, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' } });
    expect((await caught(store.read(5))).message).toBe('the policy store is unreadable (version 5 is incomplete)');
    dynamo.on(GetCommand).resolves({ Item: { pk: 'policy', sk: 'v5', version: 5, updated_at: '2025-03-04T10:00:00.000Z', updated_by: 'ops-erin' } });
    expect((await caught(store.read(5))).message).toBe('the policy store is unreadable (version 5 is incomplete)');
  });

  it('is UNAVAILABLE, not "no policy", when the config table is missing (the pointer named a version)', async () => {
    dynamo.on(GetCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const error = await caught(store.read(5));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the policy store is unavailable');
  });
});
