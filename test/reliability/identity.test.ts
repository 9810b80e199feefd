/**
 * Hostile input, identity: the uniqueness rule of DESIGN.md (Identity) in the spelling of
 * docs/identity.md, over generated principals.
 *
 * A world of accounts (the deployment's own, a listed one, one admitted through its
 * organisation, two that are not allowed) and roles (genuine Identity Center roles —
 * pinned by unique id, pinned by ARN, or on the reserved path and confirmed by IAM — and
 * look-alikes named `AWSReservedSSO_*` in the wrong account, with the wrong unique id, on
 * the wrong path, deleted) is fixed; fast-check generates principals in it: IAM users
 * with paths, sessions of any role with session names the caller chose (other users'
 * names, `iam.…`, `role:…`, account-prefixed spellings, `=`, `/`, unicode, every length
 * up to and past the STS/IAM limits), root, federated users and unknown ARN forms, each
 * with an authorizer context (account present, absent or contradicting the ARN; an
 * organisation id or none; a unique id that agrees with the ARN, names another role or
 * session, or is missing).
 *
 * Each case goes through the real code: resolveCaller with the IAM-backed identity-role
 * verifier behind its cache (IAM mocked per the world), and, for a share of cases, the
 * composed whoami function (HTTP API and REST API events, the same stack and the same
 * resolution every route uses). An oracle written from docs/identity.md says what AWS
 * tells apart (the account, the kind, the IAM user's name, the role and session of an
 * ordinary role; for a person, the session name Identity Center set) and what the user
 * must be. Invariants:
 *
 * - the user is exactly the oracle's spelling, or the case is refused with exactly 403
 *   `INVALID_IDENTITY` (never another code, never a 5xx) exactly when the oracle refuses it;
 * - across all cases, no user ever stands for two principals, and a principal always
 *   yields the same user (also when re-asked with another path, access key or context);
 * - nothing is truncated: an accepted user contains its whole name; a user over 33
 *   characters is refused;
 * - SourceIdentity and RoleSessionName built for every accepted user are exactly the
 *   documented spelling, within STS's characters and 64 characters; a value that would
 *   not fit is refused (INTERNAL), never cut. Two distinct users share a SourceIdentity
 *   prefix only through the documented ambiguity of the mapping (`:`→`.`, `/`→`=`; the
 *   mapping cannot be injective within 33 characters, see docs/identity.md).
 */

import { randomBytes } from 'node:crypto';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { FUNCTIONS } from '../../src/compose/index.js';
import { composeFunction } from '../../src/compose/lambda.js';
import { createRuntime } from '../../src/compose/runtime.js';
import type { Runtime } from '../../src/compose/runtime.js';
import { identityRoleVerifier } from '../../src/compose/iam.js';
import { SentinelError } from '../../src/errors.js';
import type { HttpHandler } from '../../src/http/handler.js';
import type { HttpEvent } from '../../src/http/stack.js';
import { roleSessionName, sourceIdentity } from '../../src/identity/names.js';
import { resolveCaller } from '../../src/identity/resolve.js';
import type { AuthorizerIam, Caller, IdentityRoleVerifier, IdentityRules } from '../../src/identity/types.js';
import { createTestTable, dynamodbEndpoint } from '../integration/dynamodb.js';
import { capturingLogger } from './support/logs.js';
import { LONG, leakedSecrets, recordLogs, recordPart, recordSecrets, scaled } from './support/report.js';

// ---------------------------------------------------------------- the world

const OWN = '111122223333';
/** Listed in SENTINEL_ALLOWED_ACCOUNTS. */
const LISTED = '222233334444';
/** Not listed; admitted when AWS reports its organisation {@link ORG}. */
const VIA_ORG = '333344445555';
/** Not allowed (unless AWS reports {@link ORG} for them, which the generator also tries). */
const FOREIGN = ['444455556666', '999988887777'];
const ORG = 'o-a1b2c3d4e5';
const OTHER_ORG = 'o-zzzzzzzzzz';

type IamAnswer = { path: string; id: string } | 'denied' | 'missing';

interface WorldRole {
  account: string;
  name: string;
  /** The unique id of the role as it exists now (sessions of an earlier role of that name carry another). */
  id: string;
  /** What iam:GetRole answers for it (own account only). */
  iam?: IamAnswer;
}

