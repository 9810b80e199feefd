/**
 * The fault matrix's machinery (test/reliability/faults.test.ts): a deployment composed
 * in-process exactly as the Lambda entries compose it (as in
 * test/integration/permissions.test.ts), every AWS call of a target call recorded, and
 * one fault injected at one recorded call.
 *
 * - DynamoDB is DynamoDB Local. Each command is numbered once per `send` (an
 *   `initialize` middleware, outside the retry loop); the fault itself is a
 *   `deserialize` middleware at priority `low`. That is inside the retry loop
 *   (`retryMiddleware` is in `finalizeRequest`) and beneath `deserializerMiddleware`, in
 *   the place of the HTTP handler: the SDK parses the raw response it returns, classifies
 *   it, and retries it exactly as it would DynamoDB's (checked in the test: three
 *   attempts for a throttled call, the error names the adapters see).
 * - STS, IAM, SNS and Secrets Manager are aws-sdk-client-mock mocks. Several cells run
 *   at once (the SDK's throttling backoff alone is up to 3 s per throttled DynamoDB
 *   call), and a mock replaces `send` on the client class, so one dispatcher per command
 *   finds its cell through an AsyncLocalStorage context and answers as the clean mock or
 *   with the cell's fault (the SDK-shaped error `.rejects()` would throw, or the
 *   malformed output `.resolves()` would give). A mocked call is one attempt: the mock
 *   sits above the SDK's retry loop.
 * - Each cell gets a lane of its own tables, reset to the lane's base state (the policy
 *   pushed once) before the cell, and fresh runtimes (cold caches: identity roles, the
 *   webhook secret) for its setup and for its target call.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, IAMServiceException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { HttpResponse } from '@smithy/core/protocols';
import { mockClient } from 'aws-sdk-client-mock';
import { ROUTES } from '../../../src/api/routes.js';
import type { RouteName } from '../../../src/api/routes.js';
import type { Clock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { dynamoClients } from '../../../src/compose/dynamo.js';
import { FUNCTIONS } from '../../../src/compose/index.js';
import { composeFunction } from '../../../src/compose/lambda.js';
import { createRuntime } from '../../../src/compose/runtime.js';
import type { Runtime } from '../../../src/compose/runtime.js';
import { sweepFunction } from '../../../src/compose/sweep.js';
import type { TableKind } from '../../../src/provisioning/schemas.js';
import { createTestTable, dynamodbEndpoint, testClients } from '../../integration/dynamodb.js';
import { invokeRoute } from '../../support/apiCall.js';
import type { Answer, Caller, CallOptions } from '../../support/apiCall.js';
import { capturingLogger } from './logs.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const SNS_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:sentinel-events`;
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:sentinel-webhook-AbCdEf`;
/** The webhook's signing secret: must never reach a log line. */
export const WEBHOOK_SECRET = `faults-webhook-secret-${randomBytes(12).toString('hex')}`;
/**
 * Short enough that its sessions can be named as ordinary role sessions too
 * (`role:AWSReservedSSO_E_0a1b/alice`, within MAX_USER_LENGTH), so a "no" from IAM shows
 * as the policy's refusal rather than as an unrepresentable name.
 */
