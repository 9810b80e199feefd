/**
 * `npm start` as a user runs it: start, sign requests with a local identity, get
 * credentials and a denial, run the command it prints, then Ctrl-C (SIGINT to the
 * process group) and check everything stopped, DynamoDB Local included.
 *
 * Every option of src/local/main.ts is typed here as a user types it (STYLE.md 19):
 * the defaults in the first run, every option set at once in the second (with STS
 * answered by a fake STS endpoint), and each bad value in quick runs that must stop
 * with exit code 2 before DynamoDB Local starts.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

let child: ChildProcess;
let stateDir: string;
let stdout = '';
/** Everything the first run has written to stderr so far. */
let stderr = (): string => '';
let url = '';
let dynamodbPort = 0;

function credentialsOf(file: string, profile: string): { accessKeyId: string; secretAccessKey: string } {
  const section = file.split(/^\[/m).find((part) => part.startsWith(`${profile}]`)) ?? '';
  const value = (key: string) => new RegExp(`^${key}\\s*=\\s*(\\S+)`, 'm').exec(section)?.[1] ?? '';
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') };
}

async function signedFetch(
  method: string,
  route: string,
  body: unknown,
  credentials: { accessKeyId: string; secretAccessKey: string },
  tamper = false,
  at: { url: string; region: string } = { url, region: 'us-east-1' },
) {
  const target = new URL(route, at.url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({ service: 'execute-api', region: at.region, credentials, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query: {},
    headers: { host: target.host, 'content-type': 'application/json' },
    ...(text === undefined ? {} : { body: text }),
  });
  const headers = { ...signed.headers } as Record<string, string>;
  if (tamper) headers.authorization = (headers.authorization ?? '').replace(/Signature=(.)/, (_match, first: string) => `Signature=${first === '0' ? '1' : '0'}`);
  const response = await fetch(target, { method, headers, ...(text === undefined ? {} : { body: text }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A running `npm start`: its process group, what it printed, where it listens. */
interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  url: string;
  dynamodbPort: number;
}

/** `npm start -- …args` in its own process group, resolved once it prints what to export. */
async function startStack(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const started = spawn('npm', ['start', '--', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  started.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up in time:\n${err}`)), 110_000);
    started.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const api = /control plane on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      const dynamodb = /DynamoDB Local \(in memory\): http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (api?.[1] !== undefined && dynamodb?.[1] !== undefined && out.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve({ child: started, stdout: () => out, stderr: () => err, url: api[1], dynamodbPort: Number(dynamodb[1]) });
      }
    });
    started.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${err}`)));
  });
}

/** SIGKILL to the whole group, if anything of it is still running. */
function killGroup(running: ChildProcess | undefined): void {
  if (running === undefined || running.exitCode !== null || running.signalCode !== null || running.pid === undefined) return;
  try {
    process.kill(-running.pid, 'SIGKILL');
  } catch {
    // The group has already gone.
  }
}

/** Ctrl-C as a terminal sends it (SIGINT to the group); resolves with how npm ended. */
function interrupt(running: ChildProcess): Promise<string> {
  const exited = new Promise<string>((resolve) => running.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  if (running.pid !== undefined) process.kill(-running.pid, 'SIGINT');
  return exited;
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'sentinel-local-'));
  const started = await startStack(['--port', '0', '--state-dir', stateDir]);
  child = started.child;
  url = started.url;
  dynamodbPort = started.dynamodbPort;
  stdout = started.stdout();
  stderr = started.stderr;
}, 120_000);