const RESERVED = '/aws-reserved/sso.amazonaws.com/';
const ROLES: WorldRole[] = [
  // Genuine Identity Center roles of the own account, confirmed by IAM (path and unique id).
  { account: OWN, name: 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468', id: 'AROAOWNENGINEER000001', iam: { path: RESERVED, id: 'AROAOWNENGINEER000001' } },
  { account: OWN, name: 'AWSReservedSSO_Admin_9e8d7c6b5a4f3e21', id: 'AROAOWNADMIN000000001', iam: { path: `${RESERVED}eu-west-2/`, id: 'AROAOWNADMIN000000001' } },
  { account: OWN, name: 'AWSReservedSSO_S', id: 'AROAOWNSHORT000000001', iam: { path: RESERVED, id: 'AROAOWNSHORT000000001' } },
  // Pinned by unique id in the own account, with a name no pattern matches.
  { account: OWN, name: 'People', id: 'AROAOWNPEOPLE00000001' },
  // Look-alikes of the own account: at `/` (IAM refuses GetRole there), on a near-miss path
  // (as if the function could read it), recreated under a reserved-looking path with a new id, deleted.
  { account: OWN, name: 'AWSReservedSSO_x', id: 'AROAOWNLOOKROOT000001', iam: 'denied' },
  { account: OWN, name: 'AWSReservedSSO_y', id: 'AROAOWNLOOKNEAR000001', iam: { path: '/aws-reserved/sso.amazonaws.com.evil/', id: 'AROAOWNLOOKNEAR000001' } },
  { account: OWN, name: 'AWSReservedSSO_z', id: 'AROAOWNRECREATED00001', iam: { path: RESERVED, id: 'AROAOWNRECREATED00002' } },
  { account: OWN, name: 'AWSReservedSSO_gone', id: 'AROAOWNGONE0000000001', iam: 'missing' },
  // On the reserved path but named outside the pattern: never looked up, an ordinary role.
  { account: OWN, name: 'PermissionSet', id: 'AROAOWNPERMSET0000001', iam: { path: RESERVED, id: 'AROAOWNPERMSET0000001' } },
  // Ordinary roles.
  { account: OWN, name: 'deploy', id: 'AROAOWNDEPLOY00000001' },
  { account: OWN, name: 'deploy=x', id: 'AROAOWNDEPLOYX0000001' },
  { account: OWN, name: 'admin', id: 'AROAOWNADMINROLE00001' },
  // The listed account: its Identity Center role pinned by unique id; a look-alike of the same name pattern.
  { account: LISTED, name: 'AWSReservedSSO_Eng_0123456789abcdef', id: 'AROALISTEDENG00000001' },
  { account: LISTED, name: 'AWSReservedSSO_x', id: 'AROALISTEDLOOK0000001' },
  { account: LISTED, name: 'deploy', id: 'AROALISTEDDEPLOY00001' },
  // The organisation's account: its Identity Center role pinned by ARN (account and name count).
  { account: VIA_ORG, name: 'AWSReservedSSO_Named_0123456789abcdef', id: 'AROAVIAORGNAMED000001' },
  { account: VIA_ORG, name: 'deploy', id: 'AROAVIAORGDEPLOY00001' },
  // Not allowed accounts' own "Identity Center" roles.
  { account: FOREIGN[0] as string, name: 'AWSReservedSSO_Eng_0123456789abcdef', id: 'AROAFOREIGNENG0000001' },
];

const PINS = [`${OWN}:AROAOWNPEOPLE00000001`, `${LISTED}:AROALISTEDENG00000001`, `arn:aws:iam::${VIA_ORG}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Named_0123456789abcdef`];

const BOOTSTRAP = 'iam:boot';
/** The policy's admins: whoami's `admin` flag must be true for exactly these users. */
const ADMINS = ['alice', 'iam:ops', `${LISTED}:iam:ops`, 'role:deploy/ci-42', `${VIA_ORG}:role:deploy/ci`];

const ENVIRONMENT = (configTable: string): Record<string, string> => ({
  AWS_REGION: 'eu-west-1',
  SENTINEL_ACCOUNT_ID: OWN,
  SENTINEL_ALLOWED_ACCOUNTS: `${OWN},${LISTED}`,
  SENTINEL_ALLOWED_ORGANIZATIONS: ORG,
  SENTINEL_IDENTITY_ROLES: PINS.join(','),
  SENTINEL_BOOTSTRAP_ADMINS: BOOTSTRAP,
  SENTINEL_CONFIG_TABLE: configTable,
  SENTINEL_DEFAULT_SESSION_TABLE: 'none',
  SENTINEL_DYNAMODB_ENDPOINT: dynamodbEndpoint(),
});

// ---------------------------------------------------------------- the oracle (docs/identity.md)

const IAM_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-';
const IAM_NAME = /^[A-Za-z0-9_+=,.@-]+$/;
const MAX_USER = 33;

type Spec =
  | { kind: 'user'; account: string; path: string; name: string }
  | { kind: 'role'; account: string; role: string; session: string; id: 'current' | 'earlier' | 'random' | 'none' | 'aida' | 'other-session' }
  | { kind: 'root'; account: string }
  | { kind: 'federated'; account: string; name: string }
  | { kind: 'unknown'; arn: string };

interface Signing {
  accountId: 'same' | 'absent' | 'null' | 'other';
  org: string | null | undefined;
  accessKey: string;
  /** Drawn once per case: a random unique id for `random`, the other session name for `other-session`. */
  salt: string;
}

interface Case {
  spec: Spec;
  context: Signing;
}

type Expected = { refused: true } | { refused: false; user: string; key: string; kind: Caller['kind']; account: string };

function roleOf(account: string, name: string): WorldRole | undefined {
  return ROLES.find((role) => role.account === account && role.name === name);
}

function arnOf(spec: Spec): string {
  switch (spec.kind) {
    case 'user':
      return `arn:aws:iam::${spec.account}:user${spec.path}${spec.name}`;
    case 'role':
      return `arn:aws:sts::${spec.account}:assumed-role/${spec.role}/${spec.session}`;
    case 'root':
      return `arn:aws:iam::${spec.account}:root`;
    case 'federated':
      return `arn:aws:sts::${spec.account}:federated-user/${spec.name}`;
    case 'unknown':
      return spec.arn;
  }
}

/** The `userId` API Gateway would report (or a forged/odd one, as the case says). */
function userIdOf(spec: Spec, context: Signing): string | null {
  if (spec.kind !== 'role') return `AIDA${context.salt.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  const role = roleOf(spec.account, spec.role);
  switch (spec.id) {
    case 'current':
      return `${role?.id ?? `AROARANDOM${context.salt.toUpperCase()}`}:${spec.session}`;
    case 'earlier':
      // A session of an earlier role of the same name, deleted since: another unique id.
      return `${role === undefined ? 'AROAEARLIER' : `${role.id}E`}${context.salt.toUpperCase()}:${spec.session}`;
    case 'random':
      return `AROA${context.salt.toUpperCase()}:${spec.session}`;
    case 'none':
      return null;
    case 'aida':
      return `AIDA${context.salt.toUpperCase()}`;
    case 'other-session':
      return `${role?.id ?? 'AROAOTHER'}:${spec.session}x`;
  }
}

function authorizerOf(c: Case): AuthorizerIam {
  const arn = arnOf(c.spec);
  const account = c.spec.kind === 'unknown' ? (arn.split(':')[4] ?? '') : c.spec.account;
  const accountId = c.context.accountId === 'same' ? account : c.context.accountId === 'null' ? null : c.context.accountId === 'other' ? (account === OWN ? LISTED : OWN) : undefined;
  return {
    userArn: arn,
    userId: userIdOf(c.spec, c.context),
    accessKey: c.context.accessKey,
    ...(accountId === undefined ? {} : { accountId }),
    ...(c.context.org === undefined ? {} : { principalOrgId: c.context.org }),
  };
}

function allowed(account: string, org: string | null | undefined): boolean {
  return account === OWN || account === LISTED || org === ORG;
}

/** Is this session a person's? Pinned (id or ARN), or the own account's role confirmed by IAM. */
function genuine(account: string, role: string, roleId: string | undefined): boolean {
  if (account === OWN && roleId === 'AROAOWNPEOPLE00000001') return true;
  if (account === LISTED && roleId === 'AROALISTEDENG00000001') return true;
  if (account === VIA_ORG && role === 'AWSReservedSSO_Named_0123456789abcdef') return true;
  if (account !== OWN || roleId === undefined || !role.startsWith('AWSReservedSSO_')) return false;
  const answer = roleOf(account, role)?.iam;
  return typeof answer === 'object' && answer.path.startsWith(RESERVED) && answer.id === roleId;
}

const REFUSED: Expected = { refused: true };

function expected(c: Case): Expected {
  const { spec, context } = c;
  if (spec.kind === 'root' || spec.kind === 'federated' || spec.kind === 'unknown') return REFUSED;
  const account = spec.account;
  // The path is ignored (a name is unique in its account, whatever the path). IAM allows `:` in a
  // path, but such an ARN does not split into six fields and Sentinel refuses it: fail closed.
  if (spec.kind === 'user' && (!IAM_NAME.test(spec.name) || spec.path.includes(':'))) return REFUSED;
  if (spec.kind === 'role' && (!IAM_NAME.test(spec.role) || !IAM_NAME.test(spec.session))) return REFUSED;
  if (context.accountId === 'other') return REFUSED;
  if (!allowed(account, context.org)) return REFUSED;
  const prefix = account === OWN ? '' : `${account}:`;
  let result: Expected;
  if (spec.kind === 'user') {
    result = { refused: false, user: `${prefix}iam:${spec.name}`, key: `${account}|user|${spec.name}`, kind: 'iam-user', account };
  } else {
    if (spec.id === 'other-session') return REFUSED;
    const userId = userIdOf(spec, context);
    const roleId = userId !== null && userId.startsWith('AROA') ? userId.slice(0, userId.indexOf(':')) : undefined;
    result = genuine(account, spec.role, roleId)
      ? { refused: false, user: spec.session, key: `person|${spec.session}`, kind: 'person', account }
      : { refused: false, user: `${prefix}role:${spec.role}/${spec.session}`, key: `${account}|role|${spec.role}|${spec.session}`, kind: 'role', account };
  }
  return result.user.length > MAX_USER ? REFUSED : result;
}

// ---------------------------------------------------------------- the generator

const ACCOUNTS = [OWN, OWN, OWN, OWN, OWN, LISTED, LISTED, VIA_ORG, ...FOREIGN];
/** Names that are other principals' names, or spell another kind. */
const NAME_POOL = [
  'alice', 'bob', 'ops', 'ops-erin', 'admin', 'boot', 'ci', 'ci-42', 'deploy', 'Alice', 'alice@example.com', 'iam.alice', 'iam.boot', 'iam.ops',
  'role.deploy=ci-42', 'deploy=ci-42', 'ci-42=x', `${LISTED}`, `${LISTED}.iam.ops`, `${OWN}.iam.alice`, 'person', 'x', '==', '..', 'a.b', 'a=b',
];
/** Spellings AWS never puts into an ARN: separators, unicode, control characters, look-alike letters. */
const INVALID_NAMES = [
  'iam:alice', 'role:deploy/ci-42', `${LISTED}:iam:ops`, 'deploy/ci-42', 'ålice', 'alice\u0000', 'al ice', '😀', 'alice\n', 'ａlice', 'ali\u200bce',
  'alice:', ':', '*', 'a"b', "a'b", '<x>', '%2F', 'a;b', 'a\\b', '__proto__', 'constructor',
];

const iamName = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...IAM_CHARS.split('')), minLength: min, maxLength: max });
/** Every length up to IAM's 64, so users land on both sides of 33. */
const anyLength = fc.integer({ min: 1, max: 64 }).chain((length) => iamName(length, length));

const nameArb = fc.oneof(
  { arbitrary: fc.constantFrom(...NAME_POOL), weight: 6 },
  { arbitrary: iamName(1, 12), weight: 3 },
  { arbitrary: anyLength, weight: 2 },
  { arbitrary: fc.constantFrom(...INVALID_NAMES), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), weight: 1 },
);
const PATHS = ['/', '/', '/eng/', '/eng/platform/', '/a=b/', '/aws-reserved/sso.amazonaws.com/'];
const pathArb = fc.oneof({ arbitrary: fc.constantFrom(...PATHS), weight: 10 }, { arbitrary: fc.constantFrom('/a:b/', '/ä/', '//', '/a b/'), weight: 1 });

function roleNameArb(account: string): fc.Arbitrary<string> {
  const known = ROLES.filter((role) => role.account === account).map((role) => role.name);
  return fc.oneof({ arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('deploy'), weight: 6 }, { arbitrary: nameArb, weight: 3 });
}

const accountArb = fc.constantFrom(...ACCOUNTS);
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  // A `/` in an IAM user's name would be read as its path: AWS never writes one there.
  { arbitrary: fc.record({ kind: fc.constant('user' as const), account: accountArb, path: pathArb, name: nameArb.filter((name) => !name.includes('/')) }), weight: 8 },
  {
    arbitrary: accountArb.chain((account) =>
      fc.record({
        kind: fc.constant('role' as const),
        account: fc.constant(account),
        role: roleNameArb(account),
        session: nameArb,
        id: fc.constantFrom('current', 'current', 'current', 'current', 'earlier', 'random', 'none', 'aida', 'other-session'),
      }),
    ),
    weight: 12,
  },
  { arbitrary: fc.record({ kind: fc.constant('root' as const), account: accountArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('federated' as const), account: accountArb, name: nameArb }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('unknown' as const),
      arn: fc.oneof(
        accountArb.map((a) => `arn:aws:iam::${a}:role/deploy`),
        accountArb.map((a) => `arn:aws:iam::${a}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468`),
        accountArb.map((a) => `arn:aws:iam::${a}:group/admins`),
        accountArb.map((a) => `arn:aws:sts::${a}:assumed-role/deploy`),
        accountArb.map((a) => `arn:aws:sts::${a}:assumed-role/deploy/ci/extra`),
        accountArb.map((a) => `arn:aws:sts::${a}:assumed-role//alice`),
        accountArb.map((a) => `arn:aws:sts:eu-west-1:${a}:assumed-role/deploy/ci`),
        accountArb.map((a) => `arn:aws-iso:iam::${a}:user/alice`),
        accountArb.map((a) => `arn:aws:iam::${a}:user/`),
        accountArb.map((a) => `arn:aws:iam::${a}:user/alice:extra`),
        accountArb.map((a) => `ARN:aws:iam::${a}:user/alice`),
        accountArb.map((a) => ` arn:aws:iam::${a}:user/alice`),
        accountArb.map((a) => `arn:aws:s3:::${a}-bucket`),
        accountArb.map((a) => `arn:aws:iam::${a}:user/alice\u0000`),
        fc.constant('arn:aws:iam::12345:user/alice'),
        fc.constant(`arn:aws:iam::${OWN}x:user/alice`),
        fc.constant('*'),
        fc.string({ maxLength: 40 }).filter((text) => text !== ''),
      ),
    }),
    weight: 2,
  },
);
const contextArb: fc.Arbitrary<Signing> = fc.record({
  accountId: fc.constantFrom('same', 'same', 'same', 'same', 'same', 'same', 'absent', 'null', 'other'),
  org: fc.constantFrom(null, null, ORG, ORG, OTHER_ORG, undefined, 'o-NOT-AN-ORG'),
  accessKey: fc.stringMatching(/^(?:AKIA|ASIA)[A-Z2-7]{16}$/),
  salt: fc.stringMatching(/^[A-Z0-9]{12}$/),
});
const caseArb: fc.Arbitrary<Case> = fc.record({ spec: specArb, context: contextArb });