export const SSO_ROLE = 'AWSReservedSSO_E_0a1b';
const SSO_ROLE_ID = 'AROAENGINEER000000001';
export const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/sentinel-${name}`;

// ---------------------------------------------------------------- faults

export const FAULTS = ['throttling', 'internal', 'timeout', 'accessDenied', 'malformed'] as const;
export type Fault = (typeof FAULTS)[number];

/** In every injected message, so a body or log that repeats AWS's text is caught. */
export const FAULT_MARKER = 'injected-fault-7f3a';

/** The text AWS's error of each fault carries (names and messages), none of which may reach a response body. */
export const INJECTED_TEXT = [
  FAULT_MARKER,
  'ThrottlingException',
  'InternalServerError',
  'AccessDeniedException',
  'TimeoutError',
  'SyntaxError',
  'Unterminated string',
  'Deserialization error',
  'ServiceFailure',
  'InternalFailure',
  'AuthorizationError',
  'URI malformed',
];

const json = (text: string) => Readable.from([Buffer.from(text)]);
const DYNAMO_HEADERS = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'FAULTS0000000000000000000000000000000000000000000000' };

/**
 * What DynamoDB's endpoint answers for each fault, as raw HTTP (the SDK deserialises it);
 * a timeout is what NodeHttpHandler throws when `requestTimeout` passes
 * (`throwOnRequestTimeout`, src/aws/http.ts): no answer at all.
 */
function dynamoFault(fault: Fault): { response: HttpResponse } {
  const error = (statusCode: number, type: string, message: string) =>
    new HttpResponse({ statusCode, headers: DYNAMO_HEADERS, body: json(JSON.stringify({ __type: type, message: `${message} (${FAULT_MARKER})` })) });
  switch (fault) {
    case 'throttling':
      return { response: error(400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException', 'Rate of requests exceeds the allowed throughput.') };
    case 'internal':
      return { response: error(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error') };
    case 'accessDenied':
      return { response: error(400, 'com.amazon.coral.service#AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/fn/x is not authorized to perform this action`) };
    case 'malformed':
      // A 200 cut short: what a proxy or a dropped connection leaves of a real answer.
      return { response: new HttpResponse({ statusCode: 200, headers: DYNAMO_HEADERS, body: json(`{"Item":{"id":{"S":"${FAULT_MARKER}`) }) };
    case 'timeout':
      throw Object.assign(new Error(`@smithy/node-http-handler - the request socket timed out (${FAULT_MARKER})`), { name: 'TimeoutError' });
  }
}

type ServiceExceptionClass = new (options: { name: string; $fault: 'client' | 'server'; $metadata: Record<string, unknown>; message: string }) => Error;

/** The error a mocked service's SDK throws for `fault` (its own exception class, name, status and fault side). */
function mockedError(service: MockedService, fault: Exclude<Fault, 'malformed'>): Error {
  if (fault === 'timeout') return Object.assign(new Error(`@smithy/node-http-handler - the request socket timed out (${FAULT_MARKER})`), { name: 'TimeoutError' });
  const names: Record<MockedService, Record<'throttling' | 'internal' | 'accessDenied', [string, number]>> = {
    sts: { throttling: ['Throttling', 400], internal: ['InternalFailure', 500], accessDenied: ['AccessDenied', 403] },
    iam: { throttling: ['Throttling', 400], internal: ['ServiceFailureException', 500], accessDenied: ['AccessDenied', 403] },
    sns: { throttling: ['ThrottledException', 400], internal: ['InternalErrorException', 500], accessDenied: ['AuthorizationErrorException', 403] },
    secretsmanager: { throttling: ['ThrottlingException', 400], internal: ['InternalServiceError', 500], accessDenied: ['AccessDeniedException', 400] },
  };
  const classes: Record<MockedService, ServiceExceptionClass> = {
    sts: STSServiceException as unknown as ServiceExceptionClass,
    iam: IAMServiceException as unknown as ServiceExceptionClass,
    sns: SNSServiceException as unknown as ServiceExceptionClass,
    secretsmanager: SecretsManagerServiceException as unknown as ServiceExceptionClass,
  };
  const [name, httpStatusCode] = names[service][fault];
  return new classes[service]({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'faults-request', attempts: 1, totalRetryDelay: 0 },
    message: `${name}: injected by the fault matrix (${FAULT_MARKER})`,
  });
}

// ---------------------------------------------------------------- cells and calls

export type MockedService = 'sts' | 'iam' | 'sns' | 'secretsmanager';

/** One AWS call as the matrix names it: `dynamodb:UpdateItem config/ratelimit`, `sts:AssumeRole`. */
export interface AwsCall {
  label: string;
  service: 'dynamodb' | MockedService;
}

