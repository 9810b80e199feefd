/**
 * Credential requests per principal (the one AWS fixed, `Caller.principal`: never a
 * session name its caller picks), as a sliding window in the config table.
 *
 * The estimate is that of two adjacent fixed windows, the previous one weighted by how
 * much of it still lies within the last `windowSeconds`:
 *
 *     estimate = current + previous × (time left in the current window ÷ window)
 *
 * and a request passes while the estimate, itself included, is at most the limit. A
 * burst that straddles a boundary therefore gets at most the limit plus
 * limit × (how long it lasts after the boundary ÷ window), where a fixed window gave
 * twice the limit. Every request counts, refused ones too, as before: a caller that
 * keeps retrying stays refused; `Retry-After` says how long to wait without retrying.
 *
 * Storage: one item per principal and *epoch* of {@link EPOCH_WINDOWS} windows
 * (`ratelimit#<principal>` / `<epoch start, epoch seconds>`), one counter per window
 * (`w<window start>`). Each request is ONE atomic UpdateItem (see {@link consume}), so
 * concurrent Lambdas count exactly; DynamoDB's update expressions cannot branch, so the
 * counters are named after their windows instead of being reset, and the epoch bounds
 * how many an item can ever hold. The cost of the epoch: in its first window the
 * previous window's counter is in the previous epoch's item and is not seen, so at
 * that one boundary per epoch (00:00 UTC every day with the default 60 s window) a
 * straddling burst can get up to twice the limit, as a fixed window allowed at every
 * boundary.
 *
 * A counter that cannot be read or written refuses the request (fail closed): the limit
 * exists to bound what a stolen identity can do, and an outage must not lift it.
 *
 * Folded into the session write ({@link DynamoRateLimiter.counterUpdate}): an issuance
 * that writes a session counts itself in the same TransactWriteItems, one round trip
 * for both. The update cannot return the count it made, so its condition carries the
 * check instead: this window's counter below the threshold the limit leaves once the
 * previous window's share is taken, and the previous window's counter no higher than
 * the count this instance last saw for it (a finished window's counter no longer
 * grows; {@link consume} reads it). The write then happens only when `consume` would
 * have let the request through. When the condition fails, nothing is written, and the
 * request is counted by `consume`, exactly, as before.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { SentinelError, UnavailableError } from '../errors.js';
import type { RateLimiter } from './ports.js';

/**
 * Windows per item: a day at the default 60 s window. An item holds at most this many
 * counters (a few kB), usually two or three.
 */
export const EPOCH_WINDOWS = 1440;

/** Counters outlive the window that still reads them by an hour, so a late look at the table still shows the burst. */
const COUNTER_RETENTION_SECONDS = 3600;

/** How dependency failures name the limiter (src/aws/dynamoErrors.ts). */
const STORE = 'the rate limiter';

/**
 * Tries of the plain update when it meets a transaction in flight on the same counter
 * (TransactionConflictException, which the SDK does not retry): a principal's concurrent
 * issuances write its counter in transactions, and the update lost nothing, it was not
 * applied. Waits between tries: {@link CONTENTION_BACKOFF_MS} × 2ⁿ, jittered.
 */
const CONTENTION_TRIES = 4;
const CONTENTION_BACKOFF_MS = 15;

/** Principals whose previous window's count an instance remembers; past this, it starts again from empty. */
const MAX_REMEMBERED_PRINCIPALS = 10_000;

/** The counter update of one request, as an item of a TransactWriteItems. */
export type CounterUpdate = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

/** At most `requests` credential requests per principal in any `windowSeconds` (estimated as above). */
export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

/** A {@link RateLimiter} on the config table. */
export class DynamoRateLimiter implements RateLimiter {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #limit: RateLimit;
  /** Per principal: the previous window's count as `consume` last returned it, and the window it was seen in. */
  readonly #previous = new Map<string, { window: number; count: number }>();

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

