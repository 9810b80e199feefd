/** The whoami function: `GET /v1/whoami`. Reads the policy (admin flag); no STS. */

import type { FunctionRoutes } from '../http/route.js';
import { whoamiRoute } from '../http/routes/whoami.js';
import { policies } from './dynamo.js';
import type { Runtime } from './runtime.js';

export function whoamiFunction(runtime: Runtime): FunctionRoutes<'whoami'> {
  return { whoami: whoamiRoute({ policies: policies(runtime), bootstrapAdmins: runtime.config.bootstrapAdmins }) };
}
