/**
 * The composition root: every adapter built once per cold start from the validated
 * configuration (STYLE.md 5 and 6). The local stack calls the same function with its
 * own overrides (DynamoDB Local endpoint in the config, the dev issuer).
 */

import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAwsClients } from '../aws/clients.js';
import { SetupError } from '../errors.js';
import type { SentinelConfig } from '../config.js';
import { CachedPolicySource } from '../policyStore/CachedPolicySource.js';
import { DynamoPolicyStore } from '../policyStore/DynamoPolicyStore.js';
import type { PolicyStore } from '../policyStore/types.js';
import { DynamoProvisioner } from '../provisioning/DynamoProvisioner.js';
import { DynamoTableRegistry } from '../provisioning/DynamoTableRegistry.js';
import type { ProvisioningDeps } from '../provisioning/provision.js';
import { RegisteredSessionTables } from '../provisioning/RegisteredSessionTables.js';
import { DynamoSessionStore } from '../sessions/DynamoSessionStore.js';
import type { SessionStore } from '../sessions/types.js';
import { DynamoRateLimiter } from '../vending/DynamoRateLimiter.js';
import type { VendingDeps } from '../vending/issue.js';
import type { Clock, CredentialIssuer, PolicySource } from '../vending/ports.js';
import { StsCredentialIssuer } from '../vending/StsCredentialIssuer.js';
import type { HttpDeps } from './stack.js';

export interface AppDeps extends HttpDeps {
  config: SentinelConfig;
  vending: VendingDeps;
  policyStore: PolicyStore;
  policies: PolicySource;
  sessions: SessionStore;
  /** The provisioning routes: tables described and created with the DynamoDB client, recorded in the config table's registry. */
  provisioning: ProvisioningDeps;
}

export interface DepsOverrides {
  /** The local stack's dev issuer; otherwise STS. */
  issuer?: CredentialIssuer;
  logger?: Logger;
  clock?: Clock;
  /** DynamoDB Local's placeholder credentials (the local stack); STS keeps the default chain. */
  dynamodbCredentials?: { accessKeyId: string; secretAccessKey: string };
}

const systemClock: Clock = { now: () => new Date() };

/** Builds every dependency of every route once. */
export function createDeps(config: SentinelConfig, overrides: DepsOverrides = {}): AppDeps {
  const clients = createAwsClients({
    region: config.region,
    ...(config.dynamodbEndpoint === undefined ? {} : { dynamodbEndpoint: config.dynamodbEndpoint }),
    ...(overrides.dynamodbCredentials === undefined ? {} : { dynamodbCredentials: overrides.dynamodbCredentials }),
  });
  const logger = overrides.logger ?? new Logger({ serviceName: 'sentinel' });
  const clock = overrides.clock ?? systemClock;
  const sessions = new DynamoSessionStore(clients.documents);
  const policyStore = new DynamoPolicyStore(clients.documents, config.configTable);
  const policies = new CachedPolicySource(policyStore, { ttlSeconds: config.policyTtlSeconds });
  const provisioning: ProvisioningDeps = {
    provisioner: new DynamoProvisioner(clients.dynamodb),
    registry: new DynamoTableRegistry(clients.documents, config.configTable),
    tablePrefix: config.tablePrefix,
    clock,
  };
  const issuer = overrides.issuer ?? new StsCredentialIssuer(clients.sts);
  if (issuer.kind === 'dev' && config.issuer !== 'dev') {
    // Development credentials must never be minted by a deployed configuration.
    throw new SetupError('INVALID_CONFIG', 'the dev issuer is only for the local stack');
  }
  return {
    config,
    logger,
    clock,
    identity: config.identity,
    sessions,
    policyStore,
    policies,
    provisioning,
    vending: {
      settings: {
        tablePrefix: config.tablePrefix,
        ...(config.defaultSessionTable === undefined ? {} : { defaultSessionTable: config.defaultSessionTable }),
        maxSessionLifetimeSeconds: config.maxSessionLifetimeSeconds,
        auditRetentionSeconds: config.auditRetentionSeconds,
      },
      sessions,
      policies,
      rateLimiter: new DynamoRateLimiter(clients.documents, config.configTable, config.rateLimit),
      sessionTables: new RegisteredSessionTables(provisioning.registry),
      issuer,
      clock,
      randomHex: (bytes) => randomBytes(bytes).toString('hex'),
      decisions: {
        record: (line) => logger.info('decision', { ...line }),
        warn: (message, error) => logger.warn(message, { error }),
      },
    },
  };
}
