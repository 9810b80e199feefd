/**
 * What server-mode delivery costs: real clients reading credentials under
 * `sentinel exec --server --profile prod` against the local stack (examples/policy.yaml:
 * prod is `require_server_session` with `max_server_duration: 15m`), and how long a
 * revoke takes to reach the command. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/delivery.bench.ts [reads]
 *
 * For each client, per 1,000 credential reads: the API calls the run made (issuances
 * `POST /v1/credentials`, re-checks `POST /v1/sessions/{id}/check`; the end of the
 * session when the command exits is left out), the session item's `request_count`
 * (one conditional DynamoDB write each: every refresh and re-check bumps it, the
 * issuance sets it to 1), how often the client itself called the endpoint, and the
 * endpoint's answer latency as the client measured it (p50/p99, one HTTP GET each).
 * Then the time from a revoke written into the session table to the first refused
 * credential request of the command.
 *
 * `SENTINEL_BENCH_CLI=/path/to/sentinel.cjs` runs another build of the CLI (e.g. a
 * copy of `dist/cli` taken before a change) for before/after figures; a build without
 * `--recheck` is run without it. Prints figures; passes or fails nothing. Needs Java
 * (DynamoDB Local), /usr/bin/python3 with botocore, /usr/bin/aws. Takes about 40 s.
 */

// The AWS SDK warns about Node versions on first use; set before the SDK modules load.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { reportFigures, round } from './support/figures.js';
import { QUICK, sized } from './support/scale.js';
import { machine, root } from './support/localStack.js';
import type { RequestLog, TestStack } from '../test/support/localStack.js';

const reads = Number(process.argv[2] ?? sized(1000, 30));
const RECHECK = '5s';
const RECHECK_MS = 5_000;
const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const AWS_CLI_RUNS = sized(10, 1);
const REVOKES = sized(5, 1);

