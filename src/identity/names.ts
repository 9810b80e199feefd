/**
 * The names Sentinel gives the role sessions it opens (DESIGN.md, Identity):
 *
 * - `SourceIdentity`  = `sentinel:<user>:<via>:<requestId>`
 * - `RoleSessionName` = `sentinel-<user>-<requestId>`
 *
 * STS accepts at most 64 characters of `[A-Za-z0-9_+=,.@-]` in both. A user is built of
 * IAM names (already restricted to that set), `:` (after a kind, `iam:` or `role:`, and
 * after an account) and the one `/` of `role:<role>/<session>` (src/api/constants.ts,
 * USER_NAME). So only two characters can fall outside STS's set, and they are mapped,
 * always the same way: every `:` (the separators and those in the user) becomes `.`,
 * the `/` becomes `=`. `iam:alice` reads `sentinel.iam.alice.direct.0f3a9c21`,
 * `222233334444:role:deploy/ci-42` reads `sentinel.222233334444.role.deploy=ci-42.…`.
 * Nothing is ever stripped or truncated: a value that does not fit is a programming
 * error (resolveCaller refuses users that cannot be represented).
 *
 * The mapping is for reading CloudTrail, not for identifying anyone: it is not
 * injective, because `.` and `=` are IAM name characters too (a person signed in as
 * `iam.alice` and the IAM user `iam:alice` both read `iam.alice`; a person
 * `role.deploy=ci` and the role session `role:deploy/ci` both read `role.deploy=ci`).
 * The session record and the decision log keep the exact user.
 */

import { USER_NAME } from '../api/constants.js';
import { SentinelError } from '../errors.js';

/** The characters IAM allows in user, role and session names, and STS in SourceIdentity/RoleSessionName. */
export const IAM_NAME_CHARACTERS = 'A-Za-z0-9_+=,.@-';

/** STS's limit for SourceIdentity and RoleSessionName. */
export const STS_NAME_MAX_LENGTH = 64;

const IAM_NAME = new RegExp(`^[${IAM_NAME_CHARACTERS}]+$`);
const VIA = /^(?:direct|apr-[0-9a-f]{8}|bg-[0-9a-f]{8})$/;
const REQUEST_ID = /^[0-9a-f]{8,}$/;

const PREFIX = 'sentinel';
/** The longest `via` (`apr-` or `bg-` plus 8 hex digits; `apr-` is the longer prefix). */
const LONGEST_VIA = 'apr-00000000'.length;
const SHORTEST_REQUEST_ID = 8;

/**
 * The longest user that fits both names with the longest `via` and an 8-digit request
 * id: SourceIdentity is the tighter one, 64 − `sentinel.` (9) − `.` − 12 − `.` − 8 = 33.
 * (RoleSessionName alone would allow 64 − `sentinel-` − `-` − 8 = 46.)
 */
export const MAX_USER_LENGTH = STS_NAME_MAX_LENGTH - (PREFIX.length + 1) - 1 - LONGEST_VIA - 1 - SHORTEST_REQUEST_ID;

/** True when `name` is a non-empty string of IAM name characters. */
export function isIamName(name: string): boolean {
  return IAM_NAME.test(name);
}

/**
 * `sentinel:<user>:<via>:<requestId>` with `:` → `.` and `/` → `=`, e.g.
 * `sentinel.alice.direct.0f3a9c21`, `sentinel.role.deploy=ci-42.bg-0a1b2c3d.0f3a9c21`.
 *
 * @param via `direct`, `apr-<8 hex>` (approved request) or `bg-<8 hex>` (break-glass).
 * @param requestId 8 or more lowercase hex digits.
 * @throws SentinelError `INTERNAL` when an argument is malformed or the result would pass 64 characters.
 */
export function sourceIdentity(user: string, via: string, requestId: string): string {
  assertUser(user);
  if (!VIA.test(via)) {
    throw new SentinelError('INTERNAL', `sourceIdentity: via must be "direct", "apr-<8 hex>" or "bg-<8 hex>", got ${JSON.stringify(via)}`);
  }
  assertRequestId(requestId, 'sourceIdentity');
  return fit(toStsCharacters(`${PREFIX}:${user}:${via}:${requestId}`), 'SourceIdentity');
}

/**
 * `sentinel-<user>-<requestId>` with `:` → `.` and `/` → `=`, e.g. `sentinel-alice-0f3a9c21`,
 * `sentinel-role.deploy=ci-42-0f3a9c21`.
 *
 * @throws SentinelError `INTERNAL` when an argument is malformed or the result would pass 64 characters.
 */
export function roleSessionName(user: string, requestId: string): string {
  assertUser(user);
  assertRequestId(requestId, 'roleSessionName');
  return fit(toStsCharacters(`${PREFIX}-${user}-${requestId}`), 'RoleSessionName');
}

/** The deterministic mapping of the only two characters that can fall outside STS's set (see the module comment). */
function toStsCharacters(value: string): string {
  return value.replaceAll(':', '.').replaceAll('/', '=');
}

function assertUser(user: string): void {
  if (!USER_NAME.test(user) || user.length > MAX_USER_LENGTH) {
    // resolveCaller refuses such users with INVALID_IDENTITY; reaching here is a bug.
    throw new SentinelError('INTERNAL', `user ${JSON.stringify(user)} is not a representable Sentinel user (IAM name characters, at most ${MAX_USER_LENGTH})`);
  }
}

function assertRequestId(requestId: string, fn: string): void {
  if (!REQUEST_ID.test(requestId)) {
    throw new SentinelError('INTERNAL', `${fn}: request id must be 8 or more lowercase hex digits, got ${JSON.stringify(requestId)}`);
  }
}

function fit(value: string, what: string): string {
  if (value.length > STS_NAME_MAX_LENGTH) {
    // A request id longer than 8 digits can push a long user over the limit; never truncate.
    throw new SentinelError('INTERNAL', `${what} ${JSON.stringify(value)} is ${value.length} characters; STS allows ${STS_NAME_MAX_LENGTH}`);
  }
  return value;
}
