/**
 * The AWS side of revocation, made once per runtime: the ledger in the config table and
 * the role revoker (IAM in the function's own account, the `sentinel-revoker` role in
 * any other; the local stack passes an in-memory one). Only the revoke function and
 * the sweep import this, so only their bundles carry the IAM revocation code.
 */

import { createIamClient } from '../aws/iam.js';
import { partitionOf } from '../deploy/names.js';
import { iamClientsByAccount, IamRoleRevoker } from '../aws/IamRoleRevoker.js';
import type { AwsSideDeps } from '../sessions/awsSide.js';
import { DynamoRevocationLedger } from '../sessions/DynamoRevocationLedger.js';
import type { RoleRevoker } from '../sessions/revocation.js';
import { dynamoClients } from './dynamo.js';
import type { Runtime } from './runtime.js';
import { perRuntime } from './runtime.js';

export { partitionOf };

export const revocationLedger = /* @__PURE__ */ perRuntime((runtime) => new DynamoRevocationLedger(dynamoClients(runtime).documents, runtime.config.configTable));

export const roleRevoker = /* @__PURE__ */ perRuntime((runtime): RoleRevoker => {
  if (runtime.overrides.revoker !== undefined) return runtime.overrides.revoker;
  const { region, accountId } = runtime.config;
  return new IamRoleRevoker({ clientFor: iamClientsByAccount({ ownAccountId: accountId, ownClient: createIamClient({ region }), region, partition: partitionOf(region) }) });
});

/** What the revoke routes and the sweep share: the ledger, the revoker, and the runtime's logger. */
export function awsSideDeps(runtime: Runtime): AwsSideDeps {
  return { ledger: revocationLedger(runtime), revoker: roleRevoker(runtime), log: runtime.logger };
}
