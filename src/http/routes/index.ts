/**
 * Every route of the API with its method and path: the local stack serves exactly
 * these, and functions/ has one thin file per entry (serverless.yml maps them).
 */

import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';
import { credentialsRoute } from './credentials.js';
import { endSessionRoute } from './endSession.js';
import { evaluatePolicyRoute, getPolicyRoute, putPolicyRoute } from './policy.js';
import { profilesRoute } from './profiles.js';
import { iamPolicyRoute, provisionRoute, provisionStatusRoute } from './provision.js';
import { whoamiRoute } from './whoami.js';

export interface RouteEntry {
  /** The file in functions/ (and the Lambda function's name in serverless.yml). */
  functionName: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  // Each route has its own body type; the table only needs to build them.
  route: (deps: AppDeps) => Route<never>;
}

export const ROUTES: readonly RouteEntry[] = [
  { functionName: 'credentials', method: 'POST', path: '/v1/credentials', route: credentialsRoute as RouteEntry['route'] },
  { functionName: 'whoami', method: 'GET', path: '/v1/whoami', route: whoamiRoute as RouteEntry['route'] },
  { functionName: 'profiles', method: 'GET', path: '/v1/profiles', route: profilesRoute as RouteEntry['route'] },
  { functionName: 'getPolicy', method: 'GET', path: '/v1/policy', route: getPolicyRoute as RouteEntry['route'] },
  { functionName: 'putPolicy', method: 'PUT', path: '/v1/policy', route: putPolicyRoute as RouteEntry['route'] },
  { functionName: 'evaluatePolicy', method: 'POST', path: '/v1/policy/evaluate', route: evaluatePolicyRoute as RouteEntry['route'] },
  { functionName: 'endSession', method: 'POST', path: '/v1/sessions/{id}/end', route: endSessionRoute as RouteEntry['route'] },
  { functionName: 'provision', method: 'POST', path: '/v1/provision', route: provisionRoute as RouteEntry['route'] },
  { functionName: 'provision', method: 'GET', path: '/v1/provision/iam-policy', route: iamPolicyRoute as RouteEntry['route'] },
  { functionName: 'provision', method: 'GET', path: '/v1/provision/{table}', route: provisionStatusRoute as RouteEntry['route'] },
];
