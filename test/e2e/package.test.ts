/**
 * `serverless package` (osls + serverless-esbuild) on a scratch copy of the checkout,
 * with no AWS credentials: packaging must stay offline, and what it produces is what
 * `serverless deploy` would upload.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, ROUTES as API_ROUTES, routeKey, routesOf } from '../../src/api/routes.js';
import { SCHEDULED_FUNCTIONS } from '../../src/compose/lambda.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Each function and the route keys it serves, from the one route table. */
const ROUTES: Record<string, string[]> = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, routesOf(name).map((route) => routeKey(API_ROUTES[route]))]));

/** The notification statement every state-changing role carries (docs/notifications.md). */
const NOTIFY = ['secretsmanager:GetSecretValue', 'sns:Publish', 'ssm:GetParameter'];

/** Every function, HTTP or scheduled. */
const ALL_FUNCTIONS: readonly string[] = [...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS];

/** The provisioning statements of serverless.yml and their actions: nothing that alters or deletes a live table. */
const PROVISIONING: Record<string, string[]> = {
  SentinelProvisionCreateTables: ['dynamodb:CreateTable', 'dynamodb:TagResource'],
  SentinelProvisionDescribeTables: ['dynamodb:DescribeContinuousBackups', 'dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive'],
  SentinelProvisionFinishTables: ['dynamodb:UpdateContinuousBackups', 'dynamodb:UpdateTimeToLive'],
};

