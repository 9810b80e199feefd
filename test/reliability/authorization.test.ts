/**
 * Hostile input, authorization: who may do what on every route, derived from the route
 * table (src/api/routes.ts, `access`: any | owner | admin), so a new route fails here
 * until it is covered.
 *
 * Every function is composed exactly as its Lambda entry composes it, each on a runtime
 * of its own, against DynamoDB Local, with STS and IAM mocked (as in
 * test/integration/permissions.test.ts). The bootstrap admin (`SENTINEL_BOOTSTRAP_ADMINS`)
 * provisions the tables through the API. Three phases:
 *
 * - A: no policy stored — the bootstrap admin is an admin; every admin route is tried by
 *   every caller;
 * - B: a policy naming no admin — the bootstrap admin still is one; every route is tried
 *   by every caller;
 * - C: a policy naming an admin, pushed by the bootstrap admin — from that moment the
 *   bootstrap admin is an ordinary user and the named admin is the only admin; every
 *   route is tried by every caller again.
 *
 * Callers: the admin (a person), the bootstrap admin (an IAM user), alice (a person, who
 * owns the sessions, requests and break-glass events the routes are tried on), two
 * approvers, an ordinary person, principals that carry alice's, the approver's or the
 * admins' names in another form (IAM user, role session, a look-alike `AWSReservedSSO_*`
 * role, another account), and principals of an account that is not allowed.
 *
 * Expected, from DESIGN.md and docs/api.md:
 *
 * - `admin` routes: 403 `NOT_ADMIN` for every non-admin, and nothing changed in any table
 *   (every item of the four tables, and the list of tables, compared before and after);
 * - `owner` routes: the owner acts; anyone else gets the documented refusal — 403
 *   `NOT_OWNER` for ending, re-checking and refreshing someone else's session, for
 *   cancelling someone else's request and for closing someone else's break-glass event
 *   (an admin may close it); 404 `NOT_FOUND` for showing someone else's session (an admin
 *   sees it) — and nothing of the session, request or event changed;
 * - `any` routes: listings and shows never carry someone else's sessions, requests or
 *   events for a non-admin, while the owner and the admin see them; an admin-only variant
 *   (another user's listing, `scope=all`, evaluating for someone else) is 403 `NOT_ADMIN`;
 *   the requester never approves or denies their own request and a non-approver never
 *   decides one (403 `NOT_OWNER`);
 * - a caller of an account that is not allowed: 403 `INVALID_IDENTITY` on every route;
 * - never a 5xx.
 */

import { randomBytes } from 'node:crypto';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/routes.js';
import type { RouteName } from '../../src/api/routes.js';
import { loadConfig } from '../../src/config.js';
import { FUNCTIONS } from '../../src/compose/index.js';
import { composeFunction } from '../../src/compose/lambda.js';
import { createRuntime } from '../../src/compose/runtime.js';
import type { HttpHandler } from '../../src/http/handler.js';
import { dynamodbEndpoint, testClients } from '../integration/dynamodb.js';
import { errorCodeOf, invokeRoute } from '../support/apiCall.js';
import type { Answer, Caller, CallOptions } from '../support/apiCall.js';
import { capturingLogger } from './support/logs.js';
import { leakedSecrets, recordLogs, recordPart, recordSecrets } from './support/report.js';

const OWN = '111122223333';
const OTHER = '222233334444';
const FOREIGN = '999988887777';
const REGION = 'eu-west-1';
const PREFIX = `sentinel-authz${randomBytes(3).toString('hex')}-`;
const TABLES = { config: `${PREFIX}config`, sessions: `${PREFIX}sessions`, requests: `${PREFIX}requests`, breakglass: `${PREFIX}breakglass` };
const SSO_ROLE = 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468';
const SSO_ROLE_ID = 'AROAENGINEER000000001';
const LOOKALIKE_ROLE = 'AWSReservedSSO_x';

// ---------------------------------------------------------------- callers

interface Who extends Caller {
  name: string;
  /** The user Sentinel must see (undefined: refused with INVALID_IDENTITY). */
  user?: string;
}

