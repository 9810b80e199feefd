/**
 * Each function's IAM role against what its code calls — no more, no less.
 *
 * Every function is composed exactly as its Lambda entry composes it, each on a runtime
 * of its own, against DynamoDB Local (every command recorded at the client) and mocked
 * STS, IAM, SNS and Secrets Manager (aws-sdk-client-mock records theirs). A scenario
 * drives every route: tables provisioned through the provision function, a policy
 * pushed, credentials issued and refreshed, requests approved, break-glass invoked,
 * sessions revoked in this account and another, the sweep run a day later. Each call
 * becomes the IAM actions and resource ARNs AWS would authorise, and is checked against
 * the role src/deploy/template.ts renders for that function:
 *
 * - every call is allowed by an Allow statement and by no Deny;
 * - every action/resource pair of every Allow statement is used by some call (the
 *   `Logs` statement is the Lambda runtime's, not the code's, and is checked in
 *   test/e2e/package.test.ts instead).
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/routes.js';
import type { RouteName } from '../../src/api/routes.js';
import { loadConfig } from '../../src/config.js';
import { dynamoClients } from '../../src/compose/dynamo.js';
import { FUNCTIONS } from '../../src/compose/index.js';
import { composeFunction } from '../../src/compose/lambda.js';
import { createRuntime } from '../../src/compose/runtime.js';
import type { Runtime } from '../../src/compose/runtime.js';
import { sweepFunction } from '../../src/compose/sweep.js';
import type { HttpHandler } from '../../src/http/handler.js';
import { DynamoRevocationLedger } from '../../src/sessions/DynamoRevocationLedger.js';
import { DEPLOYED_FUNCTIONS, roleStatements, settingsFromParams } from '../../src/deploy/template.js';
import type { DeployedFunction, IamStatement } from '../../src/deploy/template.js';
import { dynamodbEndpoint, testClients } from './dynamodb.js';
import { invokeRoute } from '../support/apiCall.js';
import type { Answer, Caller, CallOptions } from '../support/apiCall.js';

const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '222233334444';
const REGION = 'us-east-1';
const PREFIX = `sentinel-perm${randomBytes(3).toString('hex')}-`;
const TABLES = { config: `${PREFIX}config`, sessions: `${PREFIX}sessions`, team: `${PREFIX}team-sessions`, requests: `${PREFIX}requests`, breakglass: `${PREFIX}breakglass` };
const SNS_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:sentinel-events`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:sentinel-webhook-AbCdEf`;
/** The profile roles of the scenario, by name (IAM calls carry only the name; the account is the fixture's). */
const ROLES: Record<string, string> = {
  'sentinel-dev': `arn:aws:iam::${ACCOUNT}:role/sentinel-dev`,
  'sentinel-gated': `arn:aws:iam::${ACCOUNT}:role/sentinel-gated`,
  'sentinel-other': `arn:aws:iam::${OTHER_ACCOUNT}:role/sentinel-other`,
};
const SSO_ROLE = 'AWSReservedSSO_Engineer_0123456789abcdef';
const SSO_ROLE_ID = 'AROAENGINEER000000001';

const POLICY = `version: "1"
profiles:
  dev: { role_arn: "${ROLES['sentinel-dev']}", max_duration: 1h }
  other: { role_arn: "${ROLES['sentinel-other']}", max_duration: 1h }
  gated: { role_arn: "${ROLES['sentinel-gated']}", max_duration: 1h }
rules:
  - name: engineers
    effect: allow
    conditions: { profiles: [dev, other], users: [alice, bob] }
  - name: gated-needs-approval
    effect: require_approval
    conditions: { profiles: [gated], users: [alice, bob] }
approvals:
  - name: gated-approvers
    profiles: [gated]
    approvers: [bob]
    max_duration: 1h
breakglass:
  - name: oncall
    profiles: [gated]
    users: [alice]
    reason_codes: [incident]
    max_duration: 1h
admins: [iam:admin]
`;

// ---------------------------------------------------------------- recording

interface Call {
  action: string;
  resource: string;
}
const calls = new Map<DeployedFunction, Call[]>();
/** The function whose code is running now (the scenario calls one at a time). */
let current: DeployedFunction | undefined;

function record(action: string, resource: string): void {
  if (current === undefined) throw new Error(`an AWS call (${action} on ${resource}) outside any function`);
  const list = calls.get(current) ?? [];
  list.push({ action, resource });
  calls.set(current, list);
}

