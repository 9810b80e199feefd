/**
 * API Gateway REST API events (Lambda proxy integration, payload format 1.0) in the shape
 * the stack reads (HTTP API, payload format 2.0), so one stack serves both deployments.
 * REST APIs exist for their resource policies (callers of other accounts of the
 * organisation, `aws:PrincipalOrgID`); the functions behave the same behind either.
 *
 * Pure: the translation reads nothing but the event, and never throws for any event that
 * {@link isRestEvent} accepts, whatever its fields hold.
 *
 * | payload 2.0 | from payload 1.0 |
 * |---|---|
 * | `routeKey`, `requestContext.routeKey` | `<httpMethod> <resource>` (`resource` is the route template, `/v1/sessions/{id}`) |
 * | `requestContext.authorizer.iam` | `requestContext.identity`: `accountId`, `userArn`, `accessKey`, `principalOrgId` as they are, `user` → `userId`, `caller` → `callerId`; no authorizer at all when `userArn` is missing or empty (the route is not AWS_IAM) |
 * | `queryStringParameters` | every value of `multiValueQueryStringParameters`, a repeated parameter's values joined with `,` in order, as HTTP APIs join them; a name only `queryStringParameters` carries keeps its value; absent when there is none |
 * | `rawQueryString` | rebuilt from those values, form-encoded (a REST event carries no raw query string; no route reads it) |
 * | `headers` | names lower-cased, every value of `multiValueHeaders` (and names only `headers` carries) joined with `,`, as HTTP APIs do |
 * | `body`, `isBase64Encoded` | as they are; no `body` when the event's is null |
 * | `pathParameters` | as they are; absent when there are none |
 * | `requestContext.requestId` | as it is (absent when missing: the stack then uses Lambda's) |
 * | `rawPath`, `requestContext.http` | `path`, `httpMethod`, `requestContext.protocol`, `identity.sourceIp`, `identity.userAgent` |
 * | `requestContext` `accountId`, `apiId`, `domainName`, `domainPrefix`, `stage`, `time`, `timeEpoch` | the same fields (`requestTime`, `requestTimeEpoch`) |
 *
 * Cookies stay in the `cookie` header (payload 2.0 would also list them in `cookies`): no
 * route reads them. Every map is built with own properties only, so a parameter or header
 * named `__proto__` is a name like any other (and the strict query check refuses it).
 */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HttpEvent } from './stack.js';

/** An API Gateway REST API proxy event (payload format 1.0); IAM callers are in `requestContext.identity`. */
export type RestEvent = APIGatewayProxyEvent;

/**
 * True for a payload 1.0 event: it names `httpMethod` and `resource`, and does not say it
 * is `version: '2.0'` (an HTTP API event of payload 2.0 has neither field).
 */
export function isRestEvent(event: unknown): event is RestEvent {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return fields.version !== '2.0' && typeof fields.httpMethod === 'string' && typeof fields.resource === 'string';
}

/** The payload 2.0 event the stack reads, for either payload: a REST event translated, an HTTP API event as it is. */
export function httpEventOf(event: HttpEvent | RestEvent): HttpEvent {
  return isRestEvent(event) ? fromRestEvent(event) : event;
}

/** The payload 2.0 form of a REST API event (table in the module comment). */
export function fromRestEvent(event: RestEvent): HttpEvent {
  const context = plainObject(event.requestContext) ?? {};
  const identity = plainObject(context.identity) ?? {};
  const routeKey = `${event.httpMethod} ${event.resource}`;
  const query = collect(event.multiValueQueryStringParameters, event.queryStringParameters, (name) => name);
  const headers = collect(event.multiValueHeaders, event.headers, (name) => name.toLowerCase());
  const pathParameters = singleValues(event.pathParameters);
  const path = text(event.path) ?? '';
  const requestId = text(context.requestId);
  const authorizer = iamAuthorizer(identity);
  const translated = {
    version: '2.0',
    routeKey,
    rawPath: path,
    // URLSearchParams, not encodeURIComponent: it never throws (a lone surrogate becomes U+FFFD).
    rawQueryString: new URLSearchParams([...query].flatMap(([name, values]) => values.map((value): [string, string] => [name, value]))).toString(),
    headers: joined(headers),
    ...(query.size === 0 ? {} : { queryStringParameters: joined(query) }),
    ...(typeof event.body === 'string' ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
    ...(pathParameters === undefined ? {} : { pathParameters }),
    requestContext: {
      accountId: text(context.accountId) ?? '',
      apiId: text(context.apiId) ?? '',
      domainName: text(context.domainName) ?? '',
      domainPrefix: text(context.domainPrefix) ?? '',
      http: {
        method: event.httpMethod,
        path,
        protocol: text(context.protocol) ?? '',
        sourceIp: text(identity.sourceIp) ?? '',
        userAgent: text(identity.userAgent) ?? '',
      },
      ...(requestId === undefined ? {} : { requestId }),
      routeKey,
      stage: text(context.stage) ?? '',
      time: text(context.requestTime) ?? '',
      timeEpoch: typeof context.requestTimeEpoch === 'number' ? context.requestTimeEpoch : 0,
      ...(authorizer === undefined ? {} : { authorizer }),
    },
  };
  // The 2.0 type claims a request id and an authorizer on every event; the stack already
  // reads both as optional (a missing authorizer is IAM_AUTH_REQUIRED, never a crash).
  return translated as unknown as HttpEvent;
}

/**
 * The IAM authorizer context of payload 2.0 from a REST event's identity, or undefined
 * without a caller ARN. Fields AWS left null stay null (`principalOrgId` of an account
 * outside any organisation), as API Gateway reports them in payload 2.0.
 */
function iamAuthorizer(identity: Record<string, unknown>) {
  const userArn = text(identity.userArn);
  if (userArn === undefined || userArn === '') return undefined;
  return {
    iam: {
      accessKey: text(identity.accessKey) ?? null,
      accountId: text(identity.accountId) ?? null,
      callerId: text(identity.caller) ?? null,
      cognitoIdentity: null,
      principalOrgId: text(identity.principalOrgId) ?? null,
      userArn,
      userId: text(identity.user) ?? null,
    },
  };
}

/**
 * Every value per name, in order: all of `multi`'s, then `single`'s for the names `multi`
 * does not carry (API Gateway sends both maps; `single` holds only the last value of a
 * repeated name, which must never be taken for the whole). `key` normalises names; names
 * that become equal are merged.
 */
function collect(multi: unknown, single: unknown, key: (name: string) => string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const normalised = key(name);
    const list = values.get(normalised);
    if (list === undefined) values.set(normalised, [value]);
    else list.push(value);
  };
  const many = plainObject(multi) ?? {};
  for (const [name, list] of Object.entries(many)) {
    if (Array.isArray(list)) for (const value of list as unknown[]) if (typeof value === 'string') add(name, value);
  }
  for (const [name, value] of Object.entries(plainObject(single) ?? {})) {
    if (typeof value === 'string' && !Object.hasOwn(many, name)) add(name, value);
  }
  return values;
}

/** One value per name, repeated values joined with `,` (HTTP APIs' rule for query parameters and headers). */
function joined(values: Map<string, string[]>): Record<string, string> {
  return Object.fromEntries([...values].map(([name, list]) => [name, list.join(',')]));
}

/** The string values of a single-value map, or undefined when it holds none. */
function singleValues(map: unknown): Record<string, string> | undefined {
  const entries = Object.entries(plainObject(map) ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function plainObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
