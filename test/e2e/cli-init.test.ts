/**
 * The real `bin/sentinel init …` against the local control plane (DynamoDB Local
 * behind the provisioning routes), signed as the local admin unless a test says otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IamPolicyDocument, ProvisionResponse } from '../../src/api/contract.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { runCli, runCliOnTerminal } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { expectedSessionTablePolicy } from '../support/iamPolicy.js';

const ACCOUNT = '000000000000';
const TABLE = 'sentinel-team-sessions';

let stack: TestStack;
let dir: string;

/** Runs sentinel with stdin from /dev/null (not a terminal), as in CI. */
function sentinel(user: string, args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: stack.env(user) });
}

/** Runs sentinel on a pseudo-terminal and types `answer` once `prompt` appears. */
function sentinelOnTerminal(user: string, args: string[], prompt: string, answer: string): Promise<{ code: number | null; output: string }> {
  return runCliOnTerminal(args, { cwd: dir, env: stack.env(user) }, prompt, async () => answer);
}

function arnOf(table: string): string {
  return `arn:aws:dynamodb:ddblocal:${ACCOUNT}:table/${table}`;
}

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-init-'));
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await sentinel('admin', ['--version']);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel init sessions', () => {
  it('--plan shows what would be created and changes nothing (global --region accepted after the subcommand)', async () => {
    const result = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--plan', '--region', stack.stack.region]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Table ${TABLE} (sessions) does not exist. It would be created with:\n  billing      on-demand (PAY_PER_REQUEST)\n`);
    expect(result.stdout).toContain('  PITR         point-in-time recovery on\n');
    expect(result.stdout.endsWith('\nNo changes made (--plan mode)\n')).toBe(true);
  });

  it('without --yes and without a terminal: refuses with a hint at once, creates nothing', async () => {
    const result = await sentinel('admin', ['init', 'sessions', '--table', TABLE]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `sentinel: nothing created: stdin is not a terminal, so no one can confirm; check the plan and run again with --yes: sentinel init sessions --table ${TABLE} --yes\n`,
    );
    const after = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--plan']);
    expect(after.stdout).toContain('does not exist');
  });

  it('as a non-admin: NOT_ADMIN, exit 1', async () => {
    const result = await sentinel('alice', ['--output', 'json', 'init', 'sessions', '--table', TABLE, '--yes']);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { error: { code: string } }).error.code).toBe('NOT_ADMIN');
    const text = await sentinel('alice', ['init', 'sessions', '--table', TABLE, '--plan']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^sentinel: .+\n$/);
  });

  it('--yes creates the table, waits until READY and prints the ARN and next steps', async () => {
    const result = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Table ${TABLE} is ready.\nARN: ${arnOf(TABLE)}\n\nNext steps:\n`);
    expect(result.stdout).toContain(`--session-table ${TABLE}`);
    expect(result.stdout).toContain(`export SENTINEL_SESSION_TABLE=${TABLE}`);
    expect(result.stdout).toContain(`session_table: ${TABLE}`);
    // Not a terminal: plain progress lines, no carriage returns or escape sequences.
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr).not.toContain('\u001b');
  });

  it('a second run finds the table: nothing to create, already exists', async () => {
    const plan = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--plan']);
    expect(plan).toEqual({ code: 0, stdout: `Table ${TABLE} (sessions) exists and matches its schema: nothing to create.\n\nNo changes made (--plan mode)\n`, stderr: '' });
    const again = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Table ${TABLE} already exists and is ready.\nARN: ${arnOf(TABLE)}\n`);
    const json = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--plan', '--output', 'json']);
    expect(JSON.parse(json.stdout) as ProvisionResponse).toMatchObject({ status: 'PLAN', table: TABLE, kind: 'sessions', plan: { action: 'none', differences: [] } });
  });

  it('the new table is then usable with exec --server --session-table, as the next steps say', async () => {
    const child = [process.execPath, '-e', 'process.exit(0)'];
    const result = await sentinel('alice', ['exec', '--server', '--session-table', TABLE, '--profile', 'prod', '--', ...child]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // A table nobody provisioned is refused: it is the registration that made TABLE usable.
    const unknown = await sentinel('alice', ['exec', '--server', '--session-table', 'sentinel-nobody-sessions', '--profile', 'prod', '--', ...child]);
    expect(unknown.code).not.toBe(0);
  });

  it('refuses a name without the deployment prefix', async () => {
    const result = await sentinel('admin', ['init', 'sessions', '--table', 'team-sessions', '--plan']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sentinel-');
  });

  it('--generate-iam prints only the IAM policy document, statement by statement as documented', async () => {
    const result = await sentinel('admin', ['init', 'sessions', '--table', TABLE, '--generate-iam']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const document = JSON.parse(result.stdout) as IamPolicyDocument;
    const arn = `arn:aws:dynamodb:${stack.stack.region}:${ACCOUNT}:table/${TABLE}`;
    expect(document).toEqual(expectedSessionTablePolicy(arn));
    expect(result.stdout).not.toContain(':*:');
  });
});

describe('sentinel init on a terminal', () => {
  it('asks "Create this table? [y/N]"; "n" creates nothing', async () => {
    const { code, output } = await sentinelOnTerminal('admin', ['init', 'approvals', '--table', 'sentinel-tty-requests'], 'Create this table? [y/N] ', 'n\n');
    expect(code).toBe(1);
    expect(output).toContain('Table sentinel-tty-requests (requests) does not exist. It would be created with:');
    expect(output).toContain('sentinel: nothing created\n');
  });

  it('"y" creates it and shows the ARN', async () => {
    const { code, output } = await sentinelOnTerminal('admin', ['init', 'approvals', '--table', 'sentinel-tty-requests'], 'Create this table? [y/N] ', 'y\n');
    expect(code).toBe(0);
    expect(output).toContain(`ARN: ${arnOf('sentinel-tty-requests')}\n`);
  });
});

describe('sentinel init bootstrap', () => {
  it('makes all four tables ready and leaves the stored policy as it is', async () => {
    const result = await sentinel('admin', ['init', 'bootstrap', '--yes']);
    expect(result.code).toBe(0);
    for (const table of ['sentinel-config', 'sentinel-sessions', 'sentinel-requests', 'sentinel-breakglass']) {
      expect(result.stdout).toContain(`Table ${table} is ready: ${arnOf(table)}\n`);
    }
    expect(result.stdout).toContain('Policy: version 1 was already stored; left as it is.');
    const plan = await sentinel('admin', ['init', 'bootstrap', '--plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout.match(/exists and matches its schema: nothing to create\./g)).toHaveLength(4);
  });
});