/** The minimal surface of yauzl (shipped with osls, the packager under test; it has no bundled types). */
interface ZipFile {
  on(event: 'entry', listener: (entry: { fileName: string }) => void): void;
  on(event: 'end', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  openReadStream(entry: { fileName: string }, callback: (error: Error | null, stream: NodeJS.ReadableStream) => void): void;
}
interface Yauzl {
  open(file: string, options: { lazyEntries: boolean }, callback: (error: Error | null, zip: ZipFile) => void): void;
}
const yauzl = createRequire(path.join(ROOT, 'node_modules', 'osls', 'package.json'))('yauzl') as Yauzl;

/** Every file in a zip, with its contents. */
function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false }, (openError, zip) => {
      if (openError) return reject(openError);
      const files = new Map<string, Buffer>();
      const pending: Promise<void>[] = [];
      zip.on('error', reject);
      zip.on('entry', (entry) => {
        pending.push(
          new Promise((done, fail) => {
            zip.openReadStream(entry, (streamError, stream) => {
              if (streamError) return fail(streamError);
              const chunks: Buffer[] = [];
              stream.on('data', (chunk: Buffer) => chunks.push(chunk));
              stream.on('error', fail);
              stream.on('end', () => {
                files.set(entry.fileName, Buffer.concat(chunks));
                done();
              });
            });
          }),
        );
      });
      zip.on('end', () => {
        Promise.all(pending).then(() => resolve(files), reject);
      });
    });
  });
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The caller's environment without any way to reach AWS: no credentials, profile or instance metadata. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('SENTINEL_')) env[key] = value;
  }
  return {
    ...env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(tmpdir(), 'sentinel-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'sentinel-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

let work: string;
let output: string;
let template: Template;
let packaging: { code: number | null; output: string };

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sentinel-package-'));
  const copy = path.join(work, 'checkout');
  output = path.join(work, 'package');
  for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'src']) {
    await cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  packaging = await run(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--stage', 'test', '--package', output],
    { cwd: copy, env: offlineEnv() },
  );
  if (packaging.code === 0) {
    template = JSON.parse(await readFile(path.join(output, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }
}, 240_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

function resources(type: string) {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

function statements(): Statement[] {
  const inline = resources('AWS::IAM::Role').flatMap((role) => (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]);
  const managed = resources('AWS::IAM::Policy').map((policy) => policy.Properties as { PolicyDocument: { Statement: Statement[] } });
  return [...inline, ...managed].flatMap((policy) => policy.PolicyDocument.Statement);
}

/** The statements of one role (by logical id), Sid → sorted actions; osls's unnamed logging statements under "logs". */
function roleActions(logicalId: string): Record<string, string[]> {
  const role = template.Resources[logicalId];
  const policies = (role?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const actions: Record<string, string[]> = {};
  for (const statement of policies.flatMap((policy) => policy.PolicyDocument.Statement)) {
    const sid = statement.Sid ?? 'logs';
    actions[sid] = [...(actions[sid] ?? []), ...list(statement.Action)].sort();
  }
  return actions;
}

/** The logical id of the role a function (by handler) runs as. */
function roleOf(name: string): string | undefined {
  const fn = resources('AWS::Lambda::Function').find((resource) => resource.Properties.Handler === `functions/${name}.handler`);
  return referencedIds(fn?.Properties.Role)[0];
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical ids a CloudFormation value refers to (`Ref`, `Fn::GetAtt`), in order. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return [record.Ref];
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(record).flatMap(referencedIds);
}

describe('serverless package', () => {
  it('packages offline, without AWS credentials', () => {
    // Any AWS call (an ${aws:...} variable, a CloudFormation lookup) would fail for want of credentials.
    expect(packaging.code, packaging.output).toBe(0);
  });

  it('produces one zip per function holding its ES module bundle', async () => {
    for (const name of ALL_FUNCTIONS) {
      const files = await unzip(path.join(output, `${name}.zip`));
      expect([...files.keys()].sort()).toEqual([`functions/${name}.mjs`, `functions/${name}.mjs.map`]);
      const bundle = files.get(`functions/${name}.mjs`)?.toString('utf8') ?? '';
      // The createRequire banner: bundled CommonJS dependencies need `require` inside an ES module.
      expect(bundle.startsWith("import { createRequire as __sentinelCreateRequire } from 'node:module';")).toBe(true);
    }
  });

  it('wires each function to its route, every route AWS_IAM-authorised', () => {
    const routes = resources('AWS::ApiGatewayV2::Route').map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType]);
    expect(routes.sort()).toEqual(Object.values(ROUTES).flat().map((key) => [key, 'AWS_IAM']).sort());

    const handlers = resources('AWS::Lambda::Function').map((fn) => fn.Properties.Handler);
    expect(handlers.sort()).toEqual(ALL_FUNCTIONS.map((name) => `functions/${name}.handler`).sort());

    // Route → integration → function: each route reaches the function the table names.
    const served: Array<[string, unknown]> = resources('AWS::ApiGatewayV2::Route').map((route) => {
      const integration = template.Resources[referencedIds(route.Properties.Target)[0] ?? ''];
      const fn = template.Resources[referencedIds(integration?.Properties.IntegrationUri)[0] ?? ''];
      return [String(route.Properties.RouteKey), fn?.Properties.Handler];
    });
    const expected = Object.entries(ROUTES).flatMap(([name, keys]) => keys.map((key): [string, unknown] => [key, `functions/${name}.handler`]));
    expect(served.sort()).toEqual(expected.sort());
  });

  it('runs the sweep every 5 minutes from an EventBridge rule, with no route and no Lambda retries', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const target = (rules[0]?.Properties.Targets as Array<{ Arn: unknown }>)[0];
    const fn = template.Resources[referencedIds(target?.Arn)[0] ?? ''];
    expect(fn?.Properties.Handler).toBe('functions/sweep.handler');
    const invokeConfig = resources('AWS::Lambda::EventInvokeConfig').map((config) => config.Properties.MaximumRetryAttempts);
    expect(invokeConfig).toEqual([0]);
  });

  it('gives the revoke function and the sweep roles of their own; every other function shares the execution role', () => {
    for (const name of FUNCTION_NAMES) {
      expect(roleOf(name), name).toBe(name === 'revokeSessions' ? 'RevokeSessionsRole' : 'IamRoleLambdaExecution');
    }
    expect(roleOf('sweep')).toBe('SweepRole');
  });

  it('grants each role exactly its statements: DynamoDB on prefixed tables only, Scan only of the by-active index, role policies only to the revocation roles', () => {
    expect(roleActions('IamRoleLambdaExecution')).toEqual({
      logs: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents', 'logs:TagResource'].sort(),
      SentinelTableItems: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      ...PROVISIONING,
      SentinelAssumeProfileRoles: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
      SentinelReadIdentityCenterRoles: ['iam:GetRole'],
      SentinelNotify: NOTIFY,
    });
    expect(roleActions('RevokeSessionsRole')).toEqual({
      SentinelRevokeSessionsLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      SentinelRevokeSessionsItems: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      SentinelRevokeSessionsLedger: ['dynamodb:DeleteItem'],
      SentinelWriteRevocationPolicies: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
      SentinelAssumeRevokerRoles: ['sts:AssumeRole'],
      SentinelReadIdentityCenterRoles: ['iam:GetRole'],
      SentinelNotify: NOTIFY,
    });
    expect(roleActions('SweepRole')).toEqual({
      SentinelSweepLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      SentinelSweepActiveIndex: ['dynamodb:Scan'],
      SentinelSweepItems: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      SentinelSweepLedger: ['dynamodb:DeleteItem', 'dynamodb:Query'],
      SentinelWriteRevocationPolicies: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
      SentinelAssumeRevokerRoles: ['sts:AssumeRole'],
      SentinelNotify: NOTIFY,
    });
    // Notifications reach only the deployment's own sentinel-* topics and secrets.
    for (const statement of statements().filter((candidate) => candidate.Sid === 'SentinelNotify')) {
      expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
      for (const resource of list(statement.Resource)) expect(JSON.stringify(resource)).toMatch(/\$\{AWS::AccountId\}:(sentinel-\*|secret:sentinel-\*|parameter\/sentinel\/\*)"/);
    }
    const dynamodb = statements().filter((statement) => list(statement.Action).some((action) => action.startsWith('dynamodb:')));
    for (const statement of dynamodb) {
      const resources = list(statement.Resource);
      expect(resources).not.toContain('*');
      for (const resource of resources) {
        // The deployment's prefix, the config table, or the sweep's index: never another table.
        expect(JSON.stringify(resource), statement.Sid).toMatch(/:table\/(sentinel-\*|sentinel-config|sentinel-\*\/index\/by-(active|pending))"/);
      }
      if (list(statement.Action).includes('dynamodb:Scan')) for (const resource of resources) expect(JSON.stringify(resource)).toMatch(/\/index\/by-(active|pending)"/);
      if (list(statement.Action).includes('dynamodb:DeleteItem')) expect(JSON.stringify(resources)).toMatch(/:table\/sentinel-config"/);
    }
    const rolePolicies = statements().filter((statement) => list(statement.Action).some((action) => action.endsWith('RolePolicy')));
    for (const statement of rolePolicies) expect(JSON.stringify(statement.Resource)).toMatch(/:iam::\$\{AWS::AccountId\}:role\/sentinel-\*"/);
  });

  it('lets the functions assume only the configured roles, with source identity and session tags, and the revocation roles only the revoker roles', () => {
    const sts = statements().filter((statement) => list(statement.Action).some((action) => action.startsWith('sts:')));
    expect(sts).toEqual([
      {
        Sid: 'SentinelAssumeProfileRoles',
        Effect: 'Allow',
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Resource: 'arn:aws:iam::*:role/sentinel-*',
      },
      ...[1, 2].map(() => ({ Sid: 'SentinelAssumeRevokerRoles', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/sentinel-revoker' }] })),
    ]);
  });

  it('ships a configuration the bundles accept: each loads and exports its handler', async () => {
    const credentials = resources('AWS::Lambda::Function').find((fn) => fn.Properties.Handler === 'functions/credentials.handler');
    const variables = (credentials?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      SENTINEL_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions',
      SENTINEL_CONFIG_TABLE: 'sentinel-config',
      SENTINEL_POLICY_TTL: '10',
    });

    // What Lambda would set: the template's variables with the account resolved, plus the region.
    const env: NodeJS.ProcessEnv = { ...offlineEnv(), AWS_REGION: 'us-east-1' };
    for (const [key, value] of Object.entries(variables)) env[key] = typeof value === 'string' ? value : '111122223333';
    const directory = await mkdtemp(path.join(work, 'unzipped-'));
    for (const name of ALL_FUNCTIONS) {
      const files = await unzip(path.join(output, `${name}.zip`));
      const file = path.join(directory, `${name}.mjs`);
      await writeFile(file, files.get(`functions/${name}.mjs`) ?? '');
      const loaded = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`], {
        cwd: directory,
        env,
      });
      expect(loaded.output.trim(), name).toBe('function');
    }
  });
});
