/**
 * `sentinel init <table>` against a fake API: what the user sees for a plan, the
 * confirmation (yes, no, no stdin, not a terminal), the wait and the ready table.
 */
import { describe, expect, it } from 'vitest';
import type { IamPolicyDocument, ProvisionResponse } from '../../../../src/api/contract.js';
import { initTable } from '../../../../src/cli/init/initTable.js';
import { ACCOUNT, FakeApi, harness, input, REGION } from './fakes.js';
import { expectedSessionTablePolicy } from '../../../support/iamPolicy.js';
import type { CliError } from '../../../../src/cli/errors.js';
import { CodedError } from '../../../../src/errors.js';

const TABLE = 'sentinel-team-sessions';

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('init sessions --plan', () => {
  it('shows what would be created (billing, key, indexes, TTL, PITR) and changes nothing', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE, plan: true }, context)).toBe(0);
    expect(stdout.text()).toBe(
      [
        `Table ${TABLE} (sessions) does not exist. It would be created with:`,
        '  billing      on-demand (PAY_PER_REQUEST)',
        '  key          id (HASH)',
        '  indexes      by-user (user, created_at), by-profile (profile, created_at), by-active (active_user, created_at)',
        '  TTL          on, attribute "ttl"',
        '  PITR         point-in-time recovery on',
        '  encryption   server-side encryption at rest',
        '  tags         app=sentinel, sentinel:kind=sessions',
        '',
        'No changes made (--plan mode)',
        '',
      ].join('\n'),
    );
    expect(stderr.text()).toBe('');
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`]);
  });

  it('uses the default table name when --table is not given', async () => {
    const api = new FakeApi();
    const { context, stdout } = harness(api);
    await initTable({ kind: 'requests', plan: true }, context);
    expect(api.calls).toEqual(['provision requests sentinel-requests plan']);
    expect(stdout.text()).toContain('Table sentinel-requests (requests) does not exist.');
    expect(stdout.text()).toContain('by-requester (requester, created_at), by-profile (profile, created_at), by-pending (pending_profile, created_at)');
  });

  it('says so when the table exists and matches', async () => {
    const api = new FakeApi().existing(TABLE, 'sessions');
    const { context, stdout } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE, plan: true }, context)).toBe(0);
    expect(stdout.text()).toBe(`Table ${TABLE} (sessions) exists and matches its schema: nothing to create.\n\nNo changes made (--plan mode)\n`);
  });

  it('lists each difference of a drifted table and exits 1', async () => {
    const api = new FakeApi().existing(TABLE, 'sessions', [
      { kind: 'missing_index', message: 'index by-active is missing' },
      { kind: 'ttl', message: 'TTL is off (expected on attribute "ttl")' },
    ]);
    const { context, stdout, stderr } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE, plan: true }, context)).toBe(1);
    expect(stdout.text()).toBe(
      `Table ${TABLE} (sessions) exists but differs from its schema:\n  - index by-active is missing\n  - TTL is off (expected on attribute "ttl")\n\nNo changes made (--plan mode)\n`,
    );
    expect(stderr.text()).toBe(`sentinel: ${TABLE} differs from the sessions schema (see above); nothing changed: fix the table by hand or provision a new one under another name\n`);
  });

  it('prints the API answer as JSON with --output json', async () => {
    const api = new FakeApi();
    const { context, stdout } = harness(api, { format: 'json' });
    expect(await initTable({ kind: 'sessions', table: TABLE, plan: true }, context)).toBe(0);
    const answer = JSON.parse(stdout.text()) as ProvisionResponse;
    expect(answer).toMatchObject({ status: 'PLAN', table: TABLE, kind: 'sessions', plan: { action: 'create', differences: [] } });
  });
});

describe('init sessions: confirmation', () => {
  it('asks "Create this table? [y/N]" on stderr and creates the table on "y"', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api, { stdin: input({ isTTY: true, typed: 'y\n' }) });
    expect(await initTable({ kind: 'sessions', table: TABLE }, context)).toBe(0);
    expect(stderr.text()).toContain('Create this table? [y/N] ');
    expect(stdout.text()).toContain(`Table ${TABLE} (sessions) does not exist. It would be created with:`);
    expect(stdout.text()).toContain(`Table ${TABLE} is ready.`);
    expect(api.calls.slice(0, 2)).toEqual([`provision sessions ${TABLE} plan`, `provision sessions ${TABLE}`]);
  });

  it('accepts "yes" in any case', async () => {
    const api = new FakeApi();
    const { context } = harness(api, { stdin: input({ isTTY: true, typed: ' YES \n' }) });
    expect(await initTable({ kind: 'sessions', table: TABLE }, context)).toBe(0);
    expect(api.tables.has(TABLE)).toBe(true);
  });

  it('creates nothing on "n" (or anything but yes)', async () => {
    for (const typed of ['n\n', '\n', 'sure\n']) {
      const api = new FakeApi();
      const { context } = harness(api, { stdin: input({ isTTY: true, typed }) });
      const error = await failure(initTable({ kind: 'sessions', table: TABLE }, context));
      expect([error.code, error.message]).toEqual(['NOT_CONFIRMED', 'nothing created']);
      expect(api.calls).toEqual([`provision sessions ${TABLE} plan`]);
    }
  });

  it('creates nothing when the terminal input ends without an answer', async () => {
    const api = new FakeApi();
    const { context, stderr } = harness(api, { stdin: input({ isTTY: true, typed: '' }) });
    const error = await failure(initTable({ kind: 'sessions', table: TABLE }, context));
    expect(error.code).toBe('NOT_CONFIRMED');
    // The unanswered prompt's line is ended before the error is printed.
    expect(stderr.text()).toBe('Create this table? [y/N] \n');
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`]);
  });

  it('refuses at once, with the --yes hint, when stdin is not a terminal', async () => {
    const api = new FakeApi();
    // Input is waiting, but nobody at a terminal typed it: it must not be taken as an answer.
    const { context, stdout, stderr } = harness(api, { stdin: input({ isTTY: false, typed: 'y\n' }) });
    const error = await failure(initTable({ kind: 'sessions', table: TABLE }, context));
    expect(error.code).toBe('CONFIRMATION_REQUIRED');
    expect(error.message).toBe(
      `nothing created: stdin is not a terminal, so no one can confirm; check the plan and run again with --yes: sentinel init sessions --table ${TABLE} --yes`,
    );
    expect(stdout.text()).toContain('It would be created with:');
    expect(stderr.text()).toBe('');
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`]);
  });

  it('names the subcommand without --table in the hint when the default name is used', async () => {
    const error = await failure(initTable({ kind: 'requests' }, harness(new FakeApi()).context));
    expect(error.message).toMatch(/run again with --yes: sentinel init approvals --yes$/);
  });

  it('does not ask when the table already exists and matches, even without a terminal', async () => {
    const api = new FakeApi().existing(TABLE, 'sessions');
    const { context, stdout, stderr } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE }, context)).toBe(0);
    expect(stdout.text()).toBe(
      [
        `Table ${TABLE} already exists and is ready.`,
        `ARN: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`,
        '',
        'Next steps:',
        `  run tracked server sessions in it:  sentinel exec --server --session-table ${TABLE} --profile <profile> -- <command>`,
        `  or set it for every command:       export SENTINEL_SESSION_TABLE=${TABLE}`,
        `  or name it in a policy rule:       session_table: ${TABLE}`,
        '',
      ].join('\n'),
    );
    expect(stderr.text()).toBe('');
  });
});

describe('init sessions --yes: creating', () => {
  it('polls until READY with plain progress lines off a terminal, then prints the ARN and next steps', async () => {
    const api = new FakeApi();
    api.creatingPolls = 3;
    const { context, stdout, stderr, sleeps } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE, yes: true }, context)).toBe(0);
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`, `provision sessions ${TABLE}`, `status ${TABLE}`, `status ${TABLE}`, `status ${TABLE}`]);
    expect(sleeps).toEqual([1_000, 1_000, 1_000]);
    expect(stderr.text()).toBe(`creating table ${TABLE}… 0s\ncreated table ${TABLE} in 3s\n`);
    const out = stdout.text();
    expect(out).toContain(`\n\nTable ${TABLE} is ready.\nARN: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}\n`);
    expect(out).toContain(`--session-table ${TABLE}`);
    expect(out).toContain(`export SENTINEL_SESSION_TABLE=${TABLE}`);
    expect(out).toContain(`session_table: ${TABLE}`);
  });

  it('prints a plain line every 10 s of a longer wait', async () => {
    const api = new FakeApi();
    api.creatingPolls = 25;
    const { context, stderr } = harness(api);
    await initTable({ kind: 'sessions', table: TABLE, yes: true }, context);
    expect(stderr.text().split('\n').filter(Boolean)).toEqual([
      `creating table ${TABLE}… 0s`,
      `creating table ${TABLE}… 10s`,
      `creating table ${TABLE}… 20s`,
      `created table ${TABLE} in 25s`,
    ]);
  });

  it('draws a spinner line in place on a terminal and clears it when done', async () => {
    const api = new FakeApi();
    const { context, stderr, ticks } = harness(api, { stderrTTY: true });
    await initTable({ kind: 'sessions', table: TABLE, yes: true }, context);
    const drawn = stderr.text();
    expect(drawn.startsWith(`\r\u001b[K⠋ creating table ${TABLE}… 0s`)).toBe(true);
    expect(drawn).toContain(`\r\u001b[K⠙ creating table ${TABLE}… 1s`);
    expect(drawn.endsWith(`\r\u001b[Kcreated table ${TABLE} in 2s\n`)).toBe(true);
    // Only the final line ends a line: the spinner never scrolls the terminal.
    expect(drawn.split('\n')).toHaveLength(2);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]!.stopped).toBe(true);
  });

  it('gives up after the timeout with a clear message, leaving the table to finish', async () => {
    const api = new FakeApi();
    api.neverReady = true;
    const { context } = harness(api);
    const error = await failure(initTable({ kind: 'sessions', table: TABLE, yes: true }, context));
    expect(error.code).toBe('PROVISION_TIMEOUT');
    expect(error.message).toBe(
      `${TABLE} is still being created after 5m 00s; stopped waiting (the table is not affected): run the same command again to wait for it and finish it`,
    );
  });

  it('finishes a table another run left CREATING, without asking', async () => {
    const api = new FakeApi();
    api.tables.set(TABLE, { kind: 'sessions', pollsLeft: 1 });
    const { context, stdout } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE }, context)).toBe(0);
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`, `provision sessions ${TABLE}`, `status ${TABLE}`]);
    expect(stdout.text()).toContain(`ARN: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`);
  });

  it('refuses to touch a drifted table: lists the differences, exits 1, creates nothing', async () => {
    const api = new FakeApi().existing(TABLE, 'sessions', [{ kind: 'billing', message: 'billing mode is PROVISIONED (expected PAY_PER_REQUEST)' }]);
    const { context, stdout, stderr } = harness(api);
    expect(await initTable({ kind: 'sessions', table: TABLE, yes: true }, context)).toBe(1);
    expect(stdout.text()).toBe(`Table ${TABLE} (sessions) exists but differs from its schema:\n  - billing mode is PROVISIONED (expected PAY_PER_REQUEST)\n`);
    expect(stderr.text()).toMatch(/^sentinel: sentinel-team-sessions differs from the sessions schema/);
    expect(api.calls).toEqual([`provision sessions ${TABLE} plan`]);
  });

  it('prints only the READY answer as JSON on stdout with --output json (the plan goes to stderr)', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api, { format: 'json' });
    expect(await initTable({ kind: 'breakglass', yes: true }, context)).toBe(0);
    expect(JSON.parse(stdout.text())).toEqual({
      status: 'READY',
      table: 'sentinel-breakglass',
      kind: 'breakglass',
      plan: expect.objectContaining({ action: 'none' }) as unknown,
      arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-breakglass`,
    });
    expect(stderr.text()).toContain('Table sentinel-breakglass (breakglass) does not exist. It would be created with:');
  });

  it('says what the config table is for once it is ready', async () => {
    const api = new FakeApi();
    const { context, stdout } = harness(api);
    await initTable({ kind: 'config', table: 'sentinel-team-config', yes: true }, context);
    expect(stdout.text()).toContain('  point the deployment at it: SENTINEL_CONFIG_TABLE=sentinel-team-config');
  });
});

describe('init sessions --generate-iam', () => {
  it('prints only the IAM policy document, ready to pipe, and creates nothing', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api, { stdin: input({ isTTY: true, typed: 'y\n' }) });
    expect(await initTable({ kind: 'sessions', table: TABLE, generateIam: true, yes: true }, context)).toBe(0);
    expect(api.calls).toEqual([`iam sessions ${TABLE}`]);
    expect(stderr.text()).toBe('');
    const document = JSON.parse(stdout.text()) as IamPolicyDocument;
    const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`;
    expect(document).toEqual(expectedSessionTablePolicy(arn));
  });

  it('prints the same document whatever --output says', async () => {
    const api = new FakeApi();
    const { context, stdout } = harness(api, { format: 'json' });
    await initTable({ kind: 'requests', generateIam: true }, context);
    const document = JSON.parse(stdout.text()) as IamPolicyDocument;
    expect(document.Statement.map((statement) => statement.Sid)).toEqual(['SentinelRequestsTableProvisioning', 'SentinelRequestsTableOperations']);
  });
});
