/**
 * What the policy's `approvals` entries say about one profile (DESIGN.md, Policy
 * document; docs/policy.md, Approvals): who may approve, how many must, for how long,
 * and who is approved automatically. Pure: the policy in, plain data out.
 *
 * Several entries may list the same profile. Their terms combine so that adding an
 * entry never makes a request easier to get than any one entry alone would:
 *
 * - approvers: the union of every entry's `approvers` and the members of its
 *   `approver_groups` (any of them may approve);
 * - `min_approvals`: the largest (default 1);
 * - `max_duration`: the smallest (an entry without one allows 1 h);
 * - `auto_approve`: the first entry, in document order, whose `auto_approve` names the
 *   requester and whose `max_duration` (default, and at most: the combined one) the request fits.
 */

import type { ApprovalRule, Policy } from '../policy/types.js';
import { formatDuration } from '../policy/duration.js';

/** An approval entry without `max_duration` allows windows of an hour. */
export const DEFAULT_REQUEST_DURATION_SECONDS = 3600;

/** The combined terms of every approval entry that lists a profile. */
export interface ApprovalTerms {
  /** The entries, in document order. */
  rules: ApprovalRule[];
  /** Everyone who may approve (named, and members of the named groups). */
  approvers: ReadonlySet<string>;
  minApprovals: number;
  maxDurationSeconds: number;
}

/** The terms for `profile`, or undefined when no approval entry lists it (nobody could approve a request). */
export function approvalTerms(policy: Policy, profile: string): ApprovalTerms | undefined {
  const rules = policy.approvals.filter((rule) => rule.profiles.includes(profile));
  if (rules.length === 0) return undefined;
  const approvers = new Set<string>();
  for (const rule of rules) for (const user of approversOf(policy, rule)) approvers.add(user);
  return {
    rules,
    approvers,
    minApprovals: Math.max(...rules.map((rule) => rule.minApprovals ?? 1)),
    maxDurationSeconds: Math.min(...rules.map((rule) => rule.maxDurationSeconds ?? DEFAULT_REQUEST_DURATION_SECONDS)),
  };
}

/** Whether `user` may approve (or deny) requests for `profile` under `policy`. */
export function isApproverFor(policy: Policy, user: string, profile: string): boolean {
  return approvalTerms(policy, profile)?.approvers.has(user) ?? false;
}

/** The profiles `user` may approve requests for, in name order. */
export function approvableProfiles(policy: Policy, user: string): string[] {
  const profiles = new Set<string>();
  for (const rule of policy.approvals) {
    if (approversOf(policy, rule).has(user)) for (const profile of rule.profiles) profiles.add(profile);
  }
  return [...profiles].sort();
}

/**
 * Whether a request of `user` for `durationSeconds` is approved as soon as it is made:
 * the entry that does it and why, or undefined.
 */
export function autoApproval(terms: ApprovalTerms, user: string, durationSeconds: number): { rule: string; reason: string } | undefined {
  for (const rule of terms.rules) {
    const auto = rule.autoApprove;
    if (auto === undefined || !auto.users.includes(user)) continue;
    // Never beyond what any request may ask for.
    const max = Math.min(auto.maxDurationSeconds ?? terms.maxDurationSeconds, terms.maxDurationSeconds);
    if (durationSeconds > max) continue;
    return { rule: rule.name, reason: `"${user}" is approved automatically for up to ${formatDuration(max)} by approval rule "${rule.name}"` };
  }
  return undefined;
}

function approversOf(policy: Policy, rule: ApprovalRule): Set<string> {
  const users = new Set(rule.approvers);
  for (const group of rule.approverGroups) for (const member of policy.groups[group] ?? []) users.add(member);
  return users;
}
