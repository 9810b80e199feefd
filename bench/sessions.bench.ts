/**
 * What a session listing costs when one user has 5,000 sessions: `listSessions` (what
 * `GET /v1/sessions` runs) on the DynamoDB adapter against DynamoDB Local, in process,
 * no HTTP. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/sessions.bench.ts
 *
 * The sessions are written with BatchWriteItem, shaped as the store writes them
 * (checked against one written through the store's create and markIssued first):
 * alice's, over three profiles, 70 % active, 10 % active past expiry (they read
 * `expired`), 10 % revoked, 10 % ended. Measured: the first page (the default 50), each page of a full
 * walk at 100, a filtered listing (status=revoked: the filter runs after the read, so
 * a page costs several Queries) and an admin's by-profile listing; per listing the
 * Queries sent and the items DynamoDB read. Prints figures; passes or fails nothing.
 * Needs Java (DynamoDB Local) and, the first time, its download (see DEVELOPERS.md).
 * Takes about 20 s.
 */

// The AWS SDK warns about Node versions on first use; set before the SDK modules load,
// which is why everything that pulls in the SDK is imported below, when the bench starts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import type { ListSessionsQuery } from '../src/api/contract.js';
import type { Caller } from '../src/identity/types.js';
import { cursorCodec, cursorKey } from '../src/sessions/cursor.js';
import { listSessions } from '../src/sessions/manage.js';
import type { SessionAdminDeps } from '../src/sessions/manage.js';
import type { SessionRecord } from '../src/sessions/types.js';
import { elapsedMs, machine } from './support/localStack.js';
import { sized } from './support/scale.js';

const SESSIONS = sized(5_000, 100);
const WRITERS = 8;
const WARM_UP = sized(5, 1);
const REPETITIONS = sized(20, 3);
const WALKS = sized(3, 1);
const TABLE = 'sentinel-bench-sessions';
const PROFILES = ['prod', 'dev', 'staging'] as const;

const alice: Caller = { user: 'alice', arn: 'arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice', accountId: '000000000000', kind: 'person', principal: 'person/alice' };
const admin: Caller = { ...alice, user: 'admin', arn: alice.arn.replace(/alice$/, 'admin'), principal: 'person/admin' };

/** What DynamoDB did for the listings since the last reset: Queries sent, items read (before the filter). */
const reads = { queries: 0, items: 0 };

interface Figures {
  p50: number;
  p95: number;
  mean: number;
}

/** Nearest-rank percentiles of latencies in ms. */
function figures(samples: number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return { p50: rank(50), p95: rank(95), mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length };
}

type Fate = 'active' | 'expired' | 'revoked' | 'ended';

/** Session `n` of alice's, created a minute after the previous one; what became of it by `now` follows from `n`. */
function record(n: number, now: number): SessionRecord {
  const createdAt = new Date(now - (SESSIONS - n) * 60_000).toISOString();
  const at = new Date(now).toISOString();
  const fate: Fate = n % 10 === 0 ? 'expired' : n % 10 === 1 ? 'revoked' : n % 10 === 2 ? 'ended' : 'active';
  const profile = PROFILES[n % 3] as string;
  return {
    id: `be0c${n.toString(16).padStart(28, '0')}`,
    user: 'alice',
    callerArn: alice.arn,
    accountId: alice.accountId,
    profile,
    roleArn: `arn:aws:iam::111122223333:role/sentinel-${profile}`,
    mode: 'server',
    // Still active in the table when its credentials expired: it reads `expired`.
    status: fate === 'expired' ? 'active' : fate,
    sourceIdentity: `sentinel.alice.direct.${n.toString(16).padStart(8, '0')}`,
    createdAt,
    lastAccessAt: createdAt,
    expiresAt: new Date(now + (fate === 'expired' ? -5 : 15) * 60_000).toISOString(),
    requestCount: 1,
    ttl: Math.floor(now / 1000) + 90 * 86_400,
    ...(fate === 'revoked' ? { revokedBy: 'admin', revokedReason: 'bench', revokedAt: at } : {}),
    ...(fate === 'ended' ? { endedAt: at } : {}),
  };
}

/** The item as DynamoSessionStore writes it (snake_case; `active_user` only while active); checked against the store before the run. */
function itemOf(session: SessionRecord): Record<string, unknown> {
  return {
    id: session.id,
    user: session.user,
    caller_arn: session.callerArn,
    account_id: session.accountId,
    profile: session.profile,
    role_arn: session.roleArn,
    mode: session.mode,
    status: session.status,
    source_identity: session.sourceIdentity,
    created_at: session.createdAt,
    last_access_at: session.lastAccessAt,
    expires_at: session.expiresAt,
    request_count: session.requestCount,
    ttl: session.ttl,
    ...(session.status === 'active' ? { active_user: session.user } : {}),
    ...(session.revokedBy === undefined ? {} : { revoked_by: session.revokedBy }),
    ...(session.revokedReason === undefined ? {} : { revoked_reason: session.revokedReason }),
    ...(session.revokedAt === undefined ? {} : { revoked_at: session.revokedAt }),
    ...(session.endedAt === undefined ? {} : { ended_at: session.endedAt }),
  };
}

