/**
 * What each profile would give a caller: the `GET /v1/profiles` answer, and the
 * names an unknown-profile error may suggest (only profiles the caller could get, so
 * the error never reveals the rest of the policy).
 */

import type { ProfileModeOutcome, ProfilesResponse } from '../api/contract.js';
import { MODES } from './types.js';
import type { EvaluationContext, Mode } from './types.js';
import type { LoadedPolicy } from './source.js';

/** Every profile some mode would not plainly deny, in name order, with each mode's outcome. */
export function visibleProfiles(loaded: LoadedPolicy, user: string, now: Date, context: EvaluationContext): ProfilesResponse['profiles'] {
  const profiles = loaded.policy.profiles ?? {};
  const visible: ProfilesResponse['profiles'] = [];
  for (const name of Object.keys(profiles).sort()) {
    const profile = profiles[name];
    if (profile === undefined) continue;
    const modes = {} as Record<Mode, ProfileModeOutcome>;
    let reachable = false;
    for (const mode of MODES) {
      const decision = loaded.compiled.evaluate({ user, profile: name, mode, time: now }, context);
      modes[mode] = {
        effect: decision.effect,
        rule: decision.rule,
        requiresServerMode: decision.requiresServerMode,
        requiresSessionTracking: decision.requiresSessionTracking,
      };
      // A server-mode requirement is reachable: the caller only has to ask differently.
      if (decision.effect !== 'deny' || decision.requiresServerMode || decision.requiresSessionTracking) reachable = true;
    }
    if (!reachable) continue;
    visible.push({
      name,
      ...(profile.region === undefined ? {} : { region: profile.region }),
      ...(profile.maxDurationSeconds === undefined ? {} : { maxDurationSeconds: profile.maxDurationSeconds }),
      modes,
    });
  }
  return visible;
}