afterAll(async () => {
  killGroup(child);
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints what to export and writes the local identities', async () => {
    const file = path.join(stateDir, 'credentials');
    expect(stdout).toContain(`export SENTINEL_API_URL=${url}`);
    expect(stdout).toContain(`export AWS_SHARED_CREDENTIALS_FILE=${file}`);
    expect(stdout).toContain('export AWS_PROFILE=alice');
    const text = await readFile(file, 'utf8');
    for (const name of ['alice', 'bob', 'admin']) expect(text).toContain(`[${name}]`);
    // The defaults: dev issuer, sentinel-sessions, account 000000000000, region us-east-1.
    expect(stdout).toContain('(dev issuer: development credentials, useless against AWS)');
    expect(stdout).toContain('  default session table: sentinel-sessions\n');
    expect(stdout).toContain('(account 000000000000)');
    expect(text).toContain('region = us-east-1');
  });

  it('vends dev credentials to a signed request and refuses a tampered one', async () => {
    const alice = credentialsOf(await readFile(path.join(stateDir, 'credentials'), 'utf8'), 'alice');
    const issued = await signedFetch('POST', '/v1/credentials', { profile: 'dev', mode: 'cli' }, alice);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ profile: 'dev', decision: { effect: 'allow', rule: 'dev-engineers' }, session: { table: 'sentinel-sessions' } });
    expect((issued.body.credentials as { accessKeyId: string }).accessKeyId).toMatch(/^ASIASENTINELDEV/);

    const denied = await signedFetch('POST', '/v1/credentials', { profile: 'prod', mode: 'cli' }, alice);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'SERVER_SESSION_REQUIRED', denial: { requiresServerMode: true, requiresSessionTracking: true, sessionTable: 'sentinel-sessions' } } });

    const tampered = await signedFetch('POST', '/v1/credentials', { profile: 'dev', mode: 'cli' }, alice, true);
    expect(tampered).toEqual({ status: 403, body: { message: 'Forbidden' } });
  });

  it('the command it prints works', () => {
    const lines = stdout.split('\n');
    const command = lines[lines.findIndex((line) => line.startsWith('Try it')) + 1]?.trim() ?? '';
    expect(command).toMatch(/^\.\/bin\/sentinel exec --profile dev -- /);
    const exports = lines.filter((line) => line.trim().startsWith('export ')).join('\n');
    // As a user would: in a shell in the repository, with only the printed exports.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|SENTINEL_)/.test(key)) env[key] = value;
    const result = spawnSync('bash', ['-c', `${exports}\n${command}`], { cwd: ROOT, encoding: 'utf8', env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^dev: ASIASENTINELDEV[A-Z]+ until \d{4}-\d\d-\d\dT/);
  });

  it('Ctrl-C stops the API and DynamoDB Local', async () => {
    expect(await portOpen(dynamodbPort)).toBe(true);
    // npm passes Ctrl-C on by exiting on the signal itself; the stack below it exits 0.
    expect(['code 0', 'SIGINT']).toContain(await interrupt(child));
    expect(stderr()).toContain('SIGINT: stopping');
    expect(stderr()).not.toContain('stop failed');
    // Give the Java process a moment to finish exiting after its parent.
    for (let attempt = 0; attempt < 50 && (await portOpen(dynamodbPort)); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await portOpen(dynamodbPort)).toBe(false);
    expect(await portOpen(Number(new URL(url).port))).toBe(false);
  }, 30_000);
});

