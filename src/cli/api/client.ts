/**
 * The Sentinel API client of the CLI: every call SigV4-signed (service `execute-api`)
 * with the user's own AWS credentials, sent over node:http(s) (src/cli/api/transport.ts), retried within bounds, and
 * every failure turned into an {@link ApiError} with a stable code.
 *
 * Retries (docs/cli.md, Retries). At most `maxAttempts` attempts (default 3), each
 * re-signed (a fresh `x-amz-date`) and given its own timeout (default 10 s). Between
 * attempts: the server's `Retry-After` when it sends one (a wait above 10 s is not
 * worth blocking a command for: the error is reported instead), else full-jitter
 * exponential backoff. What may be retried depends on what a repeat could do:
 *
 * - reads (`GET` routes, `POST /v1/policy/evaluate`, which only simulates): 429, 503,
 *   network errors and timeouts.
 * - `POST /v1/credentials`: 429 (refused before anything happens), Sentinel's own 503
 *   `UNAVAILABLE` (the API's contract: a failed dependency never issues credentials),
 *   and network errors that happened before a connection existed. Not a timeout, a
 *   reset connection or API Gateway's own 503 (its integration timeout): the function
 *   may still have written a session item and minted credentials, and a repeat would
 *   create a second session nobody holds the credentials of.
 * - `PUT /v1/policy`, `POST /v1/sessions/{id}/end`: 429 and network errors before a
 *   connection existed. A repeat of a write that did land would fail misleadingly
 *   (`CONFLICT` against one's own push, `SESSION_ENDED`).
 * - `POST /v1/provision`: with `plan: true` a read; otherwise like the writes above.
 *   A repeated create would be harmless (the API answers `CREATING` again), but
 *   retrying the refusals it gets (the account's table limit, missing permissions)
 *   only delays the message. `GET /v1/provision/{table}` is a read: it moves creation
 *   on idempotently.
 *
 * A 4xx other than 429 is never retried: a denial does not change by asking again.
 *
 * The SDK's retry strategy (@smithy/core) is not used: it sleeps on real timers itself
 * and decides by error type alone, while what is safe here depends on the route.
 */

import { setTimeout as delay } from 'node:timers/promises';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
// What one call needs and nothing more: the route table (which builds no schema) and,
// for the answers of `POST /v1/credentials` and of a session check (what `sentinel
// exec`, a `credential_process` miss and server mode wait for), their hand-written
// checks (src/api/answerChecks.ts). The response schemas (src/api/responseSchemas.ts,
// built one at a time) are imported only for another route's answer, for an error body,
// or for an answer a check refused: building the schema and its first parse cost
// `sentinel exec` about 4 ms. (zod itself loads with the route table, which names each
// route's request schema by the function that builds it; none is built here.)
import { ANSWER_CHECKS } from '../../api/answerChecks.js';
import type { ResponseOf } from '../../api/responseSchemas.js';
import { retryClassOf, ROUTE_TABLE } from '../../api/routeTable.js';
import type { BodyOf, HttpMethod, RetryClass, RouteName } from '../../api/routeTable.js';
import type { ApiSettings, SentinelApi } from './types.js';
import { isRecord } from '../../records.js';
import { ApiError } from './types.js';
import { shellWord } from '../guidance.js';
import { loadAws } from './aws.js';
import { nodeTransport } from './transport.js';
import type { Transport, TransportResponse } from './transport.js';

