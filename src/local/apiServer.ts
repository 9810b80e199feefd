/**
 * The local stand-in for API Gateway (HTTP API, Lambda proxy payload format 2.0, every
 * route AWS_IAM): it routes, verifies SigV4, builds the event and Lambda context the
 * deployed functions receive, and turns their results into HTTP responses the way API
 * Gateway does, including its own `{"message": …}` error bodies.
 *
 * Behaviour taken from API Gateway, so handlers cannot tell the difference:
 * - no matching route (a `.` or `..` path segment matches none) → 404 `{"message":"Not Found"}`; failed signature → 403
 *   `{"message":"Forbidden"}`; body over the limit → 413; a handler that throws, times
 *   out or answers something unusable → 500 `{"message":"Internal Server Error"}`.
 * - Duplicate headers are joined with `,`; `cookie` headers become `cookies`; duplicate
 *   query parameters are joined with `,`; empty parts (`cookies`, query, path parameters,
 *   body) are left out of the event.
 * - The body is a UTF-8 string for `text/*`, `application/json`, `application/xml` and
 *   `application/javascript`; any other or missing content type is base64 with
 *   `isBase64Encoded: true` (as HTTP APIs do; there is no binary-media-type setting).
 * - A result without `statusCode` is taken as a JSON body with status 200.
 * - Every response carries `apigw-requestid`.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { SentinelError } from '../errors.js';
import type { SigV4Verifier, VerifiedIdentity } from './sigv4Verifier.js';

/** A Lambda handler as `functions/<name>.ts` exports it. */
export type LocalRouteHandler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalRoute {
  /** `GET`, `POST`, … or `ANY`. */
  method: string;
  /** API Gateway route path: `/v1/sessions/{id}/end`; `{name+}` (last segment only) is greedy. */
  path: string;
  handler: LocalRouteHandler;
  /** The function name's suffix (`sentinel-local-<name>`); defaults to a slug of the route key. */
  name?: string;
}

export interface LocalApiServerOptions {
  routes: readonly LocalRoute[];
  verifier: SigV4Verifier;
  region: string;
  /** The API's own account (`requestContext.accountId`); defaults to the caller's. */
  accountId?: string;
  /** One line per request, plus refusal reasons and handler errors (never secrets). Defaults to stderr. */
  log?: (line: string) => void;
  /** Default 6 MB: what a deployment accepts (API Gateway takes 10 MB, a synchronous Lambda invocation 6 MB). */
  maxBodyBytes?: number;
  /** The functions' Lambda timeout: what `getRemainingTimeInMillis` counts down from, and when the call is abandoned with a 500. */
  functionTimeoutMs?: number;
}

/** A deployment's limit, so a request the deployment accepts (a 4 MiB policy, JSON-encoded) is accepted here too. */
const DEFAULT_MAX_BODY_BYTES = 6 * 1000 * 1000;
/** Sentinel's functions run with a 29 s timeout, inside API Gateway's 30 s integration limit. */
const DEFAULT_FUNCTION_TIMEOUT_MS = 29_000;
const TEXT_CONTENT_TYPE = /^(?:text\/[^;]*|application\/(?:json|xml|javascript))\s*(?:;|$)/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: LocalRoute;
  method: string;
  routeKey: string;
  functionName: string;
  segments: Segment[];
}

