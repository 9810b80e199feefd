/**
 * Policy documents: YAML text → a validated {@link Policy}, or every problem found,
 * each naming file, line, column and the offending key or value.
 *
 * The walker reads the YAML syntax tree rather than plain JavaScript values so that
 * every message can point at the exact node. Nothing is silently defaulted: an
 * unknown key, effect, mode, weekday, timezone or duration is an error. No string of
 * the document (key or value) may hold a control character: names and reasons are
 * printed in terminals.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Scalar } from 'yaml';
import { PROFILE_NAME, REGION_NAME, STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS, TABLE_NAME, USER_NAME } from '../api/constants.js';
import { CodedError } from '../errors.js';
import { parseDuration } from './duration.js';
import { isTerminalControl, printable } from '../text.js';
import { didYouMean } from './suggest.js';
import { isValidTimeZone } from './time.js';
import {
  EFFECTS,
  MODES,
  WEEKDAYS,
  type ApprovalRule,
  type BreakglassRule,
  type Mode,
  type Policy,
  type PolicyIssue,
  type Profile,
  type Rule,
  type RuleConditions,
  type SourcePosition,
  type TimeWindow,
} from './types.js';

/** Raised by {@link parsePolicy}; `issues` holds every error found, in document order. */
export class PolicyValidationError extends CodedError<'INVALID_POLICY'> {
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[]) {
    const first = issues[0];
    const summary = first === undefined ? 'invalid policy' : formatIssue(first);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super('INVALID_POLICY', `${summary}${more}`);
    this.issues = issues;
  }
}

/** `file:line:col: message` — the form editors and CI annotators understand. */
export function formatIssue(issue: PolicyIssue): string {
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.col}: ${prefix}${issue.message}`;
}

/**
 * Largest document we read, in UTF-8 bytes: a realistic policy of about 16,000 rules
 * (bench/policy.bench.ts writes 10,000 in 2.5 MB). Reading takes time in proportion to
 * size, most of it in the yaml package's parser, and it happens once per push, in the
 * push handler (`putPolicy`, given a whole vCPU and 28 s for it, src/deploy/template.ts)
 * and in the CLI before it pushes: a document too long to read in time must be refused
 * here, with this message, not time out. Function instances read the document the push
 * stored (src/policy/document.ts), not the text. The store's own bound (gzip,
 * src/policyStore/DynamoPolicyStore.ts) is about as large.
 */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/** Alias expansions allowed per document, so a "billion laughs" document cannot blow up. */
const MAX_ALIAS_RESOLUTIONS = 1000;

const ROLE_ARN =
  /^arn:aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\d{12}:role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;
const REASON_CODE = /^[a-z0-9_-]{1,32}$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The code point of the first character of `text` a policy string may not hold, or undefined. */
export function controlCharacterIn(text: string): number | undefined {
  // By code unit, not code point: every character a terminal acts on is in the Basic
  // Multilingual Plane and no surrogate is one, so the first hit is the same character.
  // Every string of a document comes through here: printable ASCII skips the call.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 || code > 0x7e) && isTerminalControl(code)) return code;
  }
  return undefined;
}

/** Line feed, carriage return, next line, line and paragraph separators. */
const LINE_BREAKS = new Set([0x0a, 0x0d, 0x85, 0x2028, 0x2029]);

function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function controlMessage(what: string, code: number): string {
  if (LINE_BREAKS.has(code)) {
    return `${what} contains a line break (${codePointName(code)}): names and reasons are shown on one line; write it on one line (a YAML \`>-\` block folds lines without keeping a line break)`;
  }
  return `${what} contains a control character (${codePointName(code)}): policy text is shown in terminals, which act on such characters (retitle the window, erase lines, reorder text); remove it`;
}

/** A document value quoted for a message: JSON string syntax, control characters escaped. */
function quoted(value: string): string {
  return printable(JSON.stringify(value));
}


/**
 * Parse and validate a policy document. Never throws: problems come back as
 * `issues` (errors only; see `lintPolicy` for warnings), and `policy` is present
 * exactly when there are none.
 */
