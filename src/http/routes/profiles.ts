import type { ProfilesResponse } from '../../api/contract.js';
import { visibleProfiles } from '../../vending/profiles.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';

/** `GET /v1/profiles`: the profiles the caller could get, with what each mode would meet. */
export function profilesRoute(deps: AppDeps): Route {
  return {
    name: 'profiles',
    body: null,
    handle: async ({ caller, receivedAt }) => {
      const loaded = await deps.policies.current(receivedAt);
      const context = deps.config.defaultSessionTable === undefined ? {} : { defaultSessionTable: deps.config.defaultSessionTable };
      const body: ProfilesResponse = { profiles: visibleProfiles(loaded, caller.user, receivedAt, context), policyVersion: loaded.version };
      return { status: 200, body };
    },
  };
}
