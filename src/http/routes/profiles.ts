import { visibleProfiles } from '../../policy/profiles.js';
import type { PolicySource } from '../../policy/source.js';
import type { RouteHandler } from '../route.js';

/** `GET /v1/profiles`: the profiles the caller could get, with what each mode would meet. */
export function profilesRoute(deps: { policies: PolicySource; defaultSessionTable?: string }): RouteHandler<'profiles'> {
  return async ({ caller, receivedAt }) => {
    const loaded = await deps.policies.current(receivedAt);
    const context = deps.defaultSessionTable === undefined ? {} : { defaultSessionTable: deps.defaultSessionTable };
    return { status: 200, body: { profiles: visibleProfiles(loaded, caller.user, receivedAt, context), policyVersion: loaded.version } };
  };
}
