/** The three policy functions: read, write (admins) and evaluate. */

import { evaluatePolicyRoute, getPolicyRoute } from '../http/routes/policy.js';
import { putPolicyRoute } from '../http/routes/putPolicy.js';
import { admins, policies, policyStore, tableSettings } from './dynamo.js';
import type { Composed, Runtime } from './runtime.js';

export function getPolicyFunction(runtime: Runtime): Composed<'getPolicy'> {
  return { routes: { getPolicy: getPolicyRoute({ policyStore: policyStore(runtime) }) }, admins: admins(runtime) };
}

export function putPolicyFunction(runtime: Runtime): Composed<'putPolicy'> {
  return { routes: { putPolicy: putPolicyRoute({ policyStore: policyStore(runtime) }) }, admins: admins(runtime) };
}

export function evaluatePolicyFunction(runtime: Runtime): Composed<'evaluatePolicy'> {
  return { routes: { evaluatePolicy: evaluatePolicyRoute({ policies: policies(runtime), bootstrapAdmins: runtime.config.bootstrapAdmins, ...tableSettings(runtime) }) } };
}