/** The same principal asked again: another IAM path, another access key, the account left out — nothing AWS tells apart. */
function samePrincipal(c: Case, accessKey: string): Case {
  const spec = c.spec.kind === 'user' && expected(c).refused === false ? { ...c.spec, path: c.spec.path === '/' ? '/moved/elsewhere/' : '/' } : c.spec;
  const accountId = c.context.accountId === 'same' ? 'absent' : c.context.accountId === 'absent' ? 'same' : c.context.accountId;
  return { spec, context: { ...c.context, accountId, accessKey } };
}

// ---------------------------------------------------------------- running a case

type Outcome = { user: string; kind: Caller['kind']; accountId: string; admin?: boolean } | { refused: string };

async function viaResolver(c: Case, rules: IdentityRules, verifier: IdentityRoleVerifier): Promise<Outcome> {
  try {
    const caller = await resolveCaller(authorizerOf(c), rules, verifier);
    return { user: caller.user, kind: caller.kind, accountId: caller.accountId };
  } catch (error) {
    return { refused: error instanceof SentinelError ? error.code : `thrown ${String(error)}` };
  }
}

let counter = 0;
const lambdaContext = (id: string) => ({ awsRequestId: id, functionName: 'whoami', getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;

function httpEvent(iam: AuthorizerIam, requestId: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'GET /v1/whoami',
    rawPath: '/v1/whoami',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { accountId: OWN, apiId: 'identity', authorizer: { iam: { cognitoIdentity: null, callerId: iam.userId ?? null, ...iam } }, requestId, routeKey: 'GET /v1/whoami', stage: '$default' },
  } as unknown as HttpEvent;
}

function restEvent(iam: AuthorizerIam, requestId: string): unknown {
  return {
    resource: '/v1/whoami',
    path: '/v1/whoami',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: OWN,
      apiId: 'identity',
      requestId,
      resourcePath: '/v1/whoami',
      httpMethod: 'GET',
      stage: 'v1',
      identity: { accountId: iam.accountId ?? null, userArn: iam.userArn, user: iam.userId ?? null, caller: iam.userId ?? null, accessKey: iam.accessKey, principalOrgId: iam.principalOrgId ?? null, sourceIp: '203.0.113.7', userAgent: 'identity-test' },
    },
  };
}

