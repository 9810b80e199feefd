/**
 * The harness of the race parts (test/reliability/races.test.ts): a deployment of every
 * HTTP function composed in-process exactly as its Lambda entry composes it
 * (`createRuntime(loadConfig(env), …)`, `composeFunction`), against the shared DynamoDB
 * Local, with:
 *
 * - several "containers" per function (each its own runtime: its own DynamoDB client,
 *   connections and policy cache), taken in turn, as concurrent Lambda invocations land
 *   on different instances;
 * - a minting issuer in place of STS (unique credentials per issuance, an optional
 *   delay per session, every mint timed) and the in-memory role revoker in place of IAM
 *   (it keeps each role's `SentinelRevokedSessions` deny as IAM would);
 * - every DynamoDB command the functions send timed at the client: when it was asked
 *   for, when its last attempt went on the wire, when it settled and how.
 *
 * STS and IAM clients are mocked to refuse: nothing here may reach an AWS endpoint.
 */

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ROUTES } from '../../../src/api/routes.js';
import type { FunctionName, RouteName } from '../../../src/api/routes.js';
import type { Clock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { dynamoClients } from '../../../src/compose/dynamo.js';
import { FUNCTIONS } from '../../../src/compose/index.js';
import { composeFunction } from '../../../src/compose/lambda.js';
import { createRuntime } from '../../../src/compose/runtime.js';
import type { Runtime } from '../../../src/compose/runtime.js';
import type { HttpHandler } from '../../../src/http/handler.js';
import { MemoryRoleRevoker } from '../../../src/local/MemoryRoleRevoker.js';
import type { CredentialIssuer, IssueInput, IssuedCredentials } from '../../../src/vending/ports.js';
import { dynamodbEndpoint } from '../../integration/dynamodb.js';
import { invokeRoute } from '../../support/apiCall.js';
import type { Answer as SharedAnswer, Caller, CallOptions } from '../../support/apiCall.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

// ---------------------------------------------------------------- callers

/** What API Gateway's IAM authorizer reports for a caller. */
export interface Identity extends Caller {
  /** The Sentinel user the stack resolves it to (docs/identity.md). */
  user: string;
  /** The principal AWS fixed, as quotas count it. */
  principal: string;
}

const uniqueId = (prefix: string, name: string) => `${prefix}${Buffer.from(name).toString('hex').toUpperCase().padEnd(17, '0').slice(0, 17)}`;

/** An IAM user of the deployment's account: user `iam:<name>`. */
export function iamUser(name: string): Identity {
  return { arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, userId: uniqueId('AIDA', name), accountId: ACCOUNT, user: `iam:${name}`, principal: `${ACCOUNT}:user/${name}` };
}

/** A session of an ordinary role of the deployment's account: user `role:<role>/<session>`, principal the role. */
export function roleSession(role: string, session: string): Identity {
  return {
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    userId: `${uniqueId('AROA', role)}:${session}`,
    accountId: ACCOUNT,
    user: `role:${role}/${session}`,
    principal: `${ACCOUNT}:role/${role}`,
  };
}

// ---------------------------------------------------------------- STS stand-in

/** One issuance the issuer made. */
export interface Mint {
  sessionId: string | undefined;
  accessKeyId: string;
  startedAt: number;
  mintedAt: number;
}

/** STS stand-in: unique credentials per issuance, after the delay planned for the session (if any). */
export class MintingIssuer implements CredentialIssuer {
  readonly kind = 'sts' as const;
  /** Session id → milliseconds to wait before answering. */
  readonly delays = new Map<string, number>();
  /** Milliseconds to wait for an issuance of a session not in {@link delays} (default none). */
  delay: () => number = () => 0;
  readonly mints: Mint[] = [];
  /** Every access key id, secret key and session token handed out. */
  readonly secrets: string[] = [];

  async issue(input: IssueInput): Promise<IssuedCredentials> {
    const startedAt = performance.now();
    const delay = input.sessionId === undefined ? 0 : (this.delays.get(input.sessionId) ?? this.delay());
    if (delay > 0) await sleep(delay);
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `IQoJ${randomBytes(60).toString('base64')}`;
    this.secrets.push(accessKeyId, secretAccessKey, sessionToken);
    this.mints.push({ sessionId: input.sessionId, accessKeyId, startedAt, mintedAt: performance.now() });
    return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(Date.now() + input.durationSeconds * 1000) };
  }
}

// ---------------------------------------------------------------- DynamoDB timings

/** One DynamoDB command a function sent. */
export interface Sent {
  command: string;
  table: string;
  /** The item's `id` (sessions, requests, events), when the command names one key. */
  id: string | undefined;
  updateExpression: string;
  conditionExpression: string;
  calledAt: number;
  /** When its last attempt went on the wire (after retries and signing). */
  sentAt: number;
  settledAt: number;
  /** The error's name, or `ok`. */
  outcome: string;
}

/** A key attribute as the command carries it: plain (document client) or marshalled. */
function plainKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
  return undefined;
}

const SENT = Symbol('raceSent');

