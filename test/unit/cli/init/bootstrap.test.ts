/**
 * `sentinel init bootstrap`: four tables in order, one confirmation, a starter policy
 * only when none is stored — never overwriting one.
 */
import { describe, expect, it } from 'vitest';
import type { IamPolicyDocument } from '../../../../src/api/contract.js';
import { bootstrap } from '../../../../src/cli/init/bootstrap.js';
import { loadPolicy } from '../../../../src/policy/parse.js';
import { ACCOUNT, FakeApi, harness, input, REGION } from './fakes.js';
import type { CliError } from '../../../../src/cli/errors.js';
import { CodedError } from '../../../../src/errors.js';

const TABLES = ['sentinel-config', 'sentinel-sessions', 'sentinel-requests', 'sentinel-breakglass'];
const PLANS = ['provision config sentinel-config plan', 'provision sessions sentinel-sessions plan', 'provision requests sentinel-requests plan', 'provision breakglass sentinel-breakglass plan'];

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

function allExisting(api: FakeApi): FakeApi {
  api.existing('sentinel-config', 'config').existing('sentinel-sessions', 'sessions').existing('sentinel-requests', 'requests').existing('sentinel-breakglass', 'breakglass');
  return api;
}

describe('init bootstrap on a fresh deployment', () => {
  it('creates config, sessions, requests, breakglass in that order, then pushes the starter policy as version 1', async () => {
    const api = new FakeApi('ops-erin');
    api.creatingPolls = 1;
    const { context, stdout } = harness(api);
    expect(await bootstrap({ yes: true }, context)).toBe(0);
    expect(api.calls).toEqual([
      'whoami',
      ...PLANS,
      // No config table yet: no policy can be stored, so none is asked for.
      'provision config sentinel-config',
      'status sentinel-config',
      'provision sessions sentinel-sessions',
      'status sentinel-sessions',
      'provision requests sentinel-requests',
      'status sentinel-requests',
      'provision breakglass sentinel-breakglass',
      'status sentinel-breakglass',
      'getPolicy',
      'putPolicy expectedVersion=0',
    ]);
    const pushed = api.pushed[0]!.text;
    expect(loadPolicy(pushed)).toMatchObject({ issues: [], policy: { admins: ['ops-erin'], rules: [] } });
    const out = stdout.text();
    for (const table of TABLES) expect(out).toContain(`Table ${table} is ready: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}\n`);
    expect(out).toContain('Policy: pushed the starter policy as version 1, naming ops-erin as the only admin; it allows nothing yet.');
    expect(out).toContain('sentinel exec --server --session-table sentinel-sessions --profile <profile> -- <command>');
  });

  it('shows the whole plan and asks once: "Create these 4 tables and push the starter policy? [y/N]"', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api, { stdin: input({ isTTY: true, typed: 'y\n' }) });
    expect(await bootstrap({}, context)).toBe(0);
    expect(stderr.text().match(/\? \[y\/N\] /g)).toHaveLength(1);
    expect(stderr.text()).toContain('Create these 4 tables and push the starter policy? [y/N] ');
    for (const table of TABLES) expect(stdout.text()).toContain(`Table ${table} (`);
    expect(stdout.text()).toContain('Policy: none stored yet; a starter policy naming ops-erin as the only admin would be pushed as version 1.');
  });

  it('creates nothing and pushes nothing when the answer is no', async () => {
    const api = new FakeApi();
    const { context } = harness(api, { stdin: input({ isTTY: true, typed: 'n\n' }) });
    expect((await failure(bootstrap({}, context))).code).toBe('NOT_CONFIRMED');
    expect(api.calls).toEqual(['whoami', ...PLANS]);
  });

  it('refuses with the --yes hint when stdin is not a terminal', async () => {
    const api = new FakeApi();
    const error = await failure(bootstrap({}, harness(api).context));
    expect(error.code).toBe('CONFIRMATION_REQUIRED');
    expect(error.message).toMatch(/run again with --yes: sentinel init bootstrap --yes$/);
    expect(api.tables.size).toBe(0);
  });
});

