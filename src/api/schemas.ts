/**
 * Request body and query schemas of the HTTP API (DESIGN.md, HTTP API), enforced by
 * the HTTP stack before a route runs. Objects are strict: an unknown field is a 400
 * `INVALID_REQUEST`, never silently ignored.
 */

import { z } from 'zod';
import { MODES } from '../policy/types.js';
import { PROFILE_NAME, PROFILE_NAME_RULE, SESSION_ID, STS_MAX_DURATION_SECONDS, STS_MIN_DURATION_SECONDS, TABLE_KINDS, TABLE_NAME, TABLE_NAME_RULE, USER_NAME } from './constants.js';
import type { CredentialsRequest, EndSessionRequest, EvaluateRequest, ProvisionRequest, PutPolicyRequest } from './contract.js';

/** Profile names as the policy document allows them. */
const profileName = z.string().regex(PROFILE_NAME, `must be ${PROFILE_NAME_RULE}`);
/** DynamoDB table names; the deployment prefix is checked where the configuration is known. */
const tableName = z.string().regex(TABLE_NAME, `must be a DynamoDB table name (${TABLE_NAME_RULE})`);
/** Session ids are 32 lowercase hex digits (128 random bits). */
export const sessionId = z.string().regex(SESSION_ID, 'must be a session id (32 hex digits)');
const mode = z.enum(MODES);

export const credentialsRequestSchema: z.ZodType<CredentialsRequest> = z.strictObject({
  profile: profileName,
  mode,
  sessionTable: tableName.optional(),
  durationSeconds: z.number().int().min(STS_MIN_DURATION_SECONDS).max(STS_MAX_DURATION_SECONDS).optional(),
  sessionId: sessionId.optional(),
});

export const putPolicyRequestSchema: z.ZodType<PutPolicyRequest> = z.strictObject({
  text: z.string().min(1),
  expectedVersion: z.number().int().min(0),
});

export const evaluateRequestSchema: z.ZodType<EvaluateRequest> = z.strictObject({
  profile: profileName,
  mode,
  user: z.string().regex(USER_NAME, 'must be a user name').optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  sessionTable: tableName.optional(),
});

export const endSessionRequestSchema: z.ZodType<EndSessionRequest> = z.strictObject({
  sessionTable: tableName.optional(),
});

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
