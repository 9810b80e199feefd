/**
 * Building blocks on DynamoDB: the clients and the adapters over them, each made once
 * per runtime. Nothing here pulls in STS or the provisioning code.
 */

import { createDynamoClients } from '../aws/dynamodb.js';
import { policyAdmins } from '../http/access.js';
import { CachedPolicySource } from '../policyStore/CachedPolicySource.js';
import { DynamoPolicyStore } from '../policyStore/DynamoPolicyStore.js';
import { DynamoTableRegistry } from '../provisioning/DynamoTableRegistry.js';
import { RegisteredSessionTables } from '../provisioning/RegisteredSessionTables.js';
import { DynamoSessionStore } from '../sessions/DynamoSessionStore.js';
import { DynamoCountedWrites } from '../vending/DynamoCountedWrites.js';
import { DynamoRateLimiter } from '../vending/DynamoRateLimiter.js';
import { perRuntime } from './runtime.js';

export const dynamoClients = /* @__PURE__ */ perRuntime((runtime) =>
  createDynamoClients({
    region: runtime.config.region,
    ...(runtime.config.dynamodbEndpoint === undefined ? {} : { endpoint: runtime.config.dynamodbEndpoint }),
    ...(runtime.overrides.dynamodbCredentials === undefined ? {} : { credentials: runtime.overrides.dynamodbCredentials }),
  }),
);

export const policyStore = /* @__PURE__ */ perRuntime((runtime) => new DynamoPolicyStore(dynamoClients(runtime).documents, runtime.config.configTable));

export const policies = /* @__PURE__ */ perRuntime((runtime) => new CachedPolicySource(policyStore(runtime), { ttlSeconds: runtime.config.policyTtlSeconds }));

/** The policy's admins and the bootstrap admins (src/http/access.ts). */
export const admins = /* @__PURE__ */ perRuntime((runtime) => policyAdmins(policies(runtime), runtime.config.bootstrapAdmins));

export const sessions = /* @__PURE__ */ perRuntime((runtime) => new DynamoSessionStore(dynamoClients(runtime).documents));

/** The provisioned-table registry in the config table. */
export const tableRegistry = /* @__PURE__ */ perRuntime((runtime) => new DynamoTableRegistry(dynamoClients(runtime).documents, runtime.config.configTable));

/** Whether a client-named table is a provisioned sessions table. */
export const sessionTables = /* @__PURE__ */ perRuntime((runtime) => new RegisteredSessionTables(tableRegistry(runtime)));

export const rateLimiter = /* @__PURE__ */ perRuntime((runtime) => new DynamoRateLimiter(dynamoClients(runtime).documents, runtime.config.configTable, runtime.config.rateLimit));

/** A new session's or a refresh's write with the request's count, one TransactWriteItems. */
export const countedWrites = /* @__PURE__ */ perRuntime((runtime) => new DynamoCountedWrites(rateLimiter(runtime), sessions(runtime)));

/** The session-table settings the routes that name tables share. */
export function tableSettings(runtime: { config: { tablePrefix: string; defaultSessionTable?: string } }): { tablePrefix: string; defaultSessionTable?: string } {
  const { tablePrefix, defaultSessionTable } = runtime.config;
  return { tablePrefix, ...(defaultSessionTable === undefined ? {} : { defaultSessionTable }) };
}
