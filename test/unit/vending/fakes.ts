/**
 * In-memory fakes of the vending ports, for pipeline tests that need exact control of
 * time, ids and faults. DynamoDB behaviour itself is tested against DynamoDB Local.
 */

import { readFileSync } from 'node:fs';
import { SentinelError } from '../../../src/errors.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import { effectiveStatus } from '../../../src/sessions/types.js';
import type { SessionPage, SessionQuery, SessionRecord, SessionStore } from '../../../src/sessions/types.js';
import type { DecisionLine, VendingDeps } from '../../../src/vending/issue.js';
import type { LoadedPolicy } from '../../../src/policy/source.js';
import type { CredentialIssuer, IssueInput } from '../../../src/vending/ports.js';

export const EXAMPLE_POLICY = readFileSync(new URL('../../../examples/policy.yaml', import.meta.url), 'utf8');

/** prod frozen in server mode, still open on the command line: a policy change a running session meets. */
export const SERVER_FREEZE_POLICY = `version: "1"
profiles:
  prod: { role_arn: "arn:aws:iam::111122223333:role/prod" }
rules:
  - name: freeze
    effect: deny
    conditions: { mode: [server] }
    reason: change freeze
  - name: read-only-cli
    effect: allow
    conditions: { mode: [cli] }
`;

export function loaded(text = EXAMPLE_POLICY, version = 1): LoadedPolicy {
  const policy = parsePolicy(text);
  return { policy, compiled: compilePolicy(policy), version };
}

/** A session store keyed by table and id that applies the same conditions as the DynamoDB adapter. */
export class MemorySessionStore implements SessionStore {
  readonly tables = new Map<string, Map<string, SessionRecord>>();
  failNext: Partial<Record<'create' | 'markIssued' | 'markFailed', Error>> = {};

  table(name: string): Map<string, SessionRecord> {
    let table = this.tables.get(name);
    if (table === undefined) this.tables.set(name, (table = new Map()));
    return table;
  }

  async create(table: string, session: SessionRecord): Promise<void> {
    this.throwIfFailing('create');
    if (this.table(table).has(session.id)) throw new SentinelError('CONFLICT', 'duplicate');
    this.table(table).set(session.id, { ...session, status: 'pending', requestCount: 1 });
  }

  async markIssued(table: string, id: string, update: { user: string; expiresAt: string; ttl: number }): Promise<void> {
    this.throwIfFailing('markIssued');
    const session = this.table(table).get(id);
    if (session?.status !== 'active' && session?.status !== 'pending') throw stateError(session);
    Object.assign(session, { status: 'active', expiresAt: update.expiresAt, ttl: update.ttl });
  }

  async markFailed(table: string, id: string): Promise<void> {
    this.throwIfFailing('markFailed');
    const session = this.table(table).get(id);
    if (session?.status === 'pending') session.status = 'failed';
  }

  async refresh(table: string, request: { id: string; user: string; profile: string; now: string }): Promise<SessionRecord> {
    const session = this.table(table).get(request.id);
    if (session === undefined) throw new SentinelError('NOT_FOUND', 'no such session');
    if (session.user !== request.user) throw new SentinelError('NOT_OWNER', 'not yours');
    if (session.profile !== request.profile) throw new SentinelError('CONFLICT', 'other profile');
    if (session.status !== 'active' || session.expiresAt <= request.now) throw stateError(session);
    session.lastAccessAt = request.now;
    session.requestCount += 1;
    return { ...session };
  }

  async end(table: string, request: { id: string; user: string; now: string }): Promise<SessionRecord> {
    const session = this.table(table).get(request.id);
    if (session === undefined) throw new SentinelError('NOT_FOUND', 'no such session');
    if (session.user !== request.user) throw new SentinelError('NOT_OWNER', 'not yours');
    if (session.status !== 'active') throw stateError(session);
    session.status = 'ended';
    session.endedAt = request.now;
    return { ...session };
  }

  async get(table: string, id: string): Promise<SessionRecord | undefined> {
    return this.table(table).get(id);
  }

  /** Newest first, filtered as the adapter's Query is; `next` is the id of the last session returned. */
  async list(table: string, query: SessionQuery): Promise<SessionPage> {
    const all = [...this.table(table).values()]
      .filter((session) => (query.index === 'by-user' ? session.user : session.profile) === query.key)
      .filter((session) => query.statuses === undefined || query.statuses.includes(effectiveStatus(session, query.now)))
      .filter((session) => query.since === undefined || session.createdAt >= query.since)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = query.startKey === undefined ? 0 : all.findIndex((session) => session.id === query.startKey?.id) + 1;
    const page = all.slice(start, start + query.limit);
    const last = page[page.length - 1];
    return start + query.limit < all.length && last !== undefined ? { sessions: page, next: { id: last.id } } : { sessions: page };
  }

  async revoke(table: string, request: { id: string; by: string; reason: string; now: string }): Promise<{ revoked: boolean; session: SessionRecord }> {
    const session = this.table(table).get(request.id);
    if (session === undefined) throw new SentinelError('NOT_FOUND', 'no such session');
    if (session.status === 'revoked') return { revoked: false, session: { ...session } };
    const status = effectiveStatus(session, request.now);
    if (status !== 'active' && status !== 'pending') throw new SentinelError('CONFLICT', `session ${request.id} is ${status}`);
    Object.assign(session, { status: 'revoked', revokedBy: request.by, revokedReason: request.reason, revokedAt: request.now });
    return { revoked: true, session: { ...session } };
  }

