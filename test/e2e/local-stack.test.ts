/**
 * `npm start` as a user runs it: start, sign requests with a local identity, get
 * credentials and a denial, run the command it prints, then Ctrl-C (SIGINT to the
 * process group) and check everything stopped, DynamoDB Local included.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

let child: ChildProcess;
let stateDir: string;
let stdout = '';
let stderr = '';
let url = '';
let dynamodbPort = 0;

function credentialsOf(file: string, profile: string): { accessKeyId: string; secretAccessKey: string } {
  const section = file.split(/^\[/m).find((part) => part.startsWith(`${profile}]`)) ?? '';
  const value = (key: string) => new RegExp(`^${key}\\s*=\\s*(\\S+)`, 'm').exec(section)?.[1] ?? '';
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') };
}

async function signedFetch(method: string, route: string, body: unknown, credentials: { accessKeyId: string; secretAccessKey: string }, tamper = false) {
  const target = new URL(route, url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-east-1', credentials, sha256: Hash.bind(null, 'sha256') });
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

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'sentinel-local-'));
  child = spawn('npm', ['start', '--', '--port', '0', '--state-dir', stateDir], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up in time:\n${stderr}`)), 110_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const api = /control plane on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      const dynamodb = /DynamoDB Local \(in memory\): http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (api?.[1] !== undefined && dynamodb?.[1] !== undefined && stdout.includes('Ctrl-C stops everything')) {
        url = api[1];
        dynamodbPort = Number(dynamodb[1]);
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group has already gone.
    }
  }
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
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    // npm passes Ctrl-C on by exiting on the signal itself; the stack below it exits 0.
    expect(['code 0', 'SIGINT']).toContain(await exited);
    expect(stderr).toContain('SIGINT: stopping');
    expect(stderr).not.toContain('stop failed');
    // Give the Java process a moment to finish exiting after its parent.
    for (let attempt = 0; attempt < 50 && (await portOpen(dynamodbPort)); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await portOpen(dynamodbPort)).toBe(false);
    expect(await portOpen(Number(new URL(url).port))).toBe(false);
  }, 30_000);
});
