/**
 * Cost of the two server hot paths: a new credential issuance and a server-mode
 * refresh, through the real local stack (DynamoDB Local, the real handlers behind the
 * SigV4-verifying adapter, the dev credential issuer), and the same pipeline in process
 * with in-memory fakes for comparison. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/credentials.bench.ts
 *
 * Prints figures; it passes or fails nothing. Needs Java (DynamoDB Local) and, the first
 * time, the DynamoDB Local download (see DEVELOPERS.md). Takes about 30 s.
 */

// The AWS SDK warns about Node versions on first use; set before the SDK modules load,
// which is why support/localStack.ts imports the stack (and with it the SDK) only when it starts it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import type { CredentialsRequest, CredentialsResponse } from '../src/api/contract.js';
import type { Caller } from '../src/identity/types.js';
import { vendCredentials } from '../src/vending/issue.js';
import { harness } from '../test/unit/vending/fakes.js';
import { reportFigures, round } from './support/figures.js';
import { sized } from './support/scale.js';
import { issuanceWrites } from './support/issuanceWrites.js';
import { credentialsClient, elapsedMs, machine, withLocalStack } from './support/localStack.js';

const WARM_UP = sized(20, 2);
const SEQUENTIAL = sized(300, 10);
const CLIENTS = sized(4, 2);
const PER_CLIENT = sized(100, 5);
const REFRESHES = sized(300, 10);
const IN_PROCESS = sized(20_000, 200);
const IN_PROCESS_WARM_UP = sized(2_000, 20);
const SIGNING = sized(2_000, 20);
/** End to end: issuances and raw PutItems, each at this concurrency, this many in all. */
const END_TO_END_CONCURRENCY = 32;
const END_TO_END_REQUESTS = sized(1_600, 64);

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  perSecond: number;
}

/** Nearest-rank percentiles of latencies in ms; `perSecond` from the wall-clock time of the whole run. */
function figures(samples: number[], wallMs: number): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { p50: rank(50), p95: rank(95), p99: rank(99), mean, perSecond: (samples.length / wallMs) * 1000 };
}

async function sequential(count: number, post: () => Promise<{ ms: number }>): Promise<Figures> {
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) samples.push((await post()).ms);
  return figures(samples, elapsedMs(started));
}

async function concurrent(clients: number, perClient: number, post: () => Promise<{ ms: number }>): Promise<Figures> {
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) samples.push((await post()).ms);
    }),
  );
  return figures(samples, elapsedMs(started));
}

/** The pipeline alone: rate limit, policy, evaluation, session write and issuance against in-memory fakes. */
async function inProcess(): Promise<number> {
  const { deps } = harness();
  const caller: Caller = { user: 'alice', arn: 'arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice', accountId: '000000000000', kind: 'person', principal: 'person/alice' };
  const request: CredentialsRequest = { profile: 'dev', mode: 'cli' };
  const once = () => vendCredentials(request, { caller, requestId: 'bench', receivedAt: deps.clock.now() }, deps);
  for (let i = 0; i < IN_PROCESS_WARM_UP; i++) await once();
  const started = process.hrtime.bigint();
  for (let i = 0; i < IN_PROCESS; i++) await once();
  return (elapsedMs(started) * 1000) / IN_PROCESS;
}

async function signingCost(sign: (body: string) => Promise<unknown>): Promise<number> {
  const body = JSON.stringify({ profile: 'dev', mode: 'cli' });
  for (let i = 0; i < 200; i++) await sign(body);
  const started = process.hrtime.bigint();
  for (let i = 0; i < SIGNING; i++) await sign(body);
  return (elapsedMs(started) * 1000) / SIGNING;
}

/**
 * PutItems of session-sized items into a table of their own on the stack's DynamoDB Local,
 * and then an issuance's writes done bare, each at the end-to-end concurrency.
 */