/** How the client is built; everything but `settings` has a production default. */
export interface ApiClientOptions {
  /** Signing credentials; default the AWS SDK's Node.js chain for `settings.awsProfile`. */
  credentials?: AwsCredentialIdentityProvider;
  /** Time allowed for one attempt, response body included. Default 10,000 ms. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 3. */
  maxAttempts?: number;
  /** Sends one request; default node:http(s) (`nodeTransport`). Commands pass `earlyConnectingTransport`'s; tests may pass `fetch`. */
  fetch?: Transport;
  /** Waits between attempts; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
  random?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 3;
/** Longest `Retry-After` the client waits out; a longer one is reported to the user instead. */
const MAX_RETRY_AFTER_MS = 10_000;
/** Full jitter: a retry waits a random time below min(cap, base × 2^(retry − 1)). */
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 2_000;
/** Keeps an unexpected body's text short in an error message. */
const MAX_QUOTED_CHARS = 200;

/** One call of a route of the table (src/api/routeTable.ts): the path with its parameters filled in. */
interface Call {
  route: { name: RouteName; method: HttpMethod; path: string };
  path: string;
  /** What a repeat could do (the route's retry class, for this body): decides what is retried. */
  kind: RetryClass;
  body?: unknown;
  /** Query parameters: signed and sent with the same encoding. */
  query?: Record<string, string>;
}

/** Node's codes for failures before a connection existed: the request never left this machine. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
};

/** One attempt's outcome: a value, or an error and whether another attempt may follow (after `waitMs`, when the server said). */
type Attempt = { ok: true; value: unknown } | { ok: false; error: ApiError; retryable: boolean; retryAfterMs?: number };

/** What the failure messages name: where the API is, how it is signed, how long an attempt may take. */
interface Target {
  apiUrl: string;
  region: string;
  timeoutMs: number;
}

/**
 * Creates the client. Nothing is loaded or resolved until the first call; the AWS SDK's
 * credential chain is imported then, so commands that fail earlier stay fast.
 */
export function createApiClient(settings: ApiSettings, options: ApiClientOptions = {}): SentinelApi {
  const base = new URL(settings.apiUrl);
  const target: Target = { apiUrl: settings.apiUrl, region: settings.region, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const send = options.fetch ?? nodeTransport;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;

  let provider: Promise<AwsCredentialIdentityProvider> | undefined;
  async function credentials(): Promise<AwsCredentialIdentity> {
    provider ??= options.credentials === undefined ? defaultChain(settings.awsProfile) : Promise.resolve(options.credentials);
    try {
      // The chain memoises and refreshes expiring credentials itself, so ask it every attempt.
      return await (await provider)();
    } catch (error) {
      throw noCredentials(settings.awsProfile, error);
    }
  }

  async function attempt(call: Call): Promise<Attempt> {
    const { url, init } = await signedRequest(base, settings.region, await credentials(), call);
    let response: TransportResponse;
    let text: string;
    try {
      response = await send(url, { ...init, signal: AbortSignal.timeout(target.timeoutMs) });
      text = await response.text();
    } catch (error) {
      return networkFailure(target, error, call);
    }
    return await interpret(target, response, text, call);
  }

  async function call(spec: Call): Promise<unknown> {
    for (let number = 1; ; number += 1) {
      const outcome = await attempt(spec);
      if (outcome.ok) return outcome.value;
      const last = number >= maxAttempts || !outcome.retryable || (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > MAX_RETRY_AFTER_MS);
      if (last) throw withAttempts(outcome.error, number);
      await sleep(outcome.retryAfterMs ?? Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (number - 1))));
    }
  }

  /** Calls route `name` of the table; the answer has been checked against its response schema. */
  async function request<Name extends RouteName>(name: Name, input: { body?: BodyOf<Name>; path?: Record<string, string>; query?: Record<string, string> } = {}): Promise<ResponseOf<Name>> {
    const { method, path: template } = ROUTE_TABLE[name];
    const route = { name, method, path: template };
    const path = route.path.replace(/\{(\w+)\}/g, (_match, parameter: string) => encodeURIComponent(input.path?.[parameter] ?? ''));
    const spec: Call = { route, path, kind: retryClassOf(name, input.body), ...(input.body === undefined ? {} : { body: input.body }), ...(input.query === undefined ? {} : { query: input.query }) };
    // Checked in interpret() (its route's check or schema); TypeScript cannot follow the generic through the table.
    return (await call(spec)) as ResponseOf<Name>;
  }

  return {
    credentials: (body) => request('credentials', { body }),
    whoami: () => request('whoami'),
    profiles: () => request('profiles'),
    getPolicy: () => request('getPolicy'),
    putPolicy: (body) => request('putPolicy', { body }),
    evaluate: (body) => request('evaluatePolicy', { body }),
    endSession: (id, body) => request('endSession', { body, path: { id } }),
    checkSession: (id, body) => request('checkSession', { body, path: { id } }),
    listSessions: (query) => request('listSessions', { query }),
    showSession: (id, query) => request('showSession', { path: { id }, query }),
    revokeSession: (id, body) => request('revokeSession', { body, path: { id } }),
    revokeSessions: (body) => request('revokeSessions', { body }),
    createRequest: (body) => request('createRequest', { body }),
    listRequests: (query) => request('listRequests', { query }),
    showRequest: (id) => request('showRequest', { path: { id } }),
    approveRequest: (id, body) => request('approveRequest', { body, path: { id } }),
    denyRequest: (id, body) => request('denyRequest', { body, path: { id } }),
    cancelRequest: (id) => request('cancelRequest', { path: { id } }),
    invokeBreakglass: (body) => request('invokeBreakglass', { body }),
    listBreakglass: (query) => request('listBreakglass', { query }),
    closeBreakglass: (id, body) => request('closeBreakglass', { body, path: { id } }),
    provision: (body) => request('provision', { body }),
    provisionStatus: (table, kind) => request('provisionStatus', { path: { table }, query: { kind } }),
    iamPolicy: (kind, table) => request('iamPolicy', { query: { kind, table } }),
  };
}

