import 'aws-sdk-client-mock-vitest/extend';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { DynamoSessionStore } from '../../../src/sessions/DynamoSessionStore.js';
import type { SessionRecord } from '../../../src/sessions/types.js';
import { caught } from '../../support/caught.js';

const TABLE = 'sentinel-sessions';
const ID = '5f0c2a9e8b7d4c31a2e1f0d9c8b7a6e5';
const NOW = '2025-03-04T10:00:00.000Z';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(DynamoDBDocumentClient);
const store = new DynamoSessionStore(documents);

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: ID,
    user: 'alice',
    callerArn: 'arn:aws:iam::111122223333:user/alice',
    accountId: '111122223333',
    profile: 'prod',
    roleArn: 'arn:aws:iam::111122223333:role/prod-operator',
    mode: 'server',
    status: 'active',
    sourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
    createdAt: '2025-03-04T09:00:00.000Z',
    lastAccessAt: '2025-03-04T09:00:00.000Z',
    expiresAt: '2025-03-04T10:15:00.000Z',
    requestCount: 1,
    ttl: 1_748_944_800,
    ...overrides,
  };
}

/** The table item of `session()` (snake_case), with overrides in table terms. */
function item(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: ID,
    user: 'alice',
    caller_arn: 'arn:aws:iam::111122223333:user/alice',
    account_id: '111122223333',
    profile: 'prod',
    role_arn: 'arn:aws:iam::111122223333:role/prod-operator',
    mode: 'server',
    status: 'active',
    active_user: 'alice',
    source_identity: 'sentinel:alice:direct:0a1b2c3d',
    created_at: '2025-03-04T09:00:00.000Z',
    last_access_at: '2025-03-04T09:00:00.000Z',
    expires_at: '2025-03-04T10:15:00.000Z',
    request_count: 1,
    ttl: 1_748_944_800,
  };
  const merged = { ...base, ...overrides };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

/** What DynamoDB throws on a failed condition with ReturnValuesOnConditionCheckFailure=ALL_OLD. */
function conditionFailed(old?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(old === undefined ? {} : { Item: marshall(old) }),
  });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });
}

function missingTable(): ResourceNotFoundException {
  return new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
}

beforeEach(() => {
  dynamo.reset();
});

describe('create', () => {
  it('writes the whole record in table terms, pending and outside the active index, only if the id is new', async () => {
    dynamo.on(PutCommand).resolves({});
    await store.create(TABLE, session({ status: 'pending', requestCount: 1 }));
    const written = item({ status: 'pending', active_user: undefined });
    expect(dynamo).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: written,
      ConditionExpression: 'attribute_not_exists(id)',
    });
    const input = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(Object.keys(input?.Item ?? {}).sort()).toEqual(Object.keys(written).sort());
  });

  it('always starts a session pending with one request, whatever the record says', async () => {
    dynamo.on(PutCommand).resolves({});
    await store.create(TABLE, session({ status: 'active', requestCount: 7 }));
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: item({ status: 'pending', active_user: undefined }) });
  });

  it('is UNAVAILABLE when the id is already there: the request\'s own write, landed after it timed out (ids are drawn per request)', async () => {
    const fault = conditionFailed(item());
    dynamo.on(PutCommand).rejects(fault);
    const error = await caught(store.create(TABLE, session()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(`the session store answered late (session ${ID} was written by an attempt that timed out); try again`);
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.cause).toBe(fault);
  });

  it('is UNAVAILABLE for 30 s when the table does not exist (a deployment problem), without naming it', async () => {
    const fault = missingTable();
    dynamo.on(PutCommand).rejects(fault);
    const error = await caught(store.create('sentinel-nope', session()));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the session store is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.cause).toBe(fault);
  });

  it('fails closed as UNAVAILABLE (retry in 2 s) when DynamoDB throttles, keeping the AWS text out of the message', async () => {
    const fault = throttled();
    dynamo.on(PutCommand).rejects(fault);
    const error = await caught(store.create(TABLE, session()));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the session store is unavailable');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.cause).toBe(fault);
  });

  it('fails closed as UNAVAILABLE (retry in 1 s) on a network error', async () => {
    const fault = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    dynamo.on(PutCommand).rejects(fault);
    const error = await caught(store.create(TABLE, session()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).not.toContain('ECONNREFUSED');
    expect(error.retryAfterSeconds).toBe(1);
  });

  it('is INTERNAL when DynamoDB rejects the request itself (a bug, not an outage)', async () => {
    const fault = Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    dynamo.on(PutCommand).rejects(fault);
    const error = await caught(store.create(TABLE, session()));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the session store rejected the request');
    expect(error.cause).toBe(fault);
  });
});

