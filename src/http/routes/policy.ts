import type { EvaluateRequest, EvaluateResponse, PolicyDocumentResponse, PutPolicyRequest, PutPolicyResponse } from '../../api/contract.js';
import { evaluateRequestSchema, putPolicyRequestSchema } from '../../api/schemas.js';
import { SentinelError } from '../../errors.js';
import { denialFacts } from '../../policy/denial.js';
import { formatIssue, loadPolicy } from '../../policy/parse.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';
import { requireAdmin } from './requireAdmin.js';

/** How many validation problems a refused `PUT /v1/policy` lists (the CLI validates locally first). */
const MAX_LISTED_ISSUES = 20;

/** `GET /v1/policy` (admins): the current document's text and version. */
export function getPolicyRoute(deps: AppDeps): Route {
  return {
    name: 'getPolicy',
    body: null,
    handle: async ({ caller, receivedAt }) => {
      await requireAdmin(deps, caller, receivedAt, 'read the policy');
      const stored = await deps.policyStore.current();
      if (stored === undefined) throw new SentinelError('NOT_FOUND', 'no policy has been stored yet: push one with PUT /v1/policy (sentinel policy push)');
      const body: PolicyDocumentResponse = stored;
      return { status: 200, body };
    },
  };
}

/** `PUT /v1/policy` (admins): validates, then stores as the next version unless `expectedVersion` is stale (409). */
export function putPolicyRoute(deps: AppDeps): Route<PutPolicyRequest> {
  return {
    name: 'putPolicy',
    body: putPolicyRequestSchema,
    handle: async ({ body, caller, receivedAt }) => {
      await requireAdmin(deps, caller, receivedAt, 'change the policy');
      const { issues } = loadPolicy(body.text, 'policy');
      const errors = issues.filter((issue) => issue.severity === 'error');
      if (errors.length > 0) {
        const listed = errors.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
        const more = errors.length > MAX_LISTED_ISSUES ? [`… and ${errors.length - MAX_LISTED_ISSUES} more`] : [];
        throw new SentinelError('INVALID_REQUEST', ['the policy is invalid:', ...listed, ...more].join('\n'));
      }
      const stored = await deps.policyStore.put(body.text, body.expectedVersion, caller.user, receivedAt);
      const response: PutPolicyResponse = { version: stored.version, updatedAt: stored.updatedAt };
      return { status: 200, body: response };
    },
  };
}

/** `POST /v1/policy/evaluate`: what the policy would decide, without issuing; other users' requests are for admins. */
export function evaluatePolicyRoute(deps: AppDeps): Route<EvaluateRequest> {
  return {
    name: 'evaluatePolicy',
    body: evaluateRequestSchema,
    handle: async ({ body, caller, receivedAt }) => {
      const user = body.user ?? caller.user;
      if (user !== caller.user) await requireAdmin(deps, caller, receivedAt, 'evaluate requests of other users');
      const loaded = await deps.policies.current(receivedAt);
      const time = body.time === undefined ? receivedAt : new Date(body.time);
      const request = { user, profile: body.profile, mode: body.mode, time, ...(body.sessionTable === undefined ? {} : { sessionTable: body.sessionTable }) };
      const context = deps.config.defaultSessionTable === undefined ? {} : { defaultSessionTable: deps.config.defaultSessionTable };
      const decision = loaded.compiled.evaluate(request, context);
      const response: EvaluateResponse = {
        user,
        profile: body.profile,
        mode: body.mode,
        time: time.toISOString(),
        ...decision,
        denial: denialFacts(loaded.policy, request, decision) ?? null,
        policyVersion: loaded.version,
      };
      return { status: 200, body: response };
    },
  };
}
