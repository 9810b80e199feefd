/**
 * The real `bin/sentinel --aws-profile <identity> sessions …` against the local stack
 * (examples/policy.yaml; the stack's default session table): alice's sessions made by
 * `exec` (server mode for prod, cli mode for dev), listed, shown, revoked one by one
 * and all at once, ended; who may see and do what; the confirmation rule; and the
 * original Sentinel's aliases.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/api/contract.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { BIN, runCli, runCliOnTerminal } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';

let stack: TestStack;
let dir: string;

/** The environment of `identity` with no AWS_PROFILE: only `--aws-profile` says who signs. */
function env(identity: string): NodeJS.ProcessEnv {
  const signing = stack.env(identity);
  delete signing.AWS_PROFILE;
  return signing;
}

/** `bin/sentinel --aws-profile <identity> args…`, stdin closed, as in CI. */
function sentinel(identity: string, ...args: string[]): Promise<CliResult> {
  return runCli(['--aws-profile', identity, ...args], { cwd: dir, env: env(identity) });
}

/** `--output json` of a command that must succeed. */
async function json<T>(identity: string, ...args: string[]): Promise<T> {
  const result = await sentinel(identity, '--output', 'json', ...args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** The code of the error document a command printed with `--output json`. */
async function errorCode(identity: string, ...args: string[]): Promise<{ exit: number | null; code: string }> {
  const result = await sentinel(identity, '--output', 'json', ...args);
  return { exit: result.code, code: (JSON.parse(result.stdout) as { error: { code: string } }).error.code };
}

const PRINT_SESSION = ['sh', '-c', 'echo "$SENTINEL_SESSION_ID"'];

/** A server-mode session of `identity` for prod: `exec --server` runs `true`-like and ends it. Its id. */
async function endedServerSession(identity: string): Promise<string> {
  const result = await sentinel(identity, 'exec', '--server', '--profile', 'prod', '--', ...PRINT_SESSION);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** A cli-mode session for dev: tracked in the default table, left active (cli mode never ends it). Its id. */
async function activeCliSession(identity: string): Promise<string> {
  const result = await sentinel(identity, 'exec', '--profile', 'dev', '--', ...PRINT_SESSION);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** A running `exec --server` for prod whose command waits; `stop()` ends it (SIGTERM, passed to the command). */
async function runningServerSession(identity: string): Promise<{ id: string; stop: () => Promise<void> }> {
  const child = spawn(BIN, ['--aws-profile', identity, 'exec', '--server', '--profile', 'prod', '--', 'sh', '-c', 'echo "$SENTINEL_SESSION_ID"; exec sleep 60'], {
    cwd: dir,
    env: env(identity),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const id = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = /^([0-9a-f]{32})$/m.exec(stdout)?.[1];
      if (line !== undefined) resolve(line);
    });
    child.on('exit', (code) => reject(new Error(`exec --server exited ${code} before printing its session`)));
  });
  return {
    id,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The rows of a `sessions list` table: the cells of each line, by header. */
function tableRows(stdout: string): Array<Record<string, string>> {
  const [header = '', ...lines] = stdout.trimEnd().split('\n');
  const titles = header.split(/ {2,}/);
  return lines.map((line) => Object.fromEntries(line.trim().split(/ {2,}/).map((cell, index) => [titles[index] ?? String(index), cell])));
}

let serverIds: string[];
let cliId: string;

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-sessions-'));
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await runCli(['--version'], { cwd: dir, env: env('alice') });
  serverIds = [await endedServerSession('alice'), await endedServerSession('alice')];
  cliId = await activeCliSession('alice');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel sessions list', () => {
  it("shows alice her own sessions, newest first: the server-mode ones exec ended, the cli-mode one it left active", async () => {
    const result = await sentinel('alice', 'sessions', 'list');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toMatch(/^ID {32}USER {3}PROFILE {2}MODE {4}STATUS {2}STARTED {12}LAST ACCESS {8}REQUESTS {2}EXPIRES$/);
    const rows = tableRows(result.stdout);
    expect(rows.map((row) => row['ID'])).toEqual([cliId, serverIds[1], serverIds[0]]);
    expect(rows[0]).toMatchObject({ USER: 'alice', PROFILE: 'dev', MODE: 'cli', STATUS: 'active', REQUESTS: '1' });
    expect(rows[1]).toMatchObject({ USER: 'alice', PROFILE: 'prod', MODE: 'server', STATUS: 'ended' });
    for (const row of rows) for (const column of ['STARTED', 'LAST ACCESS', 'EXPIRES']) expect(row[column]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
  });

  it("bob sees none of alice's sessions, may not list hers, and cannot show one (to him it does not exist)", async () => {
    const own = await sentinel('bob', 'sessions', 'list');
    expect(own).toEqual({ code: 0, stdout: 'no sessions\n', stderr: '' });
    expect(await errorCode('bob', 'sessions', 'list', '--user', 'alice')).toEqual({ exit: 1, code: 'NOT_ADMIN' });
    const shown = await sentinel('bob', 'sessions', 'show', cliId);
    expect(shown).toEqual({ code: 1, stdout: '', stderr: `sentinel: session ${cliId} does not exist\n` });
  });

  it("an admin lists alice's with --user, or a profile's with --profile, filtered by --status", async () => {
    const byUser = await json<{ sessions: SessionView[] }>('admin', 'sessions', 'list', '--user', 'alice');
    expect(byUser.sessions.map((session) => session.id)).toEqual([cliId, serverIds[1], serverIds[0]]);
    const prod = await json<{ sessions: SessionView[] }>('admin', 'sessions', 'list', '--profile', 'prod', '--status', 'ended');
    expect(prod.sessions.map((session) => [session.id, session.user, session.status])).toEqual([
      [serverIds[1], 'alice', 'ended'],
      [serverIds[0], 'alice', 'ended'],
    ]);
    const active = await sentinel('admin', 'sessions', 'list', '--user', 'alice', '--status', 'active');
    expect(tableRows(active.stdout).map((row) => row['ID'])).toEqual([cliId]);
  });

  it('--limit 1 prints one page and says on stderr that more may exist; --all follows the cursors to the end', async () => {
    const page = await sentinel('alice', 'sessions', 'list', '--limit', '1');
    expect(page.code).toBe(0);
    expect(tableRows(page.stdout).map((row) => row['ID'])).toEqual([cliId]);
    expect(page.stderr).toBe('sentinel: more sessions may exist: pass --all to list them all\n');
    const all = await sentinel('alice', 'sessions', 'list', '--limit', '1', '--all');
    expect({ ids: tableRows(all.stdout).map((row) => row['ID']), stderr: all.stderr }).toEqual({ ids: [cliId, serverIds[1], serverIds[0]], stderr: '' });
    const allJson = await json<{ sessions: SessionView[] }>('alice', 'sessions', 'list', '--limit', '1', '--all');
    expect(allJson.sessions).toHaveLength(3);
  });

  it('--since: only sessions started since then (a moment, or a duration back from now)', async () => {
    expect((await sentinel('alice', 'sessions', 'list', '--since', '2h')).stdout.split('\n')).toHaveLength(5);
    expect(await sentinel('alice', 'sessions', 'list', '--since', new Date(Date.now() + 60_000).toISOString())).toEqual({ code: 0, stdout: 'no sessions\n', stderr: '' });
  });

  it('refuses a status that is not one of the six, with a usage error (exit 2)', async () => {
    const result = await sentinel('alice', 'sessions', 'list', '--status', 'open');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: option '--status <status>' argument 'open' is invalid. Allowed choices are pending, active, revoked, ended, expired, failed.\n(run with --help for usage)\n",
    });
  });
});

describe('sentinel sessions show', () => {
  it('shows one session field by field to its owner and to an admin; --output json prints { session }', async () => {
    const result = await sentinel('alice', 'sessions', 'show', serverIds[0] ?? '');
    expect(result.code, result.stderr).toBe(0);
    const fields = Object.fromEntries(result.stdout.trimEnd().split('\n').map((line) => [line.slice(0, 15).trim(), line.slice(17)]));
    expect(fields).toMatchObject({ id: serverIds[0], user: 'alice', profile: 'prod', mode: 'server', status: 'ended', table: 'sentinel-sessions', role: 'arn:aws:iam::111122223333:role/sentinel-prod-operator' });
    expect(fields['ended at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(fields).not.toHaveProperty('revoked by');
    const shown = await json<{ session: SessionView }>('admin', 'sessions', 'show', serverIds[0] ?? '');
    expect(shown.session).toMatchObject({ id: serverIds[0], user: 'alice', status: 'ended' });
  });
});

describe('sentinel sessions revoke ID', () => {
  it('without --yes and with no terminal: refuses (exit 2) and names --yes; the session stays active', async () => {
    const id = await activeCliSession('alice');
    const result = await sentinel('admin', 'sessions', 'revoke', id, '--reason', 'incident 42');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: not on a terminal, so no one can confirm the revocation: pass --yes to revoke without asking\n(run with --help for usage)\n',
    });
    expect((await json<{ session: SessionView }>('alice', 'sessions', 'show', id)).session.status).toBe('active');
  });

  it('an admin revokes with --yes: who and why are printed and recorded, with the AWS side; a second revoke says "already revoked"', async () => {
    const id = await activeCliSession('alice');
    const result = await sentinel('admin', 'sessions', 'revoke', id, '--reason', 'incident 42', '--yes');
    expect(result.code, result.stderr).toBe(0);
    const [first, by, aws] = result.stdout.trimEnd().split('\n');
    expect(first).toBe(`revoked session ${id} (user alice, profile dev)`);
    expect(by).toMatch(/^revoked by admin at \d{4}-\d\d-\d\dT[\d:.]+Z: incident 42$/);
    expect(aws).toMatch(/^AWS: (the deny is on the role|pending)/);
    const shown = await json<{ session: SessionView }>('alice', 'sessions', 'show', id);
    expect(shown.session).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedReason: 'incident 42' });

    const again = await sentinel('admin', 'sessions', 'revoke', id, '--reason', 'a second reason', '--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(`session ${id} (user alice, profile dev) was already revoked by admin at ${shown.session.revokedAt}: incident 42`);
    const againJson = await json<{ alreadyRevoked: boolean; aws: { status: string } }>('admin', 'sessions', 'revoke', id, '--reason', 'a third reason', '--yes');
    expect(againJson.alreadyRevoked).toBe(true);
  });

  it('asks on a terminal and revokes on "y"', async () => {
    const id = await activeCliSession('alice');
    const result = await runCliOnTerminal(['--aws-profile', 'admin', 'sessions', 'revoke', id, '--reason', 'incident 43'], { cwd: dir, env: env('admin') }, '[y/N] ', async () => 'y\n');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`Revoke session ${id}? [y/N] `);
    expect(result.output).toContain(`revoked session ${id} (user alice, profile dev)`);
  });

  it("refuses a non-admin with the API's NOT_ADMIN, even for their own session", async () => {
    const id = await activeCliSession('alice');
    expect(await errorCode('alice', 'sessions', 'revoke', id, '--reason', 'mine', '--yes')).toEqual({ exit: 1, code: 'NOT_ADMIN' });
    const text = await sentinel('bob', 'sessions', 'revoke', id, '--reason', 'not mine', '--yes');
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^sentinel: only admins may revoke sessions/);
    expect((await json<{ session: SessionView }>('alice', 'sessions', 'show', id)).session.status).toBe('active');
  });

  it('refuses a session that is over (ended) with CONFLICT', async () => {
    expect(await errorCode('admin', 'sessions', 'revoke', serverIds[0] ?? '', '--reason', 'too late', '--yes')).toEqual({ exit: 1, code: 'CONFLICT' });
  });
});