export function loadPolicy(text: string, file = '<policy>'): { policy?: Policy; issues: PolicyIssue[] } {
  const reader = new Reader(file);
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    reader.issues.push(issueAt(file, { line: 1, col: 1 }, '', `policy is larger than ${MAX_POLICY_BYTES} bytes`));
    return { issues: reader.issues };
  }
  const policy = reader.read(text);
  // Strings are checked field by field above; this finds what remains, in comments:
  // `sentinel policy pull` and `diff` print the document as stored.
  const raw = reader.issues.length === 0 ? rawControl(text) : undefined;
  if (raw !== undefined) reader.issues.push(issueAt(file, raw.position, '', controlMessage('a comment of the document', raw.code)));
  return reader.issues.length === 0 && policy !== undefined ? { policy, issues: [] } : { issues: reader.issues };
}

/** Anything but printable ASCII and the tab and line breaks YAML uses: where {@link rawControl} looks closer. */
const NOT_PLAIN = /[^\t\n\r\x20-\x7e]/g;

/**
 * The first character a terminal acts on, outside the tabs and line breaks YAML itself
 * uses, with its position: lines end at line feeds, columns count code points.
 * The regular expression skips the plain text (a whole document, so this matters), each
 * code unit it stops at is judged by `isTerminalControl` (as in {@link controlCharacterIn}),
 * and the position is worked out only for a hit.
 */
function rawControl(text: string): { code: number; position: SourcePosition } | undefined {
  NOT_PLAIN.lastIndex = 0;
  for (let match = NOT_PLAIN.exec(text); match !== null; match = NOT_PLAIN.exec(text)) {
    const code = text.charCodeAt(match.index);
    if (isTerminalControl(code)) return { code, position: positionOf(text, match.index) };
  }
  return undefined;
}

/** Line and column of the code unit at `index`, counted as {@link rawControl} documents. */
function positionOf(text: string, index: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) {
    line += 1;
    lineStart = at + 1;
  }
  return { line, col: 1 + [...text.slice(lineStart, index)].length };
}

/** Like {@link loadPolicy}, but throws {@link PolicyValidationError} when the document is invalid. */
export function parsePolicy(text: string, file = '<policy>'): Policy {
  const { policy, issues } = loadPolicy(text, file);
  if (policy === undefined) throw new PolicyValidationError(issues);
  return policy;
}

function issueAt(file: string, pos: SourcePosition, path: string, message: string): PolicyIssue {
  return { file, line: pos.line, col: pos.col, message, path, severity: 'error' };
}

const ROOT_KEYS = ['version', 'profiles', 'groups', 'rules', 'approvals', 'breakglass', 'admins'] as const;
const PROFILE_KEYS = ['role_arn', 'max_duration', 'region'] as const;
const RULE_KEYS = ['name', 'effect', 'conditions', 'reason', 'max_server_duration', 'session_table'] as const;
const CONDITION_KEYS = ['profiles', 'users', 'groups', 'mode', 'time'] as const;
const TIME_KEYS = ['days', 'hours', 'timezone'] as const;
const HOURS_KEYS = ['start', 'end'] as const;
const APPROVAL_KEYS = ['name', 'profiles', 'approvers', 'approver_groups', 'min_approvals', 'max_duration', 'auto_approve'] as const;
const AUTO_APPROVE_KEYS = ['users', 'max_duration'] as const;
const BREAKGLASS_KEYS = ['name', 'profiles', 'users', 'reason_codes', 'max_duration', 'rate_limit'] as const;
const RATE_LIMIT_KEYS = ['cooldown', 'max_per_user', 'max_per_profile', 'window'] as const;

/** A map's entries by key, each with the key node (for key errors) and its value. */
type Entries<K extends string> = Partial<Record<K, { key: Scalar; value: Node | null }>>;

/** One pass over one document; collects every issue instead of stopping at the first. */
class Reader {
  readonly issues: PolicyIssue[] = [];
  private lines = new LineCounter();
  private doc: Document.Parsed | undefined;
  private aliases = 0;
  /** Timezone names already checked: each check builds an `Intl.DateTimeFormat`, and large policies repeat a few zones. */
  private zones = new Map<string, boolean>();

  constructor(private readonly file: string) {}