const cli = process.env['SENTINEL_BENCH_CLI'];
const CLI: string[] = cli === undefined ? [path.join(root, 'bin', 'sentinel')] : [process.execPath, path.resolve(cli)];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv, onStdout?: (text: string) => void): Promise<Run> {
  const [command = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** botocore as a long-running program uses it: one session, its RefreshableCredentials read before every request it signs. */
const BOTOCORE = `
import json, sys, time
import botocore.session, botocore.utils
samples = []
original = botocore.utils.ContainerMetadataFetcher._get_response
def timed(self, *args, **kwargs):
    started = time.perf_counter()
    try:
        return original(self, *args, **kwargs)
    finally:
        samples.append((time.perf_counter() - started) * 1000)
botocore.utils.ContainerMetadataFetcher._get_response = timed
credentials = botocore.session.get_session().get_credentials()
keys = set()
for _ in range(int(sys.argv[1])):
    keys.add(credentials.get_frozen_credentials().access_key)
print(json.dumps({"session": __import__("os").environ.get("SENTINEL_SESSION_ID"), "calls": len(samples), "samples": samples, "keys": len(keys)}))
`;

/**
 * The JS SDK v3: \`fromNodeProviderChain()\` made afresh for every read (as short-lived
 * clients do: each walks the chain to the endpoint), then one provider resolved for
 * every read (memoised: asks again only when fewer than 5 minutes remain). Every HTTP
 * request the SDK makes is timed.
 */
const JS = `
const http = require('node:http');
const samples = [];
const request = http.request;
http.request = function (...args) {
  const started = performance.now();
  const sent = request.apply(this, args);
  sent.on('response', (response) => response.on('end', () => samples.push(performance.now() - started)));
  return sent;
};
const { fromNodeProviderChain } = require('@aws-sdk/credential-providers');
(async () => {
  const reads = Number(process.argv[1]);
  const keys = new Set();
  for (let i = 0; i < reads; i++) keys.add((await fromNodeProviderChain()()).accessKeyId);
  const fresh = samples.splice(0);
  const memoised = fromNodeProviderChain();
  for (let i = 0; i < reads; i++) keys.add((await memoised()).accessKeyId);
  console.log(JSON.stringify({ session: process.env.SENTINEL_SESSION_ID, calls: fresh.length, samples: fresh, memoisedCalls: samples.length, keys: keys.size }));
})();
`;

/** Polls the endpoint every 10 ms; prints "ready SESSION" after the first answer, then when (epoch ms) it was first refused and how. */
const POLLER = `
(async () => {
  const session = process.env.SENTINEL_SESSION_ID;
  const url = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const headers = { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
  let ready = false;
  for (;;) {
    const response = await fetch(url, { headers });
    const body = await response.json();
    if (response.status !== 200) {
      console.log(JSON.stringify({ refusedAt: Date.now(), status: response.status, code: body.code }));
      return;
    }
    if (!ready) console.log('ready ' + session);
    ready = true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
})();
`;

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** API calls of one run, from the stack's request log: lines logged since `from`. */
function apiCalls(log: RequestLog, from: number): { issuances: number; checks: number; other: number } {
  const lines = log.lines.slice(from).filter((line) => /^[A-Z]+ \/v1\//.test(line));
  const issuances = lines.filter((line) => line.startsWith('POST /v1/credentials ')).length;
  const checks = lines.filter((line) => /^POST \/v1\/sessions\/[^/]+\/check /.test(line)).length;
  const ends = lines.filter((line) => /^POST \/v1\/sessions\/[^/]+\/end /.test(line)).length;
  return { issuances, checks, other: lines.length - issuances - checks - ends };
}

const { startTestStack, requestLog } = await import('../test/support/localStack.js');
const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');

const log = requestLog();
const test: TestStack = await startTestStack({ log: log.log, rateLimit: { requests: 1_000_000, windowSeconds: 60 } });
const stop = async (): Promise<void> => test.stop();
process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
const dynamodb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: test.stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);

try {
  const env = test.env('alice', { AWS_EC2_METADATA_DISABLED: 'true' });
  const help = await run([...CLI, 'exec', '--help'], env);
  const recheck = help.stdout.includes('--recheck') ? ['--recheck', RECHECK] : [];
  const exec = (child: readonly string[]): string[] => [...CLI, 'exec', '--server', ...recheck, '--profile', 'prod', '--', ...child];
  const requestCount = async (session: string): Promise<number> =>
    Number((await dynamodb.send(new GetCommand({ TableName: 'sentinel-sessions', Key: { id: session } }))).Item?.['request_count'] ?? Number.NaN);

  /** Revokes as the revoke route will (DESIGN.md, Revocation): one update of the item; resolves to when it landed (epoch ms). */
  const revoke = async (session: string): Promise<number> => {
    const at = new Date().toISOString();
    await dynamodb.send(
      new UpdateCommand({
        TableName: 'sentinel-sessions',
        Key: { id: session },
        UpdateExpression: 'SET #status = :revoked, revoked_by = :by, revoked_reason = :reason, revoked_at = :at REMOVE active_user',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked', ':by': 'admin', ':reason': 'bench', ':at': at },
      }),
    );
    return Date.now();
  };

  console.log(`server-mode delivery: ${machine()}`);
  console.log(`CLI: ${CLI.join(' ')}${recheck.length === 0 ? ' (no --recheck: a build from before it)' : ` --recheck ${RECHECK}`}`);
  console.log('');

  interface Row {
    client: string;
    reads: number;
    seconds: number;
    issuances: number;
    checks: number;
    requestCount: number;
    calls: number;
    p50: number;
    p99: number;
    keys: number;
    note?: string;
  }
  const rows: Row[] = [];

  const client = async (name: string, child: readonly string[], note: (printed: Record<string, unknown>) => string | undefined): Promise<void> => {
    const from = log.lines.length;
    const started = Date.now();
    const result = await run(exec(child), env);
    const seconds = (Date.now() - started) / 1000;
    if (result.code !== 0) throw new Error(`${name} exited ${result.code}: ${result.stderr}`);
    const printed = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { session: string; calls: number; samples: number[]; keys: number };
    const calls = apiCalls(log, from);
    const extra = note(printed);
    rows.push({
      client: name,
      reads,
      seconds,
      issuances: calls.issuances,
      checks: calls.checks,
      requestCount: await requestCount(printed.session),
      calls: printed.calls,
      p50: percentile(printed.samples, 50),
      p99: percentile(printed.samples, 99),
      keys: printed.keys,
      ...(extra === undefined ? {} : { note: extra }),
    });
  };

  const botocoreMissing = spawnSync(PYTHON, ['-c', 'import botocore'], { stdio: 'ignore' }).status !== 0;
  if (botocoreMissing) console.log(`(botocore skipped: ${PYTHON} cannot import botocore)`);
  else await client('botocore, one session', [PYTHON, '-c', BOTOCORE, String(reads)], () => undefined);
  await client('JS SDK v3, fresh chain per read', [process.execPath, '-e', JS, String(reads)], (printed) => `one memoised provider read ${reads} times: ${String(printed['memoisedCalls'])} endpoint call(s)`);

  if (existsSync(AWS_CLI)) {
    const from = log.lines.length;
    const script = Array.from({ length: AWS_CLI_RUNS }, () => `${AWS_CLI} configure export-credentials --format env-no-export | sed -n 's/^AWS_ACCESS_KEY_ID=//p'`).join('; ');
    const started = Date.now();
    const result = await run(exec(['sh', '-c', `echo "$SENTINEL_SESSION_ID"; ${script}`]), env);
    const seconds = (Date.now() - started) / 1000;
    if (result.code !== 0) throw new Error(`aws exited ${result.code}: ${result.stderr}`);
    const [session = '', ...keys] = result.stdout.trim().split('\n');
    const calls = apiCalls(log, from);
    rows.push({
      client: `AWS CLI v2, ${AWS_CLI_RUNS} processes`,
      reads: AWS_CLI_RUNS,
      seconds,
      issuances: calls.issuances,
      checks: calls.checks,
      requestCount: await requestCount(session),
      // Each process fetches, then refreshes at first use: 15-minute credentials are inside botocore's 15-minute window.
      calls: Number.NaN,
      p50: Number.NaN,
      p99: Number.NaN,
      keys: new Set(keys).size,
    });
  }

  const pad = (value: string | number, width: number): string => (typeof value === 'number' ? (Number.isNaN(value) ? '-' : String(Math.round(value * 100) / 100)) : value).padStart(width);
  console.log('client                          |  reads |    s | issuances | re-checks | request_count | endpoint calls | p50 ms | p99 ms | keys');
  console.log('--------------------------------|--------|------|-----------|-----------|---------------|----------------|--------|--------|-----');
  for (const row of rows) {
    console.log(
      `${row.client.padEnd(31)} | ${pad(row.reads, 6)} | ${pad(row.seconds, 4)} | ${pad(row.issuances, 9)} | ${pad(row.checks, 9)} | ${pad(row.requestCount, 13)} | ${pad(row.calls, 14)} | ${pad(row.p50, 6)} | ${pad(row.p99, 6)} | ${pad(row.keys, 4)}`,
    );
  }
  for (const row of rows) if (row.note !== undefined) console.log(`${row.client}: ${row.note}`);
  console.log('');
  // request_count: the issuance sets it to 1, each refresh and re-check adds 1 (one conditional UpdateItem each;
  // an issuance also writes the item and marks it issued, and every API call counts in the rate limiter).
  console.log(`Per 1,000 credential reads (AWS CLI: per its ${AWS_CLI_RUNS} processes, one session):`);
  for (const row of rows) {
    const per = Number.isNaN(row.calls) ? 1 : 1000 / row.reads;
    console.log(
      `  ${row.client.padEnd(31)} API calls ${pad((row.issuances + row.checks) * per, 7)}, DynamoDB session writes (request_count) ${pad(row.requestCount * per, 7)}, issuances ${pad(row.issuances * per, 7)}`,
    );
  }

  const perThousand = (label: string): { apiCallsPer1000Reads: number; endpointP50Ms: number; endpointP99Ms: number } | undefined => {
    const row = rows.find((entry) => entry.client.startsWith(label));
    if (row === undefined) return undefined;
    return { apiCallsPer1000Reads: round(((row.issuances + row.checks) * 1000) / row.reads), endpointP50Ms: round(row.p50), endpointP99Ms: round(row.p99) };
  };
  const botocore = perThousand('botocore');
  const jsSdk = perThousand('JS SDK');
  // The issue's flat figures first (the endpoint's p99: the worse of the two clients'), then each client's.
  const p99s = [botocore, jsSdk].flatMap((figures) => (figures === undefined ? [] : [figures.endpointP99Ms]));
  reportFigures('delivery', {
    ...(botocore === undefined ? {} : { apiCallsPer1000BotocoreReads: botocore.apiCallsPer1000Reads }),
    ...(jsSdk === undefined ? {} : { apiCallsPer1000JsReads: jsSdk.apiCallsPer1000Reads }),
    ...(p99s.length === 0 ? {} : { endpointP99Ms: Math.max(...p99s) }),
    ...(botocore === undefined ? {} : { botocore }),
    ...(jsSdk === undefined ? {} : { jsSdk }),
  });

  // Revoke → refusal: the command polls every 10 ms; the revoke is written straight into the table (there is no revoke route yet).
  const delays: number[] = [];
  for (let round = 0; round < REVOKES; round++) {
    let revoked: Promise<number> | undefined;
    const result = await run(exec([process.execPath, '-e', POLLER]), env, (stdout) => {
      const session = /^ready (\w+)$/m.exec(stdout)?.[1];
      if (revoked !== undefined || session === undefined) return;
      // At a random moment of the re-check interval, as a revoke would land (a quick run: at once).
      revoked = delay(QUICK ? 0 : Math.random() * RECHECK_MS).then(() => revoke(session));
    });
    const refused = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { refusedAt?: number; status?: number; code?: string };
    if (result.code !== 0 || revoked === undefined || refused.refusedAt === undefined) throw new Error(`the revoke run failed (exit ${result.code}): ${result.stdout} ${result.stderr}`);
    delays.push(refused.refusedAt - (await revoked));
    if (round === 0) console.log(`\nrevoked session refused with ${refused.status} ${refused.code}; sentinel said: ${result.stderr.trim().split('\n').join(' | ')}`);
  }
  console.log(`revoke → first refused request (${REVOKES} runs, ms): ${delays.map((ms) => Math.round(ms)).join(', ')}${recheck.length === 0 ? '' : ` (bound: the re-check interval, ${RECHECK}, plus one re-check)`}`);
} finally {
  dynamodb.destroy();
  await stop();
}
