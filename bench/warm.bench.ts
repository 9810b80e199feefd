/**
 * Warm issuance: the credentials function's handler, composed as its Lambda entry composes
 * it, called in process against DynamoDB Local, STS answered by aws-sdk-client-mock. Beside
 * it, in the same run and against the same DynamoDB Local, a bare PutItem of a session-sized
 * item: the floor any issuance that writes its session item first must pay; and the writes an
 * issuance makes (counter + session put in one TransactWriteItems, then mark issued) done
 * bare, which is what the pipeline adds its own work to. Counts, at the
 * DynamoDB client, the round trips of an issuance, a refresh and a re-check, and the STS
 * calls of an issuance; the policy cache's reads of the stored policy, which come with
 * the clock (SENTINEL_POLICY_TTL), apart. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/warm.bench.ts [requests]
 *
 * Figures, not pass/fail. Needs Java (DynamoDB Local).
 */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomBytes } from 'node:crypto';
import { reportFigures, percentile, round } from './support/figures.js';
import { sized } from './support/scale.js';
import { machine } from './support/localStack.js';

const REQUESTS = Number(process.argv[2] ?? sized(500, 20));
const WARM_UP = sized(50, 5);

const { ensureDynamoDbLocal, startDynamoDbLocal } = await import('../src/local/dynamodbLocal.js');
const { CreateTableCommand, PutItemCommand, waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
const { mockClient } = await import('aws-sdk-client-mock');
const { loadConfig } = await import('../src/config.js');
const { createRuntime } = await import('../src/compose/runtime.js');
const { composeFunction } = await import('../src/compose/lambda.js');
const { credentialsFunction } = await import('../src/compose/credentials.js');
const { checkSessionFunction } = await import('../src/compose/checkSession.js');
const { putPolicyFunction } = await import('../src/compose/policy.js');
const { dynamoClients } = await import('../src/compose/dynamo.js');
const { createTableInput } = await import('../src/provisioning/schemas.js');
const { invokeRoute } = await import('../test/support/apiCall.js');
const { issuanceWrites } = await import('./support/issuanceWrites.js');
const { capturingLogger } = await import('../test/reliability/support/logs.js');

const ACCOUNT = '111122223333';
const PREFIX = `sentinel-warm${randomBytes(3).toString('hex')}-`;
const TABLES = { config: `${PREFIX}config`, sessions: `${PREFIX}sessions`, floor: `${PREFIX}floor` };
const ALICE = { arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userId: 'AIDAALICE00000000001', accountId: ACCOUNT };
const ADMIN = { arn: `arn:aws:iam::${ACCOUNT}:user/admin`, userId: 'AIDAADMIN00000000001', accountId: ACCOUNT };
const POLICY = `version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::${ACCOUNT}:role/dev", max_duration: 1h }
  prod: { role_arn: "arn:aws:iam::${ACCOUNT}:role/prod", max_duration: 1h }
rules:
  - name: dev
    effect: allow
    conditions: { profiles: [dev] }
  - name: prod-server
    effect: require_server_session
    conditions: { profiles: [prod] }
`;

await ensureDynamoDbLocal({ log: (line) => console.error(`[dynamodb-local] ${line}`) });
const dynamodbLocal = await startDynamoDbLocal();
const interrupted = (): void => void dynamodbLocal.stop().finally(() => process.exit(130));
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

const sts = mockClient(STSClient);
sts.on(AssumeRoleCommand).callsFake((input: { DurationSeconds?: number }) => ({
  Credentials: {
    AccessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    SecretAccessKey: randomBytes(20).toString('base64'),
    SessionToken: randomBytes(64).toString('base64'),
    Expiration: new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000),
  },
}));

