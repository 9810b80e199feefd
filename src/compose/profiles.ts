/** The profiles function: `GET /v1/profiles`. Reads the policy; no STS. */

import type { FunctionRoutes } from '../http/route.js';
import { profilesRoute } from '../http/routes/profiles.js';
import { policies, tableSettings } from './dynamo.js';
import type { Runtime } from './runtime.js';

export function profilesFunction(runtime: Runtime): FunctionRoutes<'profiles'> {
  return { profiles: profilesRoute({ policies: policies(runtime), ...tableSettings(runtime) }) };
}
