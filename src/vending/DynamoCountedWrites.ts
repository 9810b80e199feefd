/**
 * {@link CountedSessionWrites} on DynamoDB: the rate limiter's counter update and the
 * session write in one TransactWriteItems (the counter may live in another table of
 * the same account and Region: the config table).
 */

import type { DynamoSessionStore } from '../sessions/DynamoSessionStore.js';
import type { DynamoRateLimiter } from './DynamoRateLimiter.js';
import type { CountedSessionWrites } from './ports.js';

export class DynamoCountedWrites implements CountedSessionWrites {
  readonly #limiter: DynamoRateLimiter;
  readonly #sessions: DynamoSessionStore;

  constructor(limiter: DynamoRateLimiter, sessions: DynamoSessionStore) {
    this.#limiter = limiter;
    this.#sessions = sessions;
  }

  async create(...[table, session, principal, now]: Parameters<CountedSessionWrites['create']>): Promise<boolean> {
    const counter = this.#limiter.counterUpdate(principal, now);
    return counter === undefined ? false : this.#sessions.createWith(table, session, counter);
  }

  async refresh(...[table, request, principal, now]: Parameters<CountedSessionWrites['refresh']>): Promise<boolean> {
    const counter = this.#limiter.counterUpdate(principal, now);
    return counter === undefined ? false : this.#sessions.refreshWith(table, request, counter);
  }
}