try {
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    SENTINEL_ACCOUNT_ID: ACCOUNT,
    SENTINEL_TABLE_PREFIX: PREFIX,
    SENTINEL_CONFIG_TABLE: TABLES.config,
    SENTINEL_DEFAULT_SESSION_TABLE: TABLES.sessions,
    SENTINEL_BOOTSTRAP_ADMINS: 'iam:admin',
    SENTINEL_DYNAMODB_ENDPOINT: dynamodbLocal.endpoint,
    SENTINEL_IDENTITY_ROLE_LOOKUP: 'none',
    // The bench sends thousands of requests as one user; the limiter's write still happens on each.
    SENTINEL_RATE_LIMIT_REQUESTS: '1000000',
  });
  const log = capturingLogger();
  const runtime = createRuntime(config, { logger: log.logger, dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { dynamodb } = dynamoClients(runtime);
  let roundTrips = 0;
  // The policy cache's reads of the stored policy (the pointer every SENTINEL_POLICY_TTL
  // seconds, the text only on a new version) are counted apart: they come with the clock,
  // not with a call, and counted within whichever call met an expiry they made a run's
  // per-call figures depend on how long it took (2.1 per issuance in a slow 20-round run).
  let policyReads = 0;
  const POLICY_ITEM = /"pk":\{"S":"policy"\}/;
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const { headers, body } = args.request as { headers?: Record<string, string>; body?: unknown };
      const policyRead = headers?.['x-amz-target'] === 'DynamoDB_20120810.GetItem' && body instanceof Uint8Array && POLICY_ITEM.test(Buffer.from(body).toString('utf8'));
      if (policyRead) policyReads += 1;
      else roundTrips += 1;
      return next(args);
    },
    // Innermost: once per HTTP request, retries included.
    { step: 'deserialize', priority: 'low', name: 'benchCountRoundTrips' },
  );
  for (const [kind, name] of [['config', TABLES.config], ['sessions', TABLES.sessions], ['sessions', TABLES.floor]] as const) {
    await dynamodb.send(new CreateTableCommand(createTableInput(kind, name)));
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
  }

  const credentials = composeFunction(runtime, 'credentials', credentialsFunction);
  const checks = composeFunction(runtime, 'checkSession', checkSessionFunction);
  // Its own runtime, as in a deployment: the admin check loads (and caches) the policy before the push.
  const policy = composeFunction(createRuntime(config, { logger: log.logger, dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), 'putPolicy', putPolicyFunction);
  let requests = 0;
  const delivery = () => ({ accountId: ACCOUNT, apiId: 'bench', requestId: `warm-${(requests += 1)}`, accessKey: 'AKIABENCHWARM0000001' });
  const must = async (answer: Promise<{ status: number; text: string; body: Record<string, unknown> }>) => {
    const settled = await answer;
    if (settled.status >= 300) throw new Error(`answered ${settled.status}: ${settled.text}`);
    return settled.body;
  };
  await must(invokeRoute(policy, 'putPolicy', ADMIN, { body: { text: POLICY, expectedVersion: 0 } }, delivery()));

  interface Measured {
    p50: number;
    p99: number;
    roundTrips: number;
    sts: number;
  }
  /**
   * Latencies (ms), DynamoDB round trips and STS calls per call of each of `calls`. They
   * take turns, one call each, round after round (after the warm-up rounds), so that a
   * burst of load from elsewhere on the machine hits all of them alike.
   */
  const measureInTurn = async <K extends string>(count: number, calls: Record<K, () => Promise<unknown>>): Promise<Record<K, Measured>> => {
    const entries = Object.entries(calls) as [K, () => Promise<unknown>][];
    for (let i = 0; i < WARM_UP; i += 1) for (const [, once] of entries) await once();
    const samples = new Map<K, number[]>(entries.map(([name]) => [name, []]));
    const trips = new Map<K, number>(entries.map(([name]) => [name, 0]));
    const stsCalls = new Map<K, number>(entries.map(([name]) => [name, 0]));
    for (let i = 0; i < count; i += 1) {
      for (const [name, once] of entries) {
        const tripsBefore = roundTrips;
        const stsBefore = sts.commandCalls(AssumeRoleCommand).length;
        const started = performance.now();
        await once();
        samples.get(name)?.push(performance.now() - started);
        trips.set(name, (trips.get(name) ?? 0) + roundTrips - tripsBefore);
        stsCalls.set(name, (stsCalls.get(name) ?? 0) + sts.commandCalls(AssumeRoleCommand).length - stsBefore);
      }
    }
    return Object.fromEntries(
      entries.map(([name]) => {
        const times = samples.get(name) ?? [];
        return [name, { p50: percentile(times, 50), p99: percentile(times, 99), roundTrips: (trips.get(name) ?? 0) / count, sts: (stsCalls.get(name) ?? 0) / count }];
      }),
    ) as Record<K, Measured>;
  };

  const session = (await must(invokeRoute(credentials, 'credentials', ALICE, { body: { profile: 'prod', mode: 'server' } }, delivery()))).session as { id: string };
  // The floor: one PutItem of an item the size of a session item, conditional like the session write.
  let floorId = 0;
  const barePut = () =>
    dynamodb.send(
      new PutItemCommand({
        TableName: TABLES.floor,
        Item: {
          id: { S: `${(floorId += 1)}-${randomBytes(12).toString('hex')}` },
          user: { S: 'iam:alice' },
          profile: { S: 'dev' },
          role_arn: { S: `arn:aws:iam::${ACCOUNT}:role/dev` },
          status: { S: 'pending' },
          created_at: { S: new Date().toISOString() },
          expires_at: { S: new Date(Date.now() + 3_600_000).toISOString() },
          ttl: { N: String(Math.floor(Date.now() / 1000) + 90 * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  const policyReadsBefore = policyReads;
  const measuring = performance.now();
  const { issuance, refresh, check, bare, bareWrites } = await measureInTurn(REQUESTS, {
    issuance: () => must(invokeRoute(credentials, 'credentials', ALICE, { body: { profile: 'dev', mode: 'cli' } }, delivery())),
    refresh: () => must(invokeRoute(credentials, 'credentials', ALICE, { body: { profile: 'prod', mode: 'server', sessionId: session.id } }, delivery())),
    check: () => must(invokeRoute(checks, 'checkSession', ALICE, { path: { id: session.id }, body: { profile: 'prod' } }, delivery())),
    bare: barePut,
    // An issuance's own writes, bare (bench/support/issuanceWrites.ts): what the pipeline adds its work to.
    bareWrites: issuanceWrites(dynamodb, { config: TABLES.config, sessions: TABLES.floor }),
  });
  const stsPerIssuance = issuance.sts;
  const measuredSeconds = (performance.now() - measuring) / 1000;
  const policyReadsMeasured = policyReads - policyReadsBefore;

  console.log(`warm issuance in process: ${machine()}`);
  console.log(`credentials handler on DynamoDB Local, STS mocked; ${REQUESTS} sequential calls of each, taking turns, after ${WARM_UP} warm-up rounds; policy cached ${config.policyTtlSeconds} s`);
  console.log('');
  console.log('call                               |  p50 ms |  p99 ms | DynamoDB round trips');
  console.log('-----------------------------------|---------|---------|---------------------');
  const row = (label: string, f: { p50: number; p99: number; roundTrips: number }) =>
    console.log(`${label.padEnd(34)} | ${f.p50.toFixed(2).padStart(7)} | ${f.p99.toFixed(2).padStart(7)} | ${f.roundTrips.toFixed(2).padStart(6)}`);
  row('new issuance (dev, cli)', issuance);
  row('server-mode refresh (prod)', refresh);
  row('re-check (prod)', check);
  row('bare conditional PutItem', bare);
  row("an issuance's writes, bare", bareWrites);
  console.log('');
  console.log(`issuance p50 / bare PutItem p50: ${(issuance.p50 / bare.p50).toFixed(2)}; STS calls per issuance ${stsPerIssuance.toFixed(2)}`);
  console.log(`issuance p50 / its own writes done bare (TransactWriteItems + UpdateItem) p50: ${(issuance.p50 / bareWrites.p50).toFixed(2)}`);
  console.log(`policy reads (counted apart from the calls above): ${policyReadsMeasured} in the ${measuredSeconds.toFixed(1)} s of the measured rounds (cached ${config.policyTtlSeconds} s; after the first read of each instance, one pointer read per expiry)`);

  reportFigures('warm', {
    p50Ms: round(issuance.p50),
    p99Ms: round(issuance.p99),
    barePutP50Ms: round(bare.p50),
    ratio: round(issuance.p50 / bare.p50),
    bareIssuanceWritesP50Ms: round(bareWrites.p50),
    ratioToOwnWrites: round(issuance.p50 / bareWrites.p50),
    refreshP50Ms: round(refresh.p50),
    checkP50Ms: round(check.p50),
    ddbCallsPerIssuance: round(issuance.roundTrips),
    ddbCallsPerRefresh: round(refresh.roundTrips),
    ddbCallsPerCheck: round(check.roundTrips),
    stsCallsPerIssuance: round(stsPerIssuance),
    policyReadsWhileMeasuring: policyReadsMeasured,
    measuredSeconds: round(measuredSeconds),
  });
  dynamodb.destroy();
} finally {
  sts.restore();
  await dynamodbLocal.stop();
}