const personOf = (name: string, account = OWN): Who => ({
  name,
  ...(account === OWN ? { user: name } : {}),
  arn: `arn:aws:sts::${account}:assumed-role/${SSO_ROLE}/${name}`,
  userId: `${SSO_ROLE_ID}:${name}`,
  accountId: account,
});
const iamUserOf = (name: string, label: string, account = OWN): Who => ({
  name: label,
  ...(account === FOREIGN ? {} : { user: `${account === OWN ? '' : `${account}:`}iam:${name}` }),
  arn: `arn:aws:iam::${account}:user/${name}`,
  userId: `AIDA${label.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(16, '0')}`,
  accountId: account,
});
const roleSessionOf = (role: string, session: string, label: string): Who => ({
  name: label,
  user: `role:${role}/${session}`,
  arn: `arn:aws:sts::${OWN}:assumed-role/${role}/${session}`,
  userId: `AROA${label.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(16, '0')}:${session}`,
  accountId: OWN,
});

const ERIN = personOf('ops-erin');
const BOOT = iamUserOf('boot', 'bootstrap admin');
const ALICE = personOf('alice');
const BOB = personOf('bob');
const CAROL = personOf('carol');
const DAVE = personOf('dave');
/** Not among the callers: the requester whose requests the approvers approve (an approved request would open alice's access). */
const FRANK = personOf('frank');
const CALLERS: Who[] = [
  ERIN,
  BOOT,
  ALICE,
  BOB,
  CAROL,
  DAVE,
  iamUserOf('alice', 'iam:alice'),
  roleSessionOf('deploy', 'alice', 'role:deploy/alice'),
  roleSessionOf(LOOKALIKE_ROLE, 'alice', 'look-alike identity role alice'),
  iamUserOf('alice', 'other account iam:alice', OTHER),
  roleSessionOf('deploy', 'bob', 'role:deploy/bob'),
  roleSessionOf('deploy', 'ops-erin', 'role:deploy/ops-erin'),
  iamUserOf('boot', 'other account iam:boot', OTHER),
  iamUserOf('alice', 'not-allowed account iam:alice', FOREIGN),
  { ...personOf('alice', FOREIGN), name: 'not-allowed account identity role alice' },
];

type Phase = 'A' | 'B' | 'C';
/** Who is an admin in each phase: the bootstrap admin until a policy names one, then only the named one. */
const adminOf = (phase: Phase): Who => (phase === 'C' ? ERIN : BOOT);
const isAdmin = (who: Who, phase: Phase) => who === adminOf(phase);

// ---------------------------------------------------------------- policies

const policyText = (admins: string) => `version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::${OWN}:role/sentinel-dev", max_duration: 1h }
  gated: { role_arn: "arn:aws:iam::${OWN}:role/sentinel-gated", max_duration: 1h }
  bg1: { role_arn: "arn:aws:iam::${OWN}:role/sentinel-gated", max_duration: 1h }
  bg2: { role_arn: "arn:aws:iam::${OWN}:role/sentinel-gated", max_duration: 1h }
rules:
  - name: dev-for-everyone
    effect: allow
    conditions: { profiles: [dev] }
  - name: gated-needs-approval
    effect: require_approval
    conditions: { profiles: [gated] }
  - name: emergencies-only
    effect: deny
    conditions: { profiles: [bg1, bg2] }
approvals:
  - name: gated-approvers
    profiles: [gated]
    approvers: [bob, carol]
    max_duration: 1h
breakglass:
  - name: oncall
    profiles: [bg1, bg2]
    users: [alice]
    reason_codes: [incident]
    max_duration: 1h
${admins}`;
const POLICY_WITHOUT_ADMINS = policyText('');
const POLICY_WITH_ADMINS = policyText('admins: [ops-erin]\n');
/** What a non-admin tries to push: themselves as admin. */
const HOSTILE_POLICY = policyText('admins: [dave, "iam:alice", "role:deploy/alice"]\n');

// ---------------------------------------------------------------- mocked AWS

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const vended: string[] = [];

