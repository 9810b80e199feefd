/**
 * The DynamoDB adapter of break-glass (src/breakglass/DynamoBreakglassStore.ts) with
 * aws-sdk-client-mock: the one transaction and its conditions, how a cancelled
 * transaction becomes the refusal that names its guard (from the items DynamoDB returns,
 * or a read when it returns none), retries of contention only, the close and its
 * explanations, the release, and the listing Query. Real conditions run on DynamoDB
 * Local in test/integration/breakglass.test.ts.
 */

import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ResourceNotFoundException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoBreakglassStore } from '../../../src/breakglass/DynamoBreakglassStore.js';
import type { BreakglassRecord, InvocationGuards } from '../../../src/breakglass/types.js';
import { caught } from '../../support/caught.js';

const EVENTS = 'sentinel-breakglass';
const CONFIG = 'sentinel-config';
const ID = '0badc0de0123456789abcdef01234567';
const NOW = '2025-03-14T09:30:00.000Z';
const MIDNIGHT = Date.parse('2025-03-14T00:00:00.000Z') / 1000;

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(DynamoDBDocumentClient);
const store = new DynamoBreakglassStore(documents, { breakglass: EVENTS, config: CONFIG });

const RECORD: BreakglassRecord = {
  id: ID,
  invoker: 'alice',
  invokerPrincipal: 'person/alice',
  invokerArn: 'arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice',
  profile: 'prod',
  reasonCode: 'incident',
  justification: 'the payment queue is stuck',
  durationSeconds: 3600,
  status: 'active',
  createdAt: NOW,
  expiresAt: '2025-03-14T10:30:00.000Z',
  rule: 'oncall',
  ttl: 1_749_720_600,
};

const ITEM = {
  id: ID,
  invoker: 'alice',
  invoker_principal: 'person/alice',
  invoker_arn: RECORD.invokerArn,
  profile: 'prod',
  reason_code: 'incident',
  justification: 'the payment queue is stuck',
  duration_s: 3600,
  status: 'active',
  created_at: NOW,
  expires_at: '2025-03-14T10:30:00.000Z',
  rule: 'oncall',
  ttl: 1_749_720_600,
};

const GUARDS: InvocationGuards = {
  principal: 'person/alice',
  profile: 'prod',
  rule: 'oncall',
  now: NOW,
  activeUntil: '2025-03-14T10:30:00.000Z',
  cooldownSeconds: 1800,
  cooldownCutoff: '2025-03-14T09:00:00.000Z',
  perUser: { limit: 3, seconds: 86_400, start: MIDNIGHT },
  perProfile: { limit: 10, seconds: 86_400, start: MIDNIGHT },
  guardTtl: 1_742_034_600,
};

/** A cancelled transaction: one reason per item, with the old item (marshalled, as DynamoDB sends it) where given. */
function cancelled(...reasons: Array<{ Code: string; Item?: Record<string, unknown> }>): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons.map((reason) => (reason.Item === undefined ? { Code: reason.Code } : { Code: reason.Code, Item: marshall(reason.Item) })),
  });
}
const NONE = { Code: 'None' };
const CONFLICT = { Code: 'TransactionConflict' };

beforeEach(() => dynamo.reset());

describe('invoke: one transaction', () => {
  it('puts the event and updates the guard and both counters, each conditional', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    await store.invoke(RECORD, GUARDS);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        { Put: { TableName: EVENTS, Item: ITEM, ConditionExpression: 'attribute_not_exists(id)' } },
        {
          Update: {
            TableName: CONFIG,
            Key: { pk: 'breakglass#principal#person/alice', sk: 'prod' },
            UpdateExpression: 'SET active_until = :activeUntil, active_id = :id, last_at = :now, #ttl = :ttl',
            ConditionExpression: '(attribute_not_exists(active_until) OR active_until <= :now) AND (attribute_not_exists(last_at) OR last_at <= :cutoff)',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':activeUntil': '2025-03-14T10:30:00.000Z', ':id': ID, ':now': NOW, ':ttl': 1_742_034_600, ':cutoff': '2025-03-14T09:00:00.000Z' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: {
            TableName: CONFIG,
            Key: { pk: 'breakglass#user#person/alice', sk: `86400#${MIDNIGHT}#oncall` },
            UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':one': 1, ':limit': 3, ':ttl': MIDNIGHT + 2 * 86_400 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: {
            TableName: CONFIG,
            Key: { pk: 'breakglass#profile#prod', sk: `86400#${MIDNIGHT}#oncall` },
            UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':one': 1, ':limit': 10, ':ttl': MIDNIGHT + 2 * 86_400 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
    });
  });

  it('without limits: the event and the one-active guard only, no cooldown condition', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const { cooldownCutoff: _cutoff, cooldownSeconds: _cooldown, perUser: _user, perProfile: _profile, ...bare } = GUARDS;
    await store.invoke(RECORD, bare);
    const items = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(2);
    expect(items[1]?.Update?.ConditionExpression).toBe('(attribute_not_exists(active_until) OR active_until <= :now)');
    expect(items[1]?.Update?.ExpressionAttributeValues).not.toHaveProperty(':cutoff');
  });
});