/** Times every command `runtime`'s DynamoDB client sends into `log`. */
function timeCommands(runtime: Runtime, log: Sent[]): void {
  const { dynamodb } = dynamoClients(runtime);
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const key = input.Key as Record<string, unknown> | undefined;
      const sent: Sent = {
        command: String(context.commandName),
        table: String(input.TableName ?? ''),
        id: plainKey(key?.id),
        updateExpression: String(input.UpdateExpression ?? ''),
        conditionExpression: String(input.ConditionExpression ?? ''),
        calledAt: performance.now(),
        sentAt: Number.NaN,
        settledAt: Number.NaN,
        outcome: 'pending',
      };
      (context as Record<symbol, unknown>)[SENT] = sent;
      log.push(sent);
      try {
        const output = await next(args);
        sent.outcome = 'ok';
        return output;
      } catch (error) {
        sent.outcome = error instanceof Error ? error.name : 'error';
        throw error;
      } finally {
        sent.settledAt = performance.now();
      }
    },
    { step: 'initialize', priority: 'high', name: 'raceTimeCommand' },
  );
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const sent = (context as Record<symbol, unknown>)[SENT] as Sent | undefined;
      if (sent !== undefined) sent.sentAt = performance.now();
      return next(args);
    },
    // Innermost: right before the HTTP handler, on every attempt.
    { step: 'deserialize', priority: 'low', name: 'raceStampSend' },
  );
}

// ---------------------------------------------------------------- the deployment

export interface DeploymentOptions {
  tables: { config: string; sessions?: string; requests?: string; breakglass?: string };
  bootstrapAdmins: readonly string[];
  logger: Logger;
  clock?: Clock;
  /** Runtimes per function, taken in turn. */
  containers?: number;
  /**
   * `SENTINEL_POLICY_TTL` (default 60, cached as in a deployment: the races are between
   * writes, not policy reads); 0 where a push must be seen at once.
   */
  policyTtlSeconds?: number;
}

/** What a call got back, and when it started and answered (performance.now()). */
export interface Answer extends SharedAnswer {
  route: RouteName;
  caller: string;
  startedAt: number;
  answeredAt: number;
}

export type { CallOptions };

/** The error code of an answer, or `ok` for a 2xx. */
export function codeOf(answer: Answer): string {
  if (answer.status < 300) return 'ok';
  const error = answer.body.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? error.code : `HTTP ${answer.status}`;
}

/** `POST /v1/credentials` and friends, composed per function as functions/<name>.ts does, `containers` times. */
export class Deployment {
  readonly issuer = new MintingIssuer();
  readonly revoker = new MemoryRoleRevoker();
  /** Every DynamoDB command any function sent, in call order. */
  readonly sent: Sent[] = [];
  readonly #handlers = new Map<FunctionName, HttpHandler[]>();
  readonly #turn = new Map<FunctionName, number>();
  #requests = 0;

  constructor(options: DeploymentOptions) {
    const env: Record<string, string> = {
      AWS_REGION: REGION,
      SENTINEL_ACCOUNT_ID: ACCOUNT,
      SENTINEL_TABLE_PREFIX: 'sentinel-',
      SENTINEL_CONFIG_TABLE: options.tables.config,
      SENTINEL_BOOTSTRAP_ADMINS: options.bootstrapAdmins.join(','),
      SENTINEL_POLICY_TTL: String(options.policyTtlSeconds ?? 60),
      SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      // Identity Center roles are not used: no IAM lookup.
      SENTINEL_IDENTITY_ROLE_LOOKUP: 'none',
      // The races send many requests per principal; the rate limiter is not what they test.
      SENTINEL_RATE_LIMIT_REQUESTS: '1000000',
    };
    if (options.tables.sessions !== undefined) env.SENTINEL_DEFAULT_SESSION_TABLE = options.tables.sessions;
    if (options.tables.requests !== undefined) env.SENTINEL_REQUESTS_TABLE = options.tables.requests;
    if (options.tables.breakglass !== undefined) env.SENTINEL_BREAKGLASS_TABLE = options.tables.breakglass;
    const config = loadConfig(env);
    for (let container = 0; container < (options.containers ?? 3); container += 1) {
      for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
        const runtime = createRuntime(config, {
          issuer: this.issuer,
          revoker: this.revoker,
          logger: options.logger,
          dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        });
        timeCommands(runtime, this.sent);
        const list = this.#handlers.get(name) ?? [];
        list.push(composeFunction(runtime, name, FUNCTIONS[name] as never));
        this.#handlers.set(name, list);
      }
    }
  }

  /** One API call through the function that serves `route`, as API Gateway would deliver it. */
  async call(route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Answer> {
    const spec = ROUTES[route];
    const list = this.#handlers.get(spec.function) ?? [];
    const turn = this.#turn.get(spec.function) ?? 0;
    this.#turn.set(spec.function, turn + 1);
    const handler = list[turn % list.length];
    if (handler === undefined) throw new Error(`no handler for ${spec.function}`);
    this.#requests += 1;
    const requestId = `race-${this.#requests}-${randomBytes(4).toString('hex')}`;
    const startedAt = performance.now();
    const answer = await invokeRoute(handler, route, caller, options, { accountId: ACCOUNT, apiId: 'races', requestId, accessKey: 'AKIARACESCALLER00001' });
    return { ...answer, route, caller: caller.user, startedAt, answeredAt: performance.now() };
  }

  /** A call that must succeed: its body. */
  async ok(route: RouteName, caller: Identity, options: CallOptions = {}): Promise<Record<string, unknown>> {
    const answer = await this.call(route, caller, options);
    if (answer.status >= 300) throw new Error(`${route} by ${caller.user} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}

// ---------------------------------------------------------------- timing and randomness

/** Mulberry32: the planned delays come from a fixed seed (the timings DynamoDB Local adds do not). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `run` after `ms` milliseconds (0: on the next turn of the event loop, still concurrently). */
export async function after<T>(ms: number, run: () => Promise<T>): Promise<T> {
  await sleep(Math.max(0, ms));
  return run();
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** A figure for the notes: `12.3 ms`. */
export const ms = (value: number): string => `${value.toFixed(1)} ms`;
