/**
 * Hostile input over the HTTP API (issue 15, Hostile input): fast-check generates
 * requests for every route of the route table — bodies, query strings, path ids,
 * headers, identity contexts — as API Gateway HTTP API events (payload 2.0) and, for a
 * share, as REST API events (payload 1.0, src/http/restEvent.ts), and hands them to every
 * function's handler, composed in-process exactly as its Lambda entry composes it
 * (createRuntime(loadConfig(env)) → composeFunction, as test/integration/permissions.test.ts).
 *
 * Every answer must be a 4xx with a stable code of the ErrorCode union, at the status
 * DESIGN.md gives it, in the documented `{ error: { code, message, requestId, denial? } }`
 * shape — or a 2xx that is legitimate for what was sent (see {@link illegitimate}) and
 * matches the route's response schema. Never a 5xx, never a thrown exception, never a
 * change to Object.prototype (checked after every request). Times per request are
 * measured and reported (p50, p99, max), not asserted.
 *
 * Where the stores live: every request goes to DynamoDB Local, none to a mocked
 * DynamoDB. The inputs that get past validation are exactly the ones whose handling by
 * a real DynamoDB matters (text with `#status` and `:v` in expression values, lone
 * surrogates and NUL stored as attribute values, cursors, item sizes), and a mock would
 * only answer what the test told it to. Per-request cost stays low instead: the policy is
 * cached (SENTINEL_POLICY_TTL 300), identity-role lookups are cached, and about one
 * request in seven is valid enough to reach the database (the rest are refused before
 * any AWS call, in well under a millisecond). STS and IAM are aws-sdk-client-mock.
 * The CI size is 10,000 requests; `--long` sends 1,000,000 (measured rates in the notes).
 */

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_ID, TABLE_NAME } from '../../src/api/constants.js';
import { ERROR_CODES } from '../../src/api/contract.js';
import type { ErrorCode } from '../../src/api/contract.js';
import { ROUTES, routeKey } from '../../src/api/routes.js';
import type { RouteName, RouteSpec } from '../../src/api/routes.js';
import { FUNCTIONS } from '../../src/compose/index.js';
import { composeFunction } from '../../src/compose/lambda.js';
import { createRuntime } from '../../src/compose/runtime.js';
import { loadConfig } from '../../src/config.js';
import type { HttpHandler } from '../../src/http/handler.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { dynamodbEndpoint } from '../integration/dynamodb.js';
import { capturingLogger } from './support/logs.js';
import { LONG, leakedSecrets, recordLogs, recordPart, recordSecrets, scaled } from './support/report.js';
import { contentTypes, hostileBodyText, hostileIds, hostileString, hostileValueText, hugeString, INJECTIONS, PROTOTYPE_NAMES } from './support/hostileInputs.js';

const PART = 'HTTP API hostile input';
const REQUESTS = scaled(10_000, 1_000_000);
/**
 * How often a generated body is one the route accepts, against one hostile change (6) or
 * hostile text (3). The long run spends its extra volume on hostile variety rather than
 * on repeating valid requests (which cost a DynamoDB Local round trip or several).
 */
const VALID_WEIGHT = LONG ? 1 : 3;
const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '222233334444';
const REGION = 'us-east-1';
const PREFIX = `sentinel-hostile${randomBytes(3).toString('hex')}-`;
const TABLES = { config: `${PREFIX}config`, sessions: `${PREFIX}sessions`, team: `${PREFIX}team-sessions`, requests: `${PREFIX}requests`, breakglass: `${PREFIX}breakglass` };
const SSO_ROLE = 'AWSReservedSSO_Engineer_0123456789abcdef';
const SSO_ROLE_ID = 'AROAENGINEER000000001';
const LOOKALIKE_ROLE = 'AWSReservedSSO_Engineer_ffffffffffffffff';
const LOOKALIKE_ROLE_ID = 'AROALOOKALIKE0000001';
/** The log lines handed to the run-wide scan: all of them in CI; a long run keeps the first this many (every line is still scanned here). */
const RECORDED_LINES_CAP = LONG ? 300_000 : Number.POSITIVE_INFINITY;
/** Lines are scanned and recorded in chunks, so a long run does not hold a million lines. */
const CHUNK = 2_000;
/**
 * Requests in flight at once: DynamoDB Local (a Java process) works on the second core
 * while this one generates, sends and checks; REQUESTS is a multiple of it.
 */
const BATCH = 4;

const POLICY = `version: "1"
profiles:
  dev: { role_arn: "arn:aws:iam::${ACCOUNT}:role/sentinel-dev", max_duration: 1h }
  other: { role_arn: "arn:aws:iam::${OTHER_ACCOUNT}:role/sentinel-other", max_duration: 1h }
  gated: { role_arn: "arn:aws:iam::${ACCOUNT}:role/sentinel-gated", max_duration: 1h }
groups:
  team: [alice, bob, "iam:erin"]
rules:
  - name: engineers
    effect: allow
    conditions: { profiles: [dev, other], users: [alice, bob] }
  - name: gated-needs-approval
    effect: require_approval
    conditions: { profiles: [gated], users: [alice, bob] }
approvals:
  - name: gated-approvers
    profiles: [gated]
    approvers: [alice, bob]
    max_duration: 1h
breakglass:
  - name: oncall
    profiles: [gated]
    users: [alice]
    reason_codes: [incident]
    max_duration: 1h
    rate_limit: { cooldown: 1s, max_per_user: 1000, max_per_profile: 1000, window: 1h }
admins: [iam:admin]
`;
const PROFILES = ['dev', 'other', 'gated'] as const;
/** A route's entry, as the stack reads it. */
const specOf = (name: RouteName): RouteSpec => ROUTES[name] as RouteSpec;
/** The users the policy lets get credentials: nobody else may ever receive any. */
const ENTITLED = new Set(['alice', 'bob']);

/** DESIGN.md, HTTP API: the status of every code (the contract, written down independently of src/http/stack.ts). */
const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  INVALID_IDENTITY: 403,
  IAM_AUTH_REQUIRED: 403,
  POLICY_DENY: 403,
  SERVER_MODE_REQUIRED: 403,
  SESSION_TRACKING_REQUIRED: 403,
  SERVER_SESSION_REQUIRED: 403,
  APPROVAL_REQUIRED: 403,
  SESSION_REVOKED: 403,
  SESSION_ENDED: 403,
  SESSION_EXPIRED: 403,
  NOT_OWNER: 403,
  NOT_ADMIN: 403,
  NOT_FOUND: 404,
  UNKNOWN_PROFILE: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

