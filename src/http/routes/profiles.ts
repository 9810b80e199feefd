import type { ProfilesResponse } from '../../api/contract.js';
import { visibleProfiles } from '../../policy/profiles.js';
import type { PolicySource } from '../../policy/source.js';
import { grantVia } from '../../vending/plan.js';
import type { GrantSource } from '../../vending/ports.js';
import type { RouteHandler } from '../route.js';

type ProfileEntry = ProfilesResponse['profiles'][number];

/** Whether a grant could open this profile: some mode refused by a plain deny or `require_approval`. */
function liftable(entry: ProfileEntry): boolean {
  return Object.values(entry.modes).some((mode) => mode.effect !== 'allow' && !mode.requiresServerMode && !mode.requiresSessionTracking);
}

/**
 * `GET /v1/profiles`: the profiles the caller could get, with what each mode would
 * meet, and for a refused profile the approved request or break-glass event that opens
 * it now. Grants are read only for profiles a grant could open, all at once.
 */
export function profilesRoute(deps: { policies: PolicySource; defaultSessionTable?: string; grants?: GrantSource }): RouteHandler<'profiles'> {
  return async ({ caller, receivedAt }) => {
    const loaded = await deps.policies.current(receivedAt);
    const context = deps.defaultSessionTable === undefined ? {} : { defaultSessionTable: deps.defaultSessionTable };
    const profiles: ProfileEntry[] = visibleProfiles(loaded, caller.user, receivedAt, context);
    const { grants } = deps;
    if (grants !== undefined) {
      await Promise.all(
        profiles.filter(liftable).map(async (entry) => {
          const open = (await grants.grantsFor({ user: caller.user, profile: entry.name, now: receivedAt }))
            .filter((grant) => grant.endsAt.getTime() > receivedAt.getTime())
            .sort((a, b) => b.endsAt.getTime() - a.endsAt.getTime())[0];
          if (open !== undefined) {
            entry.openedBy = { kind: open.kind, id: open.id, via: grantVia(open), until: open.endsAt.toISOString() };
          }
        }),
      );
    }
    return { status: 200, body: { profiles, policyVersion: loaded.version } };
  };
}
