/**
 * Hand-written checks of the two answers the CLI's hot paths wait for: `POST
 * /v1/credentials` (every `sentinel exec`, every `credential_process` miss, every
 * server-mode refresh) and `POST /v1/sessions/{id}/check` (every server-mode re-check).
 *
 * The schemas of src/api/responseSchemas.ts stay the authority. These exist because
 * loading zod, building a schema and running its date-time pattern the first time cost
 * a `sentinel exec` about 5 ms of CPU, which is more than the rest of its answer
 * handling (docs/performance.md, "CLI start-up"). Each check returns exactly what its
 * schema's parse returns (members the schema does not name left out), or undefined; the
 * API client then asks the schema, which accepts what it accepts and says what is wrong
 * with the rest. So a check may refuse more than its schema, never less:
 * test/unit/api/answerChecks.test.ts compares the two on generated answers, valid and
 * broken.
 */

import { isRecord } from '../records.js';
import type { CheckSessionResponse, CredentialsResponse } from './contract.js';
import type { RouteName } from './routeTable.js';

/**
 * What `z.iso.datetime({ offset: true })` accepts: a calendar date (leap years as the
 * Gregorian calendar has them), `T`, hours, minutes and seconds with any fraction, and
 * `Z` or an offset of at most ±23:59.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `value` is an ISO 8601 date and time the API's schemas accept (see {@link DATE_TIME}). */
export function isIsoDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = DATE_TIME.exec(value);
  if (parts === null) return false;
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number));
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isFilled = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/** `decision` of both answers: `{ effect: 'allow', rule }`. */
function allowDecision(value: unknown): { effect: 'allow'; rule: string } | undefined {
  if (!isRecord(value) || value['effect'] !== 'allow' || !isString(value['rule'])) return undefined;
  return { effect: 'allow', rule: value['rule'] };
}

/** The answer of `POST /v1/credentials`, as `credentialsResponse` parses it, or undefined. */
export function credentialsAnswer(json: unknown): CredentialsResponse | undefined {
  if (!isRecord(json)) return undefined;
  const { credentials, session, sourceIdentity, profile, region } = json;
  if (!isRecord(credentials) || !isString(sourceIdentity) || !isString(profile) || !(region === undefined || isString(region))) return undefined;
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials;
  if (!isFilled(accessKeyId) || !isFilled(secretAccessKey) || !isFilled(sessionToken) || !isIsoDateTime(expiration)) return undefined;
  let checkedSession: CredentialsResponse['session'] = null;
  if (session !== null) {
    if (!isRecord(session) || !isString(session['id']) || !isString(session['table']) || !isIsoDateTime(session['expiresAt'])) return undefined;
    checkedSession = { id: session['id'], table: session['table'], expiresAt: session['expiresAt'] };
  }
  const decision = allowDecision(json['decision']);
  if (decision === undefined) return undefined;
  return {
    credentials: { accessKeyId, secretAccessKey, sessionToken, expiration },
    session: checkedSession,
    sourceIdentity,
    profile,
    ...(region === undefined ? {} : { region }),
    decision,
  };
}

/** The answer of `POST /v1/sessions/{id}/check`, as `checkSessionResponse` parses it, or undefined. */
export function checkSessionAnswer(json: unknown): CheckSessionResponse | undefined {
  if (!isRecord(json)) return undefined;
  const { session, policyVersion } = json;
  if (!isRecord(session) || !isInt(policyVersion)) return undefined;
  const { id, status, expiresAt, lastAccessAt, requestCount } = session;
  if (!isString(id) || status !== 'active' || !isIsoDateTime(expiresAt) || !isIsoDateTime(lastAccessAt) || !isInt(requestCount)) return undefined;
  const decision = allowDecision(json['decision']);
  if (decision === undefined) return undefined;
  return { session: { id, status, expiresAt, lastAccessAt, requestCount }, decision, policyVersion };
}

/** The routes with a check of their own; every other route's answer goes to its schema. */
export const ANSWER_CHECKS: Partial<Record<RouteName, (json: unknown) => unknown>> = {
  credentials: credentialsAnswer,
  checkSession: checkSessionAnswer,
};