function mockAws(): void {
  sts.on(AssumeRoleCommand).callsFake((input: { DurationSeconds?: number }) => {
    const credentials = {
      AccessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      SecretAccessKey: randomBytes(30).toString('base64'),
      SessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(48).toString('base64')}`,
      Expiration: new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000),
    };
    vended.push(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken);
    return { Credentials: credentials };
  });
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => {
    if (input.RoleName !== SSO_ROLE) throw Object.assign(new Error('not authorized to perform: iam:GetRole'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    return { Role: { RoleName: SSO_ROLE, RoleId: SSO_ROLE_ID, Path: '/aws-reserved/sso.amazonaws.com/', Arn: `arn:aws:iam::${OWN}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`, CreateDate: new Date() } };
  });
  // The revocation deny on the profile roles (src/aws/IamRoleRevoker.ts), kept as IAM would.
  const rolePolicies = new Map<string, string>();
  iam.on(GetRolePolicyCommand).callsFake((input: { RoleName: string; PolicyName: string }) => {
    const document = rolePolicies.get(input.RoleName);
    if (document === undefined) throw Object.assign(new Error('no such policy'), { name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
    return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { RoleName: string; PolicyDocument: string }) => {
    rolePolicies.set(input.RoleName, input.PolicyDocument);
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake((input: { RoleName: string }) => {
    rolePolicies.delete(input.RoleName);
    return {};
  });
}

// ---------------------------------------------------------------- the deployment

const captured = capturingLogger();
const handlers = new Map<string, HttpHandler>();

function environment(): Record<string, string> {
  return {
    AWS_REGION: REGION,
    SENTINEL_ACCOUNT_ID: OWN,
    SENTINEL_ALLOWED_ACCOUNTS: `${OWN},${OTHER}`,
    SENTINEL_TABLE_PREFIX: PREFIX,
    SENTINEL_CONFIG_TABLE: TABLES.config,
    SENTINEL_REQUESTS_TABLE: TABLES.requests,
    SENTINEL_BREAKGLASS_TABLE: TABLES.breakglass,
    SENTINEL_DEFAULT_SESSION_TABLE: TABLES.sessions,
    SENTINEL_BOOTSTRAP_ADMINS: 'iam:boot',
    // Every function reads the policy afresh, so "the moment a policy naming admins is pushed" is the next request.
    SENTINEL_POLICY_TTL: '0',
    SENTINEL_RATE_LIMIT_REQUESTS: '1000000',
    SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
  };
}

let requestCounter = 0;
async function call(route: RouteName, who: Who, options: CallOptions = {}): Promise<Answer> {
  const handler = handlers.get(ROUTES[route].function);
  if (handler === undefined) throw new Error(`no handler for ${ROUTES[route].function}`);
  requestCounter += 1;
  return invokeRoute(handler, route, who, options, { accountId: OWN, apiId: 'authorization', requestId: `authz-${requestCounter}`, accessKey: 'AKIAAUTHORIZATION001' });
}

async function ok(route: RouteName, who: Who, options: CallOptions = {}): Promise<Record<string, unknown>> {
  const answer = await call(route, who, options);
  if (answer.status >= 300) throw new Error(`${route} by ${who.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const codeOf = errorCodeOf;

// ---------------------------------------------------------------- what the tables hold

type Snapshot = Map<string, string>;

/** Every item of every table of the deployment, and which tables exist. */
async function snapshot(): Promise<Snapshot> {
  const { dynamodb } = testClients();
  const items: Snapshot = new Map();
  const names = ((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).filter((name) => name.startsWith(PREFIX));
  items.set('tables', JSON.stringify(names.sort()));
  for (const table of names) {
    let startKey: Record<string, never> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }));
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        const key = `${table} ${String(item.id ?? '')}${String(item.pk ?? '')}/${String(item.sk ?? '')}`;
        items.set(key, JSON.stringify(item, Object.keys(item).sort()));
      }
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey !== undefined);
  }
  return items;
}

/** What changed, optionally leaving out the rate limiter's counters (every credential request and re-check counts, refused or not). */
function differences(before: Snapshot, after: Snapshot, options: { rateLimits: boolean }): string[] {
  const counted = (key: string) => options.rateLimits || !/ ratelimit#/.test(key);
  const changed: string[] = [];
  for (const [key, value] of after) if (counted(key) && before.get(key) !== value) changed.push(before.has(key) ? `changed ${key}` : `added ${key}`);
  for (const key of before.keys()) if (counted(key) && !after.has(key)) changed.push(`removed ${key}`);
  return changed;
}

