/** The three policy functions: read, write (admins) and evaluate. */

import type { FunctionRoutes } from '../http/route.js';
import { evaluatePolicyRoute, getPolicyRoute, putPolicyRoute } from '../http/routes/policy.js';
import { admins, policies, policyStore, tableSettings } from './dynamo.js';
import type { Runtime } from './runtime.js';

export function getPolicyFunction(runtime: Runtime): FunctionRoutes<'getPolicy'> {
  return { getPolicy: getPolicyRoute({ policyStore: policyStore(runtime) }) };
}

export function putPolicyFunction(runtime: Runtime): FunctionRoutes<'putPolicy'> {
  return { putPolicy: putPolicyRoute({ policyStore: policyStore(runtime) }) };
}

export function evaluatePolicyFunction(runtime: Runtime): FunctionRoutes<'evaluatePolicy'> {
  return { evaluatePolicy: evaluatePolicyRoute({ policies: policies(runtime), admins: admins(runtime), ...tableSettings(runtime) }) };
}
