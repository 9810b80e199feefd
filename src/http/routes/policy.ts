/**
 * The policy routes that read: `GET /v1/policy` and `POST /v1/policy/evaluate`.
 * `PUT /v1/policy` is in src/http/routes/putPolicy.ts: it validates the text with the
 * policy parser, and with it the YAML library, which the functions of these two routes
 * must not load at a cold start (the evaluate function's policy cache loads the parser
 * with its first policy, src/policyStore/CachedPolicySource.ts).
 */

import { SentinelError } from '../../errors.js';
import { isAdmin } from '../../policy/admins.js';
import { denialFacts } from '../../policy/denial.js';
import { isVisibleProfile, unknownProfile } from '../../policy/profiles.js';
import type { PolicySource } from '../../policy/source.js';
import type { PolicyStore } from '../../policyStore/types.js';
import type { RouteHandler } from '../route.js';

/** `GET /v1/policy` (admins; the stack checks): the current document's text and version. */
export function getPolicyRoute(deps: { policyStore: PolicyStore }): RouteHandler<'getPolicy'> {
  return async () => {
    const stored = await deps.policyStore.current();
    if (stored === undefined) throw new SentinelError('NOT_FOUND', 'no policy has been stored yet: push one with PUT /v1/policy (sentinel policy push)');
    return { status: 200, body: stored };
  };
}

export interface EvaluatePolicyDeps {
  policies: PolicySource;
  /** Evaluating another user's request, or a profile one may not see, is for admins. */
  bootstrapAdmins: readonly string[];
  defaultSessionTable?: string;
}

/**
 * `POST /v1/policy/evaluate`: what the policy would decide, without issuing. Other
 * users' requests are for admins; anyone else asking about a profile they may not see
 * gets the answer `POST /v1/credentials` gives, UNKNOWN_PROFILE.
 */
export function evaluatePolicyRoute(deps: EvaluatePolicyDeps): RouteHandler<'evaluatePolicy'> {
  return async ({ body, caller, receivedAt }) => {
    const user = body.user ?? caller.user;
    const loaded = await deps.policies.current(receivedAt);
    const admin = isAdmin(caller.user, loaded.policy, deps.bootstrapAdmins);
    if (user !== caller.user && !admin) {
      throw new SentinelError('NOT_ADMIN', `only admins may evaluate requests of other users; "${caller.user}" is not in the policy's admins`);
    }
    const time = body.time === undefined ? receivedAt : new Date(body.time);
    const request = { user, profile: body.profile, mode: body.mode, time, ...(body.sessionTable === undefined ? {} : { sessionTable: body.sessionTable }) };
    const context = deps.defaultSessionTable === undefined ? {} : { defaultSessionTable: deps.defaultSessionTable };
    if (!admin && !isVisibleProfile(loaded, user, body.profile, time, context)) throw unknownProfile(loaded, user, body.profile, time, context);
    const decision = loaded.compiled.evaluate(request, context);
    return {
      status: 200,
      body: { user, profile: body.profile, mode: body.mode, time: time.toISOString(), ...decision, denial: denialFacts(loaded.policy, request, decision) ?? null, policyVersion: loaded.version },
    };
  };
}
