/** The profiles function: `GET /v1/profiles`. Reads the policy, and the caller's open grants for refused profiles; no STS. */

import { profilesRoute } from '../http/routes/profiles.js';
import { policies, tableSettings } from './dynamo.js';
import { grantSource } from './grants.js';
import type { Composed, Runtime } from './runtime.js';

export function profilesFunction(runtime: Runtime): Composed<'profiles'> {
  return { routes: { profiles: profilesRoute({ policies: policies(runtime), ...tableSettings(runtime), grants: grantSource(runtime) }) } };
}