describe('sentinel sessions end', () => {
  it('alice ends her own session; bob may not end it', async () => {
    const id = await activeCliSession('alice');
    expect(await errorCode('bob', 'sessions', 'end', id)).toEqual({ exit: 1, code: 'NOT_OWNER' });
    const result = await sentinel('alice', 'sessions', 'end', id);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^ended session ${id} at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`));
    expect((await json<{ session: SessionView }>('alice', 'sessions', 'show', id)).session.status).toBe('ended');
    expect(await errorCode('alice', 'sessions', 'end', id)).toEqual({ exit: 1, code: 'SESSION_ENDED' });
  });
});

describe("the original Sentinel's commands", () => {
  it('server-sessions, server-session ID and server-revoke ID --reason work as sessions list, show and revoke', async () => {
    const listed = await sentinel('admin', 'server-sessions', '--user', 'alice', '--profile', 'prod', '--status', 'ended');
    expect(tableRows(listed.stdout).map((row) => row['ID'])).toEqual([serverIds[1], serverIds[0]]);
    const shown = await sentinel('alice', 'server-session', serverIds[1] ?? '');
    expect(shown.stdout).toContain(`id               ${serverIds[1]}\n`);
    const id = await activeCliSession('alice');
    expect((await sentinel('admin', 'server-revoke', id, '--reason', 'incident 44')).code).toBe(2);
    const revoked = await sentinel('admin', 'server-revoke', id, '--reason', 'incident 44', '--yes');
    expect(revoked.stdout.split('\n')[0]).toBe(`revoked session ${id} (user alice, profile dev)`);
  });
});

describe('sentinel sessions revoke --user', () => {
  it("revokes every active session of alice — cli-mode ones and a running exec --server — and then she has none active", async () => {
    const running = await runningServerSession('alice');
    try {
      await activeCliSession('alice');
      const before = await json<{ sessions: SessionView[] }>('admin', 'sessions', 'list', '--user', 'alice', '--status', 'active', '--all');
      expect(before.sessions.length).toBeGreaterThanOrEqual(3);
      expect(before.sessions.map((session) => session.id)).toContain(running.id);

      const result = await sentinel('admin', 'sessions', 'revoke', '--user', 'alice', '--reason', 'offboarding', '--yes');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(`revoked ${before.sessions.length} sessions of user alice`);
      expect(await sentinel('admin', 'sessions', 'list', '--user', 'alice', '--status', 'active')).toEqual({ code: 0, stdout: 'no sessions\n', stderr: '' });
      const shown = await json<{ session: SessionView }>('admin', 'sessions', 'show', running.id);
      expect(shown.session).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedReason: 'offboarding' });

      const again = await sentinel('admin', 'sessions', 'revoke', '--user', 'alice', '--reason', 'offboarding', '--yes');
      expect(again).toEqual({ code: 0, stdout: 'no active sessions of user alice to revoke\n', stderr: '' });
      expect(await json('admin', 'sessions', 'revoke', '--profile', 'prod', '--reason', 'offboarding', '--yes')).toEqual({ profile: 'prod', revoked: 0, skipped: 0, awsPending: 0 });
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('without --yes and with no terminal: refuses (exit 2)', async () => {
    const result = await sentinel('admin', 'sessions', 'revoke', '--user', 'alice', '--reason', 'offboarding');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --yes to revoke without asking');
  });
});