  async expireOverdue(table: string, request: { now: string; limit: number }): Promise<{ expired: number; more: boolean }> {
    const overdue = [...this.table(table).values()].filter((session) => session.status === 'active' && session.expiresAt <= request.now);
    for (const session of overdue.slice(0, request.limit)) session.status = 'expired';
    return { expired: Math.min(overdue.length, request.limit), more: overdue.length > request.limit };
  }

  private throwIfFailing(method: 'create' | 'markIssued' | 'markFailed'): void {
    const error = this.failNext[method];
    if (error !== undefined) {
      delete this.failNext[method];
      throw error;
    }
  }
}

function stateError(session: SessionRecord | undefined): SentinelError {
  if (session?.status === 'revoked') return new SentinelError('SESSION_REVOKED', 'revoked');
  if (session?.status === 'ended') return new SentinelError('SESSION_ENDED', 'ended');
  return new SentinelError('SESSION_EXPIRED', 'expired');
}

export class FakeIssuer implements CredentialIssuer {
  readonly kind = 'sts' as const;
  readonly calls: IssueInput[] = [];
  failWith: Error | undefined;
  /** Runs while "STS" is answering: lets a test revoke mid-issuance. */
  during: (() => Promise<void>) | undefined;

  constructor(private readonly now: () => Date) {}

  async issue(input: IssueInput) {
    this.calls.push(input);
    await this.during?.();
    if (this.failWith !== undefined) throw this.failWith;
    return {
      accessKeyId: 'ASIAFAKE',
      secretAccessKey: 'fake-secret-key-value',
      sessionToken: 'fake-session-token-value',
      expiration: new Date(this.now().getTime() + input.durationSeconds * 1000),
    };
  }
}

export interface Harness {
  deps: VendingDeps;
  sessions: MemorySessionStore;
  issuer: FakeIssuer;
  lines: DecisionLine[];
  warnings: string[];
  rateLimited: { value: boolean };
  /** The principal of every request the rate limiter counted. */
  consumed: string[];
  /** The principal of every request counted together with its session write (with `counted`). */
  countedTogether: string[];
  setPolicy(text: string, version?: number): void;
  clock: { time: Date };
}

/**
 * With `counted`, the pipeline gets a CountedSessionWrites that behaves as the DynamoDB
 * one: it writes and counts only when the limiter would pass and the session write's
 * condition holds, else writes nothing and answers false.
 */
export function harness(options: { defaultSessionTable?: string | null; now?: Date; counted?: boolean } = {}): Harness {
  const clock = { time: options.now ?? new Date('2026-11-18T10:00:00Z') };
  const sessions = new MemorySessionStore();
  const issuer = new FakeIssuer(() => clock.time);
  const lines: DecisionLine[] = [];
  const warnings: string[] = [];
  const rateLimited = { value: false };
  const consumed: string[] = [];
  const countedTogether: string[] = [];
  let current = loaded();
  let counter = 0;
  const defaultSessionTable = options.defaultSessionTable === undefined ? 'sentinel-sessions' : options.defaultSessionTable;
  const deps: VendingDeps = {
    settings: {
      tablePrefix: 'sentinel-',
      ...(defaultSessionTable === null ? {} : { defaultSessionTable }),
      maxSessionLifetimeSeconds: 12 * 3600,
      auditRetentionSeconds: 90 * 86_400,
    },
    sessions,
    policies: { current: async () => current },
    rateLimiter: {
      consume: async (principal) => {
        consumed.push(principal);
        if (rateLimited.value) {
          const { SentinelError } = await import('../../../src/errors.js');
          throw new SentinelError('RATE_LIMITED', 'too many', { retryAfterSeconds: 7 });
        }
      },
    },
    // Provisioned sessions tables beyond the default (sentinel init sessions).
    sessionTables: { isSessionsTable: async (table) => table === 'sentinel-team-sessions' },
    issuer,
    clock: { now: () => clock.time },
    randomHex: (bytes) => (++counter).toString(16).padStart(bytes * 2, '0'),
    decisions: { record: (line) => lines.push(line), warn: (message) => warnings.push(message) },
  };
  if (options.counted === true) {
    deps.counted = {
      create: async (table, session, principal) => {
        if (rateLimited.value || sessions.table(table).has(session.id)) return false;
        await sessions.create(table, session);
        countedTogether.push(principal);
        return true;
      },
      refresh: async (table, request, principal) => {
        const session = sessions.table(table).get(request.id);
        const holds = session !== undefined && session.status === 'active' && session.user === request.user && session.profile === request.profile;
        if (rateLimited.value || !holds || session.expiresAt <= request.now || session.createdAt < request.createdFrom) return false;
        await sessions.refresh(table, request);
        countedTogether.push(principal);
        return true;
      },
    };
  }
  return {
    deps,
    sessions,
    issuer,
    lines,
    warnings,
    rateLimited,
    consumed,
    countedTogether,
    setPolicy: (text, version = 2) => {
      current = loaded(text, version);
    },
    clock,
  };
}
