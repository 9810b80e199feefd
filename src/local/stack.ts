/**
 * The local control plane (`npm start`, DESIGN.md Local stack): DynamoDB Local in
 * memory, the tables, the example policy, local identities in a shared-credentials
 * file, and the real route handlers behind an adapter that checks SigV4 the way API
 * Gateway does. Credentials come from the dev issuer unless `issuer: 'sts'`.
 */

import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_TABLE_NAMES } from '../api/constants.js';
import type { TableKind } from '../api/constants.js';
import { FUNCTION_NAMES, ROUTES, routesOf } from '../api/routes.js';
import type { FunctionName } from '../api/routes.js';
import { FUNCTIONS } from '../compose/index.js';
import { composeFunction } from '../compose/lambda.js';
import { policyStore } from '../compose/dynamo.js';
import { provisioningDeps } from '../compose/provision.js';
import { createRuntime } from '../compose/runtime.js';
import type { Runtime } from '../compose/runtime.js';
import { loadConfig } from '../config.js';
import type { SentinelConfig } from '../config.js';
import { SentinelError } from '../errors.js';
import { formatIssue, loadPolicy } from '../policy/parse.js';
import type { NewPolicyVersion } from '../policyStore/types.js';
import { provisionStatus, provisionTable } from '../provisioning/provision.js';
import type { ProvisioningDeps } from '../provisioning/provision.js';
import type { LocalRoute } from './apiServer.js';
import { createLocalApiServer } from './apiServer.js';
import { sweepFunction } from '../compose/sweep.js';
import type { SweepReport } from '../sessions/sweep.js';
import { DevCredentialIssuer } from './DevCredentialIssuer.js';
import { printable } from '../text.js';
import { MemoryRoleRevoker } from './MemoryRoleRevoker.js';
import { startDynamoDbLocal } from './dynamodbLocal.js';
import { createLocalIdentities, localArn, localRoleId, readSharedCredentialsFile, verifierIdentities, writeSharedCredentialsFile } from './identities.js';
import type { LocalIdentitySpec } from './identities.js';
import { createSigV4Verifier } from './sigv4Verifier.js';

export interface LocalStackOptions {
  /** 127.0.0.1 port of the API; 0 picks a free one. Default 4280. */
  port?: number;
  /** Signing region clients must use. Default us-east-1. */
  region?: string;
  /** The local identities' account. Default 000000000000. */
  accountId?: string;
  /** Table every issuance is tracked in unless a rule says otherwise; null = none (DESIGN.md no-default behaviour). */
  defaultSessionTable?: string | null;
  /** Policy file loaded at start. Default examples/policy.yaml. */
  policyFile?: string;
  /** `dev` (default) mints development credentials; `sts` calls AWS STS with the default credential chain. */
  issuer?: 'dev' | 'sts';
  /** Where the shared-credentials file is written. Default .sentinel/local. */
  stateDir?: string;
  /** DynamoDB Local's cache folder (see DEVELOPERS.md). */
  cacheDir?: string;
  /** Progress lines and refused-signature reasons. */
  log?: (line: string) => void;
  /** How long the handlers cache the policy; default 0, so a pushed policy applies at once (deployments: 10 s). */
  policyTtlSeconds?: number;
  /** The structured request logger of the handlers (decision lines). */
  logger?: Logger;
  /** Credential requests per user and window. Default 60 per 60 s, as a deployment; benchmarks raise it. */
  rateLimit?: { requests: number; windowSeconds: number };
  /** How often the sweep runs, in seconds, as the deployment's scheduled function. Default 300; 0 = only when `sweep()` is called. */
  sweepIntervalSeconds?: number;
}

export interface LocalStack {
  url: string;
  port: number;
  region: string;
  credentialsFile: string;
  identities: Array<{ name: string; arn: string }>;
  dynamodbEndpoint: string;
  /** Process id of DynamoDB Local's Java process (the reliability suite pauses it with SIGSTOP). */
  dynamodbPid: number;
  defaultSessionTable: string | null;
  /** The roles' SentinelRevokedSessions documents, as IAM would hold them (there is no IAM locally). */
  revocations: MemoryRoleRevoker;
  /** Runs the sweep now, as the deployment's scheduled function does every 5 minutes. */
  sweep(): Promise<SweepReport>;
  stop(): Promise<void>;
}