describe('invoke: refusals from the cancellation reasons', () => {
  it('an event still running: CONFLICT naming it', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled(NONE, { Code: 'ConditionalCheckFailed', Item: { pk: 'x', sk: 'prod', active_until: '2025-03-14T10:00:00.000Z', active_id: 'a'.repeat(32), last_at: '2025-03-14T09:00:00.000Z' } }, NONE, NONE));
    const error = await caught(store.invoke(RECORD, GUARDS));
    expect(error).toMatchObject({ code: 'CONFLICT', refusals: [{ kind: 'active', activeUntil: '2025-03-14T10:00:00.000Z', activeId: 'a'.repeat(32) }] });
    expect(error.message).toContain(`until 2025-03-14T10:00:00.000Z (event ${'a'.repeat(32)})`);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it('the cooldown and both quotas at once: RATE_LIMITED naming all three, Retry-After when all have cleared', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      cancelled(
        NONE,
        { Code: 'ConditionalCheckFailed', Item: { last_at: '2025-03-14T09:10:00.000Z', active_until: '2025-03-14T09:20:00.000Z' } },
        { Code: 'ConditionalCheckFailed', Item: { count: 3 } },
        { Code: 'ConditionalCheckFailed', Item: { count: 10 } },
      ),
    );
    const error = await caught(store.invoke(RECORD, GUARDS));
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      refusals: [{ kind: 'cooldown', lastAt: '2025-03-14T09:10:00.000Z' }, { kind: 'perUser', count: 3 }, { kind: 'perProfile', count: 10 }],
      retryAfterSeconds: 14.5 * 3600,
    });
  });

  it('reads the item when DynamoDB returns none with the refusal', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled(NONE, NONE, { Code: 'ConditionalCheckFailed' }, NONE));
    dynamo.on(GetCommand, { TableName: CONFIG, Key: { pk: 'breakglass#user#person/alice', sk: `86400#${MIDNIGHT}#oncall` } }).resolves({ Item: { count: 3 } });
    expect(await caught(store.invoke(RECORD, GUARDS))).toMatchObject({ code: 'RATE_LIMITED', refusals: [{ kind: 'perUser', count: 3 }] });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
  });

  it('an id that exists: CONFLICT (nothing else failed)', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed' }, NONE, NONE, NONE));
    expect(await caught(store.invoke(RECORD, GUARDS))).toMatchObject({ code: 'CONFLICT', message: `break-glass event ${ID} already exists` });
  });
});

describe('invoke: contention and dependency failures', () => {
  it('retries a transaction cancelled by contention only, then succeeds', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled(NONE, CONFLICT, NONE, NONE)).rejectsOnce(cancelled(CONFLICT, NONE, CONFLICT, NONE)).resolves({});
    await store.invoke(RECORD, GUARDS);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
  });

  it('gives up after five contended attempts: UNAVAILABLE with Retry-After, nothing written', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled(NONE, CONFLICT, NONE, NONE));
    expect(await caught(store.invoke(RECORD, GUARDS))).toMatchObject({ code: 'UNAVAILABLE', message: 'the break-glass store is busy: try again', retryAfterSeconds: 1 });
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 5);
  });

  it('a guard that refused but no longer does when read (it changed): tries again', async () => {
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled(NONE, NONE, { Code: 'ConditionalCheckFailed' }, NONE)).resolves({});
    dynamo.on(GetCommand).resolves({ Item: { count: 1 } });
    await store.invoke(RECORD, GUARDS);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('a missing table is UNAVAILABLE (a deployment problem), not a refusal', async () => {
    dynamo.on(TransactWriteCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    expect(await caught(store.invoke(RECORD, GUARDS))).toMatchObject({ code: 'UNAVAILABLE', message: 'the break-glass store is unavailable', retryAfterSeconds: 30 });
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });
});