/** The state of one cell (or one clean run), found by every dispatcher through {@link cellContext}. */
export interface Cell {
  phase: 'setup' | 'target';
  /** The target's AWS calls, in order. */
  calls: AwsCall[];
  /** Inject `fault` at the call with this index (0-based) of the target, on every attempt of it. */
  faultAt?: { index: number; fault: Fault };
  /** Whether the fault was met (and on which label). */
  injected?: string;
  /** Attempts the SDK made of the faulted call (DynamoDB only). */
  attempts: number;
  /** Credentials the STS mock handed out in this cell (all of them, setup included). */
  vended: Array<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }>;
  /** The IAM role policies of this cell's world, by role name. */
  rolePolicies: Map<string, string>;
  lane: Lane;
  /** Calls made outside the target's or setup's context (a floating promise). */
  strays: string[];
}

export const cellContext = new AsyncLocalStorage<Cell>();

/** Everything the STS mock handed out, and the webhook secret: what no log line may hold. */
export const allSecrets = new Set<string>([WEBHOOK_SECRET]);
/** Mocked calls that found no cell. */
export const strayCalls: string[] = [];

/** Numbers a target call; returns the fault to inject on it, if any. */
function nextCall(cell: Cell, call: AwsCall): Fault | undefined {
  if (cell.phase !== 'target') return undefined;
  const index = cell.calls.length;
  cell.calls.push(call);
  if (cell.faultAt?.index !== index) return undefined;
  cell.injected = call.label;
  return cell.faultAt.fault;
}

/** `config/policy`, `sessions`, `requests/by-requester`: the lane's tables by kind, the config table by item kind. */
function dynamoLabel(command: string, input: Record<string, unknown>, lane: Lane | undefined): string {
  const name = command.replace(/Command$/, '');
  const tableOf = (table: unknown) => (lane === undefined ? String(table) : lane.kindOf(String(table)));
  const keyKind = (item: unknown) => {
    // DynamoDB's own shape (`{ pk: { S } }`) or, before lib-dynamodb marshals it, the plain value.
    const raw = (item as Record<string, unknown> | undefined)?.pk;
    const pk = typeof raw === 'string' ? raw : (raw as { S?: string } | undefined)?.S;
    return pk === undefined ? '' : `/${pk.split(/[#:]/)[0] ?? pk}`;
  };
  if (name === 'TransactWriteItems') {
    const parts = (input.TransactItems as Array<Record<string, { TableName: string; Key?: unknown; Item?: unknown }>>).map((item) => {
      const [kind, body] = Object.entries(item)[0] as [string, { TableName: string; Key?: unknown; Item?: unknown }];
      return `${kind} ${tableOf(body.TableName)}${keyKind(body.Key ?? body.Item)}`;
    });
    return `dynamodb:TransactWriteItems [${[...new Set(parts)].join(', ')}]`;
  }
  if (name === 'BatchWriteItem' || name === 'BatchGetItem') return `dynamodb:${name} ${Object.keys(input.RequestItems as object).map(tableOf).join(',')}`;
  const index = input.IndexName === undefined ? '' : `/${String(input.IndexName)}`;
  const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  const queried =
    name === 'Query' && values !== undefined
      ? Object.values(values)
          .map((value) => (typeof value === 'string' ? value : (value as { S?: string }).S))
          .find((value) => value !== undefined)
      : undefined;
  const kind = tableOf(input.TableName) === 'config' ? keyKind(input.Key ?? input.Item) || (queried === undefined ? '' : `/${queried.split(/[#:]/)[0]}`) : '';
  return `dynamodb:${name} ${tableOf(input.TableName)}${index}${kind}`;
}

