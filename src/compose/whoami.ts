/** The whoami function: `GET /v1/whoami`. Reads the policy (admin flag); no STS. */

import { whoamiRoute } from '../http/routes/whoami.js';
import { policies } from './dynamo.js';
import type { Composed, Runtime } from './runtime.js';

export function whoamiFunction(runtime: Runtime): Composed<'whoami'> {
  return { routes: { whoami: whoamiRoute({ policies: policies(runtime), bootstrapAdmins: runtime.config.bootstrapAdmins }) } };
}