  read(text: string): Policy | undefined {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: true });
    // Warnings (an unresolved `!tag`, say) would silently change a value's meaning: treat them as errors.
    const problems = [...this.doc.errors, ...this.doc.warnings];
    for (const error of problems) {
      const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
      // The library appends "at line L, column C" and a source excerpt; we already lead with file:line:col.
      const message = printable(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
      this.issues.push(issueAt(this.file, pos, '', `YAML syntax: ${message}`));
    }
    if (problems.length > 0) return undefined;
    const root = this.deref(this.doc.contents, '');
    if (isNull(root) || !isMap(root)) {
      this.error(root, '', 'a policy document must be a mapping with at least `version` and `rules`');
      return undefined;
    }
    const policy = this.policy(root);
    // Document order reads best; the walk visits sections out of order (references first).
    this.issues.sort((a, b) => a.line - b.line || a.col - b.col);
    return policy;
  }

  // ---- document sections -------------------------------------------------

  private policy(root: Node): Policy | undefined {
    const top = this.entries(root, '', ROOT_KEYS, ['version', 'rules']);
    if (top.version !== undefined) this.version(top.version.value, top.version.key);

    const profiles = top.profiles === undefined ? undefined : this.profiles(top.profiles.value, 'profiles');
    const groups = top.groups === undefined ? record<string[]>() : this.groups(top.groups.value, 'groups');
    const refs: References = { profiles, groups };

    const rules = this.list(top.rules?.value ?? null, 'rules', (node, path) => this.rule(node, path, refs));
    this.unique(rules, 'rules', 'rule');
    const approvals =
      top.approvals === undefined
        ? []
        : this.list(top.approvals.value, 'approvals', (node, path) => this.approval(node, path, refs));
    this.unique(approvals, 'approvals', 'approval rule');
    const breakglass =
      top.breakglass === undefined
        ? []
        : this.list(top.breakglass.value, 'breakglass', (node, path) => this.breakglass(node, path, refs));
    this.unique(breakglass, 'breakglass', 'break-glass rule');
    const admins = top.admins === undefined ? [] : this.users(top.admins.value, 'admins');

    if (this.issues.length > 0) return undefined;
    const policy: Policy = {
      version: '1',
      groups,
      rules: rules.map((entry) => entry.value),
      approvals: approvals.map((entry) => entry.value),
      breakglass: breakglass.map((entry) => entry.value),
      admins,
    };
    if (profiles !== undefined) policy.profiles = profiles;
    return policy;
  }

  private version(node: Node | null, key: Node): void {
    // `version: 1` (a number) loads too: documents of the original format were read
    // by a decoder that turned it into the string "1".
    if (node !== null && isScalar(node) && (node.value === '1' || node.value === 1)) return;
    if (node !== null && isScalar(node) && typeof node.value === 'string' && !this.printable(node, 'version', node.value)) return;
    const shown = node !== null && isScalar(node) ? (typeof node.value === 'string' ? quoted(node.value) : JSON.stringify(node.value)) : 'this value';
    this.error(node ?? key, 'version', `unsupported policy version ${shown}: this Sentinel reads version "1"`);
  }

  private profiles(node: Node | null, path: string): Record<string, Profile> {
    const result = record<Profile>();
    for (const { key, keyNode, value, path: at } of this.namedEntries(node, path, 'profile')) {
      const fields = this.entries(value, at, PROFILE_KEYS, ['role_arn'], keyNode);
      const roleArn =
        fields.role_arn &&
        this.pattern(fields.role_arn.value, `${at}.role_arn`, ROLE_ARN, 'role ARN', 'arn:aws:iam::111122223333:role/name');
      const profile: Profile = { roleArn: roleArn ?? '' };
      if (fields.max_duration !== undefined) {
        const seconds = this.duration(fields.max_duration.value, `${at}.max_duration`);
        if (seconds !== undefined && (seconds < STS_MIN_DURATION_SECONDS || seconds > STS_MAX_DURATION_SECONDS)) {
          this.error(fields.max_duration.value, `${at}.max_duration`, `max_duration of profile "${key}" must be between 15m and 12h (STS accepts 900 s to 43,200 s)`);
        }
        if (seconds !== undefined) profile.maxDurationSeconds = seconds;
      }
      if (fields.region !== undefined) {
        const region = this.pattern(fields.region.value, `${at}.region`, REGION_NAME, 'AWS region', 'eu-west-1');
        if (region !== undefined) profile.region = region;
      }
      result[key] = profile;
    }
    return result;
  }

  private groups(node: Node | null, path: string): Record<string, string[]> {
    const result = record<string[]>();
    for (const { key, value, path: at } of this.namedEntries(node, path, 'group')) {
      result[key] = this.users(value, at);
    }
    return result;
  }

  private rule(node: Node, path: string, refs: References): Named<Rule> | undefined {
    const fields = this.entries(node, path, RULE_KEYS, ['name', 'effect']);
    const name = fields.name && this.ruleName(fields.name.value, `${path}.name`);
    const effect = fields.effect && this.oneOf(fields.effect.value, `${path}.effect`, EFFECTS, 'effect');
    const rule: Rule = {
      name: name ?? '',
      effect: effect ?? 'deny',
      conditions:
        fields.conditions === undefined ? {} : this.conditions(fields.conditions.value, `${path}.conditions`, refs),
      position: this.position(node),
    };
    if (fields.reason !== undefined) {
      const label = (): string => (name === undefined ? describe(`${path}.reason`) : `reason of rule ${quoted(name)}`);
      const reason = this.string(fields.reason.value, `${path}.reason`, label);
      if (reason !== undefined) rule.reason = reason;
    }
    if (fields.max_server_duration !== undefined) {
      const seconds = this.duration(fields.max_server_duration.value, `${path}.max_server_duration`);
      if (effect === 'deny') this.error(fields.max_server_duration.key, `${path}.max_server_duration`, 'max_server_duration has no meaning on a deny rule: it issues nothing');
      if (seconds !== undefined) rule.maxServerDurationSeconds = seconds;
    }
    if (fields.session_table !== undefined) {
      const table = this.pattern(fields.session_table.value, `${path}.session_table`, TABLE_NAME, 'DynamoDB table name', 'sentinel-sessions');
      // The original format accepted it, and a deny rule issues nothing: kept, ignored, and
      // pointed out by the linter (DESIGN.md, Policy document).
      if (table !== undefined) rule.sessionTable = table;
    }
    return name === undefined ? undefined : { name, node: fields.name?.value ?? node, value: rule };
  }

  private conditions(node: Node | null, path: string, refs: References): RuleConditions {
    const fields = this.entries(node, path, CONDITION_KEYS, []);
    const conditions: RuleConditions = {};
    if (fields.profiles !== undefined) conditions.profiles = this.profileRefs(fields.profiles.value, `${path}.profiles`, refs);
    if (fields.users !== undefined) conditions.users = this.users(fields.users.value, `${path}.users`);
    if (fields.groups !== undefined) conditions.groups = this.groupRefs(fields.groups.value, `${path}.groups`, refs);
    if (fields.mode !== undefined) {
      conditions.mode = this.list(fields.mode.value, `${path}.mode`, (item, at) => this.oneOf(item, at, MODES, 'mode')) as Mode[];
    }
    if (fields.time !== undefined) {
      const time = this.time(fields.time.value, `${path}.time`, fields.time.key);
      if (time !== undefined) conditions.time = time;
    }
    return conditions;
  }

  private time(node: Node | null, path: string, key: Node): TimeWindow | undefined {
    const fields = this.entries(node, path, TIME_KEYS, [], key);
    if ((isNull(node) || isMap(node)) && fields.days === undefined && fields.hours === undefined) {
      this.error(isNull(node) ? key : node, path, 'a time condition needs `days`, `hours` or both');
    }
    let timezone = 'UTC';
    if (fields.timezone !== undefined) {
      const tz = this.string(fields.timezone.value, `${path}.timezone`);
      if (tz !== undefined && !this.knownZone(tz)) {
        this.error(fields.timezone.value, `${path}.timezone`, `unknown timezone "${tz}": use an IANA name such as "Europe/Paris" or "UTC"`);
      } else if (tz !== undefined) {
        timezone = tz;
      }
    }
    const window: TimeWindow = { timezone };
    if (fields.days !== undefined) {
      const days = this.list(fields.days.value, `${path}.days`, (item, at) => this.oneOf(item, at, WEEKDAYS, 'weekday'));
      // `days: []` (or `days:`) stays an empty list, which means every day, as in the
      // original format; the linter points it out.
      window.days = [...new Set(days.map((day) => WEEKDAYS.indexOf(day)))].sort((a, b) => a - b);
    }
    if (fields.hours !== undefined) {
      const hours = this.entries(fields.hours.value, `${path}.hours`, HOURS_KEYS, ['start', 'end'], fields.hours.key);
      const start = this.clock(hours.start?.value, `${path}.hours.start`);
      const end = this.clock(hours.end?.value, `${path}.hours.end`);
      if (start !== undefined && end !== undefined) {
        if (start === end) {
          this.error(hours.end?.value ?? null, `${path}.hours.end`, 'hours start and end are equal: the window would be empty; remove `hours` for the whole day');
        }
        window.hours = { start, end };
      }
    }
    return window;
  }

  private approval(node: Node, path: string, refs: References): Named<ApprovalRule> | undefined {
    const fields = this.entries(node, path, APPROVAL_KEYS, ['name', 'profiles']);
    const name = fields.name && this.ruleName(fields.name.value, `${path}.name`);
    const approval: ApprovalRule = {
      name: name ?? '',
      profiles: this.nonEmpty(fields.profiles, `${path}.profiles`, (n, p) => this.profileRefs(n, p, refs)),
      approvers: fields.approvers === undefined ? [] : this.users(fields.approvers.value, `${path}.approvers`),
      approverGroups:
        fields.approver_groups === undefined ? [] : this.groupRefs(fields.approver_groups.value, `${path}.approver_groups`, refs),
      position: this.position(node),
    };
    // Only when nothing is written: entries that failed have their own errors already.
    if (isEmptyList(fields.approvers?.value) && isEmptyList(fields.approver_groups?.value) && isMap(node)) {
      this.error(node, path, `approval rule "${approval.name}" names no one: give \`approvers\`, \`approver_groups\` or both`);
    }
    if (fields.min_approvals !== undefined) {
      const count = this.count(fields.min_approvals.value, `${path}.min_approvals`);
      if (count !== undefined) {
        approval.minApprovals = count;
        // Only named approvers can be counted: with groups, their members may make up the number.
        if (approval.approverGroups.length === 0 && approval.approvers.length > 0 && count > new Set(approval.approvers).size) {
          this.error(
            fields.min_approvals.value,
            `${path}.min_approvals`,
            `approval rule "${approval.name}" needs ${count} distinct approvers but names only ${new Set(approval.approvers).size}: no request could ever be approved`,
          );
        }
      }
    }
    if (fields.max_duration !== undefined) {
      const seconds = this.duration(fields.max_duration.value, `${path}.max_duration`);
      if (seconds !== undefined) approval.maxDurationSeconds = seconds;
    }
    if (fields.auto_approve !== undefined) {
      const at = `${path}.auto_approve`;
      const auto = this.entries(fields.auto_approve.value, at, AUTO_APPROVE_KEYS, ['users'], fields.auto_approve.key);
      approval.autoApprove = { users: this.nonEmpty(auto.users, `${at}.users`, (n, p) => this.users(n, p)) };
      if (auto.max_duration !== undefined) {
        const seconds = this.duration(auto.max_duration.value, `${at}.max_duration`);
        if (seconds !== undefined) approval.autoApprove.maxDurationSeconds = seconds;
      }
    }
    return name === undefined ? undefined : { name, node: fields.name?.value ?? node, value: approval };
  }

  private breakglass(node: Node, path: string, refs: References): Named<BreakglassRule> | undefined {
    const fields = this.entries(node, path, BREAKGLASS_KEYS, ['name', 'profiles', 'users', 'reason_codes']);
    const name = fields.name && this.ruleName(fields.name.value, `${path}.name`);
    const rule: BreakglassRule = {
      name: name ?? '',
      profiles: this.nonEmpty(fields.profiles, `${path}.profiles`, (n, p) => this.profileRefs(n, p, refs)),
      users: this.nonEmpty(fields.users, `${path}.users`, (n, p) => this.users(n, p)),
      reasonCodes: this.nonEmpty(fields.reason_codes, `${path}.reason_codes`, (n, p) =>
        this.list(n, p, (item, at) => this.pattern(item, at, REASON_CODE, 'reason code', 'incident')),
      ),
      position: this.position(node),
    };
    if (fields.max_duration !== undefined) {
      const seconds = this.duration(fields.max_duration.value, `${path}.max_duration`);
      if (seconds !== undefined) rule.maxDurationSeconds = seconds;
    }
    if (fields.rate_limit !== undefined) {
      const at = `${path}.rate_limit`;
      const limit = this.entries(fields.rate_limit.value, at, RATE_LIMIT_KEYS, []);
      const rateLimit: NonNullable<BreakglassRule['rateLimit']> = {};
      const cooldown = limit.cooldown && this.duration(limit.cooldown.value, `${at}.cooldown`);
      const window = limit.window && this.duration(limit.window.value, `${at}.window`);
      const perUser = limit.max_per_user && this.count(limit.max_per_user.value, `${at}.max_per_user`);
      const perProfile = limit.max_per_profile && this.count(limit.max_per_profile.value, `${at}.max_per_profile`);
      if (cooldown !== undefined) rateLimit.cooldownSeconds = cooldown;
      if (window !== undefined) rateLimit.windowSeconds = window;
      if (perUser !== undefined) rateLimit.maxPerUser = perUser;
      if (perProfile !== undefined) rateLimit.maxPerProfile = perProfile;
      rule.rateLimit = rateLimit;
    }
    return name === undefined ? undefined : { name, node: fields.name?.value ?? node, value: rule };
  }

  // ---- references ---------------------------------------------------------

  /** Profile names; when the document has a `profiles` section, each must be defined there. */
  private profileRefs(node: Node | null, path: string, refs: References): string[] {
    return this.list(node, path, (item, at) => {
      const name = this.pattern(item, at, PROFILE_NAME, 'profile name', 'prod');
      if (name !== undefined && refs.profiles !== undefined && !Object.hasOwn(refs.profiles, name)) {
        this.error(item, at, `unknown profile "${name}"${didYouMean(name, Object.keys(refs.profiles))}: define it under \`profiles\``);
        return undefined;
      }
      return name;
    });
  }

  private groupRefs(node: Node | null, path: string, refs: References): string[] {
    return this.list(node, path, (item, at) => {
      const name = this.string(item, at);
      if (name !== undefined && !Object.hasOwn(refs.groups, name)) {
        this.error(item, at, `unknown group "${name}"${didYouMean(name, Object.keys(refs.groups))}: define it under \`groups\``);
        return undefined;
      }
      return name;
    });
  }

  private users(node: Node | null, path: string): string[] {
    return this.list(node, path, (item, at) =>
      this.pattern(item, at, USER_NAME, 'user name', 'alice (an Identity Center person), iam:alice, or role:role-name/session-name'),
    );
  }

  private unique<T>(items: Named<T>[], path: string, what: string): void {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const first = seen.get(item.name);
      if (first === undefined) seen.set(item.name, index);
      else this.error(item.node, `${path}[${index}].name`, `duplicate ${what} name "${item.name}" (first used by ${path}[${first}])`);
    });
  }

  // ---- generic readers ----------------------------------------------------

  /**
   * A mapping's entries. Unknown keys are errors (with a suggestion), so are
   * missing required ones. A null value (`key:` with nothing after it) counts as an
   * empty mapping here so that the missing keys are reported.
   */
  private entries<K extends string>(
    raw: Node | null | undefined,
    path: string,
    known: readonly K[],
    required: readonly K[],
    anchor?: Node,
  ): Entries<K> {
    const node = this.deref(raw ?? null, path);
    const result: Entries<K> = {};
    if (!isNull(node) && !isMap(node)) {
      this.error(node, path, `${describe(path)} must be a mapping, not ${kindOf(node)}`);
      return result;
    }
    for (const pair of isMap(node) ? node.items : []) {
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.error(key, path, `keys must be plain strings in ${describe(path)}`);
        continue;
      }
      const name = key.value;
      if (!this.printable(key, path, name, () => (path === '' ? 'a key at the top level' : `a key in ${describe(path)}`))) continue;
      if (!(known as readonly string[]).includes(name)) {
        const where = path === '' ? 'at the top level' : `in ${path}`;
        this.error(key, join(path, name), `unknown key "${name}" ${where}${didYouMean(name, known)}; allowed: ${known.join(', ')}`);
        continue;
      }
      result[name as K] = { key, value: this.deref(pair.value as Node | null, join(path, name)) };
    }
    for (const name of required) {
      if (result[name] === undefined) {
        this.error(isNull(node) ? (anchor ?? node) : node, join(path, name), `missing required key "${name}" in ${describe(path)}`);
      }
    }
    return result;
  }

  /** `name: { … }` sections (profiles, groups), each name checked. */
  private namedEntries(raw: Node | null, path: string, what: string): NamedEntry[] {
    const node = this.deref(raw, path);
    if (isNull(node)) return [];
    if (!isMap(node)) {
      this.error(node, path, `${path} must be a mapping of ${what} names, not ${kindOf(node)}`);
      return [];
    }
    const out: NamedEntry[] = [];
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (isScalar(key) && typeof key.value === 'string' && !this.printable(key, path, key.value, () => `a ${what} name in ${describe(path)}`)) continue;
      if (!isScalar(key) || typeof key.value !== 'string' || !PROFILE_NAME.test(key.value)) {
        const shown = isScalar(key) ? (typeof key.value === 'string' ? quoted(key.value) : JSON.stringify(key.value)) : 'this key';
        this.error(key, path, `invalid ${what} name ${shown}: use 1–64 letters, digits, '.', '_' or '-'`);
        continue;
      }
      const at = `${path}.${key.value}`;
      out.push({ key: key.value, keyNode: key, value: this.deref(pair.value as Node | null, at), path: at });
    }
    return out;
  }

  /** A sequence; `key:` with no value is an empty list. Items that fail are dropped (their error recorded). */
  private list<T>(raw: Node | null, path: string, item: (node: Node, path: string) => T | undefined): T[] {
    const node = this.deref(raw, path);
    if (isNull(node)) return [];
    if (!isSeq(node)) {
      this.error(node, path, `${describe(path)} must be a list, not ${kindOf(node)}`);
      return [];
    }
    const out: T[] = [];
    node.items.forEach((child, index) => {
      const at = `${path}[${index}]`;
      const value = this.deref(child as Node | null, at);
      if (value === null || isNull(value)) {
        this.error(value ?? node, at, `empty entry in ${describe(path)}`);
        return;
      }
      const result = item(value, at);
      if (result !== undefined) out.push(result);
    });
    return out;
  }

  /** A required list that must not be empty (its absence is reported by `entries`). */
  private nonEmpty<T>(
    entry: { key: Scalar; value: Node | null } | undefined,
    path: string,
    read: (node: Node | null, path: string) => T[],
  ): T[] {
    if (entry === undefined) return [];
    const items = read(entry.value, path);
    const raw = entry.value;
    if (items.length === 0 && (isNull(raw) || (isSeq(raw) && raw.items.length === 0))) {
      this.error(raw ?? entry.key, path, `${describe(path)} must list at least one entry`);
    }
    return items;
  }

  /**
   * A string value. Every string of the document comes through here (keys through
   * `entries` and `namedEntries`), so none holding a control character gets further.
   * `what` names the value in that error (default: its path); it is a function so that
   * the label is built only for a message.
   */
  private string(node: Node | null, path: string, what?: () => string): string | undefined {
    if (node !== null && isScalar(node) && typeof node.value === 'string') {
      return this.printable(node, path, node.value, what) ? node.value : undefined;
    }
    this.error(node, path, `${describe(path)} must be a string, not ${kindOf(node)}`);
    return undefined;
  }

  /** Whether `text` is free of control characters; reports the first one otherwise, naming it `what()` (default: its path). */
  private printable(node: Node, path: string, text: string, what?: () => string): boolean {
    const code = controlCharacterIn(text);
    if (code === undefined) return true;
    this.error(node, path, controlMessage(what === undefined ? describe(path) : what(), code));
    return false;
  }

  private ruleName(node: Node | null, path: string): string | undefined {
    const name = this.string(node, path, () => `name of ${path.replace(/\.name$/, '')}`);
    if (name === undefined) return undefined;
    if (name.trim() === '' || name.length > 128) {
      this.error(node, path, 'a name must be 1–128 printable characters');
      return undefined;
    }
    return name;
  }

  private pattern(node: Node | null | undefined, path: string, re: RegExp, what: string, example: string): string | undefined {
    const value = this.string(node ?? null, path);
    if (value === undefined) return undefined;
    if (re.test(value)) return value;
    this.error(node ?? null, path, `invalid ${what} "${value}" (expected e.g. ${example})`);
    return undefined;
  }

  private oneOf<T extends string>(node: Node | null, path: string, allowed: readonly T[], what: string): T | undefined {
    const value = this.string(node, path);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.error(node, path, `unknown ${what} "${value}"${didYouMean(value, allowed)}; allowed: ${allowed.join(', ')}`);
    return undefined;
  }

  private duration(node: Node | null, path: string): number | undefined {
    if (node !== null && isScalar(node) && typeof node.value === 'number') {
      this.error(node, path, `durations are strings with a unit: write "${node.value}s" rather than a bare number ${node.value}`);
      return undefined;
    }
    const text = this.string(node, path);
    if (text === undefined) return undefined;
    const seconds = parseDuration(text);
    if (seconds === undefined) {
      this.error(node, path, `invalid duration "${text}": use a positive whole number of hours, minutes or seconds such as "900s", "15m", "1h" or "1h30m"`);
    }
    return seconds;
  }

  private clock(node: Node | null | undefined, path: string): number | undefined {
    const text = this.string(node ?? null, path);
    if (text === undefined) return undefined;
    const match = HHMM.exec(text);
    if (match === null) {
      this.error(node ?? null, path, `invalid time of day "${text}": use HH:MM from 00:00 to 23:59, quoted ("09:00")`);
      return undefined;
    }
    return Number(match[1]) * 60 + Number(match[2]);
  }

  private count(node: Node | null, path: string): number | undefined {
    if (node !== null && isScalar(node) && typeof node.value === 'number' && Number.isSafeInteger(node.value) && node.value > 0) {
      return node.value;
    }
    this.error(node, path, `${describe(path)} must be a positive whole number`);
    return undefined;
  }

  private knownZone(timeZone: string): boolean {
    let valid = this.zones.get(timeZone);
    if (valid === undefined) {
      valid = isValidTimeZone(timeZone);
      this.zones.set(timeZone, valid);
    }
    return valid;
  }

  // ---- positions and aliases ----------------------------------------------

  /** Follows `*alias` references (bounded) so that anchors behave as their targets. */
  private deref(node: Node | null, path: string): Node | null {
    let current: unknown = node;
    while (isAlias(current)) {
      this.aliases += 1;
      if (this.aliases > MAX_ALIAS_RESOLUTIONS) {
        this.error(current, path, `too many alias references (more than ${MAX_ALIAS_RESOLUTIONS})`);
        return null;
      }
      const target: unknown = current.resolve(this.doc!);
      if (target === undefined) {
        this.error(current, path, `unresolved alias *${current.source}`);
        return null;
      }
      current = target;
    }
    return (current as Node | null | undefined) ?? null;
  }

  private position(node: Node | null): SourcePosition {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : this.lines.linePos(offset);
  }

  private error(node: unknown, path: string, message: string): void {
    this.issues.push(issueAt(this.file, this.position((node as Node | null | undefined) ?? null), path, message));
  }
}

interface References {
  profiles: Record<string, Profile> | undefined;
  groups: Record<string, string[]>;
}

interface NamedEntry {
  key: string;
  keyNode: Node;
  value: Node | null;
  path: string;
}

interface Named<T> {
  name: string;
  node: Node;
  value: T;
}

/**
 * Name-keyed records without a prototype: a profile or group called `constructor`
 * or `__proto__` is just a name, never an inherited property.
 */
function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `key:` with nothing after it parses as a null scalar; treat it like an absent value. */
function isNull(node: Node | null): node is null | Scalar<null> {
  return node === null || (isScalar(node) && node.value === null);
}

/** Absent, `key:` with nothing after it, or `[]`. */
function isEmptyList(node: Node | null | undefined): boolean {
  return node === undefined || isNull(node) || (isSeq(node) && node.items.length === 0);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(path: string): string {
  return path === '' ? 'the document' : `\`${path}\``;
}

function kindOf(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return `the string ${quoted(value)}`;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
    return 'a tagged value';
  }
  return 'an unsupported value';
}