describe('close', () => {
  const failed = (item?: Record<string, unknown>) =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item === undefined ? {} : { Item: marshall(item) }) });

  it('one conditional update; the invoker condition unless an admin closes', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...ITEM, status: 'closed', closed_at: NOW, closed_by: 'alice', closed_reason: 'fixed' } });
    const closed = await store.close({ id: ID, by: 'alice', asAdmin: false, reason: 'fixed', now: NOW });
    expect(closed).toEqual({ ...RECORD, status: 'closed', closedAt: NOW, closedBy: 'alice', closedReason: 'fixed' });
    await store.close({ id: ID, by: 'admin', asAdmin: true, reason: 'fixed', now: NOW });
    const conditions = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input.ConditionExpression);
    expect(conditions).toEqual(['#status = :active AND expires_at > :now AND invoker = :by', '#status = :active AND expires_at > :now']);
  });

  it.each([
    ['someone else\'s', { ...ITEM }, 'mallory', 'NOT_OWNER', `break-glass event ${ID} belongs to another user: only its invoker or an admin may close it`],
    ['a closed one', { ...ITEM, status: 'closed', closed_by: 'admin', closed_at: '2025-03-14T09:10:00.000Z', closed_reason: 'over' }, 'alice', 'CONFLICT', `break-glass event ${ID} was already closed by admin at 2025-03-14T09:10:00.000Z: over`],
    ['an expired one', { ...ITEM, expires_at: '2025-03-14T09:00:00.000Z' }, 'alice', 'CONFLICT', `break-glass event ${ID} expired at 2025-03-14T09:00:00.000Z: nothing to close`],
  ])('refuses %s with what it is', async (_what, old, by, code, message) => {
    dynamo.on(UpdateCommand).rejects(failed(old));
    expect(await caught(store.close({ id: ID, by, asAdmin: false, reason: 'x', now: NOW }))).toMatchObject({ code, message });
  });

  it('a missing event is NOT_FOUND (read when DynamoDB returns no item)', async () => {
    dynamo.on(UpdateCommand).rejects(failed());
    dynamo.on(GetCommand).resolves({});
    expect(await caught(store.close({ id: ID, by: 'alice', asAdmin: false, reason: 'x', now: NOW }))).toMatchObject({ code: 'NOT_FOUND', message: `break-glass event ${ID} does not exist` });
  });
});

describe('releaseActive', () => {
  it('clears the guard only while it names this event; a guard naming another is left alone silently', async () => {
    dynamo.on(UpdateCommand).resolvesOnce({}).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    await store.releaseActive(RECORD);
    await store.releaseActive(RECORD);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: CONFIG,
      Key: { pk: 'breakglass#principal#person/alice', sk: 'prod' },
      UpdateExpression: 'REMOVE active_until, active_id',
      ConditionExpression: 'active_id = :id',
      ExpressionAttributeValues: { ':id': ID },
    });
  });

  it('a dependency failure is the caller\'s to log', async () => {
    dynamo.on(UpdateCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect(await caught(store.releaseActive(RECORD))).toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('list', () => {
  it('one Query of the index, newest first, status and profile filtered', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [ITEM] });
    const page = await store.list({ index: 'by-invoker', key: 'alice', status: 'expired', profile: 'prod', since: '2025-03-13T21:30:00.000Z', limit: 20, now: NOW });
    expect(page).toEqual({ events: [RECORD] });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: EVENTS,
      IndexName: 'by-invoker',
      KeyConditionExpression: '#pk = :key AND created_at >= :since',
      FilterExpression: '(#status = :expired OR (#status = :active AND expires_at <= :now)) AND #profile = :profile',
      ExpressionAttributeNames: { '#pk': 'invoker', '#status': 'status', '#profile': 'profile' },
      ExpressionAttributeValues: { ':key': 'alice', ':expired': 'expired', ':active': 'active', ':now': NOW, ':profile': 'prod', ':since': '2025-03-13T21:30:00.000Z' },
      ScanIndexForward: false,
      Limit: 20,
    });
  });

  it('follows DynamoDB\'s pages until the page is full, and says where the next starts', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [ITEM], LastEvaluatedKey: { id: ID } })
      .resolvesOnce({ Items: [{ ...ITEM, id: 'b'.repeat(32) }, { ...ITEM, id: 'c'.repeat(32) }], LastEvaluatedKey: { id: 'c'.repeat(32) } });
    const page = await store.list({ index: 'by-profile', key: 'prod', limit: 2, now: NOW });
    expect(page.events.map((event) => event.id)).toEqual([ID, 'b'.repeat(32)]);
    expect(page.next).toEqual({ id: 'b'.repeat(32), profile: 'prod', created_at: NOW });
  });
});