const tableArn = (table: string, index?: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}${index === undefined ? '' : `/index/${index}`}`;

/** What IAM authorises for one DynamoDB command (low-level input, as the client sends it). */
function recordDynamo(command: string, input: Record<string, unknown>): void {
  const table = input.TableName as string | undefined;
  const index = input.IndexName as string | undefined;
  const plain: Record<string, string> = {
    GetItemCommand: 'GetItem', PutItemCommand: 'PutItem', UpdateItemCommand: 'UpdateItem', DeleteItemCommand: 'DeleteItem',
    QueryCommand: 'Query', ScanCommand: 'Scan', CreateTableCommand: 'CreateTable', DescribeTableCommand: 'DescribeTable',
    DescribeTimeToLiveCommand: 'DescribeTimeToLive', DescribeContinuousBackupsCommand: 'DescribeContinuousBackups',
    UpdateTimeToLiveCommand: 'UpdateTimeToLive', UpdateContinuousBackupsCommand: 'UpdateContinuousBackups',
  };
  if (command === 'TransactWriteItemsCommand') {
    // IAM authorises a transaction per item: Put → PutItem, Update → UpdateItem, ….
    const actions: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
    for (const item of input.TransactItems as Array<Record<string, { TableName: string }>>) {
      for (const [kind, body] of Object.entries(item)) record(`dynamodb:${actions[kind] ?? kind}`, tableArn(body.TableName));
    }
    return;
  }
  const action = plain[command];
  if (action === undefined || table === undefined) throw new Error(`the permission test does not know DynamoDB's ${command}: teach recordDynamo its IAM actions`);
  record(`dynamodb:${action}`, tableArn(table, index));
  // Tags given to CreateTable are authorised as TagResource too.
  if (command === 'CreateTableCommand' && Array.isArray(input.Tags) && input.Tags.length > 0) record('dynamodb:TagResource', tableArn(table));
}

/** Every DynamoDB command a runtime's clients send, recorded under the running function. */
function recordDynamoOf(runtime: Runtime): void {
  dynamoClients(runtime).dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      recordDynamo(String(context.commandName), args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'sentinelPermissionRecorder', priority: 'low' },
  );
}

// ---------------------------------------------------------------- mocked AWS

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const rolePolicies = new Map<string, string>();

function roleArnOf(roleName: string): string {
  const arn = ROLES[roleName];
  if (arn === undefined) throw new Error(`IAM call on unexpected role ${roleName}`);
  return arn;
}

/**
 * An IAM call on a role of this account is the function's own; one on a role of another
 * account is made as that account's sentinel-revoker role, which the function assumed
 * (src/aws/IamRoleRevoker.ts): the function's role needs only the AssumeRole.
 */
function recordIam(action: string, roleName: string): void {
  const arn = roleArnOf(roleName);
  const account = arn.split(':')[4] ?? '';
  if (account === ACCOUNT) record(action, arn);
  else record('sts:AssumeRole', `arn:aws:iam::${account}:role/sentinel-revoker`);
}

/** IAM refuses the next PutRolePolicy on `roleName` once, as a throttled call. */
const throttleNextPut = new Set<string>();

