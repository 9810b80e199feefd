import {
  ConditionalCheckFailedException,
  InternalServerError,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  ReplicatedWriteConflictException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { dynamoFailure, isConditionFailure } from '../../../src/aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../../../src/errors.js';

const STORE = 'the session store';

/** An error as DynamoDB sends it and aws-sdk-client-mock rejects with it: only the name, status and fault are known. */
function awsError(name: string, httpStatusCode: number, fault: 'client' | 'server' = httpStatusCode >= 500 ? 'server' : 'client'): Error {
  return Object.assign(new Error(`${name}: text AWS wrote about table sentinel-sessions`), { name, $metadata: { httpStatusCode }, $fault: fault });
}

/** A Node socket or DNS error, as the HTTP handler rejects with it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const conditionFailed = (): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });

describe('dynamoFailure: dependency failures are UNAVAILABLE with a generic message and a Retry-After by kind', () => {
  it.each([
    // A deployment problem: 30 s.
    ['a missing table', new ResourceNotFoundException({ message: 'Requested resource not found: Table: sentinel-sessions not found', $metadata: {} }), 30],
    ['access denied', awsError('AccessDeniedException', 400), 30],
    ['an unknown access key', awsError('UnrecognizedClientException', 400), 30],
    ['a bad signature', awsError('InvalidSignatureException', 400), 30],
    ['an expired session token', awsError('ExpiredTokenException', 400), 30],
    ['no credentials at all', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 30],
    // Throttling: 2 s.
    ['provisioned throughput exceeded', new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }), 2],
    ['ThrottlingException (a class)', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }), 2],
    ['ThrottlingException (as a mock rejects it)', awsError('ThrottlingException', 400), 2],
    ['the account throughput quota', new RequestLimitExceeded({ message: 'Throughput exceeds the current throughput limit for your account', $metadata: {} }), 2],
    ['too many table operations at once', new LimitExceededException({ message: 'Subscriber limit exceeded', $metadata: {} }), 2],
    ['TooManyRequestsException', awsError('TooManyRequestsException', 400), 2],
    ['an unnamed 429', awsError('UnknownError', 429), 2],
    ['an error the SDK marks as throttling', Object.assign(awsError('SlowDownPlease', 400), { $retryable: { throttling: true } }), 2],
    ['a transaction cancelled by throttling', cancelled('None', 'ThrottlingError'), 2],
    ['a transaction cancelled by capacity and contention', cancelled('ProvisionedThroughputExceeded', 'TransactionConflict'), 2],
    // DynamoDB's own faults: 1 s.
    ['InternalServerError (a class)', new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } }), 1],
    ['ServiceUnavailable', awsError('ServiceUnavailable', 503), 1],
    ['any 5xx status', awsError('SomethingNew', 502), 1],
    ['any server fault', Object.assign(new Error('?'), { name: 'SomethingNew', $fault: 'server', $metadata: {} }), 1],
    // The network and timeouts: 1 s.
    ["the SDK's TimeoutError", Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }), 1],
    ['a socket that timed out (renamed TimeoutError by the handler)', Object.assign(socketError('ETIMEDOUT'), { name: 'TimeoutError' }), 1],
    ['RequestTimeout', awsError('RequestTimeout', 408), 1],
    ['an aborted request', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 1],
    ['ECONNRESET', socketError('ECONNRESET'), 1],
    ['ECONNREFUSED', socketError('ECONNREFUSED'), 1],
    ['ETIMEDOUT', socketError('ETIMEDOUT'), 1],
    ['EPIPE', socketError('EPIPE'), 1],
    ['a DNS failure (ENOTFOUND)', socketError('ENOTFOUND'), 1],
    ['a DNS failure (EAI_AGAIN)', socketError('EAI_AGAIN'), 1],
    // Contention with another write: 1 s.
    ['a write meeting a transaction', new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} }), 1],
    ["a write meeting another Region's", new ReplicatedWriteConflictException({ message: 'Replicated write conflict', $metadata: {} }), 1],
    ['a transaction cancelled by contention', cancelled('TransactionConflict', 'None'), 1],
    // An answer the SDK could not read (a 200 cut short): the deserializer's error carries the raw response.
    [
      'a 200 whose body is not JSON',
      Object.assign(new SyntaxError('Unexpected end of JSON input'), { $metadata: { httpStatusCode: 200 }, $response: { statusCode: 200, body: '{"Item":' } }),
      1,
    ],
  ])('%s → UNAVAILABLE, Retry-After %i s', (_name, fault, retryAfterSeconds) => {
    const error = dynamoFailure(fault, STORE);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('the session store is unavailable');
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(error.cause).toBe(fault);
  });
});

describe('dynamoFailure: what a retry does not fix is INTERNAL', () => {
  it.each([
    ['ValidationException', awsError('ValidationException', 400)],
    ['a client error nobody handles', awsError('SerializationException', 400)],
    ['an item collection over its size limit', awsError('ItemCollectionSizeLimitExceededException', 400)],
    ['a plain Error', new Error('something odd')],
    ['a thrown string', 'not even an Error'],
    ['a thrown nothing', undefined],
    ['a transaction cancelled as invalid', cancelled('ValidationError', 'None')],
    ['a transaction cancelled as invalid and by contention', cancelled('TransactionConflict', 'ValidationError')],
    ['a transaction cancelled without reasons', cancelled()],
    ['a failed condition the caller did not expect', conditionFailed()],
    ['a transaction whose condition failed unexpectedly', cancelled('None', 'ConditionalCheckFailed')],
  ])('%s → INTERNAL, generic, no Retry-After', (_name, fault) => {
    const error = dynamoFailure(fault, 'the policy store');
    expect(error).toBeInstanceOf(SentinelError);
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('the policy store rejected the request');
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.cause).toBe(fault);
  });
});

describe('dynamoFailure: a failed condition is what the caller says it means', () => {
  it.each([
    ['ConditionalCheckFailedException (a class)', conditionFailed()],
    ['ConditionalCheckFailedException (as a mock rejects it)', awsError('ConditionalCheckFailedException', 400)],
    ['a transaction with a failed condition', cancelled('None', 'ConditionalCheckFailed')],
    ['a transaction with a failed condition and contention', cancelled('ConditionalCheckFailed', 'TransactionConflict')],
  ])('%s → the mapping’s error, with the failure as its cause', (_name, fault) => {
    const onCondition = vi.fn((failure: unknown) => new SentinelError('CONFLICT', 'session 5f0c already exists', { cause: failure }));
    const error = dynamoFailure(fault, STORE, onCondition);
    expect(onCondition).toHaveBeenCalledExactlyOnceWith(fault);
    expect(error).toBe(onCondition.mock.results[0]?.value);
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('session 5f0c already exists');
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.cause).toBe(fault);
  });

  it('does not call the mapping for anything else', () => {
    const onCondition = vi.fn(() => new SentinelError('CONFLICT', 'never'));
    expect(dynamoFailure(awsError('ThrottlingException', 400), STORE, onCondition).code).toBe('UNAVAILABLE');
    expect(dynamoFailure(cancelled('TransactionConflict'), STORE, onCondition).code).toBe('UNAVAILABLE');
    expect(onCondition).not.toHaveBeenCalled();
  });
});

describe('dynamoFailure: a SentinelError is already translated', () => {
  it.each([
    ['a state error', new SentinelError('SESSION_REVOKED', 'session 5f0c was revoked by ops-erin')],
    ['an UnavailableError with its own Retry-After', new UnavailableError('point-in-time recovery cannot be turned on yet', { retryAfterSeconds: 5 })],
    ['an INTERNAL error', new SentinelError('INTERNAL', 'a bug')],
  ])('%s comes back as it is, mapping or not', (_name, already) => {
    const onCondition = vi.fn(() => new SentinelError('CONFLICT', 'never'));
    expect(dynamoFailure(already, STORE)).toBe(already);
    expect(dynamoFailure(already, STORE, onCondition)).toBe(already);
    expect(onCondition).not.toHaveBeenCalled();
  });
});

describe('dynamoFailure: messages never carry AWS text or names', () => {
  it.each([
    new ResourceNotFoundException({ message: 'Requested resource not found: Table: sentinel-secret-sessions not found', $metadata: {} }),
    awsError('AccessDeniedException', 400),
    awsError('ValidationException', 400),
    socketError('ECONNREFUSED'),
  ])('%s', (fault) => {
    const error = dynamoFailure(fault, STORE);
    expect(error.message).not.toMatch(/sentinel-|Exception|ECONN|not found|AWS/);
  });
});

describe('isConditionFailure', () => {
  it.each([
    [conditionFailed(), true],
    [awsError('ConditionalCheckFailedException', 400), true],
    [cancelled('None', 'ConditionalCheckFailed'), true],
    [cancelled('TransactionConflict', 'None'), false],
    [cancelled(), false],
    [awsError('ThrottlingException', 400), false],
    [new SentinelError('CONFLICT', 'already translated'), false],
    ['ConditionalCheckFailedException', false],
    [undefined, false],
  ])('%s → %s', (fault, expected) => {
    expect(isConditionFailure(fault)).toBe(expected);
  });
});