// ---------------------------------------------------------------- mocked STS and IAM

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
/** What AssumeRole hands out: a fixed pool, so the scans stay cheap however many are issued. */
const POOL = Array.from({ length: 16 }, (_, index) => ({
  AccessKeyId: `ASIAHOSTILE${String(index).padStart(9, '0')}`,
  SecretAccessKey: `hostile-secret-${randomBytes(16).toString('hex')}`,
  SessionToken: `hostile-token-${randomBytes(24).toString('base64url')}`,
}));
const SECRETS = POOL.flatMap((entry) => [entry.AccessKeyId, entry.SecretAccessKey, entry.SessionToken]);
let assumed = 0;

function mockAws(): void {
  const rolePolicies = new Map<string, string>();
  sts.on(AssumeRoleCommand).callsFake((input: { DurationSeconds?: number }) => {
    const entry = POOL[assumed++ % POOL.length] ?? POOL[0];
    return { Credentials: { ...entry, Expiration: new Date(Date.now() + (input.DurationSeconds ?? 3600) * 1000) } };
  });
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => {
    // The real Identity Center role; any other AWSReservedSSO_* name is a role someone created to look like one.
    if (input.RoleName === SSO_ROLE) {
      return { Role: { RoleName: SSO_ROLE, RoleId: SSO_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`, Path: '/aws-reserved/sso.amazonaws.com/', CreateDate: new Date() } };
    }
    if (input.RoleName === LOOKALIKE_ROLE) {
      return { Role: { RoleName: LOOKALIKE_ROLE, RoleId: LOOKALIKE_ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/${LOOKALIKE_ROLE}`, Path: '/', CreateDate: new Date() } };
    }
    throw Object.assign(new Error('The role cannot be found.'), { name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
  });
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

// ---------------------------------------------------------------- identities

/**
 * One identity context. `valid`: `yes` for a principal AWS could really have verified
 * (legitimate answers allowed), `no` for a context Sentinel must refuse (403
 * INVALID_IDENTITY / IAM_AUTH_REQUIRED, or a 400 for the body first), `unknown` for a
 * well-formed ARN with wrong-typed side fields (either answer is acceptable; the caller
 * still must not become someone else: see `notUser`).
 */
interface IdentityCase {
  label: string;
  valid: 'yes' | 'no' | 'unknown';
  admin: boolean;
  /** The user whoami must answer for a `yes` identity. */
  user?: string;
  /** `requestContext.authorizer`: `{ iam }`, or a structural oddity. */
  authorizer: { kind: 'iam'; iam: unknown } | { kind: 'absent' } | { kind: 'value'; value: unknown };
}

const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const sessionArn = (role: string, session: string, account = ACCOUNT) => `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
const iamOf = (arn: unknown, userId: unknown, accountId: unknown = ACCOUNT, extra: Record<string, unknown> = {}) => ({
  accessKey: 'AKIAHOSTILE000000001',
  accountId,
  callerId: userId,
  cognitoIdentity: null,
  principalOrgId: null,
  userArn: arn,
  userId,
  ...extra,
});
const yes = (label: string, user: string, iamValue: unknown, admin = false): IdentityCase => ({ label, valid: 'yes', admin, user, authorizer: { kind: 'iam', iam: iamValue } });
const no = (label: string, authorizer: IdentityCase['authorizer']): IdentityCase => ({ label, valid: 'no', admin: false, authorizer });
const noArn = (label: string, arn: unknown, userId: unknown = 'AIDAHOSTILE000000001', accountId: unknown = ACCOUNT) => no(label, { kind: 'iam', iam: iamOf(arn, userId, accountId) });
const person = (name: string) => yes(`person ${name}`, name, iamOf(sessionArn(SSO_ROLE, name), `${SSO_ROLE_ID}:${name}`));

const ALICE = person('alice');
const BOB = person('bob');
const ADMIN = yes('iam admin', 'iam:admin', iamOf(userArn('admin'), 'AIDAADMIN00000000001'), true);

const VALID_IDENTITIES: IdentityCase[] = [
  ALICE,
  BOB,
  ADMIN,
  yes('iam erin', 'iam:erin', iamOf(userArn('erin'), 'AIDAERIN000000000001')),
  yes('role ci', 'role:deploy/ci-42', iamOf(sessionArn('deploy', 'ci-42'), 'AROADEPLOY0000000001:ci-42')),
  // Real principals with names that are properties of every object.
  ...PROTOTYPE_NAMES.filter((name) => name.length >= 2).flatMap((name) => [
    yes(`iam ${name}`, `iam:${name}`, iamOf(userArn(name), 'AIDAPROTO00000000001')),
    yes(`role session ${name}`, `role:deploy/${name}`, iamOf(sessionArn('deploy', name), `AROADEPLOY0000000001:${name}`)),
    person(name),
  ]),
  // A role someone created to look like an Identity Center role: an ordinary role, never the person alice.
  yes('look-alike SSO role', `role:${LOOKALIKE_ROLE}/alice`, iamOf(sessionArn(LOOKALIKE_ROLE, 'alice'), `${LOOKALIKE_ROLE_ID}:alice`)),
  yes('role named admin', 'role:admin/admin', iamOf(sessionArn('admin', 'admin'), 'AROAADMINROLE0000001:admin')),
  yes('maximal names', `role:${'r'.repeat(64)}/${'s'.repeat(64)}`, iamOf(sessionArn('r'.repeat(64), 's'.repeat(64)), `AROAMAXIMAL000000001:${'s'.repeat(64)}`)),
];

const HOSTILE_IDENTITIES: IdentityCase[] = [
  no('no authorizer', { kind: 'absent' }),
  no('authorizer null', { kind: 'value', value: null }),
  no('authorizer string', { kind: 'value', value: 'arn:aws:iam::000000000000:user/admin' }),
  no('authorizer array', { kind: 'value', value: [{ iam: iamOf(userArn('admin'), 'AIDAADMIN00000000001') }] }),
  no('authorizer without iam', { kind: 'value', value: { jwt: { claims: { sub: 'admin' } } } }),
  no('iam null', { kind: 'iam', iam: null }),
  no('iam string', { kind: 'iam', iam: userArn('admin') }),
  no('iam empty', { kind: 'iam', iam: {} }),
  no('iam prototype', { kind: 'iam', iam: JSON.parse('{"__proto__":{"userArn":"arn:aws:iam::000000000000:user/admin"}}') as unknown }),
  noArn('userArn empty', ''),
  noArn('userArn number', 42),
  noArn('userArn object', { toString: 'arn:aws:iam::000000000000:user/admin' }),
  noArn('userArn array', [userArn('admin')]),
  noArn('root', `arn:aws:iam::${ACCOUNT}:root`),
  noArn('federated user', `arn:aws:sts::${ACCOUNT}:federated-user/admin`),
  noArn('account not allowed', `arn:aws:iam::${OTHER_ACCOUNT}:user/admin`, 'AIDAADMIN00000000001', OTHER_ACCOUNT),
  noArn('account mismatch', userArn('admin'), 'AIDAADMIN00000000001', '111111111111'),
  noArn('region in ARN', `arn:aws:iam:us-east-1:${ACCOUNT}:user/admin`),
  noArn('partition unknown', `arn:aws-xx:iam::${ACCOUNT}:user/admin`),
  noArn('seven parts', `arn:aws:iam::${ACCOUNT}:user/admin:x`),
  noArn('short account', 'arn:aws:iam::00000000000:user/admin'),
  noArn('empty user name', userArn('')),
  noArn('user name with space', userArn('ad min')),
  noArn('user name injection', userArn("' OR 1=1 --")),
  noArn('user name jndi', userArn('${jndi:ldap://127.0.0.1/a}')),
  noArn('user name NUL', userArn('admin\u0000')),
  noArn('user name lone surrogate', userArn('admin\ud800')),
  noArn('user name unicode', userArn('аdmin')),
  noArn('user name too long', userArn('a'.repeat(65))),
  noArn('role ARN, not a session', `arn:aws:iam::${ACCOUNT}:role/deploy`),
  noArn('group ARN', `arn:aws:iam::${ACCOUNT}:group/admins`),
  noArn('assumed-role without session', `arn:aws:sts::${ACCOUNT}:assumed-role/deploy`, 'AROADEPLOY0000000001:x'),
  noArn('assumed-role with path', `arn:aws:sts::${ACCOUNT}:assumed-role/a/deploy/ci`, 'AROADEPLOY0000000001:ci'),
  noArn('assumed-role empty session', sessionArn(SSO_ROLE, ''), `${SSO_ROLE_ID}:`),
  noArn('session name with slash', sessionArn(SSO_ROLE, 'ali/ce'), `${SSO_ROLE_ID}:ali/ce`),
  noArn('session name injection', sessionArn(SSO_ROLE, '#status'), `${SSO_ROLE_ID}:#status`),
  noArn('huge ARN', userArn('a'.repeat(100_000))),
  noArn('not an ARN', "' OR 1=1 --"),
  noArn('jndi ARN', '${jndi:ldap://127.0.0.1:1389/a}'),
  // A person's ARN with the unique id of another session: the id names someone else.
  noArn('person with foreign session id', sessionArn(SSO_ROLE, 'alice'), `${SSO_ROLE_ID}:bob`),
];

/** Well-formed ARNs with wrong-typed side fields: accepted or refused, but never as someone they are not. */
const ODD_IDENTITIES: IdentityCase[] = [
  // STS never names a session with one character, but nothing is wrong with the name itself.
  { label: 'session name one char', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(sessionArn(SSO_ROLE, 'a'), `${SSO_ROLE_ID}:a`) } },
  { label: 'accountId number', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(userArn('erin'), 'AIDAERIN000000000001', 0) } },
  { label: 'accountId null', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(userArn('erin'), 'AIDAERIN000000000001', null) } },
  { label: 'userId number', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(sessionArn(SSO_ROLE, 'carol'), 42) } },
  { label: 'userId object', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(sessionArn(SSO_ROLE, 'carol'), { toString: () => `${SSO_ROLE_ID}:carol` }) } },
  { label: 'userId missing', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(sessionArn(SSO_ROLE, 'carol'), undefined) } },
  { label: 'principalOrgId odd', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(userArn('erin'), 'AIDAERIN000000000001', ACCOUNT, { principalOrgId: { __proto__: null } }) } },
  { label: 'principalOrgId injection', valid: 'unknown', admin: false, authorizer: { kind: 'iam', iam: iamOf(userArn('erin'), 'AIDAERIN000000000001', ACCOUNT, { principalOrgId: "o-' OR 1=1" }) } },
];

