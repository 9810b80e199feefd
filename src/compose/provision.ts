/** The provision function: the three provisioning routes (admins). The only function with the table control plane. */

import { iamPolicyRoute, provisionRoute, provisionStatusRoute } from '../http/routes/provision.js';
import type { ProvisioningDeps } from '../provisioning/provision.js';
import { DynamoProvisioner } from '../provisioning/DynamoProvisioner.js';
import { admins, dynamoClients, tableRegistry } from './dynamo.js';
import type { Composed, Runtime } from './runtime.js';
import { perRuntime } from './runtime.js';

export const provisioningDeps = /* @__PURE__ */ perRuntime(
  (runtime): ProvisioningDeps => ({
    provisioner: new DynamoProvisioner(dynamoClients(runtime).dynamodb),
    registry: tableRegistry(runtime),
    tablePrefix: runtime.config.tablePrefix,
    clock: runtime.clock,
  }),
);

export function provisionFunction(runtime: Runtime): Composed<'provision'> {
  const deps = provisioningDeps(runtime);
  const { tablePrefix, accountId, region } = runtime.config;
  return {
    routes: { provision: provisionRoute(deps), provisionStatus: provisionStatusRoute(deps), iamPolicy: iamPolicyRoute({ tablePrefix, accountId, region }) },
    admins: admins(runtime),
  };
}