async function viaWhoami(handler: HttpHandler, c: Case, rest: boolean): Promise<Outcome> {
  counter += 1;
  const requestId = `identity-${counter}`;
  const iam = authorizerOf(c);
  const response = await handler((rest ? restEvent(iam, requestId) : httpEvent(iam, requestId)) as HttpEvent, lambdaContext(requestId));
  const body = JSON.parse(String(response.body)) as { user?: string; accountId?: string; admin?: boolean; arn?: string; error?: { code?: string } };
  if (response.statusCode === 200 && body.user !== undefined && body.arn === iam.userArn) return { user: body.user, kind: 'person', accountId: body.accountId ?? '', admin: body.admin === true };
  return { refused: `${response.statusCode} ${body.error?.code ?? JSON.stringify(body).slice(0, 80)}` };
}

// ---------------------------------------------------------------- SourceIdentity and RoleSessionName

const STS_VALUE = /^[A-Za-z0-9_+=,.@-]{2,64}$/;
const mapped = (user: string) => user.replaceAll(':', '.').replaceAll('/', '=');
const VIAS = ['direct', 'apr-0a1b2c3d', 'bg-ffffffff'];

/** Every way two distinct users may meet in the mapping: position by position, `:`/`.` or `/`/`=`. */
function documentedAmbiguity(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const pair = `${a[i]}${b[i]}`;
    if (a[i] !== b[i] && !['.:', ':.', '=/', '/='].includes(pair)) return false;
  }
  return true;
}