const identities = fc.oneof(
  { weight: 7, arbitrary: fc.constantFrom(ALICE, BOB, ADMIN) },
  { weight: 3, arbitrary: fc.constantFrom(...VALID_IDENTITIES) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_IDENTITIES) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_IDENTITIES) },
  {
    weight: 1,
    arbitrary: fc.oneof(hostileString, fc.anything({ maxDepth: 2 })).map((value): IdentityCase => noArn('generated ARN', value)),
  },
);

// ---------------------------------------------------------------- requests

/** A body as JSON text built from entries, so `__proto__` and raw value texts (`1e400`, deep nesting) reach the wire as written. */
type Entries = Array<[string, string]>;
const objectText = (entries: Entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
const entriesOf = (record: Record<string, unknown>): Entries => Object.entries(record).filter(([, value]) => value !== undefined).map(([key, value]) => [key, JSON.stringify(value)]);

interface Generated {
  route: RouteName;
  /** The route key the event names: the route's own, or another (a miswired deployment). */
  routeKey: string;
  rest: boolean;
  identity: IdentityCase;
  /** The path parameter value, for routes with one. */
  pathValue: string | undefined;
  /** Query parameters in order; a name may repeat. */
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  /** The body text as the client sent it, or undefined for none. */
  bodyText: string | undefined;
  /** `isBase64Encoded`; `garbage` sends the text as it is with the flag set. */
  base64: 'no' | 'yes' | 'garbage';
  /** `putPolicy`'s expectedVersion: resolved to the stored version at send time. */
  currentVersion: boolean;
}

/** What the fixtures created: the ids valid-looking requests name. */
interface Known {
  sessions: string[];
  requests: string[];
  events: string[];
}

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const duration = fc.oneof(fc.integer({ min: 900, max: 43_200 }), fc.constantFrom(900, 3600, 43_200));
const freeText = fc.oneof(fc.constantFrom(...INJECTIONS.filter((text) => text.length >= 10)), fc.constantFrom('an ordinary justification', 'incident #42: the pager went off'), fc.string({ unit: 'grapheme', minLength: 10, maxLength: 60 }));
const tableName = fc.constantFrom(TABLES.sessions, TABLES.team, TABLES.sessions, `${PREFIX}missing`, 'sentinel-sessions');
const profileName = fc.constantFrom(...PROFILES, ...PROFILES, 'unknown-profile', 'a'.repeat(64));
const mode = fc.constantFrom('cli', 'server', 'credential_process');
const isoTime = fc.constantFrom(new Date().toISOString(), '2030-01-01T00:00:00Z', '1970-01-01T00:00:00+02:00', '2024-02-29T23:59:59.999Z');

/** A body each route would accept (the values the fixtures and the policy know, mostly). */
function validBody(route: RouteName, known: Known): fc.Arbitrary<Record<string, unknown>> {
  const opt = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const ids = fc.oneof(fc.constantFrom(...known.sessions), hex32);
  switch (route) {
    case 'credentials':
      return fc.record({ profile: profileName, mode, sessionTable: opt(tableName), durationSeconds: opt(duration), sessionId: opt(ids) });
    case 'putPolicy':
      return fc.record({ text: fc.constant(POLICY), expectedVersion: fc.constantFrom(0, 1, 99, 2 ** 31) });
    case 'evaluatePolicy':
      return fc.record({ profile: profileName, mode, user: opt(fc.constantFrom('alice', 'bob', 'iam:admin', '222233334444:iam:erin')), time: opt(isoTime), sessionTable: opt(tableName) });
    case 'endSession':
      return fc.record({ sessionTable: opt(tableName) });
    case 'checkSession':
      return fc.record({ profile: profileName, sessionTable: opt(tableName) });
    case 'revokeSession':
    case 'closeBreakglass':
      return fc.record({ reason: freeText, ...(route === 'revokeSession' ? { sessionTable: opt(tableName) } : {}) });
    case 'revokeSessions':
      return fc.record({ user: opt(fc.constantFrom('bob', 'iam:erin', 'nobody')), profile: opt(profileName), reason: freeText, sessionTable: opt(tableName) });
    case 'createRequest':
      return fc.record({ profile: profileName, justification: freeText, durationSeconds: opt(duration) });
    case 'approveRequest':
    case 'denyRequest':
      return fc.record({ comment: opt(freeText) });
    case 'invokeBreakglass':
      return fc.record({ profile: profileName, reasonCode: fc.constantFrom('incident', 'security', 'other'), justification: freeText, durationSeconds: opt(duration) });
    case 'provision':
      // Only tables that exist, so a plan or a create is `none` or drift: the run creates no tables.
      return fc.record({ kind: fc.constantFrom('sessions', 'requests', 'breakglass', 'config'), table: fc.constantFrom(...Object.values(TABLES)), plan: opt(fc.boolean()) });
    default:
      return fc.constant({});
  }
}

/** YAML a policy text could be that is not a policy: deep, aliased, huge, odd. */
const hostilePolicyText = fc.constantFrom(
  `${'- '.repeat(5_000)}x`,
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
  `${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}`,
  'a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: &d [*c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d]\n',
  'version: "1"\n__proto__: { polluted: yes }\nprofiles: {}\nrules: []\n',
  'version: "1"\nprofiles:\n  __proto__: { role_arn: "arn:aws:iam::000000000000:role/x", max_duration: 1h }\nrules: []\n',
  'version: "1"\nprofiles: { dev: { role_arn: "${jndi:ldap://127.0.0.1/a}", max_duration: 1h } }\nrules: []\n',
  '!!js/function "function(){ globalThis.polluted = 1 }"',
  '%YAML 1.1\n---\n!!binary AAAA\n',
  `version: "1"\n${'x'.repeat(300_000)}: 1\n`,
  '\ufeffversion: "1"',
  'version: "1"\0',
);

/** One body for `route`: valid, a valid one with one hostile change, hostile text, or none. */
function bodyText(route: RouteName, known: Known): fc.Arbitrary<string | undefined> {
  const spec = specOf(route);
  if (spec.body === null) {
    return fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant('') }, { weight: 2, arbitrary: hostileBodyText }, { weight: 1, arbitrary: fc.constant('{}') });
  }
  const valid = validBody(route, known).map(entriesOf);
  const mutated = fc
    .tuple(valid, fc.constantFrom('drop', 'add', 'replace', 'duplicate'), fc.nat(), fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('profile', 'mode', 'user', 'status', 'admin'), hostileString), route === 'putPolicy' ? fc.oneof(hostileValueText, hostilePolicyText.map((text) => JSON.stringify(text))) : hostileValueText)
    .map(([entries, operation, index, key, value]) => {
      const at = entries.length === 0 ? 0 : index % entries.length;
      const copy: Entries = [...entries];
      if (operation === 'drop') copy.splice(at, 1);
      else if (operation === 'add') copy.push([key, value]);
      else if (operation === 'duplicate' && copy[at] !== undefined) copy.push([copy[at][0], value]);
      else if (copy[at] !== undefined) copy[at] = [copy[at][0], value];
      else copy.push([key, value]);
      return objectText(copy);
    });
  return fc.oneof({ weight: VALID_WEIGHT, arbitrary: valid.map(objectText) }, { weight: 6, arbitrary: mutated }, { weight: 3, arbitrary: hostileBodyText }, { weight: 1, arbitrary: fc.constant(undefined) });
}

