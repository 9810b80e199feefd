/**
 * One HTTP API call delivered to a composed function handler in-process, as API Gateway
 * (HTTP API, payload 2.0, IAM authorizer) would deliver it. The reliability parts and the
 * permissions test drive the real handlers this way; each keeps its own deployment and
 * callers, and shares only the event and the reading of the answer.
 */
import type { Context } from 'aws-lambda';
import { ROUTES } from '../../src/api/routes.js';
import type { RouteName } from '../../src/api/routes.js';
import type { HttpHandler } from '../../src/http/handler.js';
import type { HttpEvent } from '../../src/http/stack.js';

/** What the IAM authorizer verified about a caller. */
export interface Caller {
  arn: string;
  userId: string;
  accountId: string;
}

export interface CallOptions {
  body?: unknown;
  path?: Record<string, string>;
  query?: Record<string, string>;
}

/** Where the call comes from: the API's account and id, and the request id to stamp. */
export interface Delivery {
  accountId: string;
  apiId: string;
  requestId: string;
  /** The caller's access key id as the authorizer reports it (any 20-character id). */
  accessKey: string;
}

export interface Answer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  text: string;
  /** The parsed JSON body, or `{ unparsable: text }`. */
  body: Record<string, unknown>;
}

/** The API Gateway event and Lambda context for `route` called by `caller`. */
export function routeEvent(route: RouteName, caller: Caller, options: CallOptions, delivery: Delivery): { event: HttpEvent; context: Context } {
  const spec = ROUTES[route];
  let rawPath = spec.path;
  for (const [name, value] of Object.entries(options.path ?? {})) rawPath = rawPath.replace(`{${name}}`, encodeURIComponent(value));
  const routeKey = `${spec.method} ${spec.path}`;
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(options.path === undefined ? {} : { pathParameters: options.path }),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
    requestContext: {
      accountId: delivery.accountId,
      apiId: delivery.apiId,
      authorizer: {
        iam: {
          accessKey: delivery.accessKey,
          accountId: caller.accountId,
          callerId: caller.userId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: caller.arn,
          userId: caller.userId,
        },
      },
      requestId: delivery.requestId,
      routeKey,
      stage: '$default',
    },
  } as unknown as HttpEvent;
  const context = { awsRequestId: delivery.requestId, functionName: spec.function, getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  return { event, context };
}

/** Calls `handler` (the function serving `route`) and reads its answer. */
export async function invokeRoute(handler: HttpHandler, route: RouteName, caller: Caller, options: CallOptions, delivery: Delivery): Promise<Answer> {
  const { event, context } = routeEvent(route, caller, options, delivery);
  const response = await handler(event, context);
  const text = String(response.body);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsable: text };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
  return { status: Number(response.statusCode), headers, text, body };
}

/** The error code of an answer (undefined for a body without one). */
export function errorCodeOf(answer: Pick<Answer, 'body'>): string | undefined {
  const error = answer.body.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? error.code : undefined;
}
