/**
 * What `sentinel exec` costs on top of the one API call it must make: bare Node start-up,
 * `sentinel --version` (launcher + bundle), `sentinel exec --profile dev -- true` against
 * a local stack in this process, `sentinel credentials --profile dev` answered from its
 * cache (what every AWS CLI or SDK command of a `credential_process` profile runs while
 * the cached credentials last), and the signed `POST /v1/credentials` round trip alone
 * from this process. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/exec.bench.ts [runs] [latencyMs] [setupRoundTrips]
 *
 * The five are run alternately (so a load spike hits all alike), in turn forward and
 * backward so that none always follows the same one, 15 rounds by default,
 * and the medians give "exec overhead over the API round trip" = exec − `node -e 0` −
 * round trip: what the CLI adds (loading the bundle, the AWS SDK credential chain,
 * signing, a fresh connection, spawning the child) beyond Node and the API itself.
 * The warm-up rounds include the first run of each command after a build, which writes
 * the bundles' V8 code cache (bin/sentinel): the figures are those of every later run.
 * With a second argument, `npx tsx bench/exec.bench.ts 15 20`, the API is that many
 * milliseconds away each way (bench/support/latencyProxy.ts, for exec and for the round
 * trip alike): what exec does while it waits for the answer then shows, as it would
 * against a deployed API; its figures go to `cli.atLatency`. A new connection is then
 * usable only after its set-up, 2 round trips (TCP and TLS 1.3) unless a third argument
 * says otherwise; exec opens one, while the in-process round trip reuses a warm one, so
 * what exec cannot hide of the set-up counts in its overhead.
 *
 * The processes run without `NODE_EXTRA_CA_CERTS` and `NODE_OPTIONS`, which change
 * every Node start (bench/support/nodeEnv.ts). Prints figures; passes or fails nothing.
 * Needs Java (DynamoDB Local).
 */

// The AWS SDK warns about Node versions on first use; set before the SDK modules load,
// which is why support/localStack.ts imports the stack (and with it the SDK) only when it starts it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { spawn } from 'node:child_process';
import path from 'node:path';
import { reportFigures, round } from './support/figures.js';
import { sized } from './support/scale.js';
import { latencyProxy } from './support/latencyProxy.js';
import { credentialsClient, elapsedMs, machine, root, withLocalStack } from './support/localStack.js';
import { nodeStartVariablesLeftOut, withoutNodeStartVariables } from './support/nodeEnv.js';

const BIN = path.join(root, 'bin', 'sentinel');
const runs = Number(process.argv[2] ?? sized(15, 1));
const latencyMs = Number(process.argv[3] ?? 0);
const setupRoundTrips = Number(process.argv[4] ?? 2);
const WARM_UP = sized(3, 1);

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

/**
 * Wall-clock time of one child process, spawn to exit. Asynchronous on purpose: the
 * stack answering `exec` runs on this process's event loop, which spawnSync would block.
 */
function timeChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = elapsedMs(started);
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