async function rawPutRate(endpoint: string, region: string): Promise<{ puts: Figures; writes: Figures }> {
  const { CreateTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
  const { createTableInput } = await import('../src/provisioning/schemas.js');
  const dynamodb = new DynamoDBClient({ region, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const table = `sentinel-bench-raw-${process.pid}`;
  await dynamodb.send(new CreateTableCommand(createTableInput('sessions', table)));
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
  let next = 0;
  const put = async (): Promise<{ ms: number }> => {
    const started = process.hrtime.bigint();
    next += 1;
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          id: { S: `raw-${next}-${started}` },
          user: { S: 'alice' },
          profile: { S: 'dev' },
          status: { S: 'pending' },
          created_at: { S: new Date().toISOString() },
          expires_at: { S: new Date(Date.now() + 3_600_000).toISOString() },
          ttl: { N: String(Math.floor(Date.now() / 1000) + 90 * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return { ms: elapsedMs(started) };
  };
  for (let i = 0; i < WARM_UP; i++) await put();
  try {
    const puts = await concurrent(END_TO_END_CONCURRENCY, END_TO_END_REQUESTS / END_TO_END_CONCURRENCY, put);
    // An issuance's own writes, bare (bench/support/issuanceWrites.ts), one counter per concurrent caller.
    const configTable = `sentinel-bench-raw-config-${process.pid}`;
    await dynamodb.send(new CreateTableCommand(createTableInput('config', configTable)));
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: configTable });
    const writes = issuanceWrites(dynamodb, { config: configTable, sessions: table }, END_TO_END_CONCURRENCY);
    const timedWrites = async (): Promise<{ ms: number }> => {
      const started = process.hrtime.bigint();
      await writes();
      return { ms: elapsedMs(started) };
    };
    for (let i = 0; i < WARM_UP; i++) await timedWrites();
    return { puts, writes: await concurrent(END_TO_END_CONCURRENCY, END_TO_END_REQUESTS / END_TO_END_CONCURRENCY, timedWrites) };
  } finally {
    dynamodb.destroy();
  }
}

const ms = (value: number): string => value.toFixed(2).padStart(7);
const rate = (value: number): string => value.toFixed(0).padStart(6);

await withLocalStack('sentinel-bench-', async ({ stack, alice, startMs }) => {
  const client = credentialsClient(stack, alice);
  /** Latency = send to last byte, signing excluded (its cost is measured apart). */
  const post = async (request: CredentialsRequest): Promise<{ ms: number; body: CredentialsResponse }> => {
    const answer = await client.post(JSON.stringify(request));
    return { ms: answer.ms, body: JSON.parse(answer.text) as CredentialsResponse };
  };

  const issue = () => post({ profile: 'dev', mode: 'cli' });
  for (let i = 0; i < WARM_UP; i++) await issue();
  const issueSequential = await sequential(SEQUENTIAL, issue);
  const issueConcurrent = await concurrent(CLIENTS, PER_CLIENT, issue);

  const created = await post({ profile: 'prod', mode: 'server' });
  const sessionId = created.body.session?.id;
  if (sessionId === undefined) throw new Error('a prod server-mode issuance came back without a session');
  const refresh = () => post({ profile: 'prod', mode: 'server', sessionId });
  for (let i = 0; i < WARM_UP; i++) await refresh();
  const refreshSequential = await sequential(REFRESHES, refresh);

  // End to end at concurrency 32, beside raw PutItems at the same concurrency against the same DynamoDB Local.
  const endToEnd = await concurrent(END_TO_END_CONCURRENCY, END_TO_END_REQUESTS / END_TO_END_CONCURRENCY, issue);
  const { puts: rawPuts, writes: rawWrites } = await rawPutRate(stack.dynamodbEndpoint, stack.region);

  const signUs = await signingCost(client.sign);
  const inProcessUs = await inProcess();

  console.log(`credential hot paths: ${machine()}`);
  console.log(`local stack up in ${(startMs / 1000).toFixed(1)} s; ${WARM_UP} warm-up requests before each HTTP figure; latency = send to last byte, signing excluded`);
  console.log('');
  console.log('measure                                          |     p50 |     p95 |     p99 |    mean |  req/s');
  console.log('-------------------------------------------------|---------|---------|---------|---------|-------');
  const row = (label: string, f: Figures): void => console.log(`${label.padEnd(48)} | ${ms(f.p50)} | ${ms(f.p95)} | ${ms(f.p99)} | ${ms(f.mean)} | ${rate(f.perSecond)}`);
  row(`new issuance (dev, cli), ${SEQUENTIAL} sequential (ms)`, issueSequential);
  row(`new issuance, ${CLIENTS} clients x ${PER_CLIENT} concurrent (ms)`, issueConcurrent);
  row(`server refresh (prod), ${REFRESHES} sequential (ms)`, refreshSequential);
  row(`new issuance, concurrency ${END_TO_END_CONCURRENCY}, ${END_TO_END_REQUESTS} in all (ms)`, endToEnd);
  row(`raw PutItem, concurrency ${END_TO_END_CONCURRENCY}, ${END_TO_END_REQUESTS} in all (ms)`, rawPuts);
  row(`an issuance's writes, bare, concurrency ${END_TO_END_CONCURRENCY} (ms)`, rawWrites);
  console.log(`end to end: issuances/s ÷ raw PutItem/s at concurrency ${END_TO_END_CONCURRENCY} = ${(endToEnd.perSecond / rawPuts.perSecond).toFixed(2)}`);
  console.log(`end to end: issuances/s ÷ an issuance's own writes done bare, per second, at concurrency ${END_TO_END_CONCURRENCY} = ${(endToEnd.perSecond / rawWrites.perSecond).toFixed(2)}`);
  reportFigures('endToEnd', {
    concurrency: END_TO_END_CONCURRENCY,
    issuancesPerSec: round(endToEnd.perSecond, 0),
    rawPutsPerSec: round(rawPuts.perSecond, 0),
    ratio: round(endToEnd.perSecond / rawPuts.perSecond),
    bareIssuanceWritesPerSec: round(rawWrites.perSecond, 0),
    ratioToOwnWrites: round(endToEnd.perSecond / rawWrites.perSecond),
    p50Ms: round(endToEnd.p50),
    p99Ms: round(endToEnd.p99),
  });
  console.log('');
  console.log(`in process, no HTTP or DynamoDB: ${inProcessUs.toFixed(1)} µs per issuance (vendCredentials with in-memory fakes, mean of ${IN_PROCESS})`);
  console.log(`client SigV4 signing, not in the latencies above: ${signUs.toFixed(1)} µs per request`);
  console.log('');
  console.log('What the HTTP figures include: SigV4 verification, the handler stack, and per request 2 DynamoDB round trips');
  console.log('  (the rate-limit counter with the session put or conditional refresh update in one TransactWriteItems, then the');
  console.log('  mark-issued update; the policy is cached 10 s as in a deployment) and the dev issuer (no STS).');
  console.log('  Client and server share this Node process; DynamoDB Local is a separate Java process.');
  console.log('DynamoDB Local on loopback is not DynamoDB: real latencies add network round trips and differ per call; compare runs, not absolutes.');
});