/** Valid query parameters per route, as [name, value] pairs. */
function validQuery(route: RouteName): fc.Arbitrary<Array<[string, string]>> {
  const pick = (pairs: Record<string, fc.Arbitrary<string>>) =>
    fc.record(Object.fromEntries(Object.entries(pairs).map(([name, arbitrary]) => [name, fc.option(arbitrary, { nil: undefined })]))).map((record) =>
      Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  const limit = fc.integer({ min: 1, max: 100 }).map(String);
  switch (route) {
    case 'listSessions':
      return pick({ user: fc.constantFrom('alice', 'bob', 'iam:erin'), profile: profileName, status: fc.constantFrom('active', 'revoked', 'pending'), since: isoTime, limit, sessionTable: tableName });
    case 'showSession':
      return pick({ sessionTable: tableName });
    case 'listRequests':
      return pick({ scope: fc.constantFrom('mine', 'approvable', 'all'), status: fc.constantFrom('pending', 'approved'), profile: profileName, limit });
    case 'listBreakglass':
      return pick({ scope: fc.constantFrom('mine', 'all'), profile: profileName, status: fc.constantFrom('active', 'closed'), limit });
    case 'iamPolicy':
      return fc.tuple(fc.constantFrom('sessions', 'requests', 'breakglass', 'config'), fc.option(fc.constantFrom(...Object.values(TABLES)), { nil: undefined })).map(([kind, table]) => [['kind', kind], ...(table === undefined ? [] : ([['table', table]] as Array<[string, string]>))]);
    case 'provisionStatus':
      return pick({ kind: fc.constantFrom('sessions', 'requests', 'breakglass', 'config') });
    default:
      return fc.constant<Array<[string, string]>>([]);
  }
}

const hostileQueryName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'user', 'limit', 'cursor', 'sessionTable', 'x-amz-signature', ''), hostileString);
const hostileQueryValue = fc.oneof(hostileString, fc.constantFrom('%zz', '%', '%00', '%ud800', '0', '-1', '101', '1e2', '1.5', ' 1', 'NaN', 'a,b', 'eyJ2IjoxfQ.AAAA', `${'A'.repeat(600)}.${'B'.repeat(43)}`));