type PutRequest = { PutRequest: { Item: Record<string, unknown> } };

/**
 * Writes the sessions with BatchWriteItem, `WRITERS` batches of 25 in flight, sending
 * again whatever DynamoDB left unprocessed; returns the ms it took.
 */
async function fill(send: (requests: PutRequest[]) => Promise<PutRequest[]>, now: number): Promise<number> {
  const batches: PutRequest[][] = [];
  for (let start = 0; start < SESSIONS; start += 25) {
    batches.push(Array.from({ length: Math.min(25, SESSIONS - start) }, (_, i) => ({ PutRequest: { Item: itemOf(record(start + i, now)) } })));
  }
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
        for (let left = batch; left.length > 0; ) left = await send(left);
      }
    }),
  );
  return elapsedMs(started);
}

interface Walk {
  ms: number;
  pages: number;
  sessions: number;
  queries: number;
  items: number;
}

/** Every page of one listing, cursor to cursor. */
async function walk(query: ListSessionsQuery, caller: Caller, isAdmin: boolean, now: Date, deps: SessionAdminDeps): Promise<Walk> {
  reads.queries = 0;
  reads.items = 0;
  let pages = 0;
  let sessions = 0;
  let cursor: string | undefined;
  const started = process.hrtime.bigint();
  do {
    const page = await listSessions({ ...query, ...(cursor === undefined ? {} : { cursor }) }, caller, isAdmin, now, deps);
    pages += 1;
    sessions += page.sessions.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { ms: elapsedMs(started), pages, sessions, queries: reads.queries, items: reads.items };
}

/** The first page, `REPETITIONS` times after a warm-up; also the Queries and items one page costs. */
async function firstPage(query: ListSessionsQuery, caller: Caller, isAdmin: boolean, now: Date, deps: SessionAdminDeps): Promise<Figures & { size: number; queries: number; items: number }> {
  for (let i = 0; i < WARM_UP; i++) await listSessions(query, caller, isAdmin, now, deps);
  const samples: number[] = [];
  let size = 0;
  reads.queries = 0;
  reads.items = 0;
  for (let i = 0; i < REPETITIONS; i++) {
    const started = process.hrtime.bigint();
    const page = await listSessions(query, caller, isAdmin, now, deps);
    samples.push(elapsedMs(started));
    size = page.sessions.length;
  }
  return { ...figures(samples), size, queries: reads.queries / REPETITIONS, items: reads.items / REPETITIONS };
}

/** The median walk of `WALKS` (by total time). */
async function medianWalk(query: ListSessionsQuery, caller: Caller, isAdmin: boolean, now: Date, deps: SessionAdminDeps): Promise<Walk> {
  const walks: Walk[] = [];
  for (let i = 0; i < WALKS; i++) walks.push(await walk(query, caller, isAdmin, now, deps));
  return walks.sort((a, b) => a.ms - b.ms)[Math.floor(WALKS / 2)] as Walk;
}

const ms = (value: number): string => value.toFixed(2).padStart(8);

const { ensureDynamoDbLocal, startDynamoDbLocal } = await import('../src/local/dynamodbLocal.js');
const { CreateTableCommand, waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
const { BatchWriteCommand, DeleteCommand, GetCommand } = await import('@aws-sdk/lib-dynamodb');
const { createDynamoClients } = await import('../src/aws/dynamodb.js');
const { createTableInput } = await import('../src/provisioning/schemas.js');
const { DynamoSessionStore } = await import('../src/sessions/DynamoSessionStore.js');

await ensureDynamoDbLocal({ log: (line) => console.error(`[dynamodb-local] ${line}`) });
const startedAt = process.hrtime.bigint();
const dynamodbLocal = await startDynamoDbLocal();
const startMs = elapsedMs(startedAt);
// Ctrl-C must not leave DynamoDB Local (a Java process) behind.
const interrupted = (): void => void dynamodbLocal.stop().finally(() => process.exit(130));
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

try {
  const clients = createDynamoClients({ region: 'us-east-1', endpoint: dynamodbLocal.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') {
        reads.queries += 1;
        reads.items += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  await clients.dynamodb.send(new CreateTableCommand(createTableInput('sessions', TABLE)));
  await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });

  const store = new DynamoSessionStore(clients.documents);
  const nowMs = Date.now();
  const now = new Date(nowMs);

  // The hand-built items must be what the store writes: one session through create and markIssued, read back.
  const probe = { ...record(3, nowMs), id: 'be0cffffffffffffffffffffffffffff' };
  await store.create(TABLE, probe);
  await store.markIssued(TABLE, probe.id, { user: probe.user, expiresAt: probe.expiresAt, ttl: probe.ttl });
  const stored = (await clients.documents.send(new GetCommand({ TableName: TABLE, Key: { id: probe.id }, ConsistentRead: true }))).Item ?? {};
  await clients.documents.send(new DeleteCommand({ TableName: TABLE, Key: { id: probe.id } }));
  const sorted = (item: Record<string, unknown>): string => JSON.stringify(item, Object.keys(item).sort());
  if (sorted(stored) !== sorted(itemOf(probe))) throw new Error(`the bench's items are not what DynamoSessionStore writes:\n  store: ${sorted(stored)}\n  bench: ${sorted(itemOf(probe))}`);

  const fillMs = await fill(async (requests) => {
    const output = await clients.documents.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
    return (output.UnprocessedItems?.[TABLE] ?? []) as PutRequest[];
  }, nowMs);
  const deps: SessionAdminDeps = {
    sessions: store,
    sessionTables: { isSessionsTable: async () => true },
    settings: { tablePrefix: 'sentinel-', defaultSessionTable: TABLE },
    cursors: cursorCodec(cursorKey(undefined)),
  };

  const first = await firstPage({}, alice, false, now, deps);
  const full = await medianWalk({ limit: 100 }, alice, false, now, deps);
  const revokedFirst = await firstPage({ status: 'revoked' }, alice, false, now, deps);
  const revokedWalk = await medianWalk({ status: 'revoked', limit: 100 }, alice, false, now, deps);
  const profileFirst = await firstPage({ profile: 'prod' }, admin, true, now, deps);
  const profileWalk = await medianWalk({ profile: 'prod', limit: 100 }, admin, true, now, deps);

  console.log(`session listings: ${machine()}`);
  console.log(`DynamoDB Local up in ${(startMs / 1000).toFixed(1)} s; ${SESSIONS} sessions of alice written in ${(fillMs / 1000).toFixed(1)} s (BatchWriteItem, ${WRITERS} batches of 25 in flight)`);
  console.log('');
  console.log(`first page, ${REPETITIONS} repetitions after ${WARM_UP} warm-up  | size |  p50 ms  |  p95 ms  |  mean ms | Queries | items read`);
  console.log('------------------------------------------------|------|----------|----------|----------|---------|-----------');
  const pageRow = (label: string, f: Awaited<ReturnType<typeof firstPage>>): void =>
    console.log(`${label.padEnd(48)}| ${String(f.size).padStart(4)} | ${ms(f.p50)} | ${ms(f.p95)} | ${ms(f.mean)} | ${f.queries.toFixed(1).padStart(7)} | ${f.items.toFixed(0).padStart(9)}`);
  pageRow('alice, default limit (50)', first);
  pageRow('alice, status=revoked (limit 50)', revokedFirst);
  pageRow('admin, profile=prod (by-profile, limit 50)', profileFirst);
  console.log('');
  console.log(`full walk at limit 100, median of ${WALKS}            | sessions | pages | total ms | ms/page | Queries | items read`);
  console.log('------------------------------------------------|----------|-------|----------|---------|---------|-----------');
  const walkRow = (label: string, w: Walk): void =>
    console.log(`${label.padEnd(48)}| ${String(w.sessions).padStart(8)} | ${String(w.pages).padStart(5)} | ${ms(w.ms)} | ${(w.ms / w.pages).toFixed(2).padStart(7)} | ${String(w.queries).padStart(7)} | ${String(w.items).padStart(9)}`);
  walkRow('alice, all', full);
  walkRow('alice, status=revoked', revokedWalk);
  walkRow('admin, profile=prod', profileWalk);
  console.log('');
  console.log('In process: listSessions on the DynamoDB adapter (no HTTP, no SigV4); each page is a Query on by-user or by-profile.');
  console.log('A filtered page reads up to 5 Queries of `limit` items before it answers, short or empty, with a cursor.');
  console.log('A walk whose last Query fills its limit exactly ends with an empty page: DynamoDB returns a LastEvaluatedKey then.');
  console.log('DynamoDB Local on loopback is not DynamoDB: real latencies add network round trips and differ per call; compare runs, not absolutes.');
} finally {
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  await dynamodbLocal.stop();
}
