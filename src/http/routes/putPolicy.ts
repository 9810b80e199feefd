/**
 * `PUT /v1/policy`, a module of its own so that the other policy functions do not load
 * the policy parser at start (src/http/routes/policy.ts).
 */

import { SentinelError } from '../../errors.js';
import { formatIssue, loadPolicy } from '../../policy/parse.js';
import type { PolicyStore } from '../../policyStore/types.js';
import type { RouteHandler } from '../route.js';

/** How many validation problems a refused `PUT /v1/policy` lists (the CLI validates locally first). */
const MAX_LISTED_ISSUES = 20;

/**
 * `PUT /v1/policy` (admins; the stack checks): validates, then stores the text and the
 * policy it was validated as (its document) as the next version unless `expectedVersion`
 * is stale (409).
 */
export function putPolicyRoute(deps: { policyStore: PolicyStore }): RouteHandler<'putPolicy'> {
  return async ({ body, caller, receivedAt }) => {
    const { policy, issues } = loadPolicy(body.text, 'policy');
    const errors = issues.filter((issue) => issue.severity === 'error');
    if (policy === undefined || errors.length > 0) {
      const listed = errors.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
      const more = errors.length > MAX_LISTED_ISSUES ? [`… and ${errors.length - MAX_LISTED_ISSUES} more`] : [];
      throw new SentinelError('INVALID_REQUEST', ['the policy is invalid:', ...listed, ...more].join('\n'));
    }
    const stored = await deps.policyStore.put({ text: body.text, policy }, body.expectedVersion, caller.user, receivedAt);
    return { status: 200, body: { version: stored.version, updatedAt: stored.updatedAt } };
  };
}
