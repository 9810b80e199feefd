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
  CreateRequestRequest,
  DecideRequestRequest,
  ListRequestsResponse,
  RequestResponse,
  InvokeBreakglassRequest,
  CloseBreakglassRequest,
  ListBreakglassResponse,
  BreakglassResponse,
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
  /** `POST /v1/requests`: an access request (approved at once when an `auto_approve` rule covers the caller). */
  createRequest(body: CreateRequestRequest): Promise<RequestResponse>;
  /** `GET /v1/requests` with query parameters as strings (`scope`, `status`, `profile`, `limit`, `cursor`). */
  listRequests(query: Record<string, string>): Promise<ListRequestsResponse>;
  /** `GET /v1/requests/{id}` (the requester, an approver of its profile, or an admin). */
  showRequest(id: string): Promise<RequestResponse>;
  /** `POST /v1/requests/{id}/approve` (an approver of its profile, never the requester). */
  approveRequest(id: string, body: DecideRequestRequest): Promise<RequestResponse>;
  /** `POST /v1/requests/{id}/deny` (an approver of its profile). */
  denyRequest(id: string, body: DecideRequestRequest): Promise<RequestResponse>;
  /** `POST /v1/requests/{id}/cancel` (the requester). */
  cancelRequest(id: string): Promise<RequestResponse>;
  /** `POST /v1/breakglass`: an event, when a `breakglass` rule allows it and its quotas have room. */
  invokeBreakglass(body: InvokeBreakglassRequest): Promise<BreakglassResponse>;
  /** `GET /v1/breakglass` with query parameters as strings (`scope`, `profile`, `status`, `limit`, `cursor`). */
  listBreakglass(query: Record<string, string>): Promise<ListBreakglassResponse>;
  /** `POST /v1/breakglass/{id}/close` (the invoker or an admin). */
  closeBreakglass(id: string, body: CloseBreakglassRequest): Promise<BreakglassResponse>;
}

export { ApiError } from '../errors.js';
