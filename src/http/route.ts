/**
 * What a route sees and returns: plain data, no Lambda event. The HTTP stack
 * (src/http/stack.ts) turns the API Gateway event into a RouteInput before the route
 * runs and its RouteResult into the HTTP response after.
 */

import type { z } from 'zod';
import type { Caller } from '../identity/types.js';

export interface RouteInput<Body> {
  /** The parsed body, already checked against the route's schema. */
  body: Body;
  /** Path parameters (`{id}` → `path.id`). */
  path: Record<string, string>;
  query: Record<string, string>;
  /** Derived only from the IAM authorizer context (DESIGN.md, Identity). */
  caller: Caller;
  /** API Gateway's request id: in every log line and every error body. */
  requestId: string;
  receivedAt: Date;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route<Body = Record<string, never>> {
  /** Names the route in logs, e.g. `credentials`. */
  name: string;
  /** The body schema; null when the route takes no body (one sent anyway is a 400). */
  body: z.ZodType<Body> | null;
  handle(input: RouteInput<Body>): Promise<RouteResult>;
}
