/**
 * `sentinel exec --server` as it scales: real clients (botocore, the AWS CLI v2, the
 * JavaScript SDK v3) reading credentials many times under the real
 * `bin/sentinel --aws-profile alice exec --server --recheck 5s --profile prod`, against
 * the local stack, counting what that costs the API (the stack's request log) and the
 * session table (`request_count`); then a revoke by an admin
 * (`sentinel sessions revoke … --yes`) and a policy push that denies the profile, each
 * refused to the command within the re-check interval, and said once.
 *
 * Always the system tools by absolute path (/usr/bin/aws, /usr/bin/python3), as in
 * real-clients.test.ts; outside CI a test whose tool is missing is skipped.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLog, TestStack } from '../support/localStack.js';
import { AWS_CLI, awsCliMissing, botocoreMissing, PYTHON, requireTool } from '../support/realClients.js';
import { requestLog, startTestStack } from '../support/localStack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const RECHECK_MS = 5_000;
const READS = 1000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, onStdout?: (stdout: string) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** `bin/sentinel --aws-profile alice exec --server --recheck 5s --profile prod -- <child>`, as a user types it. */
function execServer(child: readonly string[], onStdout?: (stdout: string) => void): Promise<Result> {
  const env = test.env('alice', { AWS_EC2_METADATA_DISABLED: 'true' });
  // Only --aws-profile says who signs.
  delete env.AWS_PROFILE;
  return run(BIN, ['--aws-profile', 'alice', 'exec', '--server', '--recheck', '5s', '--profile', 'prod', '--', ...child], env, onStdout);
}

/** The API calls logged since `from`: issuances (`POST /v1/credentials`), re-checks, ends. */
function apiCalls(log: RequestLog, from: number): { issuances: number; checks: number; ends: number; all: number } {
  const lines = log.lines.slice(from).filter((line) => /^[A-Z]+ \/v1\//.test(line));
  return {
    issuances: lines.filter((line) => /^POST \/v1\/credentials 200 /.test(line)).length,
    checks: lines.filter((line) => /^POST \/v1\/sessions\/\w+\/check /.test(line)).length,
    ends: lines.filter((line) => /^POST \/v1\/sessions\/\w+\/end /.test(line)).length,
    all: lines.length,
  };
}

/** The last line of a child's stdout, as JSON. */
function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

/**
 * botocore as a long-running boto3 program uses it: one session, whose
 * RefreshableCredentials is read before every request it signs (get_frozen_credentials).
 * Server-mode credentials (15 minutes) are always inside botocore's 15-minute advisory
 * window, so every read goes to the container endpoint — a fresh session per read would
 * do the same, at 20 ms of session start-up each. Every endpoint call is counted.
 */
const BOTOCORE = `
import json, os, sys
import botocore.session, botocore.utils
calls = 0
original = botocore.utils.ContainerMetadataFetcher._get_response
def counted(self, *args, **kwargs):
    global calls
    calls += 1
    return original(self, *args, **kwargs)
botocore.utils.ContainerMetadataFetcher._get_response = counted
credentials = botocore.session.get_session().get_credentials()
keys = set(credentials.get_frozen_credentials().access_key for _ in range(int(sys.argv[1])))
print(json.dumps({"session": os.environ["SENTINEL_SESSION_ID"], "method": credentials.method, "calls": calls, "keys": sorted(k[:15] for k in keys)}))
`;

/**
 * The JS SDK v3: a fresh `fromNodeProviderChain()` per read (each walks the chain to the
 * endpoint, as a short-lived client does), then one provider resolved for every read
 * (memoised); every HTTP request the SDK makes is counted.
 */
const JS = `
const http = require('node:http');
let calls = 0;
const request = http.request;
http.request = function (...args) {
  calls += 1;
  return request.apply(this, args);
};
const { fromNodeProviderChain } = require('@aws-sdk/credential-providers');
(async () => {
  const reads = Number(process.argv[1]);
  const keys = new Set();
  for (let i = 0; i < reads; i++) keys.add((await fromNodeProviderChain()()).accessKeyId.slice(0, 15));
  const fresh = calls;
  const memoised = fromNodeProviderChain();
  for (let i = 0; i < reads; i++) keys.add((await memoised()).accessKeyId.slice(0, 15));
  console.log(JSON.stringify({ session: process.env.SENTINEL_SESSION_ID, fresh, memoised: calls - fresh, keys: [...keys] }));
})();
`;

/**
 * Asks the endpoint every 20 ms, as the SDKs would (same request, same token). Prints
 * "ready SESSION" after the first answer; once refused, asks 5 more times and prints
 * when (epoch ms) the first refusal came and every refused status and code.
 */
const POLLER = `
(async () => {
  const url = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const headers = { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
  const ask = async () => {
    const response = await fetch(url, { headers });
    return { status: response.status, body: await response.json() };
  };
  const deadline = Date.now() + 20000;
  let ready = false;
  while (Date.now() < deadline) {
    const { status, body } = await ask();
    if (status !== 200) {
      const refusedAt = Date.now();
      const refusals = [[status, body.code]];
      for (let i = 0; i < 5; i++) {
        const again = await ask();
        refusals.push([again.status, again.body.code]);
      }
      console.log(JSON.stringify({ refusedAt, refusals }));
      return;
    }
    if (!ready) console.log('ready ' + process.env.SENTINEL_SESSION_ID);
    ready = true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(JSON.stringify({ refusedAt: null }));
})();
`;

let test: TestStack;
let log: RequestLog;
let dir: string;
let dynamodb: DynamoDBDocumentClient;

async function sessionItem(id: string): Promise<Record<string, unknown> | undefined> {
  return (await dynamodb.send(new GetCommand({ TableName: 'sentinel-sessions', Key: { id } }))).Item;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-server-mode-'));
  log = requestLog();
  test = await startTestStack({ log: log.log });
  dynamodb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: test.stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  // The first run of the launcher may rebuild a stale bundle; not inside a test's time.
  await run(BIN, ['--version'], test.env());
}, 90_000);

