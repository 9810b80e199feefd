import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { DynamoRateLimiter, EPOCH_WINDOWS } from '../../../src/vending/DynamoRateLimiter.js';
import { caught } from '../../support/caught.js';

const TABLE = 'sentinel-config';
const PRINCIPAL = '000000000000:role/deploy';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(DynamoDBDocumentClient);
const limiter = new DynamoRateLimiter(documents, TABLE, { requests: 60, windowSeconds: 60 });

/** 2025-03-04T10:00:00Z is a whole minute: epoch seconds 1741082400. */
const WINDOW_START = 1_741_082_400;
/** Its epoch (1,440 one-minute windows) started at 2025-03-04T00:00:00Z. */
const EPOCH_START = 1_741_046_400;

/** DynamoDB's answer to the update: the new count of this window and the copy of the previous one. */
function counts(current: number, previous: number, windowStart = WINDOW_START) {
  return { Attributes: { [`w${windowStart}`]: current, previous, ttl: windowStart + 120 + 3600 } };
}

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoRateLimiter', () => {
  it("counts the request with one UpdateItem on the principal's epoch item, reading the previous window in the same call", async () => {
    dynamo.on(UpdateCommand).resolves(counts(1, 0));
    await limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:42.500Z'));
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `ratelimit#${PRINCIPAL}`, sk: String(EPOCH_START) },
      UpdateExpression: 'ADD #current :one SET #previous = if_not_exists(#previousWindow, :zero), #ttl = :ttl REMOVE #stale',
      ExpressionAttributeNames: {
        '#current': `w${WINDOW_START}`,
        '#previousWindow': `w${WINDOW_START - 60}`,
        '#previous': 'previous',
        '#stale': `w${WINDOW_START - 120}`,
        '#ttl': 'ttl',
      },
      ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':ttl': WINDOW_START + 120 + 3600 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('starts a new item with each epoch (midnight UTC at one-minute windows)', async () => {
    dynamo.on(UpdateCommand).resolves(counts(1, 0, EPOCH_START + 86_400));
    await limiter.consume(PRINCIPAL, new Date('2025-03-05T00:00:10Z'));
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { Key: { pk: `ratelimit#${PRINCIPAL}`, sk: String(EPOCH_START + 86_400) } });
    expect(EPOCH_WINDOWS).toBe(1440);
  });

  it('allows the limit itself within one window', async () => {
    dynamo.on(UpdateCommand).resolves(counts(60, 0));
    await expect(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:59.999Z'))).resolves.toBeUndefined();
  });

  it('weighs the previous window by how much of it is still within the last minute', async () => {
    // Half-way through: 30 of this window + 60 × ½ of the previous one = 60, the limit.
    dynamo.on(UpdateCommand).resolves(counts(30, 60));
    await expect(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:30Z'))).resolves.toBeUndefined();
    dynamo.on(UpdateCommand).resolves(counts(31, 60));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:30Z')));
    expect(error.code).toBe('RATE_LIMITED');
  });

  it('refuses past the limit and says when the previous window has weighed out enough', async () => {
    // 20 + 60 × 45/60 = 65; at 10:00:21, 21 + 60 × 39/60 = 60 lets one more through.
    dynamo.on(UpdateCommand).resolves(counts(20, 60));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:15Z')));
    expect(error).toBeInstanceOf(SentinelError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('too many credential requests: at most 60 per 60 s; retry in 6 s');
    expect(error.retryAfterSeconds).toBe(6);
  });

  it('refuses a full window until enough of it has slid out of the next one', async () => {
    // In the next window the 61 weigh 61 × left/60; one more passes once that is ≤ 59: 58.032 s left, 1.968 s in.
    dynamo.on(UpdateCommand).resolves(counts(61, 0));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:42.500Z')));
    expect(error.message).toBe('too many credential requests: at most 60 per 60 s; retry in 20 s');
    expect(error.retryAfterSeconds).toBe(20);
  });

  it('at the last window of an epoch, says the next window starts afresh (the documented tolerance)', async () => {
    dynamo.on(UpdateCommand).resolves(counts(61, 0, EPOCH_START + 86_400 - 60));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T23:59:30Z')));
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('never says retry in 0 s at the very end of a window', async () => {
    dynamo.on(UpdateCommand).resolves(counts(99, 99));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:59.999Z')));
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['throttling', new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }), 2],
    ['a missing config table', new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }), 30],
    ['a network error', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 1],
  ])('fails closed as UNAVAILABLE on %s, retry in %i s', async (_name, fault, retryAfterSeconds) => {
    dynamo.on(UpdateCommand).rejects(fault);
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z')));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the rate limiter is unavailable');
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(error.cause).toBe(fault);
  });

  it('fails closed as INTERNAL when DynamoDB rejects the update itself', async () => {
    const fault = Object.assign(new Error('Invalid UpdateExpression'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    dynamo.on(UpdateCommand).rejects(fault);
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z')));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the rate limiter rejected the request');
    expect(error.cause).toBe(fault);
  });

  it('fails closed when DynamoDB returns no count', async () => {
    dynamo.on(UpdateCommand).resolves({});
    expect((await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z')))).code).toBe('UNAVAILABLE');
    dynamo.on(UpdateCommand).resolves({ Attributes: { [`w${WINDOW_START}`]: 1 } });
    expect((await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z')))).code).toBe('UNAVAILABLE');
  });

  it('refuses a limit that is not a whole number ≥ 1', () => {
    expect(() => new DynamoRateLimiter(documents, TABLE, { requests: 0, windowSeconds: 60 })).toThrow(SentinelError);
    expect(() => new DynamoRateLimiter(documents, TABLE, { requests: 5, windowSeconds: 0.5 })).toThrow(SentinelError);
  });

  it('tries the plain update again when it met a transaction in flight on the counter, and fails closed after four tries', async () => {
    const conflict = (): Error => Object.assign(new Error('Transaction is ongoing for the item'), { name: 'TransactionConflictException', $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    dynamo.on(UpdateCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves(counts(1, 0));
    await expect(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z'))).resolves.toBeUndefined();
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(3);
    dynamo.reset();
    dynamo.on(UpdateCommand).callsFake(() => Promise.reject(conflict()));
    const error = await caught(limiter.consume(PRINCIPAL, new Date('2025-03-04T10:00:00.000Z')));
    expect(error.code).toBe('UNAVAILABLE');
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(4);
  });
});

describe('DynamoRateLimiter.counterUpdate: the count as an item of the session write', () => {
  const at = new Date('2025-03-04T10:00:30.000Z');

  it("proves the request within the limit by its condition, assuming an empty previous window until consume has read it", () => {
    const fresh = new DynamoRateLimiter(documents, TABLE, { requests: 60, windowSeconds: 60 });
    expect(fresh.counterUpdate(PRINCIPAL, at)).toEqual({
      TableName: TABLE,
      Key: { pk: `ratelimit#${PRINCIPAL}`, sk: String(EPOCH_START) },
      UpdateExpression: 'ADD #current :one SET #ttl = :ttl REMOVE #stale',
      ConditionExpression: '(attribute_not_exists(#current) OR #current < :threshold) AND (attribute_not_exists(#previousWindow) OR #previousWindow <= :previous)',
      ExpressionAttributeNames: { '#current': `w${WINDOW_START}`, '#previousWindow': `w${WINDOW_START - 60}`, '#stale': `w${WINDOW_START - 120}`, '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':one': 1, ':ttl': WINDOW_START + 120 + 3600, ':threshold': 60, ':previous': 0 },
    });
  });

  it('leaves room for the share of the previous window that consume last saw, in this window only', async () => {
    const seen = new DynamoRateLimiter(documents, TABLE, { requests: 60, windowSeconds: 60 });
    dynamo.on(UpdateCommand).resolves(counts(1, 40));
    await seen.consume(PRINCIPAL, new Date('2025-03-04T10:00:10.000Z'));
    // Half the window left at 10:00:30: 60 − 40 × ½ = 40 requests may be counted in this one.
    expect(seen.counterUpdate(PRINCIPAL, at)?.ExpressionAttributeValues).toMatchObject({ ':threshold': 40, ':previous': 40 });
    // At 10:00:00.001 almost all of it: 60 − 40 × 59.999/60 → 20 (rounded down, never more).
    expect(seen.counterUpdate(PRINCIPAL, new Date('2025-03-04T10:00:00.001Z'))?.ExpressionAttributeValues).toMatchObject({ ':threshold': 20 });
    // The next window has not been read: assumed empty again, and its condition says so.
    expect(seen.counterUpdate(PRINCIPAL, new Date('2025-03-04T10:01:30.000Z'))?.ExpressionAttributeValues).toMatchObject({ ':threshold': 60, ':previous': 0 });
    // Another principal learns nothing from this one.
    expect(seen.counterUpdate('000000000000:role/other', at)?.ExpressionAttributeValues).toMatchObject({ ':previous': 0 });
  });

  it('offers no update when the previous window alone fills the limit: consume decides, exactly', async () => {
    const full = new DynamoRateLimiter(documents, TABLE, { requests: 60, windowSeconds: 60 });
    dynamo.on(UpdateCommand).resolves(counts(1, 120));
    await caught(full.consume(PRINCIPAL, new Date('2025-03-04T10:00:10.000Z')));
    expect(full.counterUpdate(PRINCIPAL, at)).toBeUndefined();
    // 120 × 1/60 = 2 of 60 left to the previous window at 10:00:59: 58 may be counted.
    expect(full.counterUpdate(PRINCIPAL, new Date('2025-03-04T10:00:59.000Z'))?.ExpressionAttributeValues).toMatchObject({ ':threshold': 58 });
  });
});
