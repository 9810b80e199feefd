/**
 * What each profile would give a caller: the `GET /v1/profiles` answer, and the
 * names an unknown-profile error may suggest (only profiles the caller could get, so
 * the error never reveals the rest of the policy).
 */

import { SentinelError } from '../errors.js';
import { didYouMean } from './suggest.js';
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
    const modes = modeOutcomes(loaded, user, name, now, context);
    if (!reachable(modes)) continue;
    visible.push({
      name,
      ...(profile.region === undefined ? {} : { region: profile.region }),
      ...(profile.maxDurationSeconds === undefined ? {} : { maxDurationSeconds: profile.maxDurationSeconds }),
      modes,
    });
  }
  return visible;
}

/**
 * Whether `user` may know that profile `name` exists: it exists and some mode would not
 * plainly deny it. A profile that is not visible is answered exactly like one that
 * does not exist, so refusals never reveal the rest of the policy.
 */
export function isVisibleProfile(loaded: LoadedPolicy, user: string, name: string, now: Date, context: EvaluationContext): boolean {
  const profiles = loaded.policy.profiles ?? {};
  return Object.hasOwn(profiles, name) && reachable(modeOutcomes(loaded, user, name, now, context));
}

function modeOutcomes(loaded: LoadedPolicy, user: string, name: string, now: Date, context: EvaluationContext): Record<Mode, ProfileModeOutcome> {
  const modes = {} as Record<Mode, ProfileModeOutcome>;
  for (const mode of MODES) {
    const decision = loaded.compiled.evaluate({ user, profile: name, mode, time: now }, context);
    modes[mode] = { effect: decision.effect, rule: decision.rule, requiresServerMode: decision.requiresServerMode, requiresSessionTracking: decision.requiresSessionTracking };
  }
  return modes;
}

/** The one answer for a profile that does not exist and for one the caller may not see: the did-you-mean lists only visible ones. */
export function unknownProfile(loaded: LoadedPolicy, user: string, name: string, now: Date, context: EvaluationContext): SentinelError {
  const known = visibleProfiles(loaded, user, now, context).map((entry) => entry.name);
  return new SentinelError('UNKNOWN_PROFILE', `no profile "${name}" in the policy${didYouMean(name, known)}`);
}

/** Some mode is not a plain deny; a server-mode requirement is reachable: the caller only has to ask differently. */
function reachable(modes: Record<Mode, ProfileModeOutcome>): boolean {
  return Object.values(modes).some((outcome) => outcome.effect !== 'deny' || outcome.requiresServerMode || outcome.requiresSessionTracking);
}