function queryPairs(route: RouteName): fc.Arbitrary<Array<[string, string]>> {
  const valid = validQuery(route);
  const hostile = fc
    .tuple(valid, fc.constantFrom('add', 'replace', 'repeat'), fc.nat(), hostileQueryName, hostileQueryValue)
    .map(([pairs, operation, index, name, value]) => {
      const copy = [...pairs];
      const at = copy.length === 0 ? 0 : index % copy.length;
      const existing = copy[at];
      if (operation === 'replace' && existing !== undefined) copy[at] = [existing[0], value];
      else if (operation === 'repeat' && existing !== undefined) copy.push([existing[0], existing[1]]);
      else copy.push([name, value]);
      return copy;
    });
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: hostile });
}

const headerPairs: fc.Arbitrary<Array<[string, string]>> = fc.oneof(
  { weight: 6, arbitrary: contentTypes.map((type): Array<[string, string]> => [['content-type', type]]) },
  { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(contentTypes, fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'authorization', 'x-amz-security-token', 'x-forwarded-for', 'host', 'Content-Type'), fc.string({ maxLength: 20 })), fc.oneof(hostileString, hugeString))
      .map(([type, name, value]): Array<[string, string]> => [['content-type', type], [name, value], ['content-type', 'text/plain']]),
  },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 500 }, (_, index): [string, string] => [`x-h${index}`, 'v'.repeat(100)])) },
);

function generated(known: Known): fc.Arbitrary<Generated> {
  const routeNames = Object.keys(ROUTES) as RouteName[];
  const otherKeys = [...new Set(routeNames.map((name) => routeKey(ROUTES[name])))];
  return fc.constantFrom(...routeNames).chain((route) => {
    const spec = specOf(route);
    const hasPath = /\{[a-z]+\}/.test(spec.path);
    const pathValue = !hasPath
      ? fc.constant(undefined)
      : spec.path.includes('{table}')
        ? fc.oneof(fc.constantFrom(...Object.values(TABLES)), hostileIds)
        : fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known.sessions, ...known.requests, ...known.events) }, { weight: 1, arbitrary: hex32 }, { weight: 3, arbitrary: hostileIds });
    return fc.record({
      route: fc.constant(route),
      routeKey: fc.oneof({ weight: 20, arbitrary: fc.constant(routeKey(spec)) }, { weight: 1, arbitrary: fc.constantFrom(...otherKeys, 'GET /v1/__proto__', '__proto__', `${spec.method} ${spec.path}/`, '$default') }),
      rest: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      identity: identities,
      pathValue,
      query: spec.query === null ? fc.oneof({ weight: 4, arbitrary: fc.constant<Array<[string, string]>>([]) }, { weight: 1, arbitrary: fc.tuple(hostileQueryName, hostileQueryValue).map((pair): Array<[string, string]> => [pair]) }) : queryPairs(route),
      headers: headerPairs,
      bodyText: bodyText(route, known),
      base64: fc.constantFrom('no', 'no', 'no', 'no', 'no', 'no', 'yes', 'garbage'),
      currentVersion: fc.boolean(),
    });
  });
}

// ---------------------------------------------------------------- events

/** An object whose every entry is an own property, `__proto__` included. */
function own(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Values per name, in order; names as given (headers are lower-cased by the caller). */
function grouped(pairs: ReadonlyArray<[string, string]>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of pairs) map.set(name, [...(map.get(name) ?? []), value]);
  return map;
}
const joinedRecord = (map: Map<string, string[]>) => own([...map].map(([name, values]) => [name, values.join(',')]));

/** The body as the event carries it, and the text the stack will read from it. */
function wireBody(request: Generated, policyVersion: number): { body: string | undefined; read: string | undefined } {
  let text = request.bodyText;
  if (text !== undefined && request.currentVersion && request.route === 'putPolicy') text = text.replace(/"expectedVersion":\d+/, `"expectedVersion":${policyVersion}`);
  if (text === undefined) return { body: undefined, read: undefined };
  if (request.base64 === 'no') return { body: text, read: text === '' ? undefined : text };
  const body = request.base64 === 'yes' ? Buffer.from(text, 'utf8').toString('base64') : text;
  return { body, read: body === '' ? undefined : Buffer.from(body, 'base64').toString('utf8') };
}

function rawPathOf(spec: RouteSpec, pathValue: string | undefined): string {
  return pathValue === undefined ? spec.path : spec.path.replace(/\{[a-z]+\}/, pathValue);
}

let counter = 0;