/** The request of one attempt, SigV4-signed (service `execute-api`) with a fresh `x-amz-date`. */
async function signedRequest(base: URL, region: string, identity: AwsCredentialIdentity, call: Call): Promise<{ url: URL; init: { method: string; headers: Record<string, string>; body?: string } }> {
  const path = `${base.pathname.replace(/\/+$/, '')}${call.path}`;
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const { SignatureV4, Hash } = await loadAws();
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: identity, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({
    method: call.route.method,
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port === '' ? {} : { port: Number(base.port) }),
    path,
    query: call.query ?? {},
    headers: { host: base.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  // The transport writes Host itself (the same value); every other signed header goes as signed.
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = value;
  return { url: new URL(`${path}${queryString(call.query)}`, base.origin), init: { method: call.route.method, headers, ...(body === undefined ? {} : { body }) } };
}

function networkFailure(target: Target, error: unknown, call: Call): Attempt {
  if (isTimeout(error)) {
    const message = `the Sentinel API at ${target.apiUrl} did not answer ${call.route.method} ${call.path} within ${seconds(target.timeoutMs)}`;
    return { ok: false, error: new ApiError('API_TIMEOUT', message, { cause: error }), retryable: call.kind === 'read' };
  }
  const code = networkCode(error);
  const reason = code === undefined ? networkMessage(error) : (NETWORK_REASONS[code] ?? (code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS certificate problem (${code})` : code));
  const message = `cannot reach the Sentinel API at ${target.apiUrl}: ${reason} (check --api / SENTINEL_API_URL)`;
  const neverSent = code !== undefined && NOT_CONNECTED.has(code);
  return { ok: false, error: new ApiError('API_UNREACHABLE', message, { cause: error }), retryable: call.kind === 'read' || neverSent };
}

/** An answer: the route's checked body, or the error it stands for and whether a retry may help. */
async function interpret(target: Target, response: TransportResponse, text: string, call: Call): Promise<Attempt> {
  const status = response.status;
  const headerRequestId = response.headers.get('apigw-requestid') ?? undefined;
  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    if (!isRecord(json)) return { ok: false, error: badResponse(target, status, 'a body that is not a JSON object', text, headerRequestId), retryable: false };
    // The answer is what the route table says it is, or it is not used. A hand-written
    // check accepts only what the schema does; what it refuses, the schema decides and describes.
    const value = ANSWER_CHECKS[call.route.name]?.(json);
    if (value !== undefined) return { ok: true, value };
    const [{ RESPONSES }, { describeValidationError }] = await Promise.all([import('../../api/responseSchemas.js'), import('../../api/requestSchemas.js')]);
    const checked = RESPONSES[call.route.name]().safeParse(json);
    if (checked.success) return { ok: true, value: checked.data };
    const what = `a body that is not a ${call.route.method} ${call.route.path} answer (${describeValidationError(checked.error)})`;
    return { ok: false, error: badResponse(target, status, what, '', headerRequestId), retryable: false };
  }

  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const { errorBody } = await import('../../api/responseSchemas.js');
  const body = errorBody().safeParse(json);
  let error: ApiError;
  if (body.success) {
    const { code, message, denial } = body.data.error;
    const requestId = body.data.error.requestId === '' ? headerRequestId : body.data.error.requestId;
    error = new ApiError(code, message, { status, ...(requestId === undefined ? {} : { requestId }), ...(denial === undefined ? {} : { denial }) });
  } else if (isRecord(json) && typeof json['message'] === 'string' && Object.keys(json).length === 1) {
    error = gatewayError(target, status, json['message'], call, headerRequestId);
  } else {
    error = badResponse(target, status, text === '' ? 'an empty body' : 'an unexpected body', text, headerRequestId);
  }
  const retryable = status === 429 || (status === 503 && (call.kind === 'read' || (call.kind === 'issue' && body.success && error.code === 'UNAVAILABLE')));
  return { ok: false, error, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** API Gateway's own `{"message": …}` answers: Sentinel never saw the request. */
function gatewayError(target: Target, status: number, message: string, call: Call, requestId: string | undefined): ApiError {
  const details = { status, ...(requestId === undefined ? {} : { requestId }) };
  if (status === 401 || status === 403) {
    return new ApiError(
      'API_FORBIDDEN',
      `the API refused the request signature: check that your AWS credentials are valid and that the region (${target.region}) is the API's`,
      details,
    );
  }
  if (status === 429) return new ApiError('RATE_LIMITED', `the API is throttling requests (HTTP 429 ${quoted(message)}): try again in a moment`, details);
  if (status === 404) {
    return new ApiError(
      'API_BAD_RESPONSE',
      `the API at ${target.apiUrl} has no route ${call.route.method} ${call.path} (HTTP 404): check --api / SENTINEL_API_URL, including the stage path if the API has one`,
      details,
    );
  }
  return new ApiError('API_BAD_RESPONSE', `the API at ${target.apiUrl} answered HTTP ${status} ${quoted(message)}`, details);
}

function badResponse(target: Target, status: number, what: string, text: string, requestId: string | undefined): ApiError {
  const excerpt = text.trim() === '' ? '' : `: ${quoted(text)}`;
  return new ApiError('API_BAD_RESPONSE', `the API at ${target.apiUrl} answered HTTP ${status} with ${what}${excerpt}`, {
    status,
    ...(requestId === undefined ? {} : { requestId }),
  });
}

async function defaultChain(profile: string | undefined): Promise<AwsCredentialIdentityProvider> {
  // Imported here, not at the top: the SDK is large and most failures happen before it is needed.
  const { fromNodeProviderChain } = await loadAws();
  return fromNodeProviderChain(profile === undefined ? {} : { profile });
}

/**
 * The SDK's own text is left out on purpose: it can quote the output of a
 * `credential_process` command. It stays in `cause`, which only a log would show. A
 * profile named by --aws-profile or by AWS_PROFILE (which the SDK's chain reads when
 * --aws-profile is not given) is named, with where it was named: a misspelt or missing
 * profile is the usual cause.
 */
function noCredentials(profile: string | undefined, cause: unknown): ApiError {
  const fromEnvironment = process.env['AWS_PROFILE'];
  const named =
    profile !== undefined ? { name: profile, by: '--aws-profile' } : fromEnvironment !== undefined && fromEnvironment !== '' ? { name: fromEnvironment, by: 'AWS_PROFILE' } : undefined;
  const message =
    named === undefined
      ? 'the AWS SDK found none (AWS_PROFILE, environment variables, SSO, instance roles…). Pass --aws-profile <name> or set AWS_PROFILE, or run aws sso login if your SSO session has expired (aws sts get-caller-identity shows the SDK\'s own reason)'
      : `the AWS SDK found none for profile ${JSON.stringify(named.name)} (${named.by}). Check that the profile is in your AWS config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), or run aws sso login --profile ${shellWord(named.name)} if its SSO session has expired (aws sts get-caller-identity --profile ${shellWord(named.name)} shows the SDK's own reason)`;
  return new ApiError('NO_AWS_CREDENTIALS', `no AWS credentials to sign the request: ${message}`, { cause });
}

/** Client-side failures say how often they were tried; the API's own messages are left as they are. */
function withAttempts(error: ApiError, attempts: number): ApiError {
  if (attempts === 1 || (error.code !== 'API_UNREACHABLE' && error.code !== 'API_TIMEOUT')) return error;
  return new ApiError(error.code, `${error.message} (tried ${attempts} times)`, { cause: error.cause });
}

/**
 * `?a=1&b=2` with RFC 3986 escaping, the encoding SigV4 signs: `encodeURIComponent`
 * leaves `!'()*` as they are, the signer escapes them, so they are escaped here too.
 */
function queryString(query: Record<string, string> | undefined): string {
  const pairs = Object.entries(query ?? {}).map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`);
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** The errno-style code of a network failure: on the error itself (node:http), or in `cause`, sometimes in an AggregateError (fetch). */
function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (isRecord(current) && !seen.has(current)) {
    seen.add(current);
    if (typeof current['code'] === 'string') return current['code'];
    const nested = Array.isArray(current['errors']) ? (current['errors'] as unknown[])[0] : undefined;
    current = current['cause'] ?? nested;
  }
  return undefined;
}

/** The transport's own words when there is no code (e.g. fetch's `bad port`). */
function networkMessage(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message !== '' ? `network error (${quoted(cause.message).slice(1, -1)})` : 'network error';
}

/** `Retry-After` in seconds (the API never sends the HTTP-date form); `undefined` when absent or unusable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Untrusted text in a message: one line, printable, bounded. */
function quoted(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim().replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(line.length > MAX_QUOTED_CHARS ? `${line.slice(0, MAX_QUOTED_CHARS)}…` : line);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