function mockAws(): void {
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string; SourceIdentity?: string; Tags?: unknown[]; DurationSeconds?: number }) => {
    record('sts:AssumeRole', input.RoleArn);
    if (input.SourceIdentity !== undefined) record('sts:SetSourceIdentity', input.RoleArn);
    if (input.Tags !== undefined && input.Tags.length > 0) record('sts:TagSession', input.RoleArn);
    const expiration = new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000);
    return { Credentials: { AccessKeyId: 'ASIAPERMISSIONTEST01', SecretAccessKey: 'permission-test-secret', SessionToken: 'permission-test-token', Expiration: expiration } };
  });
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${input.RoleName}`;
    record('iam:GetRole', arn);
    return { Role: { RoleName: input.RoleName, RoleId: SSO_ROLE_ID, Arn: arn, Path: '/aws-reserved/sso.amazonaws.com/', CreateDate: new Date() } };
  });
  iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string; PolicyName: string }) => {
    recordIam('iam:GetRolePolicy', input.RoleName);
    const document = rolePolicies.get(input.RoleName);
    if (document === undefined) throw Object.assign(new Error('no such policy'), { name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
    return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { RoleName: string; PolicyDocument: string }) => {
    recordIam('iam:PutRolePolicy', input.RoleName);
    if (throttleNextPut.delete(input.RoleName)) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    rolePolicies.set(input.RoleName, input.PolicyDocument);
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake((input: { RoleName: string }) => {
    recordIam('iam:DeleteRolePolicy', input.RoleName);
    rolePolicies.delete(input.RoleName);
    return {};
  });
  sns.on(PublishCommand).callsFake((input: { TopicArn: string }) => {
    record('sns:Publish', input.TopicArn);
    return { MessageId: 'm-1' };
  });
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    record('secretsmanager:GetSecretValue', input.SecretId);
    return { SecretString: 'permission-test-webhook-secret-0123456789' };
  });
}

// ---------------------------------------------------------------- the deployment

let webhook: ReturnType<typeof createServer>;
let webhookUrl: string;
const handlers = new Map<string, HttpHandler>();
let sweepNow: () => Promise<unknown>;
let sweepTomorrow: () => Promise<unknown>;
const DAY_MS = 86_400_000;

function environment(): Record<string, string> {
  return {
    AWS_REGION: REGION,
    SENTINEL_ACCOUNT_ID: ACCOUNT,
    SENTINEL_TABLE_PREFIX: PREFIX,
    SENTINEL_CONFIG_TABLE: TABLES.config,
    SENTINEL_REQUESTS_TABLE: TABLES.requests,
    SENTINEL_BREAKGLASS_TABLE: TABLES.breakglass,
    SENTINEL_DEFAULT_SESSION_TABLE: TABLES.sessions,
    SENTINEL_BOOTSTRAP_ADMINS: 'iam:admin',
    SENTINEL_POLICY_TTL: '0',
    SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
    SENTINEL_SNS_TOPIC_ARN: SNS_TOPIC,
    SENTINEL_WEBHOOK_URL: webhookUrl,
    SENTINEL_WEBHOOK_SECRET_ARN: SECRET,
  };
}

function runtimeFor(clock?: { now(): Date }): Runtime {
  const runtime = createRuntime(loadConfig(environment()), {
    dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    logger: new Logger({ serviceName: 'sentinel', logLevel: 'SILENT' }),
    ...(clock === undefined ? {} : { clock }),
  });
  recordDynamoOf(runtime);
  return runtime;
}

// ---------------------------------------------------------------- callers and events

type Identity = Caller;
const ADMIN: Identity = { arn: `arn:aws:iam::${ACCOUNT}:user/admin`, userId: 'AIDAADMIN00000000001', accountId: ACCOUNT };
const person = (name: string): Identity => ({ arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/${name}`, userId: `${SSO_ROLE_ID}:${name}`, accountId: ACCOUNT });
const ALICE = person('alice');
const BOB = person('bob');