function eventOf(request: Generated, body: string | undefined): { event: unknown; requestId: string } {
  const spec = specOf(request.route);
  counter += 1;
  const requestId = `hostile-${counter}`;
  const rawPath = rawPathOf(spec, request.pathValue);
  const paramName = /\{([a-z]+)\}/.exec(spec.path)?.[1];
  const pathParameters = paramName === undefined || request.pathValue === undefined ? undefined : own([[paramName, request.pathValue]]);
  const query = grouped(request.query);
  const headers = grouped(request.headers.map(([name, value]) => [name.toLowerCase(), value]));
  const [method = 'GET', resource = '/'] = request.routeKey.split(' ');
  if (!request.rest) {
    const authorizer = request.identity.authorizer;
    return {
      requestId,
      event: {
        version: '2.0',
        routeKey: request.routeKey,
        rawPath,
        rawQueryString: request.query.map(([name, value]) => `${encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?'))}=${value.replace(/[&#\s]/g, '%20')}`).join('&'),
        headers: joinedRecord(headers),
        ...(query.size === 0 ? {} : { queryStringParameters: joinedRecord(query) }),
        ...(pathParameters === undefined ? {} : { pathParameters }),
        ...(body === undefined ? {} : { body }),
        isBase64Encoded: request.base64 !== 'no',
        requestContext: {
          accountId: ACCOUNT,
          apiId: 'hostile',
          ...(authorizer.kind === 'absent' ? {} : { authorizer: authorizer.kind === 'iam' ? { iam: authorizer.iam } : authorizer.value }),
          domainName: 'hostile.execute-api.us-east-1.amazonaws.com',
          http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fast-check' },
          requestId,
          routeKey: request.routeKey,
          stage: '$default',
          time: '01/Jan/2030:00:00:00 +0000',
          timeEpoch: Date.now(),
        },
      },
    };
  }
  // Payload 1.0: the caller in requestContext.identity, multi-value maps beside single-value ones.
  const authorizer = request.identity.authorizer;
  const fields = authorizer.kind === 'iam' && typeof authorizer.iam === 'object' && authorizer.iam !== null ? (authorizer.iam as Record<string, unknown>) : undefined;
  const identity =
    fields !== undefined
      ? { accessKey: fields.accessKey, accountId: fields.accountId, caller: fields.callerId, principalOrgId: fields.principalOrgId, user: fields.userId, userArn: fields.userArn, sourceIp: '127.0.0.1', userAgent: 'fast-check' }
      : authorizer.kind === 'value'
        ? authorizer.value
        : authorizer.kind === 'iam'
          ? authorizer.iam
          : { sourceIp: '127.0.0.1', userAgent: 'fast-check', userArn: null };
  const last = (map: Map<string, string[]>) => own([...map].map(([name, values]) => [name, values[values.length - 1] ?? '']));
  return {
    requestId,
    event: {
      resource,
      path: rawPath,
      httpMethod: method,
      headers: last(headers),
      multiValueHeaders: own([...headers]),
      queryStringParameters: query.size === 0 ? null : last(query),
      multiValueQueryStringParameters: query.size === 0 ? null : own([...query]),
      pathParameters: pathParameters ?? null,
      stageVariables: null,
      requestContext: { accountId: ACCOUNT, apiId: 'hostile', httpMethod: method, identity, path: `/prod${rawPath}`, protocol: 'HTTP/1.1', requestId, requestTimeEpoch: Date.now(), resourceId: 'r1', resourcePath: resource, stage: 'prod' },
      body: body ?? null,
      isBase64Encoded: request.base64 !== 'no',
    },
  };
}

// ---------------------------------------------------------------- expectations

/** The route the event really names, for the function whose handler receives it (undefined: the function serves no such route). */
function effectiveRoute(request: Generated): RouteName | undefined {
  const fn = ROUTES[request.route].function;
  return (Object.keys(ROUTES) as RouteName[]).find((name) => ROUTES[name].function === fn && routeKey(ROUTES[name]) === request.routeKey);
}

/**
 * Why a 2xx answer to `request` is not legitimate, or undefined when it is. Legitimate
 * means: the route the event names exists for the function; the caller is a principal
 * AWS could have verified (`yes`, or `unknown`), and an admin for an admin route; the
 * body, as the stack must read it (base64 decoded when flagged), is a JSON object the
 * route's documented request schema accepts (absent or empty for routes without one);
 * the query likewise for routes with a query schema (routes without one read none, so
 * any query is fine); a path id is 32 hex digits (a table name for provisionStatus).
 * Route by route, stricter: credentials only to the users the policy entitles (alice,
 * bob) for a profile the policy names; a policy push only of a text the parser accepts;
 * whoami names exactly the user the identity is.
 */