/** Every option src/local/main.ts defines; the help must list exactly these, and each is typed below. */
const OPTIONS = ['--port', '--region', '--account', '--default-session-table', '--policy', '--state-dir', '--issuer'];

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm start -- …args` expected to end by itself (help, or a refusal). */
function runToEnd(args: readonly string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const running = spawn('npm', ['start', '--', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    running.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    running.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      killGroup(running);
      reject(new Error(`npm start ${args.join(' ')} did not stop by itself:\n${err}`));
    }, 15_000);
    running.once('error', reject);
    running.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

describe('npm start options', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'sentinel-local-options-'));
    await writeFile(path.join(scratch, 'invalid.yaml'), 'version: "1"\nrules:\n  - name: r\n    effect: alow\n');
    await writeFile(path.join(scratch, 'a-file'), 'not a directory\n');
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('--help lists every option, with its default, and exits 0', async () => {
    const result = await runToEnd(['--help']);
    expect(result.code).toBe(0);
    const listed = [...result.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]);
    expect(listed).toEqual(OPTIONS);
    expect(result.stdout).toContain('-h, --help');
    expect(result.stdout).toContain('"none"');
  });

  const BAD: [string, () => string[], RegExp][] = [
    ['a port that is not a number', () => ['--port', 'abc'], /option '--port <port>' argument 'abc' is invalid\. a port number \(0–65535; 0 picks a free one\)/],
    ['a port above 65535', () => ['--port', '65536'], /argument '65536' is invalid\. a port number/],
    ['a missing port', () => ['--port'], /option '--port <port>' argument missing/],
    ['a region that is not one', () => ['--region', 'Mars'], /option '--region <region>' argument 'Mars' is invalid\. an AWS region such as us-east-1/],
    ['an account id that is not 12 digits', () => ['--account', '12345'], /option '--account <id>' argument '12345' is invalid\. a 12-digit AWS account id/],
    ['a default session table outside sentinel-*', () => ['--default-session-table', 'my-table'], /argument 'my-table' is invalid\. a table name starting with "sentinel-", or "none"/],
    ['an empty default session table', () => ['--default-session-table', ''], /argument '' is invalid\. a table name starting with "sentinel-", or "none"/],
    ['an unknown issuer', () => ['--issuer', 'magic'], /option '--issuer <kind>' argument 'magic' is invalid\. Allowed choices are dev, sts\./],
    ['a policy file that does not exist', () => ['--policy', path.join(scratch, 'missing.yaml')], /error: --policy .*missing\.yaml: cannot read the file: no such file or directory/],
    ['an invalid policy file', () => ['--policy', path.join(scratch, 'invalid.yaml')], /error: --policy .*invalid\.yaml is not a valid policy:\n.*invalid\.yaml:4:13: unknown effect "alow"/],
    ['a state directory that is a file', () => ['--state-dir', path.join(scratch, 'a-file')], /error: --state-dir .*a-file: not a directory/],
    ['an unknown option', () => ['--prot', '0'], /error: unknown option '--prot'/],
  ];

  it.each(BAD)('refuses %s with exit code 2, before starting DynamoDB Local', async (_name, args, message) => {
    const result = await runToEnd(args());
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('starting DynamoDB Local');
    expect(result.stdout).not.toContain('control plane on');
    // One line of why and one pointer to --help, not the whole help text.
    expect(result.stderr).not.toMatch(/^Options:/m);
  });

  it('refuses a port that is already in use with exit code 2 and says what to do, before starting DynamoDB Local', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runToEnd(['--port', String(port)]);
      expect(result.stderr).toContain(`error: --port ${port}: 127.0.0.1:${port} is already in use (another npm start?): stop it, or pass another --port (0 picks a free one)`);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('starting DynamoDB Local');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

/** A stand-in for STS: answers AssumeRole as AWS does (query protocol, XML), remembering each request. */
function fakeSts(): Promise<{ server: Server; url: string; requests: URLSearchParams[] }> {
  const requests: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      requests.push(params);
      const expiration = new Date(Date.now() + Number(params.get('DurationSeconds') ?? '3600') * 1000).toISOString();
      res.setHeader('content-type', 'text/xml');
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
          `<AssumedRoleUser><Arn>${params.get('RoleArn') ?? ''}/${params.get('RoleSessionName') ?? ''}</Arn><AssumedRoleId>AROAFAKE:${params.get('RoleSessionName') ?? ''}</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><AccessKeyId>ASIAFAKESTS${requests.length}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>fake-${requests.length}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests })));
}