  /**
   * Counts one request of `principal` at `now`.
   *
   * @throws SentinelError `RATE_LIMITED` over the limit, with the seconds until a retry passes.
   * @throws SentinelError `UNAVAILABLE` / `INTERNAL` when the counter cannot be updated (src/aws/dynamoErrors.ts).
   */
  async consume(principal: string, now: Date): Promise<void> {
    const { requests, windowSeconds } = this.#limit;
    const { windowMs, window, start, epochStart, remainingMs } = this.#windowOf(now);

    let counts: { current: unknown; previous: unknown };
    const update = new UpdateCommand({
      TableName: this.#table,
      Key: { pk: `ratelimit#${principal}`, sk: String(epochStart) },
      // One atomic update, no condition (every request counts):
      // - ADD the request to this window's counter (ADD starts a missing counter at 0);
      // - SET `previous` to the previous window's counter as it stands (0 when there is
      //   none, also in an epoch's first window, whose previous window is in the last
      //   epoch's item): a copy, so that UPDATED_NEW returns it with the new count;
      // - SET the item's ttl past the end of the next window, which still reads this one;
      // - REMOVE the counter of two windows ago, which no window reads any more.
      UpdateExpression: 'ADD #current :one SET #previous = if_not_exists(#previousWindow, :zero), #ttl = :ttl REMOVE #stale',
      ExpressionAttributeNames: {
        '#current': `w${start}`,
        '#previousWindow': `w${start - windowSeconds}`,
        '#previous': 'previous',
        '#stale': `w${start - 2 * windowSeconds}`,
        '#ttl': 'ttl',
      },
      ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':ttl': start + 2 * windowSeconds + COUNTER_RETENTION_SECONDS },
      ReturnValues: 'UPDATED_NEW',
    });
    for (let tried = 1; ; tried += 1) {
      try {
        const output = await this.#documents.send(update);
        counts = { current: output.Attributes?.[`w${start}`], previous: output.Attributes?.['previous'] };
        break;
      } catch (error) {
        if (tried < CONTENTION_TRIES && error instanceof Error && error.name === 'TransactionConflictException') {
          await sleep(CONTENTION_BACKOFF_MS * 2 ** (tried - 1) * (0.5 + Math.random()));
          continue;
        }
        // The update has no condition: every failure is the translator's, and none lets the request through.
        throw dynamoFailure(error, STORE);
      }
    }
    const { current, previous } = counts;
    if (typeof current !== 'number' || typeof previous !== 'number') throw new UnavailableError('the rate limiter returned no count');
    this.#remember(principal, window, previous);
    // current + previous × remaining ÷ window ≤ requests, multiplied out to stay in whole numbers.
    if (current * windowMs + previous * remainingMs <= requests * windowMs) return;
    const retryAfter = Math.max(1, Math.ceil(this.#retryAfterMs(window, current, previous, remainingMs) / 1000));
    throw new SentinelError(
      'RATE_LIMITED',
      `too many credential requests: at most ${requests} per ${windowSeconds} s; retry in ${retryAfter} s`,
      { retryAfterSeconds: retryAfter },
    );
  }

  /**
   * The counting of one request of `principal` at `now` as a conditional update to write
   * with the session (see the module comment); undefined when even an empty window could
   * not take it after what is known of the previous one (then {@link consume} decides).
   */
  counterUpdate(principal: string, now: Date): CounterUpdate | undefined {
    const { requests, windowSeconds } = this.#limit;
    const { windowMs, window, start, epochStart, remainingMs } = this.#windowOf(now);
    const known = this.#previous.get(principal);
    // Unknown: assume an empty previous window; if it was not, the condition fails and consume counts.
    const previous = known?.window === window ? known.count : 0;
    // The request passes when (current + 1) × window + previous × remaining ≤ requests × window,
    // that is when current < threshold.
    const threshold = Math.floor((requests * windowMs - previous * remainingMs) / windowMs);
    if (threshold < 1) return undefined;
    return {
      TableName: this.#table,
      Key: { pk: `ratelimit#${principal}`, sk: String(epochStart) },
      // consume's update without the copy of the previous count, which nothing here reads.
      UpdateExpression: 'ADD #current :one SET #ttl = :ttl REMOVE #stale',
      ConditionExpression: '(attribute_not_exists(#current) OR #current < :threshold) AND (attribute_not_exists(#previousWindow) OR #previousWindow <= :previous)',
      ExpressionAttributeNames: {
        '#current': `w${start}`,
        '#previousWindow': `w${start - windowSeconds}`,
        '#stale': `w${start - 2 * windowSeconds}`,
        '#ttl': 'ttl',
      },
      ExpressionAttributeValues: { ':one': 1, ':ttl': start + 2 * windowSeconds + COUNTER_RETENTION_SECONDS, ':threshold': threshold, ':previous': previous },
    };
  }

  /** The window `now` falls in (its number and start in epoch seconds), its epoch's start, and the milliseconds left in it. */
  #windowOf(now: Date): { windowMs: number; window: number; start: number; epochStart: number; remainingMs: number } {
    const { windowSeconds } = this.#limit;
    const windowMs = windowSeconds * 1000;
    const nowMs = now.getTime();
    const window = Math.floor(nowMs / windowMs);
    return {
      windowMs,
      window,
      start: window * windowSeconds,
      epochStart: Math.floor(window / EPOCH_WINDOWS) * EPOCH_WINDOWS * windowSeconds,
      remainingMs: (window + 1) * windowMs - nowMs,
    };
  }

  #remember(principal: string, window: number, previous: number): void {
    if (this.#previous.size >= MAX_REMEMBERED_PRINCIPALS && !this.#previous.has(principal)) this.#previous.clear();
    this.#previous.set(principal, { window, count: previous });
  }

  /** How long until one more request would pass, if none is made meanwhile. */
  #retryAfterMs(window: number, current: number, previous: number, remainingMs: number): number {
    const { requests, windowSeconds } = this.#limit;
    const windowMs = windowSeconds * 1000;
    if (current + 1 <= requests && previous > 0) {
      // Later in this window: the previous window's share shrinks until (current + 1) + previous × left ÷ window ≤ requests.
      return remainingMs - Math.floor(((requests - current - 1) * windowMs) / previous);
    }
    // In the next window this one is the previous (unless the next one starts an epoch, which does not see it).
    const carried = (window + 1) % EPOCH_WINDOWS === 0 ? 0 : current;
    if (carried === 0) return remainingMs;
    return remainingMs + windowMs - Math.min(windowMs, Math.floor(((requests - 1) * windowMs) / carried));
  }
}