describe('refresh', () => {
  const request = { id: ID, user: 'alice', profile: 'prod', now: NOW };

  it('is one conditional update that bumps the count and last access, returning the new record', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: item({ request_count: 2, last_access_at: NOW }) });
    const updated = await store.refresh(TABLE, request);
    expect(updated).toEqual(session({ requestCount: 2, lastAccessAt: NOW }));
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: ID },
      UpdateExpression: 'SET last_access_at = :now ADD request_count :one',
      ConditionExpression: '#status = :active AND #user = :user AND profile = :profile AND expires_at > :now',
      ExpressionAttributeNames: { '#status': 'status', '#user': 'user' },
      ExpressionAttributeValues: { ':active': 'active', ':user': 'alice', ':profile': 'prod', ':now': NOW, ':one': 1 },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it.each([
    {
      state: 'revoked with a reason',
      old: item({ status: 'revoked', active_user: undefined, revoked_by: 'ops-erin', revoked_reason: 'laptop stolen' }),
      code: 'SESSION_REVOKED',
      message: `session ${ID} was revoked by ops-erin: laptop stolen`,
    },
    {
      state: 'revoked without a reason',
      old: item({ status: 'revoked', active_user: undefined, revoked_by: 'ops-erin' }),
      code: 'SESSION_REVOKED',
      message: `session ${ID} was revoked by ops-erin`,
    },
    {
      state: 'ended',
      old: item({ status: 'ended', active_user: undefined, ended_at: '2025-03-04T09:30:00.000Z' }),
      code: 'SESSION_ENDED',
      message: `session ${ID} was ended at 2025-03-04T09:30:00.000Z`,
    },
    {
      state: 'expired',
      old: item({ status: 'expired', active_user: undefined }),
      code: 'SESSION_EXPIRED',
      message: `session ${ID} expired at 2025-03-04T10:15:00.000Z`,
    },
    {
      state: 'failed',
      old: item({ status: 'failed', active_user: undefined }),
      code: 'SESSION_EXPIRED',
      message: `session ${ID} is no longer usable: issuing its credentials failed`,
    },
    {
      state: 'active but past its expiry',
      old: item({ expires_at: '2025-03-04T09:59:59.000Z' }),
      code: 'SESSION_EXPIRED',
      message: `session ${ID} expired at 2025-03-04T09:59:59.000Z`,
    },
    {
      state: 'active, expiring exactly now',
      old: item({ expires_at: NOW }),
      code: 'SESSION_EXPIRED',
      message: `session ${ID} expired at ${NOW}`,
    },
    {
      state: "another user's",
      old: item({ user: 'mallory', active_user: 'mallory' }),
      code: 'NOT_OWNER',
      message: `session ${ID} belongs to another user`,
    },
    {
      state: 'for another profile',
      old: item({ profile: 'staging' }),
      code: 'CONFLICT',
      message: `session ${ID} is for profile "staging", not "prod"`,
    },
  ])('says why when the session is $state, from the item returned with the failure', async ({ old, code, message }) => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(old));
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it("tells a stranger only that a revoked session is not theirs, never the admin's reason", async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(item({ user: 'bob', status: 'revoked', revoked_by: 'ops-erin', revoked_reason: 'incident 42' })));
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('NOT_OWNER');
    expect(error.message).not.toContain('incident 42');
  });

  it('reads the item back when the failure carries none, and says NOT_FOUND when there is none', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({});
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(`session ${ID} does not exist`);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { id: ID }, ConsistentRead: true });
  });

  it('explains from the read-back item when the failure carries none', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: item({ status: 'revoked', active_user: undefined, revoked_by: 'ops-erin', revoked_reason: 'rotation' }) });
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(error.message).toBe(`session ${ID} was revoked by ops-erin: rotation`);
  });

  it('is UNAVAILABLE, not a state error, when the read-back fails', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).rejects(throttled());
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('UNAVAILABLE');
  });

  it('is UNAVAILABLE when DynamoDB throttles the update', async () => {
    dynamo.on(UpdateCommand).rejects(throttled());
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(2);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it('is UNAVAILABLE for 30 s when the table is missing', async () => {
    dynamo.on(UpdateCommand).rejects(missingTable());
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the session store is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('fails closed on an item that is not a session Sentinel wrote', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: item({ status: 'paused' }) });
    const error = await caught(store.refresh(TABLE, request));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('unreadable');
  });
});