await withLocalStack('sentinel-bench-exec-', async ({ stack, alice, stateDir }) => {
  const proxy = latencyMs > 0 ? await latencyProxy(new URL(stack.url), latencyMs, setupRoundTrips) : undefined;
  const apiUrl = proxy?.url ?? stack.url;
  // The child signs as alice through the AWS SDK chain, as a user's shell would; nothing
  // from this process's AWS or Sentinel settings leaks in.
  // Nor what changes every Node start (bench/support/nodeEnv.ts): this times Sentinel's own.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(withoutNodeStartVariables(process.env))) if (!/^(AWS_|SENTINEL_)/.test(key)) env[key] = value;
  Object.assign(env, {
    SENTINEL_API_URL: apiUrl,
    AWS_SHARED_CREDENTIALS_FILE: stack.credentialsFile,
    AWS_CONFIG_FILE: path.join(stateDir, 'config'),
    AWS_PROFILE: 'alice',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // `sentinel credentials`' cache: filled by the warm-up, so the timed runs are hits.
    XDG_CACHE_HOME: path.join(stateDir, 'cache'),
  });

  // `POST /v1/credentials {profile: dev, mode: cli}` as the CLI sends it; signing included in the time, as it is in exec's.
  const client = credentialsClient({ ...stack, url: apiUrl }, alice);
  const body = JSON.stringify({ profile: 'dev', mode: 'cli' });
  const measures: [label: string, once: () => Promise<number>][] = [
    ['node -e 0', () => timeChild(process.execPath, ['-e', '0'], env)],
    ['./bin/sentinel --version', () => timeChild(BIN, ['--version'], env)],
    ['./bin/sentinel exec --profile dev -- true', () => timeChild(BIN, ['exec', '--profile', 'dev', '--', 'true'], env)],
    ['./bin/sentinel credentials --profile dev, hit', () => timeChild(BIN, ['credentials', '--profile', 'dev'], env)],
    ['signed POST /v1/credentials (in process)', async () => (await client.post(body, { timeSigning: true })).ms],
  ];
  // Warm-up: a rebuild of a stale bundle, the runs that write the code cache, the first connection, DynamoDB Local's JIT.
  for (let i = 0; i < WARM_UP; i++) for (const [, once] of measures) await once();
  const samples = measures.map((): number[] => []);
  // Forward one round, backward the next: none always runs right after the same one.
  const order = [...measures.keys()];
  for (let run = 0; run < runs; run++) {
    for (const index of run % 2 === 0 ? order : [...order].reverse()) samples[index]?.push(await (measures[index] as (typeof measures)[number])[1]());
  }
  const results = samples.map(stats);
  const [node, version, exec, hit, api] = results as [Stats, Stats, Stats, Stats, Stats];

  console.log(`sentinel exec: ${machine()}`);
  if (proxy !== undefined) {
    console.log(`the API is ${latencyMs} ms away each way (bench/support/latencyProxy.ts), for exec and the round trip alike;`);
    console.log(`  a new connection is usable ${setupRoundTrips} round trip(s) after it opens (the in-process round trip reuses a warm one)`);
  }
  console.log(`${runs} alternating runs each after ${WARM_UP} warm-up round(s); wall-clock ms, spawn to exit for processes`);
  const leftOut = nodeStartVariablesLeftOut();
  if (leftOut.length > 0) console.log(`processes run without ${leftOut.join(' and ')}, set in this environment (npx tsx bench/cli-startup.bench.ts prints what the certificates cost)`);
  console.log('');
  console.log('measure                                       |  median |     min |     max');
  console.log('----------------------------------------------|---------|---------|--------');
  const ms = (value: number): string => value.toFixed(1).padStart(7);
  results.forEach(({ median, min, max }, index) => {
    console.log(`${(measures[index]?.[0] ?? '').padEnd(45)} | ${ms(median)} | ${ms(min)} | ${ms(max)}`);
  });
  console.log('');
  console.log(`sentinel start-up over node (--version − node -e 0):                 ${ms(version.median - node.median)} ms`);
  console.log(`exec overhead over the API round trip (exec − node -e 0 − round trip): ${ms(exec.median - node.median - api.median)} ms`);
  console.log(`credentials from the cache over node (hit − node -e 0):                ${ms(hit.median - node.median)} ms`);
  const figures = {
    execMs: round(exec.median),
    apiRoundTripMs: round(api.median),
    execOverheadMs: round(exec.median - node.median - api.median),
    credentialsHitMs: round(hit.median),
    credentialsHitOverheadMs: round(hit.median - node.median),
  };
  reportFigures('cli', proxy === undefined ? figures : { atLatency: { latencyMs, setupRoundTrips, ...figures } });
  await proxy?.close();
  console.log('');
  console.log('The overhead is what exec adds beyond starting Node and the API call itself: loading the bundle');
  console.log('  (from its V8 code cache), the AWS SDK credential chain (reading the shared files), signing, a new');
  console.log('  connection (the in-process round trip reuses one), and spawning `true`. The stack shares this process');
  console.log('  with the timer; DynamoDB Local on loopback is not DynamoDB: compare runs, not absolutes.');
});
