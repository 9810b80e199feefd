/**
 * Every function's composition, by name: the local stack serves them all from one
 * runtime. A Lambda entry imports only its own (functions/<name>.ts), so its bundle
 * holds only that function's code.
 */

import type { FunctionName } from '../api/routeTable.js';
import { checkSessionFunction } from './checkSession.js';
import { credentialsFunction } from './credentials.js';
import { endSessionFunction } from './endSession.js';
import { evaluatePolicyFunction, getPolicyFunction, putPolicyFunction } from './policy.js';
import { profilesFunction } from './profiles.js';
import { provisionFunction } from './provision.js';
import type { Composed, Runtime } from './runtime.js';
import { revokeSessionsFunction, sessionsFunction } from './sessions.js';
import { whoamiFunction } from './whoami.js';
import { requestsFunction } from './requests.js';
import { breakglassFunction } from './breakglass.js';

export const FUNCTIONS: { [F in FunctionName]: (runtime: Runtime) => Composed<F> } = {
  credentials: credentialsFunction,
  whoami: whoamiFunction,
  profiles: profilesFunction,
  getPolicy: getPolicyFunction,
  putPolicy: putPolicyFunction,
  evaluatePolicy: evaluatePolicyFunction,
  endSession: endSessionFunction,
  checkSession: checkSessionFunction,
  sessions: sessionsFunction,
  revokeSessions: revokeSessionsFunction,
  provision: provisionFunction,
  requests: requestsFunction,
  breakglass: breakglassFunction,
};