// ---------------------------------------------------------------- the probes

/** What alice (and carol) own in a phase; each probe acts on its own resources, so successes never disturb each other. */
interface Owned {
  sessionCheck: string;
  sessionEnd: string;
  sessionRevoke: string;
  requestApprove: string;
  /** frank's, one for each approval that must succeed. */
  approvedByBob: string;
  approvedByCarol: string;
  carolsApprovedByBob: string;
  requestDeny: string;
  requestDenyByCarol: string;
  requestCancel: string;
  carolsRequest: string;
  event: string;
  eventForAdmin: string;
  policyVersion: number;
}

type Expectation = { ok: true; statuses?: number[]; check?: (body: Record<string, unknown>) => string | undefined } | { code: string };

interface Probe {
  route: RouteName;
  name: string;
  /** A request that passes validation; it may depend on the caller (a success acts on the caller's own target). */
  request: (owned: Owned, who: Who) => CallOptions;
  /**
   * What the caller meets when allowed to call the route at all (for `admin` routes: the
   * admin; the table decides everyone else's answer). Callers of a not-allowed account
   * are refused before any of this.
   */
  expect: (who: Who, phase: Phase) => Expectation;
  /** A success changes state (run after every refusal of the phase). */
  writes?: boolean;
}

const OK: Expectation = { ok: true };
const refused = (code: string): Expectation => ({ code });
const SESSION = (owned: Owned) => owned.sessionCheck;

/** Which ids of alice's a list body carries. */
function idsIn(body: Record<string, unknown>, field: string): string[] {
  const list = body[field];
  return Array.isArray(list) ? list.map((entry) => String((entry as { id?: unknown }).id)) : [];
}

/** Every entry of `field` belongs to `user` (by `key`). */
function onlyOwn(field: string, key: string, user: string | undefined): (body: Record<string, unknown>) => string | undefined {
  return (body) => {
    const list = (body[field] ?? []) as Array<Record<string, unknown>>;
    const foreign = list.filter((entry) => entry[key] !== user);
    return foreign.length === 0 ? undefined : `lists ${foreign.length} ${field} of others (${foreign.map((entry) => String(entry[key])).join(', ')})`;
  };
}

function includes(field: string, id: (owned: Owned) => string, owned: () => Owned): (body: Record<string, unknown>) => string | undefined {
  return (body) => (idsIn(body, field).includes(id(owned())) ? undefined : `does not list alice's ${field.replace(/s$/, '')} ${id(owned())}`);
}

function both(...checks: Array<((body: Record<string, unknown>) => string | undefined) | undefined>): (body: Record<string, unknown>) => string | undefined {
  return (body) => checks.map((check) => check?.(body)).find((problem) => problem !== undefined);
}

let current: Owned;
const owned = () => current;
const JUSTIFICATION = 'authorization test: probing who may act';