/**
 * The identities `npm start` writes, one of each kind docs/identity.md tells apart, as
 * examples/policy.yaml names them: two engineers and an admin signed in through IAM
 * Identity Center (people: `alice`, `bob`, `admin`), an engineer with an IAM user
 * (`iam:erin`) and a CI job's session of an ordinary role (`role:deploy/ci-42`).
 */
const LOCAL_USERS: readonly LocalIdentitySpec[] = [
  { name: 'alice', role: 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468' },
  { name: 'bob', role: 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468' },
  { name: 'admin', role: 'AWSReservedSSO_Admin_9e8d7c6b5a4f3e21' },
  'erin',
  { name: 'ci-42', role: 'deploy' },
];

/**
 * The local roles that are IAM Identity Center roles. There is no IAM to look them up
 * in, so the stack pins them by unique id (`SENTINEL_IDENTITY_ROLES`, lookup off), the way
 * a deployment pins roles of other accounts; a role that only has the name is ordinary.
 */
function localIdentityRoles(accountId: string): string {
  const roles = new Set(LOCAL_USERS.flatMap((spec) => (typeof spec !== 'string' && spec.role?.startsWith('AWSReservedSSO_') === true ? [spec.role] : [])));
  return [...roles].map((role) => `${accountId}:${localRoleId(accountId, role)}`).join(',');
}
/** Credentials for DynamoDB Local only: it checks that some are sent, not which. */
const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Starts everything; on any failure stops what had started and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const defaultSessionTable = options.defaultSessionTable === undefined ? DEFAULT_TABLE_NAMES.sessions : options.defaultSessionTable;
  const policyFile = path.resolve(options.policyFile ?? 'examples/policy.yaml');
  const stateDir = path.resolve(options.stateDir ?? '.sentinel/local');
  const issuerKind = options.issuer ?? 'dev';

  // Read and validate the policy before starting anything slow.
  const policyVersion = await readPolicyFile(policyFile);

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  try {
    log('starting DynamoDB Local (in memory, 127.0.0.1)…');
    const dynamodbLocal = await startDynamoDbLocal({ log, ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) });
    stops.push(() => dynamodbLocal.stop());

    const credentialsFile = path.join(stateDir, 'credentials');
    const identities = (await readSharedCredentialsFile(credentialsFile))?.filter((identity) => identity.arn.includes(`:${accountId}:`)) ?? [];
    // Reused only when every identity is there with the same ARN: a file of an earlier
    // version (alice as an IAM user) is replaced.
    const reusable = LOCAL_USERS.every((spec) => identities.some((identity) => identity.arn === localArn(accountId, spec)));
    const local = reusable ? identities : createLocalIdentities(accountId, LOCAL_USERS);
    if (!reusable) await writeSharedCredentialsFile(credentialsFile, local, region);

    const config = localConfig({ region, accountId, defaultSessionTable, issuerKind, dynamodbEndpoint: dynamodbLocal.endpoint, options });
    const revocations = new MemoryRoleRevoker();
    const runtime = createRuntime(config, {
      ...(issuerKind === 'dev' ? { issuer: new DevCredentialIssuer() } : {}),
      revoker: revocations,
      // No webhook or SNS locally: every event is a console line (what a sink would receive, minus the details).
      notifier: { publish: async (event) => log(printable(`event ${event.type}: ${event.summary}${event.command === undefined ? '' : ` (next: ${event.command})`}`)) },
      logger: options.logger ?? new Logger({ serviceName: 'sentinel-local' }),
      dynamodbCredentials: DYNAMODB_LOCAL_CREDENTIALS,
    });

    // The tables come from the provisioning function's own service, as `sentinel init` makes
    // them: created, finished (TTL) and recorded in the registry. sentinel-sessions exists
    // even with no default, as in a deployment whose tables are provisioned but that names
    // no default: `--session-table sentinel-sessions` works.
    const tables: Array<[TableKind, string]> = [
      ['config', DEFAULT_TABLE_NAMES.config],
      ['sessions', DEFAULT_TABLE_NAMES.sessions],
      ['requests', DEFAULT_TABLE_NAMES.requests],
      ['breakglass', DEFAULT_TABLE_NAMES.breakglass],
    ];
    if (defaultSessionTable !== null && defaultSessionTable !== DEFAULT_TABLE_NAMES.sessions) tables.push(['sessions', defaultSessionTable]);
    for (const [kind, table] of tables) await provisionUntilReady(kind, table, provisioningDeps(runtime));
    log(`created tables ${tables.map(([, name]) => name).join(', ')}`);

    const stored = await policyStore(runtime).put(policyVersion, 0, 'local-stack', new Date());
    log(`loaded ${path.relative(process.cwd(), policyFile) || policyFile} as policy version ${stored.version}`);

    const verifier = createSigV4Verifier({ identities: verifierIdentities(local), region });
    const server = createLocalApiServer({
      routes: localRoutes(runtime),
      verifier,
      region,
      accountId,
      log,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 4280, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const sweep = sweepFunction(runtime);
    const sweepSeconds = options.sweepIntervalSeconds ?? 300;
    if (sweepSeconds > 0) {
      // A failed run is logged by the sweep itself; the next one starts over, as deployed.
      const timer = setInterval(() => void sweep().catch(() => undefined), sweepSeconds * 1000);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      region,
      credentialsFile,
      identities: local.map(({ name, arn }) => ({ name, arn })),
      dynamodbEndpoint: dynamodbLocal.endpoint,
      dynamodbPid: dynamodbLocal.pid,
      defaultSessionTable,
      revocations,
      sweep,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The deployment configuration of the local stack: `loadConfig` over the variables a
 * deployment would set, so every default is src/config.ts's. Only the issuer is set
 * afterwards: no variable can select the dev issuer.
 */
function localConfig(input: {
  region: string;
  accountId: string;
  defaultSessionTable: string | null;
  issuerKind: 'dev' | 'sts';
  dynamodbEndpoint: string;
  options: LocalStackOptions;
}): SentinelConfig {
  const { options } = input;
  const config = loadConfig({
    AWS_REGION: input.region,
    SENTINEL_ACCOUNT_ID: input.accountId,
    SENTINEL_DEFAULT_SESSION_TABLE: input.defaultSessionTable ?? 'none',
    // A pushed policy applies at once locally; deployments cache it for 10 s.
    SENTINEL_POLICY_TTL: String(options.policyTtlSeconds ?? 0),
    ...(options.rateLimit === undefined ? {} : { SENTINEL_RATE_LIMIT_REQUESTS: String(options.rateLimit.requests), SENTINEL_RATE_LIMIT_WINDOW: String(options.rateLimit.windowSeconds) }),
    // The local admin identity can always provision and push, whatever the loaded policy says.
    SENTINEL_BOOTSTRAP_ADMINS: 'admin',
    // No IAM to ask: the local Identity Center roles are pinned by their unique ids.
    SENTINEL_IDENTITY_ROLE_LOOKUP: 'none',
    SENTINEL_IDENTITY_ROLES: localIdentityRoles(input.accountId),
    SENTINEL_DYNAMODB_ENDPOINT: input.dynamodbEndpoint,
  });
  return Object.freeze({ ...config, issuer: input.issuerKind });
}

/** Every route of the table, each served by its function's handler, exactly as deployed. */
function localRoutes(runtime: Runtime): LocalRoute[] {
  return FUNCTION_NAMES.flatMap((name) => {
    const handler = serve(runtime, name);
    return routesOf(name).map((route) => ({ method: ROUTES[route].method, path: ROUTES[route].path, handler, name }));
  });
}

function serve<F extends FunctionName>(runtime: Runtime, name: F): LocalRoute['handler'] {
  return composeFunction(runtime, name, FUNCTIONS[name]);
}

/** The policy file's text and what the parser validated it as (a store version's two parts). */
async function readPolicyFile(file: string): Promise<NewPolicyVersion> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SentinelError('INVALID_REQUEST', `cannot read the policy file ${file}`, { cause: error });
  }
  const { policy, issues } = loadPolicy(text, file);
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (policy === undefined || errors.length > 0) throw new SentinelError('INVALID_REQUEST', ['the policy file is invalid:', ...errors.map(formatIssue)].join('\n'));
  return { text, policy };
}

/** DynamoDB Local creates tables ACTIVE at once; a few status rounds cover any delay. */
async function provisionUntilReady(kind: TableKind, table: string, deps: ProvisioningDeps): Promise<void> {
  let answer = await provisionTable({ kind, table }, 'local-stack', deps);
  for (let round = 0; answer.status === 'CREATING' && round < 50; round++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await provisionStatus(table, kind, 'local-stack', deps);
  }
  if (answer.status !== 'READY') {
    throw new SentinelError('INTERNAL', `table ${table} did not become ready (${answer.status}: ${answer.plan.differences.map((difference) => difference.message).join('; ')})`);
  }
}
