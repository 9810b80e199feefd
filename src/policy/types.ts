/**
 * The policy document as Sentinel uses it after parsing and validation.
 *
 * Durations are whole seconds; times of day are minutes since local midnight.
 * Names follow DESIGN.md (Policy document); the YAML keys are snake_case, these
 * fields are camelCase.
 */

export const EFFECTS = ['allow', 'deny', 'require_approval', 'require_server', 'require_server_session'] as const;
export type Effect = (typeof EFFECTS)[number];

export const MODES = ['server', 'cli', 'credential_process'] as const;
export type Mode = (typeof MODES)[number];

/** Weekdays in JavaScript's order (`Date#getUTCDay`): sunday is 0. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Where a value stood in its file: 1-based line and column. */
export interface SourcePosition {
  line: number;
  col: number;
}

export interface TimeWindow {
  /** Weekdays as numbers 0 (sunday) … 6 (saturday); absent or empty = every day. */
  days?: number[];
  /** Start inclusive, end exclusive, minutes since local midnight; end < start wraps midnight. */
  hours?: { start: number; end: number };
  /** IANA timezone the window is judged in. */
  timezone: string;
}

export interface RuleConditions {
  /** Empty or absent = any. */
  profiles?: string[];
  users?: string[];
  groups?: string[];
  mode?: Mode[];
  time?: TimeWindow;
}

export interface Rule {
  name: string;
  effect: Effect;
  conditions: RuleConditions;
  reason?: string;
  maxServerDurationSeconds?: number;
  sessionTable?: string;
  /** Where the rule starts in the document (absent for policies built in code). */
  position?: SourcePosition;
}

export interface Profile {
  roleArn: string;
  maxDurationSeconds?: number;
  region?: string;
}

export interface ApprovalRule {
  name: string;
  profiles: string[];
  approvers: string[];
  approverGroups: string[];
  /** Distinct approvers a request needs (`min_approvals`, a quorum); absent means 1. */
  minApprovals?: number;
  maxDurationSeconds?: number;
  autoApprove?: { users: string[]; maxDurationSeconds?: number };
  position?: SourcePosition;
}

export interface BreakglassRule {
  name: string;
  profiles: string[];
  users: string[];
  reasonCodes: string[];
  maxDurationSeconds?: number;
  rateLimit?: {
    cooldownSeconds?: number;
    maxPerUser?: number;
    maxPerProfile?: number;
    windowSeconds?: number;
  };
  position?: SourcePosition;
}

export interface Policy {
  version: '1';
  /** Absent in documents of the original format (only `version` + `rules`). */
  profiles?: Record<string, Profile>;
  groups: Record<string, string[]>;
  rules: Rule[];
  approvals: ApprovalRule[];
  breakglass: BreakglassRule[];
  admins: string[];
}

/** One credential request as the policy sees it. */
export interface EvaluationRequest {
  user: string;
  profile: string;
  mode: Mode;
  time: Date;
  /** The table the client asked for (`--session-table` / `SENTINEL_SESSION_TABLE`). */
  sessionTable?: string;
}

/** Deployment settings the decision depends on. */
export interface EvaluationContext {
  /** `SENTINEL_DEFAULT_SESSION_TABLE`; absent when the deployment sets none. */
  defaultSessionTable?: string;
}

/**
 * The outcome of evaluating one request.
 *
 * `effect` is what happens now: `require_server` and `require_server_session` rules
 * become `allow` or `deny` (with the flags saying what was missing).
 */
export interface Decision {
  effect: 'allow' | 'deny' | 'require_approval';
  /** Name of the matching rule; empty for the default deny. */
  rule: string;
  /** Index of the matching rule; -1 for the default deny. */
  ruleIndex: number;
  reason: string;
  requiresServerMode: boolean;
  requiresSessionTracking: boolean;
  /**
   * The effective session table: the rule's, else the request's, else the deployment
   * default; null when there is none, and always null when the effect comes from a
   * `deny` rule or the default deny.
   */
  sessionTable: string | null;
  maxServerDurationSeconds: number | null;
}

/** One problem found in a policy document, pointing at the offending key or value. */
export interface PolicyIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  /** Where in the document, e.g. `rules[2].conditions.time.timezone`. */
  path: string;
  severity: 'error' | 'warning';
}
