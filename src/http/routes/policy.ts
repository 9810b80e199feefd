import { SentinelError } from '../../errors.js';
import { isAdmin } from '../../policy/admins.js';
import { denialFacts } from '../../policy/denial.js';
import { isVisibleProfile, unknownProfile } from '../../policy/profiles.js';
import { formatIssue, loadPolicy } from '../../policy/parse.js';
import type { PolicySource } from '../../policy/source.js';
import type { PolicyStore } from '../../policyStore/types.js';
import type { RouteHandler } from '../route.js';

/** How many validation problems a refused `PUT /v1/policy` lists (the CLI validates locally first). */
const MAX_LISTED_ISSUES = 20;

/** `GET /v1/policy` (admins; the stack checks): the current document's text and version. */
export function getPolicyRoute(deps: { policyStore: PolicyStore }): RouteHandler<'getPolicy'> {
  return async () => {
    const stored = await deps.policyStore.current();
    if (stored === undefined) throw new SentinelError('NOT_FOUND', 'no policy has been stored yet: push one with PUT /v1/policy (sentinel policy push)');
    return { status: 200, body: stored };
  };
}

/** `PUT /v1/policy` (admins; the stack checks): validates, then stores as the next version unless `expectedVersion` is stale (409). */
export function putPolicyRoute(deps: { policyStore: PolicyStore }): RouteHandler<'putPolicy'> {
  return async ({ body, caller, receivedAt }) => {
    const { issues } = loadPolicy(body.text, 'policy');
    const errors = issues.filter((issue) => issue.severity === 'error');
    if (errors.length > 0) {
      const listed = errors.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
      const more = errors.length > MAX_LISTED_ISSUES ? [`… and ${errors.length - MAX_LISTED_ISSUES} more`] : [];
      throw new SentinelError('INVALID_REQUEST', ['the policy is invalid:', ...listed, ...more].join('\n'));
    }
    const stored = await deps.policyStore.put(body.text, body.expectedVersion, caller.user, receivedAt);
    return { status: 200, body: { version: stored.version, updatedAt: stored.updatedAt } };
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