describe('end', () => {
  const request = { id: ID, user: 'alice', now: NOW };

  it("ends the owner's active session and takes it out of the active index", async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: item({ status: 'ended', ended_at: NOW, active_user: undefined }) });
    const ended = await store.end(TABLE, request);
    expect(ended).toEqual(session({ status: 'ended', endedAt: NOW }));
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: ID },
      UpdateExpression: 'SET #status = :ended, ended_at = :now REMOVE active_user',
      ConditionExpression: '#status = :active AND #user = :user',
      ExpressionAttributeNames: { '#status': 'status', '#user': 'user' },
      ExpressionAttributeValues: { ':ended': 'ended', ':now': NOW, ':active': 'active', ':user': 'alice' },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('says SESSION_ENDED for a session already ended', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(item({ status: 'ended', active_user: undefined, ended_at: '2025-03-04T09:30:00.000Z' })));
    expect((await caught(store.end(TABLE, request))).code).toBe('SESSION_ENDED');
  });

  it("refuses to end another user's session", async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(item({ user: 'bob', active_user: 'bob' })));
    expect((await caught(store.end(TABLE, request))).code).toBe('NOT_OWNER');
  });

  it('ends an active session whose credentials have expired (end does not check expiry)', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: item({ status: 'ended', ended_at: NOW, active_user: undefined, expires_at: '2025-03-04T09:00:00.000Z' }) });
    expect((await store.end(TABLE, request)).status).toBe('ended');
  });
});

describe('markIssued', () => {
  it('makes the session active (into the active index) and moves expires_at and ttl, only while it is pending or active', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await store.markIssued(TABLE, ID, { user: 'alice', expiresAt: '2025-03-04T11:00:00.000Z', ttl: 1_748_948_400 });
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: ID },
      UpdateExpression: 'SET #status = :active, active_user = :user, expires_at = :expiresAt, #ttl = :ttl',
      ConditionExpression: '#status IN (:pending, :active)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':expiresAt': '2025-03-04T11:00:00.000Z', ':ttl': 1_748_948_400, ':active': 'active', ':pending': 'pending', ':user': 'alice' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('throws SESSION_REVOKED when a revoke landed before the credentials came back', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(item({ status: 'revoked', active_user: undefined, revoked_by: 'ops-erin', revoked_reason: 'offboarding' })));
    const error = await caught(store.markIssued(TABLE, ID, { user: 'alice', expiresAt: NOW, ttl: 1 }));
    expect(error.code).toBe('SESSION_REVOKED');
    expect(error.message).toBe(`session ${ID} was revoked by ops-erin: offboarding`);
  });

  it('is UNAVAILABLE on a throttle', async () => {
    dynamo.on(UpdateCommand).rejects(throttled());
    expect((await caught(store.markIssued(TABLE, ID, { user: 'alice', expiresAt: NOW, ttl: 1 }))).code).toBe('UNAVAILABLE');
  });
});

describe('markFailed', () => {
  it('marks a pending session failed (and out of the active index)', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await store.markFailed(TABLE, ID, NOW);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: ID },
      UpdateExpression: 'SET #status = :failed, expires_at = :at REMOVE active_user',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'failed', ':at': NOW, ':pending': 'pending' },
    });
  });

  it('leaves a session that is no longer pending alone, without throwing', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed(item({ status: 'revoked', active_user: undefined })));
    await expect(store.markFailed(TABLE, ID, NOW)).resolves.toBeUndefined();
  });

  it('still reports an unavailable store', async () => {
    dynamo.on(UpdateCommand).rejects(throttled());
    expect((await caught(store.markFailed(TABLE, ID, NOW))).code).toBe('UNAVAILABLE');
  });
});

describe('get', () => {
  it('reads consistently and maps the item back to a record, optional fields included', async () => {
    dynamo.on(GetCommand).resolves({
      Item: item({ status: 'revoked', active_user: undefined, revoked_by: 'ops-erin', revoked_reason: 'r', revoked_at: NOW }),
    });
    const found = await store.get(TABLE, ID);
    expect(found).toEqual(session({ status: 'revoked', revokedBy: 'ops-erin', revokedReason: 'r', revokedAt: NOW }));
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { id: ID }, ConsistentRead: true });
  });

  it('returns undefined for an unknown id', async () => {
    dynamo.on(GetCommand).resolves({});
    expect(await store.get(TABLE, 'nope')).toBeUndefined();
  });

  it('is UNAVAILABLE for 30 s when the table is missing, without naming it', async () => {
    dynamo.on(GetCommand).rejects(missingTable());
    const error = await caught(store.get('sentinel-gone', ID));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the session store is unavailable');
    expect(error.retryAfterSeconds).toBe(30);
  });
});