let requestCounter = 0;
async function call(route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Answer> {
  const spec = ROUTES[route];
  const handler = handlers.get(spec.function);
  if (handler === undefined) throw new Error(`no handler for ${spec.function}`);
  requestCounter += 1;
  current = spec.function;
  try {
    return await invokeRoute(handler, route, caller, options, { accountId: ACCOUNT, apiId: 'permissions', requestId: `perm-${requestCounter}`, accessKey: 'AKIAPERMISSIONS00001' });
  } finally {
    current = undefined;
  }
}

/** A call that must succeed; its answer. */
async function ok(route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Record<string, unknown>> {
  const answer = await call(route, caller, options);
  if (answer.status >= 300) throw new Error(`${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// ---------------------------------------------------------------- the scenario

async function provisionTables(): Promise<void> {
  for (const [kind, table] of [['config', TABLES.config], ['sessions', TABLES.sessions], ['sessions', TABLES.team], ['requests', TABLES.requests], ['breakglass', TABLES.breakglass]] as const) {
    await ok('provision', ADMIN, { body: { kind, table, plan: true } });
    await ok('provision', ADMIN, { body: { kind, table } });
    for (let attempt = 0; ; attempt += 1) {
      const status = await ok('provisionStatus', ADMIN, { path: { table }, query: { kind } });
      if (status.status === 'READY') break;
      if (attempt > 50) throw new Error(`${table} never became READY: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await ok('iamPolicy', ADMIN, { query: { kind: 'sessions', table: TABLES.sessions } });
}

async function issue(caller: Identity, profile: string, mode: 'cli' | 'server', sessionId?: string): Promise<Record<string, unknown>> {
  return ok('credentials', caller, { body: { profile, mode, ...(sessionId === undefined ? {} : { sessionId }) } });
}

const sessionIdOf = (answer: Record<string, unknown>): string => ((answer.session as { id: string } | undefined)?.id ?? '');

async function sweep(run: () => Promise<unknown>): Promise<void> {
  current = 'sweep';
  try {
    await run();
  } finally {
    current = undefined;
  }
}

/**
 * A revoke that stopped after its conditional update (the ledger entry only intended):
 * written with the test's own clients, so nothing is recorded; the sweep must finish it.
 */
async function interruptedRevoke(sessionId: string): Promise<void> {
  const { documents } = testClients();
  const revokedAt = new Date().toISOString();
  await documents.send(
    new UpdateCommand({
      TableName: TABLES.sessions,
      Key: { id: sessionId },
      UpdateExpression: 'SET #status = :revoked, revoked_at = :at, revoked_by = :by, revoked_reason = :why REMOVE active_user',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':at': revokedAt, ':by': 'iam:admin', ':why': 'permission test: interrupted' },
    }),
  );
  await new DynamoRevocationLedger(documents, TABLES.config).intend([{ sessionId, sessionTable: TABLES.sessions, revokedAt }]);
}

async function scenario(): Promise<void> {
  await provisionTables();
  await ok('putPolicy', ADMIN, { body: { text: POLICY, expectedVersion: 0 } });
  await ok('getPolicy', ADMIN);
  await ok('evaluatePolicy', ALICE, { body: { profile: 'dev', mode: 'cli' } });
  await ok('whoami', ALICE);
  await ok('profiles', ALICE);
  // Any caller may be a person, so every HTTP function resolves Identity Center roles: refused here, but looked up.
  expect((await call('getPolicy', ALICE)).status).toBe(403);
  expect((await call('putPolicy', ALICE, { body: { text: POLICY, expectedVersion: 1 } })).status).toBe(403);
  expect((await call('provisionStatus', ALICE, { path: { table: TABLES.sessions }, query: { kind: 'sessions' } })).status).toBe(403);
  expect((await call('revokeSessions', ALICE, { body: { user: 'bob', reason: 'permission test: not an admin' } })).status).toBe(403);

  // Issuance, a server-mode session and its refresh, a session in another account's role.
  await issue(ALICE, 'dev', 'cli');
  const server = sessionIdOf(await issue(ALICE, 'dev', 'server'));
  await issue(ALICE, 'dev', 'server', server);
  const elsewhere = sessionIdOf(await issue(ALICE, 'other', 'server'));
  const ended = sessionIdOf(await issue(ALICE, 'dev', 'server'));
  const interrupted = sessionIdOf(await issue(ALICE, 'dev', 'server'));
  await ok('checkSession', ALICE, { path: { id: server }, body: { profile: 'dev' } });
  // Refused by the policy alone: the grants are read.
  expect((await call('credentials', ALICE, { body: { profile: 'gated', mode: 'cli' } })).status).toBe(403);

  // Access requests: approved, cancelled, denied, one left pending for the sweep.
  const approved = (await ok('createRequest', ALICE, { body: { profile: 'gated', justification: 'permission test: fix the pipeline' } })).request as { id: string };
  await ok('listRequests', BOB, { query: { scope: 'approvable' } });
  await ok('showRequest', BOB, { path: { id: approved.id } });
  await ok('approveRequest', BOB, { path: { id: approved.id }, body: {} });
  await issue(ALICE, 'gated', 'cli');
  // A re-check the policy alone refuses reads the grants too.
  const gated = sessionIdOf(await issue(ALICE, 'gated', 'server'));
  await ok('checkSession', ALICE, { path: { id: gated }, body: { profile: 'gated' } });
  const cancelled = (await ok('createRequest', ALICE, { body: { profile: 'gated', justification: 'permission test: to cancel' } })).request as { id: string };
  await ok('cancelRequest', ALICE, { path: { id: cancelled.id } });
  const denied = (await ok('createRequest', ALICE, { body: { profile: 'gated', justification: 'permission test: to deny' } })).request as { id: string };
  await ok('denyRequest', BOB, { path: { id: denied.id }, body: {} });
  await ok('createRequest', ALICE, { body: { profile: 'gated', justification: 'permission test: left pending' } });

  // Break-glass: invoke, list, close.
  const event = (await ok('invokeBreakglass', ALICE, { body: { profile: 'gated', reasonCode: 'incident', justification: 'permission test: pager went off' } })).event as { id: string };
  await ok('listBreakglass', ALICE);
  await ok('closeBreakglass', ALICE, { path: { id: event.id }, body: { reason: 'permission test: resolved' } });

  // Sessions: listings, show, end (and a refused second end, in a named table), revoke here and elsewhere, bulk revoke.
  await ok('listSessions', ALICE);
  await ok('listSessions', ADMIN, { query: { profile: 'dev' } });
  await ok('showSession', ALICE, { path: { id: server } });
  await ok('endSession', ALICE, { path: { id: ended }, body: {} });
  expect((await call('endSession', ALICE, { path: { id: ended }, body: {} })).body).toMatchObject({ error: { code: 'SESSION_ENDED' } });
  // A session that does not exist, in a named (registered) table: the registry, then a read that finds nothing.
  expect((await call('endSession', ALICE, { path: { id: '0'.repeat(32) }, body: { sessionTable: TABLES.team } })).status).toBe(404);
  await ok('revokeSession', ADMIN, { path: { id: server }, body: { reason: 'permission test' } });
  await ok('revokeSession', ADMIN, { path: { id: elsewhere }, body: { reason: 'permission test: other account' } });
  // IAM throttles this one: its AWS side stays pending for the sweep.
  throttleNextPut.add('sentinel-gated');
  await ok('revokeSession', ADMIN, { path: { id: gated }, body: { reason: 'permission test: pending' } });
  // Ended already: refused, and its ledger entry dropped again.
  expect((await call('revokeSession', ADMIN, { path: { id: ended }, body: { reason: 'permission test: too late' } })).status).toBe(409);
  await issue(BOB, 'dev', 'server');
  await ok('revokeSessions', ADMIN, { body: { user: 'bob', reason: 'permission test: bulk' } });
  await interruptedRevoke(interrupted);

  // Now: the pending deny is retried, the interrupted revoke finished. A day later:
  // everything is overdue, and every revocation has outlived its credentials.
  await sweep(sweepNow);
  await sweep(sweepTomorrow);
}

// ---------------------------------------------------------------- IAM matching

const SUBSTITUTIONS: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT };

function resolve(resource: IamStatement['Resource'][number]): string {
  if (typeof resource === 'string') return resource;
  return resource['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    const value = SUBSTITUTIONS[name];
    if (value === undefined) throw new Error(`unknown pseudo parameter ${name}`);
    return value;
  });
}

