/**
 * Request body and query schemas of the HTTP API (DESIGN.md, HTTP API), enforced by
 * the HTTP stack before a route runs. Objects are strict: an unknown field is a 400
 * `INVALID_REQUEST`, never silently ignored.
 */

import { z } from 'zod';
import { MODES } from '../policy/types.js';
import { TABLE_KINDS } from '../provisioning/schemas.js';
import type { CredentialsRequest, EndSessionRequest, EvaluateRequest, ProvisionRequest, PutPolicyRequest } from './contract.js';

/** Profile names as the policy document allows them. */
const profileName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 of A-Z a-z 0-9 _ . -');
/** DynamoDB table names; the deployment prefix is checked where the configuration is known. */
const tableName = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3–255 of A-Z a-z 0-9 _ . -)');
/** Session ids are 32 lowercase hex digits (128 random bits). */
export const sessionId = z.string().regex(/^[0-9a-f]{32}$/, 'must be a session id (32 hex digits)');
const mode = z.enum(MODES);

/** STS accepts 900 s to 43,200 s; the policy may cap it further. */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;

export const credentialsRequestSchema: z.ZodType<CredentialsRequest> = z.strictObject({
  profile: profileName,
  mode,
  sessionTable: tableName.optional(),
  durationSeconds: z.number().int().min(MIN_DURATION_SECONDS).max(MAX_DURATION_SECONDS).optional(),
  sessionId: sessionId.optional(),
});

export const putPolicyRequestSchema: z.ZodType<PutPolicyRequest> = z.strictObject({
  text: z.string().min(1),
  expectedVersion: z.number().int().min(0),
});

export const evaluateRequestSchema: z.ZodType<EvaluateRequest> = z.strictObject({
  profile: profileName,
  mode,
  user: z.string().regex(/^[A-Za-z0-9_+=,.@-]{1,64}(?:\/[A-Za-z0-9_+=,.@-]{1,64})?$/, 'must be a user name').optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  sessionTable: tableName.optional(),
});

export const endSessionRequestSchema: z.ZodType<EndSessionRequest> = z.strictObject({
  sessionTable: tableName.optional(),
});

/** The four table kinds of DESIGN.md (Tables); `requests` is what `sentinel init approvals` creates. */
const tableKind = z.enum(TABLE_KINDS);

/** `POST /v1/provision`; the table's prefix is checked by the provisioning service, which knows it. */
export const provisionRequestSchema: z.ZodType<ProvisionRequest> = z.strictObject({
  kind: tableKind,
  table: tableName.optional(),
  plan: z.boolean().optional(),
});

/** Query of `GET /v1/provision/{table}`: `kind` may be left out once the table is registered. */
export const provisionStatusQuerySchema = z.strictObject({
  kind: tableKind.optional(),
});
export type ProvisionStatusQuery = z.infer<typeof provisionStatusQuerySchema>;

/** Query of `GET /v1/provision/iam-policy`: `kind` is required, `table` defaults to the kind's default name. */
export const iamPolicyQuerySchema = z.strictObject({
  kind: tableKind,
  table: tableName.optional(),
});
export type IamPolicyQuery = z.infer<typeof iamPolicyQuerySchema>;

/** An empty body for routes that take none. */
export const emptyBodySchema: z.ZodType<Record<string, never>> = z.strictObject({});

/**
 * One line a caller can act on for the first problem zod found, e.g.
 * `unknown field "foo"`, `mode: Invalid option: expected one of "server"|"cli"|"credential_process"`.
 */
export function describeValidationError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request body';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
  }
  const where = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${where}: required`;
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}