/** Thrown when a handler result is not something API Gateway could turn into a response. */
class UnusableResultError extends SentinelError {
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

/**
 * Creates the server; the caller listens (`server.listen(port, '127.0.0.1')`).
 *
 * @throws SentinelError `INTERNAL` for a route path API Gateway would not accept.
 */
export function createLocalApiServer(options: LocalApiServerOptions): Server {
  const routes = options.routes.map(compileRoute).sort(bySpecificity);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const functionTimeoutMs = options.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const requestId = apiRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQueryString = q === -1 ? '' : url.slice(q + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const label = `${requestId} ${method} ${rawPath}`;

    const found = findRoute(routes, method, rawPath);
    if (found === undefined) {
      req.resume();
      return sendMessage(res, requestId, 404, 'Not Found');
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      log(`${label}: body exceeds ${maxBodyBytes} bytes`);
      return sendMessage(res, requestId, 413, 'Request Entity Too Large', { connection: 'close' });
    }

    const headers = collectHeaders(req.rawHeaders);
    const verification = await options.verifier.verify({ method, path: rawPath, query: rawQueryString, headers: Object.fromEntries(headers), body });
    if (!verification.ok) {
      log(`${label}: SigV4 refused: ${verification.reason}`);
      return sendMessage(res, requestId, 403, 'Forbidden');
    }

    const now = new Date();
    const event = buildEvent({
      req,
      route: found.route,
      pathParameters: found.pathParameters,
      identity: verification.identity,
      accountId: options.accountId ?? verification.identity.accountId,
      requestId,
      rawPath,
      rawQueryString,
      headers,
      body,
      now,
    });
    const context = buildContext(found.route.functionName, options.region, options.accountId ?? verification.identity.accountId, now, functionTimeoutMs);

    let result: unknown;
    try {
      result = await withTimeout(found.route.route.handler(event, context), functionTimeoutMs);
    } catch (error) {
      log(`${label}: handler ${found.route.functionName} failed: ${describeError(error)}`);
      return sendMessage(res, requestId, 500, 'Internal Server Error');
    }
    try {
      return sendResult(res, requestId, result);
    } catch (error) {
      log(`${label}: handler ${found.route.functionName} returned an unusable result: ${describeError(error)}`);
      return sendMessage(res, requestId, 500, 'Internal Server Error');
    }
  }

  return createServer((req, res) => {
    const started = Date.now();
    handle(req, res).then(
      (status) => log(`${req.method ?? '?'} ${req.url ?? ''} ${status} ${Date.now() - started}ms`),
      (error: unknown) => {
        // The client went away mid-body, or the verifier failed: nothing a handler did.
        log(`${req.method ?? '?'} ${req.url ?? ''}: ${describeError(error)}`);
        if (!res.headersSent) sendMessage(res, apiRequestId(), 500, 'Internal Server Error');
        else res.destroy();
      },
    );
  });
}

function compileRoute(route: LocalRoute): CompiledRoute {
  const method = route.method.toUpperCase();
  if (!route.path.startsWith('/')) throw new SentinelError('INTERNAL', `route path ${JSON.stringify(route.path)} must start with /`);
  const parts = route.path.split('/').slice(1);
  const segments = parts.map((part, index): Segment => {
    const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
    if (!param) {
      if (/[{}]/.test(part)) throw new SentinelError('INTERNAL', `route path ${JSON.stringify(route.path)} has a malformed parameter`);
      return { kind: 'literal', value: part };
    }
    const name = param[1] ?? '';
    if (param[2] === '+') {
      if (index !== parts.length - 1) throw new SentinelError('INTERNAL', `greedy parameter {${name}+} must be the last segment of ${route.path}`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
  const routeKey = `${method} ${route.path}`;
  const slug = routeKey.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return { route, method, routeKey, functionName: `sentinel-local-${route.name ?? slug}`, segments };
}

/** Literal segments beat `{param}`, which beats `{greedy+}`; an exact method beats ANY. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const rank = { literal: 0, param: 1, greedy: 2 } as const;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const left = a.segments[i];
    const right = b.segments[i];
    if (left === undefined || right === undefined) return left === undefined ? 1 : -1;
    const difference = rank[left.kind] - rank[right.kind];
    if (difference !== 0) return difference;
  }
  return Number(a.method === 'ANY') - Number(b.method === 'ANY');
}

function findRoute(routes: readonly CompiledRoute[], method: string, rawPath: string): { route: CompiledRoute; pathParameters: Record<string, string> } | undefined {
  if (!rawPath.startsWith('/')) return undefined;
  const parts = rawPath.split('/').slice(1);
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const pathParameters = matchSegments(route.segments, parts);
    if (pathParameters !== undefined) return { route, pathParameters };
  }
  return undefined;
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index).join('/');
      if (rest === '' || parts.slice(index).some((part) => part === '.' || part === '..')) return undefined;
      parameters[segment.name] = decodeSegment(rest);
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    // `.` and `..` are never a parameter: SigV4 signs the path with them resolved
    // (`/v1/requests/.` as `/v1/requests`), so a signature for one route would open another.
    if (segment.kind === 'literal' ? part !== segment.value : part === '' || part === '.' || part === '..') return undefined;
    if (segment.kind === 'param') parameters[segment.name] = decodeSegment(part);
  }
  return parts.length === segments.length ? parameters : undefined;
}

/** Path parameter values are handed over decoded; an undecodable one is passed as sent. */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Lower-case names; repeated headers joined with `,` as SigV4 and API Gateway both do. */
function collectHeaders(rawHeaders: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    const existing = headers.get(name);
    headers.set(name, existing === undefined ? value : `${existing},${value}`);
  }
  return headers;
}

interface EventInput {
  req: IncomingMessage;
  route: CompiledRoute;
  pathParameters: Record<string, string>;
  identity: VerifiedIdentity;
  accountId: string;
  requestId: string;
  rawPath: string;
  rawQueryString: string;
  headers: Map<string, string>;
  body: Buffer;
  now: Date;
}

function buildEvent(input: EventInput): APIGatewayProxyEventV2WithIAMAuthorizer {
  const { req, route, identity, headers, body, now } = input;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const cookies = (headers.get('cookie') ?? '').split(';').map((c) => c.trim()).filter((c) => c !== '');
  const eventHeaders: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name !== 'cookie') Object.defineProperty(eventHeaders, name, { value, enumerable: true, writable: true, configurable: true });
  }
  // API Gateway adds these for its own clients; handlers may log them.
  eventHeaders['x-forwarded-for'] = sourceIp;
  eventHeaders['x-forwarded-proto'] = 'http';
  eventHeaders['x-forwarded-port'] = String(req.socket.localPort ?? '');

  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(input.rawQueryString)) {
    const existing = Object.hasOwn(queryStringParameters, key) ? queryStringParameters[key] : undefined;
    Object.defineProperty(queryStringParameters, key, { value: existing === undefined ? value : `${existing},${value}`, enumerable: true, writable: true, configurable: true });
  }

  const host = headers.get('host') ?? 'localhost';
  const domainName = host.replace(/:\d+$/, '');
  const text = TEXT_CONTENT_TYPE.test(headers.get('content-type') ?? '');

  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers: eventHeaders,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: input.accountId,
      apiId: 'local',
      authorizer: {
        iam: {
          accessKey: identity.accessKeyId,
          accountId: identity.accountId,
          callerId: identity.userId,
          cognitoIdentity: null,
          // @types/aws-lambda says string; API Gateway sends null outside an AWS Organization, as here.
          principalOrgId: null as unknown as string,
          userArn: identity.arn,
          userId: identity.userId,
        },
      },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: input.req.method?.toUpperCase() ?? 'GET',
        path: input.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers.get('user-agent') ?? '',
      },
      requestId: input.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: input.pathParameters } : {}),
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function buildContext(functionName: string, region: string, accountId: string, now: Date, timeoutMs: number): Context {
  const deadline = now.getTime() + timeoutMs;
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new SentinelError('INTERNAL', `context.${name}() is not supported by the local stack; return a result instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SentinelError('INTERNAL', `did not finish within ${ms} ms (the Lambda function would have timed out)`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Writes a handler result as API Gateway would; throws UnusableResultError for a result it would reject. */
function sendResult(res: ServerResponse, requestId: string, result: unknown): number {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    if (result === undefined) throw new UnusableResultError('the handler returned nothing');
    // No statusCode: API Gateway sends the whole result as a JSON body with 200.
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return send(res, requestId, 200, { 'content-type': 'application/json' }, [], Buffer.from(body, 'utf8'));
  }
  const structured = result as APIGatewayProxyStructuredResultV2;
  const status = structured.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new UnusableResultError(`statusCode ${JSON.stringify(status)} is not an HTTP status`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new UnusableResultError(`header ${name} is not a string, number or boolean`);
    headers[name.toLowerCase()] = String(value);
  }
  const cookies = structured.cookies ?? [];
  if (!Array.isArray(cookies) || cookies.some((c) => typeof c !== 'string')) throw new UnusableResultError('cookies is not a list of strings');
  if (structured.body !== undefined && typeof structured.body !== 'string') throw new UnusableResultError('body is not a string');
  const body = Buffer.from(structured.body ?? '', structured.isBase64Encoded === true ? 'base64' : 'utf8');
  return send(res, requestId, status, headers, cookies, body);
}

function sendMessage(res: ServerResponse, requestId: string, status: number, message: string, extra: Record<string, string> = {}): number {
  return send(res, requestId, status, { 'content-type': 'application/json', ...extra }, [], Buffer.from(JSON.stringify({ message }), 'utf8'));
}

function send(res: ServerResponse, requestId: string, status: number, headers: Record<string, string>, cookies: readonly string[], body: Buffer): number {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader('set-cookie', [...cookies]);
  res.setHeader('apigw-requestid', requestId);
  res.end(body);
  return status;
}

/** HTTP API request ids look like `JKJaXmPLvHcESHA=`: 10 random bytes, base64. */
function apiRequestId(): string {
  return randomBytes(10).toString('base64');
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function apiGatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