function checkNames(user: string, index: number, violations: string[]): void {
  const via = VIAS[index % VIAS.length] as string;
  const requestId = randomBytes(4).toString('hex');
  const source = sourceIdentity(user, via, requestId);
  const session = roleSessionName(user, requestId);
  if (source !== `sentinel.${mapped(user)}.${via}.${requestId}` || !STS_VALUE.test(source)) violations.push(`SourceIdentity of ${JSON.stringify(user)} is ${JSON.stringify(source)}`);
  if (session !== `sentinel-${mapped(user)}-${requestId}` || !STS_VALUE.test(session)) violations.push(`RoleSessionName of ${JSON.stringify(user)} is ${JSON.stringify(session)}`);
  // A longer request id: the value fits whole, or is refused (INTERNAL) — never cut.
  const longId = randomBytes(4 + (index % 5)).toString('hex');
  const whole = `sentinel.${mapped(user)}.apr-0a1b2c3d.${longId}`;
  try {
    const value = sourceIdentity(user, 'apr-0a1b2c3d', longId);
    if (value !== whole) violations.push(`SourceIdentity of ${JSON.stringify(user)} with a ${longId.length}-digit request id is ${JSON.stringify(value)}`);
  } catch (error) {
    if (whole.length <= 64 || !(error instanceof SentinelError) || error.code !== 'INTERNAL') violations.push(`SourceIdentity of ${JSON.stringify(user)} (${whole.length} characters) threw ${String(error)}`);
  }
}

