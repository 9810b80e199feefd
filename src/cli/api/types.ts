/**
 * The CLI's view of the Sentinel API: one method per route, typed with the shared
 * contract (src/api/contract.ts), and the error every failed call becomes.
 */

import type {
  CheckSessionRequest,
  CheckSessionResponse,
  CredentialsRequest,
  CredentialsResponse,
  EndSessionRequest,
  EndSessionResponse,
  EvaluateRequest,
  EvaluateResponse,
  IamPolicyDocument,
  ListSessionsResponse,
  PolicyDocumentResponse,
  ProfilesResponse,
  ProvisionRequest,
  ProvisionResponse,
  PutPolicyRequest,
  PutPolicyResponse,
  RevokeSessionRequest,
  RevokeSessionResponse,
  RevokeSessionsRequest,
  RevokeSessionsResponse,
  SessionResponse,
  WhoamiResponse,
} from '../../api/contract.js';

/** Where the API is and how to sign for it. */
export interface ApiSettings {
  /** Base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com` or `http://127.0.0.1:4280`. */
  apiUrl: string;
  /** SigV4 signing region (service `execute-api`). */
  region: string;
  /** AWS profile whose credentials sign the calls (`--aws-profile`, else the SDK default chain: `AWS_PROFILE`, env, SSO, …). */
  awsProfile?: string;
}

export interface SentinelApi {
  credentials(body: CredentialsRequest): Promise<CredentialsResponse>;
  whoami(): Promise<WhoamiResponse>;
  profiles(): Promise<ProfilesResponse>;
  getPolicy(): Promise<PolicyDocumentResponse>;
  putPolicy(body: PutPolicyRequest): Promise<PutPolicyResponse>;
  evaluate(body: EvaluateRequest): Promise<EvaluateResponse>;
  endSession(id: string, body: EndSessionRequest): Promise<EndSessionResponse>;
  /** `POST /v1/sessions/{id}/check`: the server-mode re-check (policy and session state; no credentials). */
  checkSession(id: string, body: CheckSessionRequest): Promise<CheckSessionResponse>;
  /** `GET /v1/sessions` with query parameters as strings (`user`, `profile`, `status`, `since`, `limit`, `cursor`, `sessionTable`). */
  listSessions(query: Record<string, string>): Promise<ListSessionsResponse>;
  /** `GET /v1/sessions/{id}` (owner or admin). */
  showSession(id: string, query: Record<string, string>): Promise<SessionResponse>;
  /** `POST /v1/sessions/{id}/revoke` (admins). */
  revokeSession(id: string, body: RevokeSessionRequest): Promise<RevokeSessionResponse>;
  /** `POST /v1/sessions/revoke` (admins): one batch; follow `cursor` for the rest. */
  revokeSessions(body: RevokeSessionsRequest): Promise<RevokeSessionsResponse>;
  /** `POST /v1/provision`: the plan (`plan: true`), or the start of creation (`CREATING`: poll {@link SentinelApi.provisionStatus}). */
  provision(body: ProvisionRequest): Promise<ProvisionResponse>;
  /** `GET /v1/provision/{table}?kind=`: moves creation on and reports `CREATING`, `READY` (with the ARN) or `DRIFT`. */
  provisionStatus(table: string, kind: string): Promise<ProvisionResponse>;
  /** `GET /v1/provision/iam-policy?kind=&table=`: the IAM policy document for one table, in the deployment's account and region. */
  iamPolicy(kind: string, table: string): Promise<IamPolicyDocument>;
}

export { ApiError } from '../errors.js';
