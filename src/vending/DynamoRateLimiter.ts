/**
 * Per-user credential request limit: a fixed-window counter in the config table
 * (`ratelimit#<user>` / `<window start epoch seconds>`, DESIGN.md Tables: config).
 *
 * One atomic `ADD` per request, so concurrent Lambdas count exactly. A counter that
 * cannot be read or written refuses the request (fail closed): the limit exists to
 * bound what a stolen identity can do, and an outage must not lift it.
 */

import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../errors.js';
import type { RateLimiter } from './ports.js';

/** Counters outlive their window by an hour, so a late look at the table still shows the burst. */
const COUNTER_RETENTION_SECONDS = 3600;

/** How dependency failures name the limiter (src/aws/dynamoErrors.ts). */
const STORE = 'the rate limiter';

/** At most `requests` credential requests per user in each fixed window of `windowSeconds`. */
export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

/** A {@link RateLimiter} on the config table. */
export class DynamoRateLimiter implements RateLimiter {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #limit: RateLimit;

  constructor(documents: DynamoDBDocumentClient, configTable: string, limit: RateLimit) {
    for (const [name, value] of Object.entries(limit)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        // loadConfig validates SENTINEL_RATE_LIMIT_*; reaching this is a wiring bug.
        throw new SentinelError('INTERNAL', `the rate limit's ${name} must be a whole number ≥ 1, not ${String(value)}`);
      }
    }
    this.#documents = documents;
    this.#table = configTable;
    this.#limit = { requests: limit.requests, windowSeconds: limit.windowSeconds };
  }

  async consume(user: string, now: Date): Promise<void> {
    const { requests, windowSeconds } = this.#limit;
    const nowMs = now.getTime();
    const nowSeconds = Math.floor(nowMs / 1000);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const windowEnd = windowStart + windowSeconds;

    let hits: unknown;
    try {
      const output = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `ratelimit#${user}`, sk: String(windowStart) },
          // ADD treats a missing counter as 0, so the window's first request creates it; every increment is atomic.
          UpdateExpression: 'ADD hits :one SET #ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': windowEnd + COUNTER_RETENTION_SECONDS },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      hits = output.Attributes?.hits;
    } catch (error) {
      // The update has no condition: every failure is the translator's, and none lets the request through.
      throw dynamoFailure(error, STORE);
    }
    if (typeof hits !== 'number') throw new UnavailableError('the rate limiter returned no count');
    if (hits <= requests) return;
    const retryAfter = Math.max(1, Math.ceil((windowEnd * 1000 - nowMs) / 1000));
    throw new SentinelError(
      'RATE_LIMITED',
      `too many credential requests: at most ${requests} per ${windowSeconds} s; retry in ${retryAfter} s`,
      { retryAfterSeconds: retryAfter },
    );
  }
}