describe('npm start with every option set: --default-session-table none, --issuer sts, and the rest', () => {
  const ACCOUNT = '123456789012';
  const REGION = 'eu-west-2';
  const POLICY = `version: "1"
profiles:
  dev:
    role_arn: arn:aws:iam::${ACCOUNT}:role/options-dev
  prod:
    role_arn: arn:aws:iam::${ACCOUNT}:role/options-prod
rules:
  - name: options-dev
    effect: allow
    conditions: { profiles: [dev] }
  - name: options-prod
    effect: require_server_session
    conditions: { profiles: [prod] }
admins: [admin]
`;
  let dir: string;
  let sts: Awaited<ReturnType<typeof fakeSts>>;
  let stack: Started;
  let alice: { accessKeyId: string; secretAccessKey: string };
  const at = () => ({ url: stack.url, region: REGION });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sentinel-local-all-'));
    await writeFile(path.join(dir, 'policy.yaml'), POLICY);
    await mkdir(path.join(dir, 'state'));
    sts = await fakeSts();
    // STS with throwaway keys, at the fake endpoint; nothing from the developer's AWS setup.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|SENTINEL_)/.test(key)) env[key] = value;
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: 'AKIDLOCALSTSTEST',
      AWS_SECRET_ACCESS_KEY: 'local-sts-test-secret',
      AWS_CONFIG_FILE: path.join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    stack = await startStack(
      ['--port', '0', '--region', REGION, '--account', ACCOUNT, '--default-session-table', 'none', '--policy', path.join(dir, 'policy.yaml'), '--issuer', 'sts', '--state-dir', path.join(dir, 'state')],
      env,
    );
    alice = credentialsOf(await readFile(path.join(dir, 'state', 'credentials'), 'utf8'), 'alice');
  }, 120_000);

  afterAll(async () => {
    killGroup(stack?.child);
    await new Promise((resolve) => sts?.server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('says what it was started with', async () => {
    expect(stack.stdout()).toContain('(STS issuer: real credentials)');
    expect(stack.stdout()).toContain('  default session table: none\n');
    expect(stack.stdout()).toContain(`(account ${ACCOUNT}) in `);
    expect(stack.stdout()).toContain(`export AWS_SHARED_CREDENTIALS_FILE=${path.join(dir, 'state', 'credentials')}`);
    const credentials = await readFile(path.join(dir, 'state', 'credentials'), 'utf8');
    expect(credentials).toContain(`region = ${REGION}`);
    expect(credentials).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice`);
    expect(stack.stderr()).toContain(`loaded ${path.relative(ROOT, path.join(dir, 'policy.yaml'))} as policy version 1`);
  });

  it('--account and --region: callers are in that account and must sign for that region', async () => {
    expect(await signedFetch('GET', '/v1/whoami', undefined, alice, false, at())).toMatchObject({ status: 200, body: { user: 'alice', accountId: ACCOUNT } });
    expect(await signedFetch('GET', '/v1/whoami', undefined, alice, false, { url: stack.url, region: 'us-east-1' })).toEqual({ status: 403, body: { message: 'Forbidden' } });
  });

  it('--default-session-table none: a plain allow issues with session null; --issuer sts: through STS', async () => {
    const issued = await signedFetch('POST', '/v1/credentials', { profile: 'dev', mode: 'cli' }, alice, false, at());
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ profile: 'dev', session: null, decision: { effect: 'allow', rule: 'options-dev' } });
    expect((issued.body.credentials as { accessKeyId: string }).accessKeyId).toMatch(/^ASIAFAKESTS\d+$/);
    const call = sts.requests.at(-1)!;
    expect(call.get('Action')).toBe('AssumeRole');
    expect(call.get('RoleArn')).toBe(`arn:aws:iam::${ACCOUNT}:role/options-dev`);
    expect(call.get('SourceIdentity')).toMatch(/^sentinel\.alice\.direct\.[0-9a-f]{8,}$/);
    // No session record, so no session tag.
    expect(call.get('Tags.member.1.Key')).toBeNull();
  });

  it('--default-session-table none: require_server_session asks for a table, and a named one still works', async () => {
    const denied = await signedFetch('POST', '/v1/credentials', { profile: 'prod', mode: 'server' }, alice, false, at());
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'SESSION_TRACKING_REQUIRED', denial: { requiresServerMode: false, requiresSessionTracking: true, sessionTable: null } } });
    const tracked = await signedFetch('POST', '/v1/credentials', { profile: 'prod', mode: 'server', sessionTable: 'sentinel-sessions' }, alice, false, at());
    expect(tracked.status).toBe(200);
    expect(tracked.body).toMatchObject({ session: { table: 'sentinel-sessions' }, decision: { effect: 'allow', rule: 'options-prod' } });
    expect(sts.requests.at(-1)!.get('Tags.member.1.Key')).toBe('SentinelSessionID');
  });

  it('Ctrl-C stops it', async () => {
    expect(['code 0', 'SIGINT']).toContain(await interrupt(stack.child));
    expect(stack.stderr()).toContain('SIGINT: stopping');
    for (let attempt = 0; attempt < 50 && (await portOpen(stack.dynamodbPort)); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await portOpen(stack.dynamodbPort)).toBe(false);
  }, 30_000);
});
