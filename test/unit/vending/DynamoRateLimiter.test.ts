import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { DynamoRateLimiter } from '../../../src/vending/DynamoRateLimiter.js';
import { caught } from '../../support/caught.js';

const TABLE = 'sentinel-config';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(DynamoDBDocumentClient);
const limiter = new DynamoRateLimiter(documents, TABLE, { requests: 60, windowSeconds: 60 });

/** 2025-03-04T10:00:00Z is a whole minute: epoch seconds 1741082400. */
const WINDOW_START = 1_741_082_400;

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoRateLimiter', () => {
  it("counts the request atomically in the user's current window, expiring the counter an hour after it", async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 1, ttl: WINDOW_START + 60 + 3600 } });
    await limiter.consume('alice', new Date('2025-03-04T10:00:42.500Z'));
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'ratelimit#alice', sk: String(WINDOW_START) },
      UpdateExpression: 'ADD hits :one SET #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':one': 1, ':ttl': WINDOW_START + 60 + 3600 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('keeps assumed-role users apart by their full name', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 1 } });
    await limiter.consume('deploy-role/ci-run-17', new Date('2025-03-04T10:00:00.000Z'));
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { Key: { pk: 'ratelimit#deploy-role/ci-run-17', sk: String(WINDOW_START) } });
  });

  it('allows the limit itself', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 60 } });
    await expect(limiter.consume('alice', new Date('2025-03-04T10:00:59.999Z'))).resolves.toBeUndefined();
  });

  it('refuses the request past the limit with the seconds left in the window', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 61 } });
    const error = await caught(limiter.consume('alice', new Date('2025-03-04T10:00:42.500Z')));
    expect(error).toBeInstanceOf(SentinelError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('too many credential requests: at most 60 per 60 s; retry in 18 s');
    expect(error.retryAfterSeconds).toBe(18);
  });

  it('never says retry in 0 s at the very end of a window', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 99 } });
    const error = await caught(limiter.consume('alice', new Date('2025-03-04T10:00:59.999Z')));
    expect(error.retryAfterSeconds).toBe(1);
  });

  it.each([
    ['throttling', new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }), 2],
    ['a missing config table', new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }), 30],
    ['a network error', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 1],
  ])('fails closed as UNAVAILABLE on %s, retry in %i s', async (_name, fault, retryAfterSeconds) => {
    dynamo.on(UpdateCommand).rejects(fault);
    const error = await caught(limiter.consume('alice', new Date('2025-03-04T10:00:00.000Z')));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the rate limiter is unavailable');
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(error.cause).toBe(fault);
  });

  it('fails closed as INTERNAL when DynamoDB rejects the update itself', async () => {
    const fault = Object.assign(new Error('Invalid UpdateExpression'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    dynamo.on(UpdateCommand).rejects(fault);
    const error = await caught(limiter.consume('alice', new Date('2025-03-04T10:00:00.000Z')));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the rate limiter rejected the request');
    expect(error.cause).toBe(fault);
  });

  it('fails closed when DynamoDB returns no count', async () => {
    dynamo.on(UpdateCommand).resolves({});
    expect((await caught(limiter.consume('alice', new Date('2025-03-04T10:00:00.000Z')))).code).toBe('UNAVAILABLE');
  });

  it('refuses a limit that is not a whole number ≥ 1', () => {
    expect(() => new DynamoRateLimiter(documents, TABLE, { requests: 0, windowSeconds: 60 })).toThrow(SentinelError);
    expect(() => new DynamoRateLimiter(documents, TABLE, { requests: 5, windowSeconds: 0.5 })).toThrow(SentinelError);
  });
});