function illegitimate(request: Generated, read: string | undefined, answer: Record<string, unknown>): string | undefined {
  const name = effectiveRoute(request);
  if (name === undefined) return 'a 2xx for a route the function does not serve';
  const spec = specOf(name);
  if (request.identity.valid === 'no') return `a 2xx for a refused identity (${request.identity.label})`;
  if (spec.access === 'admin' && !request.identity.admin) return `a 2xx on an admin route for ${request.identity.label}`;
  if (spec.body === null) {
    if (read !== undefined) return 'a 2xx with a body on a route that takes none';
  } else {
    let value: unknown = {};
    if (read !== undefined) {
      try {
        value = JSON.parse(read);
      } catch {
        return 'a 2xx for a body that is not JSON';
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a 2xx for a body that is not a JSON object';
    if (!spec.body.safeParse(value).success) return 'a 2xx for a body the route schema refuses';
  }
  if (spec.query !== null && !spec.query.safeParse(Object.fromEntries([...grouped(request.query)].map(([key, values]) => [key, values.join(',')]))).success) {
    return 'a 2xx for a query the route schema refuses';
  }
  // The id counts only for a route that reads one (another route key can name a route without it).
  if (request.pathValue !== undefined && spec.path.includes('{')) {
    const ok = spec.path.includes('{table}') ? TABLE_NAME.test(request.pathValue) : SESSION_ID.test(request.pathValue);
    if (!ok) return `a 2xx for path id ${JSON.stringify(request.pathValue.slice(0, 40))}`;
  }
  if (name === 'credentials') {
    const profile = (JSON.parse(read ?? '{}') as { profile?: string }).profile;
    if (!ENTITLED.has(request.identity.user ?? '')) return `credentials issued to ${request.identity.label}`;
    if (!(PROFILES as readonly string[]).includes(profile ?? '')) return `credentials for profile ${JSON.stringify(profile)}`;
  }
  if (name === 'putPolicy') {
    // The known policy, or another the parser accepts: a hostile text can be a valid policy
    // (a profile named __proto__ is a plain name), and storing it is right.
    const text = (JSON.parse(read ?? '{}') as { text?: unknown }).text;
    if (text !== POLICY && !(typeof text === 'string' && parsesAsPolicy(text))) return 'a policy push of a text the parser refuses';
  }
  if (name === 'whoami' && request.identity.valid === 'yes' && answer.user !== request.identity.user) return `whoami answered ${JSON.stringify(answer.user)} for ${request.identity.label}`;
  if (name === 'whoami' && request.identity.valid === 'unknown' && ['alice', 'bob', 'iam:admin'].includes(String(answer.user))) return `whoami answered ${String(answer.user)} for ${request.identity.label}`;
  return undefined;
}

/** Whether the policy parser accepts `text` (what `PUT /v1/policy` must check before storing it). */
function parsesAsPolicy(text: string): boolean {
  try {
    parsePolicy(text);
    return true;
  } catch {
    return false;
  }
}

const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);
const IDENTITY_CODES: ReadonlySet<string> = new Set(['INVALID_REQUEST', 'INVALID_IDENTITY', 'IAM_AUTH_REQUIRED']);

/** Every broken expectation of one answer, as short phrases. */
function check(request: Generated, read: string | undefined, requestId: string, response: unknown): { status: number; problems: string[]; body?: Record<string, unknown> } {
  if (typeof response !== 'object' || response === null) return { status: 0, problems: [`answered ${typeof response} instead of a response`] };
  const { statusCode, headers, body } = response as { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown };
  if (typeof statusCode !== 'number') return { status: 0, problems: ['no numeric statusCode'] };
  const problems: string[] = [];
  if (headers?.['content-type'] !== 'application/json') problems.push(`content-type ${String(headers?.['content-type'])}`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(String(body)) as Record<string, unknown>;
  } catch {
    return { status: statusCode, problems: [...problems, 'the body is not JSON'] };
  }
  if (statusCode >= 200 && statusCode < 300) {
    const why = illegitimate(request, read, parsed);
    if (why !== undefined) problems.push(why);
    const name = effectiveRoute(request);
    if (name !== undefined && !ROUTES[name].response.safeParse(parsed).success) problems.push(`a ${statusCode} body that does not match the ${name} response schema`);
    return { status: statusCode, problems, body: parsed };
  }
  if (statusCode < 400 || statusCode >= 500) problems.push(`status ${statusCode}`);
  const error = parsed.error as Record<string, unknown> | undefined;
  const keys = Object.keys(parsed);
  if (typeof error !== 'object' || error === null || keys.length !== 1 || keys[0] !== 'error') return { status: statusCode, problems: [...problems, 'not the documented error shape'] };
  const code = String(error.code);
  if (!ERROR_CODE_SET.has(code)) problems.push(`unknown code ${code}`);
  else if (STATUS_OF[code as ErrorCode] !== statusCode) problems.push(`${code} with status ${statusCode}`);
  if (typeof error.message !== 'string' || error.message === '' || /\n\s+at /.test(error.message)) problems.push('an empty message or a stack trace');
  if (error.requestId !== requestId) problems.push(`requestId ${String(error.requestId)} instead of ${requestId}`);
  const extra = Object.keys(error).filter((key) => !['code', 'message', 'requestId', 'denial'].includes(key));
  if (extra.length > 0) problems.push(`error fields ${extra.join(', ')}`);
  if (error.denial !== undefined && (typeof error.denial !== 'object' || error.denial === null)) problems.push('a denial that is not an object');
  if ((statusCode === 429 || statusCode === 503) && headers?.['retry-after'] === undefined) problems.push('no Retry-After');
  if (request.identity.valid === 'no' && !IDENTITY_CODES.has(code)) problems.push(`${code} for a refused identity (${request.identity.label}): the identity must be refused first`);
  return { status: statusCode, problems };
}

/** A one-line description of a request for a violation line (bounded). */
function describe_(request: Generated): string {
  const short = (text: string | undefined) => (text === undefined ? '-' : JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…(${text.length})` : text));
  return `${request.rest ? 'REST' : 'HTTP'} ${request.routeKey} [${request.route}] as ${request.identity.label}, id ${short(request.pathValue)}, query ${short(JSON.stringify(request.query))}, body ${short(request.bodyText)}${request.base64 === 'no' ? '' : ` (base64 ${request.base64})`}`;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

// ---------------------------------------------------------------- the deployment

const captured = capturingLogger();
const handlers = new Map<string, HttpHandler>();
const known: Known = { sessions: [], requests: [], events: [] };
let policyVersion = 0;

async function call(route: RouteName, identity: IdentityCase, options: { body?: unknown; path?: string; query?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const request: Generated = {
    route,
    routeKey: routeKey(ROUTES[route]),
    rest: false,
    identity,
    pathValue: options.path,
    query: Object.entries(options.query ?? {}),
    headers: [['content-type', 'application/json']],
    bodyText: options.body === undefined ? undefined : JSON.stringify(options.body),
    base64: 'no',
    currentVersion: false,
  };
  const { event } = eventOf(request, request.bodyText);
  const response = await handlerOf(route)(event as never, contextOf(route));
  return { status: Number(response.statusCode), body: JSON.parse(String(response.body)) as Record<string, unknown> };
}

async function ok(route: RouteName, identity: IdentityCase, options: Parameters<typeof call>[2] = {}): Promise<Record<string, unknown>> {
  const answer = await call(route, identity, options);
  if (answer.status >= 300) throw new Error(`fixture ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function handlerOf(route: RouteName): HttpHandler {
  const handler = handlers.get(ROUTES[route].function);
  if (handler === undefined) throw new Error(`no handler for ${ROUTES[route].function}`);
  return handler;
}

const contextOf = (route: RouteName) => ({ awsRequestId: `lambda-${counter}`, functionName: `sentinel-${ROUTES[route].function}`, getRemainingTimeInMillis: () => 29_000 }) as unknown as Context;

function environment(policyTtl: string): Record<string, string> {
  return {
    AWS_REGION: REGION,
    SENTINEL_ACCOUNT_ID: ACCOUNT,
    SENTINEL_TABLE_PREFIX: PREFIX,
    SENTINEL_CONFIG_TABLE: TABLES.config,
    SENTINEL_REQUESTS_TABLE: TABLES.requests,
    SENTINEL_BREAKGLASS_TABLE: TABLES.breakglass,
    SENTINEL_DEFAULT_SESSION_TABLE: TABLES.sessions,
    SENTINEL_BOOTSTRAP_ADMINS: 'iam:admin',
    SENTINEL_POLICY_TTL: policyTtl,
    SENTINEL_RATE_LIMIT_REQUESTS: '100000000',
    SENTINEL_RATE_LIMIT_WINDOW: '60',
    SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
  };
}

/** Every function's handler on one runtime, as the local stack serves them. */
function compose(policyTtl: string): void {
  const runtime = createRuntime(loadConfig(environment(policyTtl)), { dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' }, logger: captured.logger });
  for (const name of Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>) handlers.set(name, composeFunction(runtime, name, FUNCTIONS[name] as never));
}

beforeAll(async () => {
  mockAws();
  // The fixtures on a runtime that reads the policy every time (it is pushed among them) …
  compose('0');
  for (const [kind, table] of [['config', TABLES.config], ['sessions', TABLES.sessions], ['sessions', TABLES.team], ['requests', TABLES.requests], ['breakglass', TABLES.breakglass]] as const) {
    await ok('provision', ADMIN, { body: { kind, table } });
    for (let attempt = 0; ; attempt += 1) {
      if ((await ok('provisionStatus', ADMIN, { path: table, query: { kind } })).status === 'READY') break;
      if (attempt > 50) throw new Error(`${table} never became READY`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  policyVersion = Number((await ok('putPolicy', ADMIN, { body: { text: POLICY, expectedVersion: 0 } })).version);
  for (const caller of [ALICE, BOB]) {
    for (let index = 0; index < 3; index += 1) {
      const issued = await ok('credentials', caller, { body: { profile: 'dev', mode: 'server' } });
      known.sessions.push((issued.session as { id: string }).id);
    }
    known.requests.push(((await ok('createRequest', caller, { body: { profile: 'gated', justification: 'fixture: a request to name' } })).request as { id: string }).id);
  }
  known.events.push(((await ok('invokeBreakglass', ALICE, { body: { profile: 'gated', reasonCode: 'incident', justification: 'fixture: an event to name' } })).event as { id: string }).id);
  // … the generated requests on one that caches it, as a deployment does (cheaper per request).
  compose('300');
}, 120_000);

afterAll(() => {
  sts.restore();
  iam.restore();
});

// ---------------------------------------------------------------- the test

describe('hostile input over the HTTP API', () => {
  it(
    `${REQUESTS.toLocaleString('en-US')} generated requests: 4xx with a stable code or a legitimate 2xx, never a 5xx, a crash or a polluted prototype`,
    async () => {
      const violations: string[] = [];
      const counts = new Map<string, Map<number, number>>();
      const times = new Float64Array(REQUESTS);
      const routeTimes = new Map<string, number[]>();
      const secrets = new Set(SECRETS);
      const prototypes = [Object.prototype, Array.prototype, String.prototype, Function.prototype, Number.prototype];
      const before = prototypes.map((proto) => Object.getOwnPropertyNames(proto).join(','));
      let sent = 0;
      let scannedLines = 0;
      let recordedLines = 0;
      let rest = 0;
      const seed = Number(process.env.SENTINEL_HOSTILE_SEED ?? Date.now() % 2 ** 31);
      const started = performance.now();

      const flushLogs = () => {
        const lines = captured.lines.splice(0, captured.lines.length);
        scannedLines += lines.length;
        for (const leak of leakedSecrets(lines, secrets)) violations.push(`secret in a log line: ${leak}`);
        if (recordedLines < RECORDED_LINES_CAP) {
          const kept = lines.slice(0, RECORDED_LINES_CAP - recordedLines);
          recordLogs(PART, kept);
          recordedLines += kept.length;
        }
      };

      const one = async (request: Generated): Promise<void> => {
        const { body, read } = wireBody(request, policyVersion);
        const { event, requestId } = eventOf(request, body);
        const label = `${request.route}${effectiveRoute(request) === request.route ? '' : ' (other route key)'}`;
        const t0 = performance.now();
        let response: unknown;
        try {
          response = await handlerOf(request.route)(event as never, contextOf(request.route));
        } catch (error) {
          response = undefined;
          violations.push(`threw ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : String(error)}: ${describe_(request)}`);
        }
        const ms = performance.now() - t0;
        times[sent] = ms;
        sent += 1;
        if (request.rest) rest += 1;
        const list = routeTimes.get(request.route) ?? [];
        if (list.length < 50_000) list.push(ms);
        routeTimes.set(request.route, list);
        if (response !== undefined) {
          const { status, problems, body: answer } = check(request, read, requestId, response);
          const perRoute = counts.get(label) ?? new Map<number, number>();
          perRoute.set(status, (perRoute.get(status) ?? 0) + 1);
          counts.set(label, perRoute);
          for (const problem of problems) violations.push(`${problem}: ${describe_(request)}`);
          // Track what a legitimate answer changed or handed out.
          if (effectiveRoute(request) === 'putPolicy' && status === 200) policyVersion = Number(answer?.version ?? policyVersion);
          const credentials = answer?.credentials as Record<string, unknown> | undefined;
          // The keys and the token; not `expiration`, a timestamp any log line of the same second may hold.
          if (credentials !== undefined) {
            for (const [field, value] of Object.entries(credentials)) if (field !== 'expiration' && typeof value === 'string' && value.length >= 12) secrets.add(value);
          }
        }
        const after = prototypes.map((proto) => Object.getOwnPropertyNames(proto).join(','));
        if (after.some((names, index) => names !== before[index]) || (({}) as Record<string, unknown>).polluted !== undefined) {
          violations.push(`a prototype changed: ${describe_(request)}`);
        }
        if (captured.lines.length >= CHUNK) flushLogs();
      };

      try {
        await fc.assert(
          fc.asyncProperty(fc.array(generated(known), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
            await Promise.all(batch.map((request) => one(request)));
            return true;
          }),
          { numRuns: REQUESTS / BATCH, seed, endOnFailure: true },
        );
      } finally {
        flushLogs();
        const wallSeconds = (performance.now() - started) / 1000;
        const sorted = times.slice(0, sent).sort();
        const statuses = new Map<number, number>();
        for (const perRoute of counts.values()) for (const [status, n] of perRoute) statuses.set(status, (statuses.get(status) ?? 0) + n);
        const byRoute = [...counts]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([route, perRoute]) => `${route} ${[...perRoute].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`);
        const slowest = [...routeTimes]
          .map(([route, list]) => {
            const s = Float64Array.from(list).sort();
            return { route, p99: percentile(s, 99), max: s[s.length - 1] ?? 0 };
          })
          .sort((a, b) => b.max - a.max)
          .slice(0, 5)
          .map(({ route, p99, max }) => `${route} p99 ${p99.toFixed(1)} ms max ${max.toFixed(1)} ms`);
        const notes = [
          `${PART}: ${sent.toLocaleString('en-US')} requests (${rest.toLocaleString('en-US')} as REST payload 1.0) in ${wallSeconds.toFixed(1)} s (${Math.round(sent / wallSeconds)}/s), seed ${seed}; per request p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${(sorted[sorted.length - 1] ?? 0).toFixed(1)} ms`,
          `${PART}: statuses ${[...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}; slowest routes: ${slowest.join('; ')}`,
          `${PART}: per route: ${byRoute.join(' | ')}`,
          `${PART}: ${scannedLines.toLocaleString('en-US')} log lines scanned for ${secrets.size} vended secrets${recordedLines < scannedLines ? ` (${recordedLines.toLocaleString('en-US')} kept for the run-wide scan)` : ''}`,
        ];
        console.log(notes.join('\n'));
        const distinct = [...new Set(violations)];
        recordPart({ section: 'inputs', part: PART, tried: sent, unit: 'requests', violations: distinct.slice(0, 200), notes });
        recordSecrets(PART, secrets);
        expect(distinct.slice(0, 30)).toEqual([]);
        expect(sent).toBe(REQUESTS);
        // Every route was tried, and the run exercised both refusals and legitimate answers.
        expect(new Set([...counts.keys()].map((label) => label.split(' ')[0])).size).toBe(Object.keys(ROUTES).length);
        expect([...statuses.keys()].some((status) => status >= 200 && status < 300)).toBe(true);
        expect(scannedLines).toBeGreaterThan(0);
      }
    },
    LONG ? 3_600_000 : 120_000,
  );
});