/** The recorder and the fault of every DynamoDB command a runtime's clients send. */
function instrument(runtime: Runtime): void {
  const stack = dynamoClients(runtime).dynamodb.middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const cell = cellContext.getStore();
      if (cell === undefined) {
        strayCalls.push(`dynamodb:${String(context.commandName)} outside any cell`);
        return next(args);
      }
      const fault = nextCall(cell, { service: 'dynamodb', label: dynamoLabel(String(context.commandName), args.input as Record<string, unknown>, cell.lane) });
      if (fault !== undefined) (context as Record<string, unknown>).sentinelFault = fault;
      return next(args);
    },
    // After lib-dynamodb's marshalling (as test/integration/permissions.test.ts records): the input is DynamoDB's own.
    { step: 'initialize', name: 'sentinelFaultRecorder', priority: 'low' },
  );
  stack.add(
    (next, context) => async (args) => {
      const fault = (context as Record<string, unknown>).sentinelFault as Fault | undefined;
      if (fault === undefined) return next(args);
      const cell = cellContext.getStore();
      if (cell !== undefined) cell.attempts += 1;
      // Raw HTTP beneath the deserializer: the SDK reads, classifies and retries it as DynamoDB's own answer.
      return dynamoFault(fault) as never;
    },
    { step: 'deserialize', name: 'sentinelFaultInjector', priority: 'low' },
  );
}

// ---------------------------------------------------------------- mocked AWS

const mocks = { sts: mockClient(STSClient), iam: mockClient(IAMClient), sns: mockClient(SNSClient), secretsmanager: mockClient(SecretsManagerClient) };

/**
 * Answers one mocked call: as the clean world does, or with the cell's fault. `malformed`
 * is the output each command's reader would choke on (`.resolves()` with it); for a
 * command whose output the code never reads, the effect happens and the output is empty.
 */
function dispatch<T>(service: MockedService, command: string, clean: (cell: Cell) => T, malformed: (cell: Cell) => T): T {
  const cell = cellContext.getStore();
  if (cell === undefined) {
    strayCalls.push(`${service}:${command} outside any cell`);
    throw new Error(`${service}:${command} outside any cell`);
  }
  const fault = nextCall(cell, { service, label: `${service}:${command}` });
  if (fault === undefined) return clean(cell);
  if (fault === 'malformed') return malformed(cell);
  throw mockedError(service, fault);
}

function issueCredentials(cell: Cell, input: { DurationSeconds?: number }) {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const credentials = { accessKeyId: `ASIA${hex(8).toUpperCase()}`, secretAccessKey: `faults-secret-${hex(16)}`, sessionToken: `faults-token-${hex(24)}` };
  cell.vended.push(credentials);
  for (const secret of Object.values(credentials)) allSecrets.add(secret);
  return { ...credentials, expiration: new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000) };
}