const PROBES: Probe[] = [
  // ---- any
  {
    route: 'whoami',
    name: 'whoami',
    request: () => ({}),
    expect: (who, phase) => ({
      ok: true,
      check: (body) => (body.user !== who.user ? `is ${String(body.user)}` : body.admin !== isAdmin(who, phase) ? `has admin=${String(body.admin)}` : undefined),
    }),
  },
  { route: 'profiles', name: 'profiles', request: () => ({}), expect: () => OK },
  { route: 'credentials', name: 'issue', request: () => ({ body: { profile: 'dev', mode: 'cli' } }), expect: () => OK, writes: true },
  {
    route: 'credentials',
    name: "refresh alice's server session",
    request: (o) => ({ body: { profile: 'dev', mode: 'server', sessionId: SESSION(o) } }),
    expect: (who) => (who === ALICE ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  { route: 'evaluatePolicy', name: 'evaluate for oneself', request: () => ({ body: { profile: 'dev', mode: 'cli' } }), expect: () => OK },
  {
    route: 'evaluatePolicy',
    name: 'evaluate for alice',
    request: () => ({ body: { profile: 'dev', mode: 'cli', user: 'alice' } }),
    expect: (who, phase) => (who === ALICE || isAdmin(who, phase) ? OK : refused('NOT_ADMIN')),
  },
  {
    route: 'listSessions',
    name: 'own sessions',
    request: () => ({}),
    // An admin must name a user or a profile (listing everyone's would need a Scan).
    expect: (who, phase) =>
      isAdmin(who, phase) ? refused('INVALID_REQUEST') : { ok: true, check: both(onlyOwn('sessions', 'user', who.user), who === ALICE ? includes('sessions', SESSION, owned) : undefined) },
  },
  {
    route: 'listSessions',
    name: "alice's sessions",
    request: () => ({ query: { user: 'alice', limit: '100' } }),
    expect: (who, phase) =>
      who === ALICE || isAdmin(who, phase) ? { ok: true, check: both(onlyOwn('sessions', 'user', 'alice'), includes('sessions', SESSION, owned)) } : refused('NOT_ADMIN'),
  },
  {
    route: 'createRequest',
    name: 'request access',
    request: () => ({ body: { profile: 'gated', justification: JUSTIFICATION } }),
    expect: () => ({ ok: true, statuses: [201] }),
    writes: true,
  },
  {
    route: 'listRequests',
    name: 'own requests',
    request: () => ({}),
    expect: (who) => ({ ok: true, check: both(onlyOwn('requests', 'requester', who.user), who === ALICE ? includes('requests', (o) => o.requestApprove, owned) : undefined) }),
  },
  {
    route: 'listRequests',
    name: 'approvable requests',
    request: () => ({ query: { scope: 'approvable' } }),
    expect: (who) =>
      who === BOB || who === CAROL
        ? {
            ok: true,
            check: (body) => {
              const list = (body.requests ?? []) as Array<{ requester?: string; id?: string }>;
              if (list.some((request) => request.requester === who.user)) return 'lists their own request';
              return list.some((request) => request.id === current.requestApprove) ? undefined : "does not list alice's pending request";
            },
          }
        : { ok: true, check: (body) => (idsIn(body, 'requests').length === 0 ? undefined : `a non-approver sees ${idsIn(body, 'requests').length} requests to approve`) },
  },
  {
    route: 'listRequests',
    name: 'every request',
    request: () => ({ query: { scope: 'all', profile: 'gated', limit: '100' } }),
    expect: (who, phase) => (isAdmin(who, phase) ? { ok: true, check: includes('requests', (o) => o.requestApprove, owned) } : refused('NOT_ADMIN')),
  },
  {
    route: 'showRequest',
    name: "show alice's request",
    request: (o) => ({ path: { id: o.requestApprove } }),
    expect: (who, phase) => (who === ALICE || who === BOB || who === CAROL || isAdmin(who, phase) ? { ok: true, check: (body) => ((body.request as { id?: string }).id === current.requestApprove ? undefined : 'shows another request') } : refused('NOT_FOUND')),
  },
  {
    route: 'approveRequest',
    name: "approve alice's request",
    // Refusals on alice's request; the approvers' successes on frank's (alice approved could get the profile).
    request: (o, who) => ({ path: { id: who === BOB ? o.approvedByBob : who === CAROL ? o.approvedByCarol : o.requestApprove }, body: {} }),
    expect: (who) => (who === BOB || who === CAROL ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'approveRequest',
    name: "approve carol's own request",
    request: (o, who) => ({ path: { id: who === BOB ? o.carolsApprovedByBob : o.carolsRequest }, body: {} }),
    expect: (who) => (who === BOB ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'denyRequest',
    name: "deny alice's request",
    request: (o, who) => ({ path: { id: who === CAROL ? o.requestDenyByCarol : o.requestDeny }, body: {} }),
    expect: (who) => (who === BOB || who === CAROL ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'invokeBreakglass',
    name: 'invoke break-glass',
    request: () => ({ body: { profile: 'bg1', reasonCode: 'incident', justification: JUSTIFICATION } }),
    // Only alice is named by the rule, and her event is still active.
    expect: (who) => (who === ALICE ? refused('CONFLICT') : refused('POLICY_DENY')),
  },
  {
    route: 'listBreakglass',
    name: 'own events',
    request: () => ({}),
    expect: (who) => ({ ok: true, check: both(onlyOwn('events', 'invoker', who.user), who === ALICE ? includes('events', (o) => o.event, owned) : undefined) }),
  },
  {
    route: 'listBreakglass',
    name: 'every event',
    request: () => ({ query: { scope: 'all', profile: 'bg1', limit: '100' } }),
    expect: (who, phase) => (isAdmin(who, phase) ? { ok: true, check: includes('events', (o) => o.event, owned) } : refused('NOT_ADMIN')),
  },
  // ---- owner
  {
    route: 'endSession',
    name: "end alice's session",
    request: (o) => ({ path: { id: o.sessionEnd }, body: {} }),
    expect: (who) => (who === ALICE ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'checkSession',
    name: "re-check alice's session",
    request: (o) => ({ path: { id: SESSION(o) }, body: { profile: 'dev' } }),
    expect: (who) => (who === ALICE ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'showSession',
    name: "show alice's session",
    request: (o) => ({ path: { id: SESSION(o) } }),
    expect: (who, phase) => (who === ALICE || isAdmin(who, phase) ? { ok: true, check: (body) => ((body.session as { user?: string }).user === 'alice' ? undefined : 'shows another session') } : refused('NOT_FOUND')),
  },
  {
    route: 'cancelRequest',
    name: "cancel alice's request",
    request: (o) => ({ path: { id: o.requestCancel } }),
    expect: (who) => (who === ALICE ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  {
    route: 'closeBreakglass',
    name: "close alice's event",
    // An admin may close it too: on another of alice's events, so both successes happen.
    request: (o, who) => ({ path: { id: who === ALICE ? o.event : o.eventForAdmin }, body: { reason: 'authorization test: closing' } }),
    expect: (who, phase) => (who === ALICE || isAdmin(who, phase) ? OK : refused('NOT_OWNER')),
    writes: true,
  },
  // ---- admin (everyone else's answer comes from the route table)
  { route: 'getPolicy', name: 'read the policy', request: () => ({}), expect: (_who, phase) => (phase === 'A' ? refused('NOT_FOUND') : OK) },
  {
    route: 'putPolicy',
    name: 'push a policy',
    request: (o, who) => ({ body: { text: who === BOOT || who === ERIN ? nextPolicy : HOSTILE_POLICY, expectedVersion: o.policyVersion } }),
    expect: () => OK,
    writes: true,
  },
  {
    route: 'revokeSession',
    name: "revoke alice's session",
    request: (o) => ({ path: { id: o.sessionRevoke }, body: { reason: 'authorization test' } }),
    expect: (_who, phase) => (phase === 'A' ? refused('NOT_FOUND') : OK),
    writes: true,
  },
  { route: 'revokeSessions', name: "revoke carol's sessions", request: () => ({ body: { user: 'carol', reason: 'authorization test' } }), expect: () => OK, writes: true },
  { route: 'provision', name: 'create a table', request: () => ({ body: { kind: 'sessions', table: `${PREFIX}probe-sessions` } }), expect: () => ({ ok: true, statuses: [200, 202] }), writes: true },
  { route: 'provisionStatus', name: 'table status', request: () => ({ path: { table: TABLES.sessions }, query: { kind: 'sessions' } }), expect: () => OK },
  { route: 'iamPolicy', name: 'IAM policy of a table', request: () => ({ query: { kind: 'sessions', table: TABLES.sessions } }), expect: () => OK },
];

/** The policy the admin pushes at the end of a phase (the next phase's). */
let nextPolicy = POLICY_WITHOUT_ADMINS;

/** The answer `who` must get from `probe` in `phase`: the route table first, then the probe. */
function expectationOf(probe: Probe, who: Who, phase: Phase): Expectation {
  if (who.user === undefined) return refused('INVALID_IDENTITY');
  if (ROUTES[probe.route].access === 'admin' && !isAdmin(who, phase)) return refused('NOT_ADMIN');
  return probe.expect(who, phase);
}

// ---------------------------------------------------------------- a phase

const violations: string[] = [];
let checks = 0;
const tally = new Map<string, number>();

async function provisionTables(): Promise<void> {
  for (const [kind, table] of [['config', TABLES.config], ['sessions', TABLES.sessions], ['requests', TABLES.requests], ['breakglass', TABLES.breakglass]] as const) {
    await ok('provision', BOOT, { body: { kind, table } });
    for (let attempt = 0; ; attempt += 1) {
      const status = await ok('provisionStatus', BOOT, { path: { table }, query: { kind } });
      if (status.status === 'READY') break;
      if (attempt > 100) throw new Error(`${table} never became READY: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const idOf = (body: Record<string, unknown>, field: string): string => String((body[field] as { id?: unknown } | undefined)?.id ?? '');

async function ownedResources(policyVersion: number): Promise<Owned> {
  const server = async () => idOf(await ok('credentials', ALICE, { body: { profile: 'dev', mode: 'server' } }), 'session');
  const request = async (who: Who = ALICE) => idOf(await ok('createRequest', who, { body: { profile: 'gated', justification: JUSTIFICATION } }), 'request');
  const event = async (profile: string) => idOf(await ok('invokeBreakglass', ALICE, { body: { profile, reasonCode: 'incident', justification: JUSTIFICATION } }), 'event');
  await ok('credentials', CAROL, { body: { profile: 'dev', mode: 'server' } });
  return {
    sessionCheck: await server(),
    sessionEnd: await server(),
    sessionRevoke: await server(),
    requestApprove: await request(),
    approvedByBob: await request(FRANK),
    approvedByCarol: await request(FRANK),
    carolsApprovedByBob: await request(FRANK),
    requestDeny: await request(),
    requestDenyByCarol: await request(),
    requestCancel: await request(),
    carolsRequest: await request(CAROL),
    event: await event('bg1'),
    eventForAdmin: await event('bg2'),
    policyVersion,
  };
}

/** DESIGN.md, HTTP API: the status of each code these probes expect. */
const STATUS: Record<string, number> = { INVALID_REQUEST: 400, INVALID_IDENTITY: 403, POLICY_DENY: 403, NOT_OWNER: 403, NOT_ADMIN: 403, NOT_FOUND: 404, CONFLICT: 409 };

function judge(probe: Probe, who: Who, phase: Phase, expectation: Expectation, answer: Answer): void {
  checks += 1;
  const label = `phase ${phase}, ${probe.route} (${probe.name}) by ${who.name}`;
  tally.set(ROUTES[probe.route].access, (tally.get(ROUTES[probe.route].access) ?? 0) + 1);
  if (answer.status >= 500) {
    violations.push(`${label}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return;
  }
  if ('code' in expectation) {
    if (codeOf(answer) !== expectation.code || answer.status !== STATUS[expectation.code]) {
      violations.push(`${label}: expected ${STATUS[expectation.code]} ${expectation.code}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    return;
  }
  const statuses = expectation.statuses ?? [200];
  if (!statuses.includes(answer.status)) {
    violations.push(`${label}: expected ${statuses.join('/')}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    return;
  }
  const problem = expectation.check?.(answer.body);
  if (problem !== undefined) violations.push(`${label}: ${problem}`);
}

async function runPhase(phase: Phase, probes: Probe[]): Promise<void> {
  // Refusals first, route by route, each batch against a snapshot of every table: a refusal changes nothing
  // (nothing at all behind an admin route; nothing but the rate limiter's counters elsewhere).
  let before = await snapshot();
  for (const probe of probes) {
    const adminRoute = ROUTES[probe.route].access === 'admin';
    for (const who of CALLERS) {
      const expectation = expectationOf(probe, who, phase);
      if (!('code' in expectation)) continue;
      judge(probe, who, phase, expectation, await call(probe.route, who, probe.request(current, who)));
    }
    const after = await snapshot();
    const changed = differences(before, after, { rateLimits: adminRoute });
    before = after;
    if (changed.length > 0) violations.push(`phase ${phase}, ${probe.route} (${probe.name}): refusals changed the tables: ${changed.slice(0, 5).join('; ')}`);
  }
  // Then what is allowed: reads before writes, the policy push last (it starts the next phase).
  const ordered = [...probes.filter((probe) => !probe.writes), ...probes.filter((probe) => probe.writes && probe.route !== 'putPolicy'), ...probes.filter((probe) => probe.route === 'putPolicy')];
  for (const probe of ordered) {
    for (const who of CALLERS) {
      const expectation = expectationOf(probe, who, phase);
      if ('code' in expectation) continue;
      judge(probe, who, phase, expectation, await call(probe.route, who, probe.request(current, who)));
    }
  }
}

// ---------------------------------------------------------------- the test

const started = Date.now();

beforeAll(async () => {
  mockAws();
  for (const name of Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>) {
    const runtime = createRuntime(loadConfig(environment()), { dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' }, logger: captured.logger });
    handlers.set(name, composeFunction(runtime, name, FUNCTIONS[name] as never));
  }
  await provisionTables();
});

afterAll(() => {
  sts.restore();
  iam.restore();
});

describe('authorization: every route × every kind of caller', () => {
  it('every route of the table has a probe, and every probe a route', () => {
    const probed = new Set(PROBES.map((probe) => probe.route));
    expect((Object.keys(ROUTES) as RouteName[]).filter((route) => !probed.has(route)), 'routes no probe tries: add one').toEqual([]);
  });

  it('bootstrap admins until a policy names admins, then only the named admins; nobody else acts on what is not theirs', async () => {
    // A: no policy stored. Only the admin routes have something to act on.
    current = { ...(await ownedResourcesWithoutPolicy()), policyVersion: 0 };
    nextPolicy = POLICY_WITHOUT_ADMINS;
    await runPhase(
      'A',
      PROBES.filter((probe) => ROUTES[probe.route].access === 'admin' || probe.route === 'whoami'),
    );

    // B: a policy that names no admin: the bootstrap admin keeps every right.
    current = await ownedResources(1);
    nextPolicy = POLICY_WITH_ADMINS;
    await runPhase('B', PROBES);

    // C: the bootstrap admin pushed a policy naming ops-erin: from the next request on, iam:boot is nobody special.
    const stored = await ok('getPolicy', ERIN);
    expect(stored.version).toBe(2);
    current = await ownedResources(2);
    nextPolicy = POLICY_WITH_ADMINS;
    await runPhase('C', PROBES);

    const leaks = leakedSecrets(captured.lines, vended);
    for (const leak of leaks) violations.push(`vended secret in the log: ${leak}`);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    recordPart({
      section: 'inputs',
      part: 'authorization',
      tried: checks,
      unit: 'route × caller checks',
      violations,
      notes: [
        `${Object.keys(ROUTES).length} routes, ${PROBES.length} probes, ${CALLERS.length} callers, phases A (no policy), B (no admins named), C (admins named); checks by access: ${[...tally].map(([access, count]) => `${access} ${count}`).join(', ')}`,
        `${vended.length / 3} credentials vended, ${captured.lines.length} log lines scanned; ${seconds} s`,
      ],
    });
    recordLogs('authorization', captured.lines);
    recordSecrets('authorization', vended);

    expect(violations).toEqual([]);
    expect(checks).toBeGreaterThan(PROBES.length * CALLERS.length);
    expect(vended.length).toBeGreaterThan(0);
  });
});

/** Phase A has no policy, so nothing can be issued: the admin routes act on ids that do not exist. */
async function ownedResourcesWithoutPolicy(): Promise<Omit<Owned, 'policyVersion'>> {
  const none = () => randomBytes(16).toString('hex');
  return {
    sessionCheck: none(),
    sessionEnd: none(),
    sessionRevoke: none(),
    requestApprove: none(),
    approvedByBob: none(),
    approvedByCarol: none(),
    carolsApprovedByBob: none(),
    requestDeny: none(),
    requestDenyByCarol: none(),
    requestCancel: none(),
    carolsRequest: none(),
    event: none(),
    eventForAdmin: none(),
  };
}