afterAll(async () => {
  dynamodb?.destroy();
  await test?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('real clients read credentials many times: the endpoint answers from memory', () => {
  it('botocore, 1,000 reads of one session: 1,001 endpoint calls, 1 issuance, at most 1 re-check', async (context) => {
    requireTool(context, botocoreMissing);
    const from = log.lines.length;
    const result = await execServer([PYTHON, '-c', BOTOCORE, String(READS)]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = lastJson<{ session: string; method: string; calls: number; keys: string[] }>(result.stdout);
    // Every read went to the endpoint (plus the first load): the loop is what a long boto3 program does.
    expect(printed).toMatchObject({ method: 'container-role', calls: READS + 1, keys: ['ASIASENTINELDEV'] });
    const calls = apiCalls(log, from);
    expect(result.ms, 'a bounded run: within two re-check intervals').toBeLessThan(2 * RECHECK_MS);
    expect(calls).toMatchObject({ issuances: 1, ends: 1 });
    expect(calls.checks).toBeLessThanOrEqual(1);
    expect(calls.issuances + calls.checks).toBeLessThanOrEqual(2);
    // One DynamoDB write bumps request_count per issuance and re-check.
    expect(await sessionItem(printed.session)).toMatchObject({ status: 'ended', request_count: 1 + calls.checks });
  });

  it('the AWS CLI v2, 5 processes: one set of keys, 1 issuance, at most one re-check per 5 s', async (context) => {
    requireTool(context, awsCliMissing);
    const from = log.lines.length;
    const exportKey = `${AWS_CLI} configure export-credentials --format env-no-export | sed -n 's/^AWS_ACCESS_KEY_ID=//p'`;
    const result = await execServer(['sh', '-c', `echo "$SENTINEL_SESSION_ID"; ${Array(5).fill(exportKey).join('; ')}`]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const [session = '', ...keys] = result.stdout.trim().split('\n');
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^ASIASENTINELDEV/);
    const calls = apiCalls(log, from);
    expect(calls.issuances).toBe(1);
    expect(calls.checks).toBeLessThanOrEqual(Math.ceil(result.ms / RECHECK_MS));
    expect(await sessionItem(session)).toMatchObject({ request_count: 1 + calls.checks });
  });

  it('the JS SDK v3, 1,000 fresh credential chains and 1,000 reads of one: 1,001 endpoint calls, 1 issuance, at most 1 re-check', async () => {
    const from = log.lines.length;
    const result = await execServer([process.execPath, '-e', JS, String(READS)]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = lastJson<{ session: string; fresh: number; memoised: number; keys: string[] }>(result.stdout);
    // The memoised provider asks once: the credentials are good for more than its 5-minute window.
    expect(printed).toMatchObject({ fresh: READS, memoised: 1, keys: ['ASIASENTINELDEV'] });
    const calls = apiCalls(log, from);
    expect(result.ms, 'a bounded run: within two re-check intervals').toBeLessThan(2 * RECHECK_MS);
    expect(calls.issuances).toBe(1);
    expect(calls.checks).toBeLessThanOrEqual(1);
    expect(await sessionItem(printed.session)).toMatchObject({ request_count: 1 + calls.checks });
  });
});

describe('the options, as typed', () => {
  it('--recheck below 5s is a usage error (exit 2) before anything is asked', async () => {
    const from = log.lines.length;
    const result = await run(BIN, ['exec', '--server', '--recheck', '1s', '--profile', 'prod', '--', 'true'], test.env('alice'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: option '--recheck <duration>' argument '1s' is invalid. Expected a duration such as 30s, 1m or 5m, from 5s to 1h.");
    expect(apiCalls(log, from).all).toBe(0);
  });

  it('--lazy: no SENTINEL_SESSION_ID in the environment, GET /session names it (and the region) after the first credentials', async () => {
    const script = `
      const env = process.env;
      const headers = { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
      const session = () => fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI.replace(/credentials$/, 'session'), { headers }).then((r) => r.json());
      (async () => {
        const before = await session();
        const key = (await (await fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers })).json()).AccessKeyId.slice(0, 15);
        console.log(JSON.stringify({ env: env.SENTINEL_SESSION_ID ?? null, before, key, after: await session() }));
      })();`;
    const env = test.env('alice', { AWS_EC2_METADATA_DISABLED: 'true' });
    const result = await run(BIN, ['exec', '--server', '--lazy', '--profile', 'prod', '--', process.execPath, '-e', script], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = lastJson<{ env: string | null; before: unknown; key: string; after: { sessionId: string } }>(result.stdout);
    expect(printed).toEqual({
      env: null,
      before: { profile: 'prod', sessionId: null, sessionTable: null, region: null },
      key: 'ASIASENTINELDEV',
      after: { profile: 'prod', sessionId: expect.stringMatching(/^[0-9a-f]{32}$/), sessionTable: 'sentinel-sessions', region: 'eu-west-1' },
    });
    expect(await sessionItem(printed.after.sessionId)).toMatchObject({ status: 'ended', profile: 'prod' });
  });
});

describe('a refusal reaches the command within the re-check interval', () => {
  /**
   * Runs the poller under exec, calls `act` once it has its first credentials, and
   * returns how long after `act` finished the first refusal came, the refusals, and
   * what sentinel printed.
   */
  async function refusedAfter(act: (session: string) => Promise<void>): Promise<{ delayMs: number; refusals: Array<[number, string]>; stderr: string; session: string }> {
    let acted: Promise<number> | undefined;
    let session = '';
    const result = await execServer([process.execPath, '-e', POLLER], (stdout) => {
      const ready = /^ready (\w+)$/m.exec(stdout)?.[1];
      if (acted !== undefined || ready === undefined) return;
      session = ready;
      acted = act(ready).then(() => Date.now());
    });
    expect(result.code).toBe(0);
    const printed = lastJson<{ refusedAt: number | null; refusals: Array<[number, string]> }>(result.stdout);
    expect(acted, result.stdout).toBeDefined();
    expect(printed.refusedAt, 'no refusal within 20 s').not.toBeNull();
    return { delayMs: (printed.refusedAt ?? 0) - (await acted!), refusals: printed.refusals, stderr: result.stderr, session };
  }

  it('a session revoked with sentinel sessions revoke: 403 SESSION_REVOKED within 5 s, and both sides say who revoked it and why', async () => {
    let revoke: Result | undefined;
    const { delayMs, refusals, stderr, session } = await refusedAfter(async (id) => {
      const env = test.env('admin');
      // Only --aws-profile says who signs.
      delete env.AWS_PROFILE;
      revoke = await run(BIN, ['--aws-profile', 'admin', 'sessions', 'revoke', id, '--reason', 'incident 42', '--yes'], env);
    });
    expect(revoke?.code, revoke?.stderr).toBe(0);
    const [revoked, by, aws] = (revoke?.stdout ?? '').trimEnd().split('\n');
    expect(revoked).toBe(`revoked session ${session} (user alice, profile prod)`);
    expect(by).toMatch(/^revoked by admin at \d{4}-\d\d-\d\dT[\d:.]+Z: incident 42$/);
    expect(aws).toMatch(/^AWS: /);
    expect(delayMs).toBeLessThanOrEqual(RECHECK_MS + 1_500);
    expect(refusals).toEqual(Array(6).fill([403, 'SESSION_REVOKED']));
    // Printed once, however many requests were refused; ending the revoked session at exit says nothing.
    expect(stderr).toBe(`sentinel: session ${session} was revoked by admin: incident 42\n`);
    console.log(`revoke → refusal at the endpoint: ${delayMs} ms (after sentinel sessions revoke returned; the command took ${revoke?.ms ?? 0} ms; re-check interval ${RECHECK_MS} ms)`);
  });

  it('a policy push that denies the profile: 403 POLICY_DENY within 5 s, the guidance once', async () => {
    const policy = await readFile(path.join(ROOT, 'examples', 'policy.yaml'), 'utf8');
    expect(policy).toMatch(/^rules:\n/m);
    const frozen = path.join(dir, 'frozen.yaml');
    // The same policy with a first rule that denies prod in server mode to everyone. (A
    // deny in every mode makes the profile invisible: the refusal is then UNKNOWN_PROFILE,
    // which stops the endpoint just the same.)
    const rule = 'rules:\n  - name: freeze-prod\n    effect: deny\n    conditions:\n      profiles: [prod]\n      mode: [server]\n    reason: Production is frozen\n\n';
    await writeFile(frozen, policy.replace(/^rules:\n/m, rule));
    const { delayMs, refusals, stderr } = await refusedAfter(async () => {
      const env = test.env('admin');
      delete env.AWS_PROFILE;
      const pushed = await run(BIN, ['--aws-profile', 'admin', 'policy', 'push', '--yes', frozen], env);
      expect(pushed.code, pushed.stderr).toBe(0);
    });
    expect(delayMs).toBeLessThanOrEqual(RECHECK_MS + 1_500);
    expect(refusals).toEqual(Array(6).fill([403, 'POLICY_DENY']));
    expect(stderr.match(/access to profile "prod" is denied: Production is frozen \(rule "freeze-prod"\)/g)).toHaveLength(1);
    expect(stderr.startsWith('access to profile "prod" is denied: Production is frozen (rule "freeze-prod")\n')).toBe(true);
  });
});