export function installMocks(): void {
  mocks.sts.on(AssumeRoleCommand).callsFake((input: { DurationSeconds?: number }) =>
    dispatch(
      'sts',
      'AssumeRole',
      (cell) => {
        const issued = issueCredentials(cell, input);
        return { Credentials: { AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, SessionToken: issued.sessionToken, Expiration: issued.expiration } };
      },
      (cell) => {
        // Keys without their session token: useless, and the key and secret that did arrive must not be logged.
        const issued = issueCredentials(cell, input);
        return { Credentials: { AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, Expiration: issued.expiration } };
      },
    ),
  );
  mocks.iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) =>
    dispatch(
      'iam',
      'GetRole',
      () => ({
        Role: { RoleName: input.RoleName, RoleId: SSO_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${input.RoleName}`, Path: '/aws-reserved/sso.amazonaws.com/', CreateDate: new Date() },
      }),
      () => ({}),
    ),
  );
  mocks.iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string; PolicyName: string }) =>
    dispatch(
      'iam',
      'GetRolePolicy',
      (cell) => {
        const document = cell.rolePolicies.get(input.RoleName);
        if (document === undefined) throw new IAMServiceException({ name: 'NoSuchEntityException', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'The role policy cannot be found.' });
        return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
      },
      // Not URL-encoded as IAM's answer always is: the raw `%` is not an escape.
      () => ({ RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Sid":"100%"}]}' }),
    ),
  );
  mocks.iam.on(PutRolePolicyCommand).callsFake((input: { RoleName: string; PolicyDocument: string }) => {
    const put = (cell: Cell) => {
      cell.rolePolicies.set(input.RoleName, input.PolicyDocument);
      return {};
    };
    return dispatch('iam', 'PutRolePolicy', put, put);
  });
  mocks.iam.on(DeleteRolePolicyCommand).callsFake((input: { RoleName: string }) => {
    const remove = (cell: Cell) => {
      cell.rolePolicies.delete(input.RoleName);
      return {};
    };
    return dispatch('iam', 'DeleteRolePolicy', remove, remove);
  });
  mocks.sns.on(PublishCommand).callsFake(() =>
    dispatch(
      'sns',
      'Publish',
      () => ({ MessageId: 'faults-message' }),
      () => ({}),
    ),
  );
  mocks.secretsmanager.on(GetSecretValueCommand).callsFake(() =>
    dispatch(
      'secretsmanager',
      'GetSecretValue',
      (): { SecretString?: string; SecretBinary?: Uint8Array } => ({ SecretString: WEBHOOK_SECRET }),
      // A binary secret where a string was stored: no usable signing key.
      () => ({ SecretBinary: new Uint8Array([1, 2, 3]) }),
    ),
  );
}

export function restoreMocks(): void {
  for (const mock of Object.values(mocks)) mock.restore();
}

// ---------------------------------------------------------------- webhook receiver

let webhook: Server | undefined;
let webhookUrl = '';

export async function startWebhook(): Promise<void> {
  webhook = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhook?.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
}

export async function stopWebhook(): Promise<void> {
  await new Promise<void>((resolve) => (webhook === undefined ? resolve() : webhook.close(() => resolve())));
}

// ---------------------------------------------------------------- lanes

const KINDS = ['config', 'sessions', 'requests', 'breakglass'] as const;

/** One world of tables; a cell has its lane to itself while it runs. */
export class Lane {
  readonly prefix: string;
  readonly tables: Record<(typeof KINDS)[number], string>;
  /** Runtimes of the lane's cells, each with its logger's lines. */
  readonly logs: string[][] = [];
  #base: Record<string, AttributeValue>[] = [];
  #created = 0;

  constructor(index: number) {
    this.prefix = `sentinel-f${randomBytes(2).toString('hex')}${index}-`;
    this.tables = { config: `${this.prefix}config`, sessions: `${this.prefix}sessions`, requests: `${this.prefix}requests`, breakglass: `${this.prefix}breakglass` };
  }

  /** `config`, `sessions`, …, or `new-table` for a table a provisioning cell made. */
  #setup: ReturnType<typeof coldStart> | undefined;

  /** The runtime that sets up the lane's cells (made once; its log lines are the lane's). */
  setupRuntime(): Runtime {
    this.#setup ??= coldStart(this);
    return this.#setup.runtime;
  }

  close(): void {
    this.#setup?.close();
  }

  kindOf(table: string): string {
    const kind = (Object.keys(this.tables) as Array<keyof Lane['tables']>).find((key) => this.tables[key] === table);
    return kind ?? (table.startsWith(this.prefix) ? 'new-table' : table);
  }

  /** A fresh table name under the lane's prefix. */
  newTable(): string {
    this.#created += 1;
    return `${this.prefix}p${this.#created}`;
  }

  async create(initialise: () => Promise<void>): Promise<void> {
    for (const kind of KINDS) await createTestTable(kind as TableKind, this.tables[kind]);
    await initialise();
    this.#base = await this.#items(this.tables.config);
  }

  /** Back to the lane's base state: every table emptied, the config table's base items restored. */
  async reset(): Promise<void> {
    const { dynamodb } = testClients();
    for (const kind of KINDS) {
      const table = this.tables[kind];
      const keys = kind === 'config' ? ['pk', 'sk'] : ['id'];
      const items = await this.#items(table);
      for (let start = 0; start < items.length; start += 25) {
        const batch = items.slice(start, start + 25).map((item) => ({ DeleteRequest: { Key: Object.fromEntries(keys.map((key) => [key, item[key] as AttributeValue])) } }));
        await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
      }
    }
    for (let start = 0; start < this.#base.length; start += 25) {
      await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [this.tables.config]: this.#base.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
  }

  async #items(table: string): Promise<Record<string, AttributeValue>[]> {
    const { dynamodb } = testClients();
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

// ---------------------------------------------------------------- runtimes and calls

function environment(lane: Lane): Record<string, string> {
  return {
    AWS_REGION: REGION,
    SENTINEL_ACCOUNT_ID: ACCOUNT,
    SENTINEL_TABLE_PREFIX: lane.prefix,
    SENTINEL_CONFIG_TABLE: lane.tables.config,
    SENTINEL_REQUESTS_TABLE: lane.tables.requests,
    SENTINEL_BREAKGLASS_TABLE: lane.tables.breakglass,
    SENTINEL_DEFAULT_SESSION_TABLE: lane.tables.sessions,
    SENTINEL_BOOTSTRAP_ADMINS: 'iam:admin',
    SENTINEL_POLICY_TTL: '0',
    SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
    SENTINEL_SNS_TOPIC_ARN: SNS_TOPIC,
    SENTINEL_WEBHOOK_URL: webhookUrl,
    SENTINEL_WEBHOOK_SECRET_ARN: SECRET_ARN,
  };
}

/** A cold start on the lane: its own clients (instrumented), its own capturing logger. */
export function coldStart(lane: Lane, clock?: Clock): { runtime: Runtime; lines: string[]; close(): void } {
  const { logger, lines } = capturingLogger();
  lane.logs.push(lines);
  const runtime = createRuntime(loadConfig(environment(lane)), { dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' }, logger, ...(clock === undefined ? {} : { clock }) });
  instrument(runtime);
  return { runtime, lines, close: () => dynamoClients(runtime).dynamodb.destroy() };
}

export type Identity = Caller;

export const iamUser = (name: string): Identity => ({ arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, userId: `AIDA${name.toUpperCase().padEnd(16, '0').slice(0, 16)}`, accountId: ACCOUNT });
export const person = (name: string): Identity => ({ arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/${name}`, userId: `${SSO_ROLE_ID}:${name}`, accountId: ACCOUNT });

export type { Answer, CallOptions };

let requestCounter = 0;

/** One HTTP call of `route` through its function, composed on `runtime` exactly as its Lambda entry does. */
export async function callRoute(runtime: Runtime, route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Answer> {
  const spec = ROUTES[route];
  const handler = composeFunction(runtime, spec.function, FUNCTIONS[spec.function] as never);
  requestCounter += 1;
  return invokeRoute(handler, route, caller, options, { accountId: ACCOUNT, apiId: 'faults', requestId: `faults-${requestCounter}`, accessKey: 'AKIAFAULTS0000000001' });
}

/** A setup call that must succeed. */
export async function must(runtime: Runtime, route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Record<string, unknown>> {
  const answer = await callRoute(runtime, route, caller, options);
  if (answer.status >= 300) throw new Error(`setup: ${route} answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** The sweep of `runtime`, run once: `ok`, or how it failed. */
export async function runSweep(runtime: Runtime): Promise<{ outcome: string; text: string }> {
  try {
    const report = await sweepFunction(runtime)();
    return { outcome: 'ok', text: JSON.stringify(report) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: /^the sweep had \d+ failed step/.test(message) ? 'failed steps' : `threw ${error instanceof Error ? error.name : typeof error}`, text: message };
  }
}