// ---------------------------------------------------------------- the test

const iamMock = mockClient(IAMClient);
const captured = capturingLogger();
let runtime: Runtime;
let whoami: HttpHandler;

function mockIam(): void {
  iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => {
    const role = roleOf(OWN, input.RoleName);
    const answer = role?.iam ?? 'missing';
    if (answer === 'denied') throw Object.assign(new Error('not authorized to perform: iam:GetRole'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    if (answer === 'missing') throw Object.assign(new Error('The role cannot be found.'), { name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
    return { Role: { RoleName: input.RoleName, RoleId: answer.id, Path: answer.path, Arn: `arn:aws:iam::${OWN}:role${answer.path}${input.RoleName}`, CreateDate: new Date() } };
  });
}

beforeAll(async () => {
  mockIam();
  const configTable = await createTestTable('config');
  // Each function on a runtime of its own, as in Lambda (a shared one would share the policy cache).
  const runtimeOf = () => createRuntime(loadConfig(ENVIRONMENT(configTable)), { dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' }, logger: captured.logger });
  runtime = runtimeOf();
  whoami = composeFunction(runtime, 'whoami', FUNCTIONS.whoami);
  const putPolicy = composeFunction(runtimeOf(), 'putPolicy', FUNCTIONS.putPolicy);
  const text = `version: "1"\nrules: []\nadmins: [${ADMINS.map((admin) => JSON.stringify(admin)).join(', ')}]\n`;
  const event = {
    ...httpEvent({ userArn: `arn:aws:iam::${OWN}:user/boot`, userId: 'AIDABOOT000000000001', accountId: OWN, accessKey: 'AKIABOOTSTRAPADMIN01' }, 'identity-policy'),
    routeKey: 'PUT /v1/policy',
    rawPath: '/v1/policy',
    body: JSON.stringify({ text, expectedVersion: 0 }),
  } as HttpEvent;
  const pushed = await putPolicy(event, lambdaContext('identity-policy'));
  expect(pushed.statusCode, String(pushed.body)).toBe(200);
});

afterAll(() => {
  iamMock.restore();
});

describe('identity: no two principals AWS tells apart share a Sentinel user', () => {
  it('generated principals through resolveCaller and whoami', async () => {
    const started = Date.now();
    const total = scaled(20_000, 1_000_000);
    const seed = Number(process.env.SENTINEL_IDENTITY_SEED ?? Date.now() % 2 ** 31);
    const rules = runtime.config.identity;
    // The verifier every function's stack uses: IAM (mocked per the world) behind the per-instance cache.
    const verifier = identityRoleVerifier(runtime);
    const violations: string[] = [];
    const violate = (line: string) => {
      if (violations.length < 200) violations.push(line);
    };
    const userToKey = new Map<string, string>();
    const keyToUser = new Map<string, string>();
    const prefixToUsers = new Map<string, Set<string>>();
    const accessKeys: string[] = [];
    const tally = { accepted: 0, refused: 0, person: 0, 'iam-user': 0, role: 0, whoami: 0, rest: 0, variants: 0 };
    const CHUNK = 5_000;

    for (let done = 0; done < total; done += CHUNK) {
      const cases = fc.sample(caseArb, { numRuns: Math.min(CHUNK, total - done), seed: seed + done });
      for (const [offset, c] of cases.entries()) {
        const index = done + offset;
        const want = expected(c);
        const label = `${JSON.stringify(authorizerOf(c))}`;
        const got = await viaResolver(c, rules, verifier);
        const check = (outcome: Outcome, how: string) => {
          if (want.refused) {
            if (!('refused' in outcome) || outcome.refused !== (how === 'resolveCaller' ? 'INVALID_IDENTITY' : '403 INVALID_IDENTITY')) violate(`${how}: ${label} should be refused with 403 INVALID_IDENTITY, got ${JSON.stringify(outcome)}`);
            return;
          }
          if ('refused' in outcome) {
            violate(`${how}: ${label} should be ${JSON.stringify(want.user)}, was refused (${outcome.refused})`);
            return;
          }
          if (outcome.user !== want.user || outcome.accountId !== want.account || (how === 'resolveCaller' && outcome.kind !== want.kind)) {
            violate(`${how}: ${label} should be ${want.kind} ${JSON.stringify(want.user)}, got ${JSON.stringify(outcome)}`);
          }
          if (outcome.admin !== undefined && outcome.admin !== ADMINS.includes(want.user)) violate(`${how}: ${label} as ${JSON.stringify(want.user)} has admin=${outcome.admin}`);
        };
        check(got, 'resolveCaller');

        // The same principal again, differing only in what AWS does not tell apart.
        const again = await viaResolver(samePrincipal(c, `AKIA${randomBytes(8).toString('hex').toUpperCase().slice(0, 16)}`), rules, verifier);
        tally.variants += 1;
        if (JSON.stringify(again) !== JSON.stringify(got)) violate(`the same principal twice: ${label} gave ${JSON.stringify(got)}, then ${JSON.stringify(again)}`);

        if (index % 20 === 0) {
          const rest = index % 40 === 0;
          tally.whoami += 1;
          if (rest) tally.rest += 1;
          // The callers' access key ids reach the stack only here; none may be logged.
          accessKeys.push(c.context.accessKey);
          check(await viaWhoami(whoami, c, rest), rest ? 'whoami (REST API event)' : 'whoami (HTTP API event)');
        }

        if ('refused' in got || want.refused) {
          tally.refused += 1;
          continue;
        }
        tally.accepted += 1;
        tally[want.kind] += 1;
        // Across every case so far: one user, one principal.
        const known = userToKey.get(got.user);
        if (known === undefined) userToKey.set(got.user, want.key);
        else if (known !== want.key) violate(`user ${JSON.stringify(got.user)} stands for two principals: ${known} and ${want.key} (${label})`);
        const user = keyToUser.get(want.key);
        if (user === undefined) keyToUser.set(want.key, got.user);
        else if (user !== got.user) violate(`principal ${want.key} became ${JSON.stringify(user)} and ${JSON.stringify(got.user)}`);
        // Nothing truncated: the whole name is in the user.
        const whole = c.spec.kind === 'user' ? c.spec.name : c.spec.kind === 'role' ? c.spec.session : '';
        if (!got.user.endsWith(whole) || got.user.length > MAX_USER) violate(`user ${JSON.stringify(got.user)} does not carry the whole name ${JSON.stringify(whole)}`);

        checkNames(got.user, index, violations);
        const prefix = `sentinel.${mapped(got.user)}.`;
        const users = prefixToUsers.get(prefix) ?? new Set<string>();
        users.add(got.user);
        prefixToUsers.set(prefix, users);
      }
    }

    const merged = [...prefixToUsers.values()].filter((users) => users.size > 1).map((users) => [...users]);
    for (const users of merged) {
      const [first = '', ...rest] = users;
      for (const other of rest) if (!documentedAmbiguity(first, other)) violate(`users ${JSON.stringify(first)} and ${JSON.stringify(other)} share a SourceIdentity prefix beyond the documented mapping`);
    }

    // Nothing vended here; the callers' access key ids must not reach a log line either.
    const leaks = leakedSecrets(captured.lines, accessKeys);
    for (const leak of leaks) violate(`caller access key id in the log: ${leak}`);

    const seconds = (Date.now() - started) / 1000;
    recordPart({
      section: 'inputs',
      part: 'identity uniqueness',
      tried: total,
      unit: 'principals',
      violations,
      notes: [
        `seed ${seed}${LONG ? ' (long)' : ''}: ${tally.accepted} accepted (${tally.person} people, ${tally['iam-user']} IAM users, ${tally.role} role sessions), ${tally.refused} refused with 403 INVALID_IDENTITY; ${keyToUser.size} distinct principals, ${userToKey.size} distinct users`,
        `${tally.variants} re-asked as the same principal; ${tally.whoami} through the whoami function (${tally.rest} as REST API events); ${captured.lines.length} log lines`,
        `SourceIdentity prefixes shared by distinct users through the documented :→. and /→= mapping: ${merged.length}${merged.length === 0 ? '' : ` (e.g. ${merged.slice(0, 3).map((users) => users.join(' ~ ')).join('; ')})`}`,
        `${seconds.toFixed(1)} s`,
      ],
    });
    recordLogs('identity uniqueness', captured.lines);
    recordSecrets('identity uniqueness', accessKeys);

    expect(violations, `seed ${seed} (SENTINEL_IDENTITY_SEED=${seed} reproduces it)`).toEqual([]);
    // The generator reached every outcome the rule has.
    expect(tally.person).toBeGreaterThan(0);
    expect(tally['iam-user']).toBeGreaterThan(0);
    expect(tally.role).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
    expect(userToKey.size).toBeLessThan(tally.accepted);
  });
});