describe('init bootstrap where things exist', () => {
  it('never overwrites a stored policy, and asks nothing when every table exists', async () => {
    const api = allExisting(new FakeApi());
    api.policy = { text: 'version: "1"\nrules: []\n', version: 7 };
    const { context, stdout, stderr } = harness(api);
    expect(await bootstrap({}, context)).toBe(0);
    expect(api.calls).not.toContain('putPolicy expectedVersion=0');
    expect(api.policy.version).toBe(7);
    expect(stdout.text()).toContain('Policy: version 7 was already stored; left as it is.');
    expect(stderr.text()).toBe('');
  });

  it('asks only about the missing table: "Create this table? [y/N]"', async () => {
    const api = new FakeApi().existing('sentinel-config', 'config').existing('sentinel-sessions', 'sessions').existing('sentinel-requests', 'requests');
    api.policy = { text: 'version: "1"\nrules: []\n', version: 2 };
    const { context, stderr } = harness(api, { stdin: input({ isTTY: true, typed: 'yes\n' }) });
    expect(await bootstrap({}, context)).toBe(0);
    expect(stderr.text()).toContain('Create this table? [y/N] ');
    expect(api.calls.filter((call) => call.startsWith('status'))).toEqual(['status sentinel-breakglass', 'status sentinel-breakglass']);
  });

  it('leaves a policy someone stored while the tables were being created', async () => {
    const api = new FakeApi();
    api.storeBeforePush = 'version: "1"\nrules: []\nadmins: [someone-else]\n';
    const { context, stdout } = harness(api);
    expect(await bootstrap({ yes: true }, context)).toBe(0);
    expect(api.policy?.text).toBe('version: "1"\nrules: []\nadmins: [someone-else]\n');
    expect(stdout.text()).toContain('Policy: version 1 was already stored; left as it is.');
  });

  it('stops before changing anything when a table has drifted, and exits 1', async () => {
    const api = new FakeApi().existing('sentinel-config', 'config').existing('sentinel-sessions', 'sessions', [{ kind: 'missing_index', message: 'index by-user is missing' }]);
    const { context, stdout, stderr } = harness(api);
    expect(await bootstrap({ yes: true }, context)).toBe(1);
    expect(api.calls).toEqual(['whoami', ...PLANS, 'getPolicy']);
    expect(stdout.text()).toContain('Table sentinel-sessions (sessions) exists but differs from its schema:\n  - index by-user is missing\n');
    expect(stdout.text()).not.toContain('--plan mode');
    expect(stderr.text()).toMatch(/^sentinel: sentinel-sessions differs from the sessions schema/);
  });
});

describe('init bootstrap --plan and --generate-iam', () => {
  it('--plan shows all four plans and the policy step, changes nothing', async () => {
    const api = new FakeApi().existing('sentinel-config', 'config');
    api.policy = { text: 'version: "1"\nrules: []\n', version: 3 };
    const { context, stdout } = harness(api);
    expect(await bootstrap({ plan: true }, context)).toBe(0);
    expect(api.calls).toEqual(['whoami', ...PLANS, 'getPolicy']);
    const out = stdout.text();
    expect(out).toContain('Table sentinel-config (config) exists and matches its schema: nothing to create.');
    expect(out).toContain('Table sentinel-breakglass (breakglass) does not exist. It would be created with:');
    expect(out).toContain('Policy: version 3 is stored; it is left as it is.');
    expect(out.endsWith('\nNo changes made (--plan mode)\n')).toBe(true);
  });

  it('--plan with --output json prints the four plans and the policy step', async () => {
    const api = new FakeApi();
    const { context, stdout } = harness(api, { format: 'json' });
    expect(await bootstrap({ plan: true }, context)).toBe(0);
    const answer = JSON.parse(stdout.text()) as { tables: { table: string; plan: { action: string } }[]; policy: unknown };
    expect(answer.tables.map((table) => [table.table, table.plan.action])).toEqual(TABLES.map((table) => [table, 'create']));
    expect(answer.policy).toEqual({ status: 'push', version: 0, admin: 'ops-erin' });
  });

  it('--generate-iam prints one document with both statements of each of the four tables', async () => {
    const api = new FakeApi();
    const { context, stdout, stderr } = harness(api);
    expect(await bootstrap({ generateIam: true }, context)).toBe(0);
    expect(stderr.text()).toBe('');
    const document = JSON.parse(stdout.text()) as IamPolicyDocument;
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement.map((statement) => [statement.Sid, statement.Resource[0]])).toEqual([
      ['SentinelConfigTableProvisioning', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-config`],
      ['SentinelConfigTableOperations', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-config`],
      ['SentinelSessionTableProvisioning', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-sessions`],
      ['SentinelSessionTableOperations', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-sessions`],
      ['SentinelRequestsTableProvisioning', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-requests`],
      ['SentinelRequestsTableOperations', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-requests`],
      ['SentinelBreakglassTableProvisioning', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-breakglass`],
      ['SentinelBreakglassTableOperations', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sentinel-breakglass`],
    ]);
  });
});