/** IAM's glob: `*` any run of characters, `?` one. */
function globMatches(pattern: string, value: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(value);
}

const statementCovers = (statement: IamStatement, action: string, resource: string) =>
  statement.Action.some((candidate) => globMatches(candidate, action)) && statement.Resource.some((candidate) => globMatches(resolve(candidate), resource));

// ---------------------------------------------------------------- the test

let statements: Record<DeployedFunction, IamStatement[]>;

beforeAll(async () => {
  webhook = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  mockAws();

  for (const name of Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>) {
    handlers.set(name, composeFunction(runtimeFor(), name, FUNCTIONS[name] as never));
  }
  sweepNow = sweepFunction(runtimeFor());
  sweepTomorrow = sweepFunction(runtimeFor({ now: () => new Date(Date.now() + DAY_MS) }));

  statements = roleStatements(
    settingsFromParams('test', {
      tablePrefix: PREFIX,
      configTable: TABLES.config,
      assumableRoles: 'arn:aws:iam::*:role/sentinel-*',
      revocableRoles: 'sentinel-*',
      snsTopicArn: SNS_TOPIC,
      webhookSecretArn: SECRET,
    }),
  );
  await scenario();
}, 120_000);

afterAll(async () => {
  sts.restore();
  iam.restore();
  sns.restore();
  secrets.restore();
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
});

describe("each function's role against the AWS calls its code makes", () => {
  it.each(DEPLOYED_FUNCTIONS.map((name) => [name]))('%s: every call is allowed, and no denied call is made', (name) => {
    const made = calls.get(name) ?? [];
    expect(made.length, `${name} made no AWS call in the scenario`).toBeGreaterThan(0);
    const refused = made.filter(
      ({ action, resource }) =>
        !statements[name].some((statement) => statement.Effect === 'Allow' && statementCovers(statement, action, resource)) ||
        statements[name].some((statement) => statement.Effect === 'Deny' && statementCovers(statement, action, resource)),
    );
    expect(refused, `calls of ${name} its role does not allow`).toEqual([]);
  });

  it.each(DEPLOYED_FUNCTIONS.map((name) => [name]))('%s: every action and resource its role allows is used', (name) => {
    const made = calls.get(name) ?? [];
    const unused: string[] = [];
    for (const statement of statements[name]) {
      if (statement.Effect !== 'Allow' || statement.Sid === 'Logs') continue;
      for (const action of statement.Action) {
        for (const resource of statement.Resource) {
          const pattern = resolve(resource);
          if (!made.some((call) => call.action === action && globMatches(pattern, call.resource))) unused.push(`${statement.Sid}: ${action} on ${pattern}`);
        }
      }
    }
    expect(unused, `permissions of ${name} its code never used`).toEqual([]);
  });
});
