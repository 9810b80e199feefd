/**
 * The fault matrix (issue 15, Faults): every AWS call of every HTTP route and of the
 * scheduled sweep × throttling, 500, timeout, access denied and a malformed answer.
 *
 * Each scenario sets up what its route needs (no faults), then makes one target call
 * on a cold start of the target's function. Its clean run records the target's AWS
 * calls; then, for every recorded call and every fault, the scenario runs again on a
 * lane reset to its base state with the fault injected at that one call, on every
 * attempt the SDK makes of it (test/reliability/support/faultHarness.ts says where and
 * why). Each cell's outcome is compared with the {@link RULES} table, and the invariants
 * are checked after every cell against DynamoDB Local:
 *
 * - credentials in a response only with their session item `active`;
 * - no session made `active` (refreshable) without its credentials delivered, and none
 *   made more refreshable (a later `expires_at`) by a failed call;
 * - no response body repeats AWS's error text, a stack trace or the injected message,
 *   and only a successful issuance carries vended secrets;
 * - no log line holds a vended credential or the webhook secret;
 * - a failed notification leaves its log line; an IAM step that failed leaves the
 *   revoked session revoked;
 * - no unhandled rejection during the whole matrix, no AWS call outside a cell.
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteName } from '../../src/api/routes.js';
import { ROUTES } from '../../src/api/routes.js';
import type { Runtime } from '../../src/compose/runtime.js';
import { DynamoRevocationLedger } from '../../src/sessions/DynamoRevocationLedger.js';
import { testClients } from '../integration/dynamodb.js';
import {
  allSecrets,
  callRoute,
  cellContext,
  coldStart,
  FAULTS,
  iamUser,
  INJECTED_TEXT,
  installMocks,
  Lane,
  must,
  person,
  restoreMocks,
  role,
  runSweep,
  startWebhook,
  stopWebhook,
  strayCalls,
} from './support/faultHarness.js';
import type { Answer, AwsCall, CallOptions, Cell, Fault, Identity } from './support/faultHarness.js';
import { leakedSecrets, recordLogs, recordPart, recordSecrets } from './support/report.js';

// ---------------------------------------------------------------- the deployment

const ADMIN = iamUser('admin');
const ALICE = iamUser('alice');
const BOB = iamUser('bob');
const ALICE_PERSON = person('alice');
/** Cells run at once, each lane a world of its own tables: the SDK's backoff (up to 3 s per throttled call) is waiting, not work. */
const LANES = 12;

const POLICY = `version: "1"
profiles:
  dev: { role_arn: "${role('dev')}", max_duration: 1h }
  gated: { role_arn: "${role('gated')}", max_duration: 1h }
rules:
  - name: engineers
    effect: allow
    conditions: { profiles: [dev], users: ["iam:alice", "iam:bob", alice] }
  - name: gated-needs-approval
    effect: require_approval
    conditions: { profiles: [gated], users: ["iam:alice", "iam:bob"] }
approvals:
  - name: gated-approvers
    profiles: [gated]
    approvers: ["iam:bob"]
    max_duration: 1h
breakglass:
  - name: oncall
    profiles: [gated]
    users: ["iam:alice"]
    reason_codes: [incident]
    max_duration: 1h
admins: ["iam:admin"]
`;

// ---------------------------------------------------------------- scenarios

type State = Record<string, string>;

interface RouteScenario {
  name: string;
  route: RouteName;
  caller: Identity;
  setup?: (runtime: Runtime, lane: Lane, state: State) => Promise<void>;
  options?: (state: State) => CallOptions;
  /** The answer when IAM says "no" to the Identity Center lookup: the caller is then an ordinary role. */
  asOrdinaryRole?: string;
}

interface SweepScenario {
  name: string;
  route: 'sweep';
  setup: (runtime: Runtime, lane: Lane, state: State) => Promise<void>;
  /** Milliseconds the sweep's clock is ahead of the setup's. */
  ahead: number;
}

type Scenario = RouteScenario | SweepScenario;

const DAY_MS = 86_400_000;
const idOf = (answer: Record<string, unknown>, key: 'session' | 'request' | 'event') => (answer[key] as { id: string }).id;

async function serverSession(runtime: Runtime, state: State, caller: Identity = ALICE): Promise<void> {
  state.session = idOf(await must(runtime, 'credentials', caller, { body: { profile: 'dev', mode: 'server' } }), 'session');
}

async function gatedRequest(runtime: Runtime, state: State): Promise<void> {
  state.request = idOf(await must(runtime, 'createRequest', ALICE, { body: { profile: 'gated', justification: 'fault matrix: fix the pipeline' } }), 'request');
}

async function breakglass(runtime: Runtime, state: State): Promise<void> {
  state.event = idOf(await must(runtime, 'invokeBreakglass', ALICE, { body: { profile: 'gated', reasonCode: 'incident', justification: 'fault matrix: pager went off' } }), 'event');
}

/** A revoke that stopped after its conditional update: the ledger entry only intended (the sweep must finish it). Written with the test's own clients. */
async function interruptedRevoke(lane: Lane, sessionId: string): Promise<void> {
  const { documents } = testClients();
  const revokedAt = new Date().toISOString();
  await documents.send(
    new UpdateCommand({
      TableName: lane.tables.sessions,
      Key: { id: sessionId },
      UpdateExpression: 'SET #status = :revoked, revoked_at = :at, revoked_by = :by, revoked_reason = :why REMOVE active_user',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':at': revokedAt, ':by': 'iam:admin', ':why': 'fault matrix: interrupted' },
    }),
  );
  await new DynamoRevocationLedger(documents, lane.tables.config).intend([{ sessionId, sessionTable: lane.tables.sessions, revokedAt }]);
}

const SCENARIOS: Scenario[] = [
  { name: 'credentials cli', route: 'credentials', caller: ALICE, options: () => ({ body: { profile: 'dev', mode: 'cli' } }) },
  { name: 'credentials server', route: 'credentials', caller: ALICE, options: () => ({ body: { profile: 'dev', mode: 'server' } }) },
  {
    name: 'credentials refresh',
    route: 'credentials',
    caller: ALICE,
    setup: (runtime, _lane, state) => serverSession(runtime, state),
    options: (state) => ({ body: { profile: 'dev', mode: 'server', sessionId: state.session } }),
  },
  {
    name: 'credentials person',
    route: 'credentials',
    caller: ALICE_PERSON,
    options: () => ({ body: { profile: 'dev', mode: 'cli' } }),
    // An ordinary role session no rule names: it may not even learn the profile exists.
    asOrdinaryRole: '404 UNKNOWN_PROFILE',
  },
  {
    name: 'credentials approved',
    route: 'credentials',
    caller: ALICE,
    setup: async (runtime, _lane, state) => {
      await gatedRequest(runtime, state);
      await must(runtime, 'approveRequest', BOB, { path: { id: state.request as string }, body: {} });
    },
    options: () => ({ body: { profile: 'gated', mode: 'cli' } }),
  },
  { name: 'whoami', route: 'whoami', caller: ADMIN },
  { name: 'whoami person', route: 'whoami', caller: ALICE_PERSON, asOrdinaryRole: '200 OK' },
  { name: 'profiles', route: 'profiles', caller: ALICE },
  { name: 'getPolicy', route: 'getPolicy', caller: ADMIN },
  { name: 'putPolicy', route: 'putPolicy', caller: ADMIN, options: () => ({ body: { text: `${POLICY}# pushed again by the fault matrix\n`, expectedVersion: 1 } }) },
  { name: 'evaluatePolicy', route: 'evaluatePolicy', caller: ALICE, options: () => ({ body: { profile: 'dev', mode: 'cli' } }) },
  { name: 'endSession', route: 'endSession', caller: ALICE, setup: (runtime, _lane, state) => serverSession(runtime, state), options: (state) => ({ path: { id: state.session as string }, body: {} }) },
  {
    name: 'checkSession',
    route: 'checkSession',
    caller: ALICE,
    setup: (runtime, _lane, state) => serverSession(runtime, state),
    options: (state) => ({ path: { id: state.session as string }, body: { profile: 'dev' } }),
  },
  { name: 'listSessions', route: 'listSessions', caller: ALICE, setup: (runtime, _lane, state) => serverSession(runtime, state) },
  { name: 'showSession', route: 'showSession', caller: ALICE, setup: (runtime, _lane, state) => serverSession(runtime, state), options: (state) => ({ path: { id: state.session as string } }) },
  {
    name: 'revokeSession',
    route: 'revokeSession',
    caller: ADMIN,
    setup: (runtime, _lane, state) => serverSession(runtime, state),
    options: (state) => ({ path: { id: state.session as string }, body: { reason: 'fault matrix' } }),
  },
  {
    name: 'revokeSessions',
    route: 'revokeSessions',
    caller: ADMIN,
    setup: (runtime, _lane, state) => serverSession(runtime, state, BOB),
    options: () => ({ body: { user: 'iam:bob', reason: 'fault matrix: bulk' } }),
  },
  { name: 'createRequest', route: 'createRequest', caller: ALICE, options: () => ({ body: { profile: 'gated', justification: 'fault matrix: fix the pipeline' } }) },
  { name: 'listRequests', route: 'listRequests', caller: BOB, setup: (runtime, _lane, state) => gatedRequest(runtime, state), options: () => ({ query: { scope: 'approvable' } }) },
  { name: 'showRequest', route: 'showRequest', caller: BOB, setup: (runtime, _lane, state) => gatedRequest(runtime, state), options: (state) => ({ path: { id: state.request as string } }) },
  { name: 'approveRequest', route: 'approveRequest', caller: BOB, setup: (runtime, _lane, state) => gatedRequest(runtime, state), options: (state) => ({ path: { id: state.request as string }, body: {} }) },
  { name: 'denyRequest', route: 'denyRequest', caller: BOB, setup: (runtime, _lane, state) => gatedRequest(runtime, state), options: (state) => ({ path: { id: state.request as string }, body: {} }) },
  { name: 'cancelRequest', route: 'cancelRequest', caller: ALICE, setup: (runtime, _lane, state) => gatedRequest(runtime, state), options: (state) => ({ path: { id: state.request as string } }) },
  { name: 'invokeBreakglass', route: 'invokeBreakglass', caller: ALICE, options: () => ({ body: { profile: 'gated', reasonCode: 'incident', justification: 'fault matrix: pager went off' } }) },
  { name: 'listBreakglass', route: 'listBreakglass', caller: ALICE, setup: (runtime, _lane, state) => breakglass(runtime, state) },
  {
    name: 'closeBreakglass',
    route: 'closeBreakglass',
    caller: ALICE,
    setup: (runtime, _lane, state) => breakglass(runtime, state),
    options: (state) => ({ path: { id: state.event as string }, body: { reason: 'fault matrix: resolved' } }),
  },
  {
    name: 'provision',
    route: 'provision',
    caller: ADMIN,
    setup: async (_runtime, lane, state) => {
      state.table = lane.newTable();
    },
    options: (state) => ({ body: { kind: 'sessions', table: state.table } }),
  },
  {
    name: 'provisionStatus',
    route: 'provisionStatus',
    caller: ADMIN,
    setup: async (runtime, lane, state) => {
      state.table = lane.newTable();
      await must(runtime, 'provision', ADMIN, { body: { kind: 'sessions', table: state.table } });
    },
    options: (state) => ({ path: { table: state.table as string }, query: { kind: 'sessions' } }),
  },
  { name: 'iamPolicy', route: 'iamPolicy', caller: ADMIN, setup: async (_runtime, lane, state) => void (state.table = lane.tables.sessions), options: (state) => ({ query: { kind: 'sessions', table: state.table as string } }) },
  {
    // The AWS side of an interrupted revoke completed, next to one already denied.
    name: 'sweep now',
    route: 'sweep',
    ahead: 0,
    setup: async (runtime, lane, state) => {
      await serverSession(runtime, state);
      await must(runtime, 'revokeSession', ADMIN, { path: { id: state.session as string }, body: { reason: 'fault matrix: denied' } });
      await serverSession(runtime, state);
      await interruptedRevoke(lane, state.session as string);
    },
  },
  {
    // A day later: an active session overdue, a pending request past its 24 hours (announced), a denied revocation to prune.
    name: 'sweep tomorrow',
    route: 'sweep',
    ahead: DAY_MS,
    setup: async (runtime, _lane, state) => {
      await serverSession(runtime, state);
      await must(runtime, 'revokeSession', ADMIN, { path: { id: state.session as string }, body: { reason: 'fault matrix: to prune' } });
      await serverSession(runtime, state);
      await gatedRequest(runtime, state);
    },
  },
];

// ---------------------------------------------------------------- the expected outcome of each cell

interface CellFacts {
  scenario: Scenario;
  call: AwsCall;
  index: number;
  fault: Fault;
  /** The target's calls in the clean run. */
  calls: AwsCall[];
  clean: string;
}

interface Rule {
  name: string;
  /** Why, from DESIGN.md, docs/ or src/. */
  reason: string;
  applies(facts: CellFacts): boolean;
  outcome(facts: CellFacts): string;
}

const isRevoke = (facts: CellFacts) => facts.scenario.route === 'revokeSession' || facts.scenario.route === 'revokeSessions';
const isSweep = (facts: CellFacts) => facts.scenario.route === 'sweep';
const firstIamIndex = (facts: CellFacts) => facts.calls.findIndex((call) => call.service === 'iam' && call.label !== 'iam:GetRole');
const unavailable = (seconds: number) => `503 UNAVAILABLE Retry-After=${seconds}`;
/** The clean answer of a revoke with its AWS side pending. */
const pendingRevoke = (facts: CellFacts) => facts.clean.replace('aws=denied', 'aws=pending').replace(/awsPending=\d+/, 'awsPending=1');

/** First match wins. */
const RULES: Rule[] = [
  {
    name: 'notification',
    reason: 'DESIGN.md, Approvals and break-glass: a failed notification never blocks or undoes the state change, and is logged',
    applies: (facts) => facts.call.service === 'sns' || facts.call.service === 'secretsmanager',
    outcome: (facts) => facts.clean,
  },
  {
    name: 'unread answer',
    reason: 'the code reads nothing of a PutRolePolicy or DeleteRolePolicy answer: a malformed one is a success',
    applies: (facts) => facts.fault === 'malformed' && (facts.call.label === 'iam:PutRolePolicy' || facts.call.label === 'iam:DeleteRolePolicy'),
    outcome: (facts) => facts.clean,
  },
  {
    name: 'sweep',
    reason: 'docs/revocation.md, The sweep: a failed step is logged and the run ends in an error (Errors metric); the next run is the retry',
    applies: isSweep,
    outcome: () => 'failed steps',
  },
  {
    name: 'revoke: IAM step',
    reason: 'docs/revocation.md, When IAM cannot be reached: the session is revoked at once, the answer says the AWS side is pending',
    applies: (facts) => isRevoke(facts) && facts.call.service === 'iam' && facts.call.label !== 'iam:GetRole',
    outcome: pendingRevoke,
  },
  {
    name: 'revoke: ledger after IAM',
    reason: 'src/sessions/awsSide.ts denyAtAws: a ledger write after IAM answered is logged and not fatal (the sweep repeats the deny)',
    applies: (facts) => isRevoke(facts) && facts.call.label.includes('config/revocation') && firstIamIndex(facts) >= 0 && facts.index > firstIamIndex(facts),
    outcome: (facts) => facts.clean,
  },
  {
    name: 'break-glass close: guard release',
    reason: 'src/breakglass/manage.ts closeBreakglass: the event is closed; a guard that could not be released is logged, it only delays the next invocation',
    applies: (facts) => facts.scenario.route === 'closeBreakglass' && facts.call.label.startsWith('dynamodb:UpdateItem config') && facts.calls.some((call, index) => index < facts.index && call.label === 'dynamodb:UpdateItem breakglass'),
    outcome: (facts) => facts.clean,
  },
  {
    name: 'Identity Center lookup refused',
    reason: "docs/identity.md: IAM's AccessDenied on GetRole is a no: the caller is an ordinary role (refused by the policy), never a person",
    applies: (facts) => facts.call.label === 'iam:GetRole' && facts.fault === 'accessDenied',
    outcome: (facts) => (facts.scenario as RouteScenario).asOrdinaryRole ?? 'no answer given for an ordinary role',
  },
  {
    name: 'STS throttling',
    reason: 'src/vending/StsCredentialIssuer.ts: throttling is UNAVAILABLE, come back in 2 s; nothing is issued',
    applies: (facts) => facts.call.service === 'sts' && facts.fault === 'throttling',
    outcome: () => unavailable(2),
  },
  {
    name: 'STS refusal',
    reason: 'src/vending/StsCredentialIssuer.ts: AccessDenied (the trust policy) is UNAVAILABLE, come back in 30 s, past what the CLI waits out; nothing is issued',
    applies: (facts) => facts.call.service === 'sts' && facts.fault === 'accessDenied',
    outcome: () => unavailable(30),
  },
  {
    name: 'STS failure',
    reason: 'DESIGN.md, Issuance order: any dependency error is 503, never credentials (StsCredentialIssuer: 1 s, incomplete credentials too)',
    applies: (facts) => facts.call.service === 'sts',
    outcome: () => unavailable(1),
  },
  {
    name: 'IAM lookup failure',
    reason: 'docs/security.md, Failing closed: the Identity Center lookup failing refuses the caller (503; src/aws/iam.ts iamFailure: throttling 2 s, else 1 s)',
    applies: (facts) => facts.call.label === 'iam:GetRole',
    outcome: (facts) => unavailable(facts.fault === 'throttling' ? 2 : 1),
  },
  {
    name: 'DynamoDB',
    reason: 'docs/security.md, Failing closed; src/aws/dynamoErrors.ts: throttling 2 s, refused identity 30 s, faults, timeouts and unreadable answers 1 s',
    applies: (facts) => facts.call.service === 'dynamodb',
    outcome: (facts) => unavailable(facts.fault === 'throttling' ? 2 : facts.fault === 'accessDenied' ? 30 : 1),
  },
];

function expected(facts: CellFacts): { outcome: string; rule: string } {
  const rule = RULES.find((candidate) => candidate.applies(facts));
  return rule === undefined ? { outcome: 'no rule', rule: 'none' } : { outcome: rule.outcome(facts), rule: rule.name };
}

// ---------------------------------------------------------------- one cell

interface SessionState {
  status: string;
  expiresAt: string;
}

async function sessionStates(lane: Lane): Promise<Map<string, SessionState>> {
  const { dynamodb } = testClients();
  const states = new Map<string, SessionState>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: lane.tables.sessions, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    for (const item of page.Items ?? []) {
      const record = unmarshall(item) as { id: string; status: string; expires_at: string };
      states.set(record.id, { status: record.status, expiresAt: record.expires_at });
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
  return states;
}

function outcomeOf(scenario: Scenario, answer: Answer): string {
  const error = (answer.body.error as { code?: string } | undefined)?.code;
  const parts = [`${answer.status} ${error ?? 'OK'}`];
  if (answer.headers['retry-after'] !== undefined) parts.push(`Retry-After=${answer.headers['retry-after']}`);
  if (scenario.route === 'revokeSession' && answer.status < 300) parts.push(`aws=${(answer.body.aws as { status: string }).status}`);
  if (scenario.route === 'revokeSessions' && answer.status < 300) parts.push(`awsPending=${String(answer.body.awsPending)}`);
  return parts.join(' ');
}

interface CellResult {
  outcome: string;
  calls: AwsCall[];
  injected?: string;
  attempts: number;
  violations: string[];
  lines: string[];
  ms: number;
}

const STACK_TRACE = /\n\s+at |at [^\s]+ \(.*:\d+:\d+\)/;

async function runCell(scenario: Scenario, lane: Lane, faultAt?: { index: number; fault: Fault }): Promise<CellResult> {
  const started = performance.now();
  await lane.reset();
  const cell: Cell = { phase: 'setup', calls: [], attempts: 0, vended: [], rolePolicies: new Map(), lane, strays: [], ...(faultAt === undefined ? {} : { faultAt }) };
  const state: State = {};
  const label = `${scenario.name}${faultAt === undefined ? ' (clean)' : ` #${faultAt.index} × ${faultAt.fault}`}`;
  const violations: string[] = [];
  const lines: string[][] = [];
  return cellContext.run(cell, async () => {
    // The setup runs on the lane's own warm runtime (its log lines are scanned with the lane's at the end); the target on a cold start.
    await scenario.setup?.(lane.setupRuntime(), lane, state);
    const before = await sessionStates(lane);
    const ahead = scenario.route === 'sweep' ? scenario.ahead : undefined;
    const target = coldStart(lane, ahead === undefined ? undefined : { now: () => new Date(Date.now() + ahead) });
    lines.push(target.lines);
    cell.phase = 'target';
    let outcome: string;
    let text: string;
    let delivered: { accessKeyId: string; session?: string } | undefined;
    let answer: Answer | undefined;
    try {
      if (scenario.route === 'sweep') {
        ({ outcome, text } = await runSweep(target.runtime));
      } else {
        answer = await callRoute(target.runtime, scenario.route, scenario.caller, scenario.options?.(state) ?? {});
        outcome = outcomeOf(scenario, answer);
        text = answer.text;
        const credentials = answer.body.credentials as { accessKeyId?: string } | undefined;
        if (credentials?.accessKeyId !== undefined) {
          const session = (answer.body.session as { id?: string } | null | undefined)?.id;
          delivered = { accessKeyId: credentials.accessKeyId, ...(session === undefined ? {} : { session }) };
        }
      }
    } finally {
      cell.phase = 'setup';
      target.close();
    }
    const after = await sessionStates(lane);

    // Credentials only with their session item active, and only the ones STS handed out.
    if (delivered !== undefined) {
      if (delivered.session === undefined) violations.push(`${label}: credentials without a session (tracked issuance)`);
      else if (after.get(delivered.session)?.status !== 'active') violations.push(`${label}: credentials delivered, session ${delivered.session} is ${after.get(delivered.session)?.status ?? 'missing'}`);
      if (!cell.vended.some((credentials) => credentials.accessKeyId === delivered?.accessKeyId)) violations.push(`${label}: credentials STS never handed out`);
    }
    // No session made refreshable, or more refreshable, without credentials delivered for it.
    for (const [id, now] of after) {
      if (now.status !== 'active' || id === delivered?.session) continue;
      const then = before.get(id);
      if (then?.status !== 'active') violations.push(`${label}: session ${id} became active (was ${then?.status ?? 'absent'}) without its credentials delivered`);
      else if (now.expiresAt > then.expiresAt) violations.push(`${label}: session ${id} more refreshable than before (expires_at ${then.expiresAt} → ${now.expiresAt}) without credentials delivered`);
    }
    // Nothing of AWS's error, no stack trace, secrets only in the issuance that delivers them.
    for (const fragment of INJECTED_TEXT) if (text.includes(fragment)) violations.push(`${label}: the answer carries "${fragment}"`);
    if (STACK_TRACE.test(text)) violations.push(`${label}: the answer carries a stack trace`);
    const ownSecrets = delivered === undefined ? [] : Object.values(cell.vended.find((credentials) => credentials.accessKeyId === delivered?.accessKeyId) ?? {});
    for (const credentials of cell.vended) {
      for (const secret of Object.values(credentials)) if (!ownSecrets.includes(secret) && text.includes(secret)) violations.push(`${label}: the answer carries a vended secret it does not deliver`);
    }
    const logLines = lines.flat();
    for (const leak of leakedSecrets(logLines, allSecrets)) violations.push(`${label}: ${leak}`);
    // The documented exceptions leave their traces.
    // A malformed Publish answer is still a delivery (nothing of it is read); every other notification fault is a failed one.
    const failedNotification = cell.injected !== undefined && /^(sns|secretsmanager):/.test(cell.injected) && !(faultAt?.fault === 'malformed' && cell.injected === 'sns:Publish');
    if (failedNotification && !logLines.some((line) => line.includes('could not deliver a notification'))) {
      violations.push(`${label}: the failed notification left no log line`);
    }
    if (scenario.route === 'revokeSession' && answer !== undefined && answer.status < 300 && after.get(state.session as string)?.status !== 'revoked') {
      violations.push(`${label}: the revoke answered ${answer.status}, the session is ${after.get(state.session as string)?.status ?? 'missing'}`);
    }
    if (faultAt !== undefined && cell.injected === undefined) violations.push(`${label}: the run made fewer calls than the clean run; no fault was injected`);
    for (const stray of cell.strays) violations.push(`${label}: ${stray}`);
    return { outcome, calls: cell.calls, ...(cell.injected === undefined ? {} : { injected: cell.injected }), attempts: cell.attempts, violations, lines: logLines, ms: performance.now() - started };
  });
}

// ---------------------------------------------------------------- the matrix

interface MatrixCell {
  scenario: Scenario;
  index: number;
  fault: Fault;
  call: AwsCall;
  expected: { outcome: string; rule: string };
  result?: CellResult;
}

const lanes: Lane[] = [];
const cleanRuns = new Map<string, CellResult>();
const matrix: MatrixCell[] = [];
let unhandled = 0;
const onUnhandled = (): void => {
  unhandled += 1;
};
let wallMs = 0;

/** Runs `jobs` on the lanes, each lane one job at a time. */
async function onLanes<T>(jobs: readonly T[], run: (job: T, lane: Lane) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < jobs.length) {
        const job = jobs[next] as T;
        next += 1;
        await run(job, lane);
      }
    }),
  );
}

beforeAll(async () => {
  const started = performance.now();
  process.on('unhandledRejection', onUnhandled);
  await startWebhook();
  installMocks();
  for (let index = 0; index < LANES; index += 1) lanes.push(new Lane(index));
  await Promise.all(
    lanes.map((lane) =>
      lane.create(async () => {
        const cell: Cell = { phase: 'setup', calls: [], attempts: 0, vended: [], rolePolicies: new Map(), lane, strays: [] };
        await cellContext.run(cell, async () => {
          const { runtime, close } = coldStart(lane);
          await must(runtime, 'putPolicy', ADMIN, { body: { text: POLICY, expectedVersion: 0 } });
          close();
        });
      }),
    ),
  );
  await onLanes(SCENARIOS, async (scenario, lane) => {
    cleanRuns.set(scenario.name, await runCell(scenario, lane));
  });
  for (const scenario of SCENARIOS) {
    const clean = cleanRuns.get(scenario.name) as CellResult;
    clean.calls.forEach((call, index) => {
      for (const fault of FAULTS) {
        matrix.push({ scenario, index, fault, call, expected: expected({ scenario, call, index, fault, calls: clean.calls, clean: clean.outcome }) });
      }
    });
  }
  // The slow cells (throttled DynamoDB calls back off for seconds) first, so no lane ends long after the others.
  const order = [...matrix].sort((a, b) => Number(b.fault === 'throttling' && b.call.service === 'dynamodb') - Number(a.fault === 'throttling' && a.call.service === 'dynamodb'));
  await onLanes(order, async (cell, lane) => {
    cell.result = await runCell(cell.scenario, lane, { index: cell.index, fault: cell.fault });
  });
  wallMs = performance.now() - started;
}, 600_000);

afterAll(async () => {
  for (const lane of lanes) lane.close();
  process.off('unhandledRejection', onUnhandled);
  restoreMocks();
  await stopWebhook();
});

// ---------------------------------------------------------------- the checks and the report

const SERVICES = [
  ['DynamoDB', (call: AwsCall) => call.service === 'dynamodb'],
  ['STS and IAM', (call: AwsCall) => call.service === 'sts' || call.service === 'iam'],
  ['SNS and Secrets Manager', (call: AwsCall) => call.service === 'sns' || call.service === 'secretsmanager'],
] as const;

describe('fault matrix: every AWS call of every route and of the sweep × every fault', () => {
  it('covers every HTTP route and the sweep, each clean run as it should be', () => {
    const covered = new Set(SCENARIOS.map((scenario) => scenario.route));
    expect((Object.keys(ROUTES) as RouteName[]).filter((route) => !covered.has(route))).toEqual([]);
    expect(covered.has('sweep')).toBe(true);
    const unclean = SCENARIOS.filter((scenario) => {
      const clean = cleanRuns.get(scenario.name) as CellResult;
      return clean.violations.length > 0 || !(clean.outcome === 'ok' || /^20[012] OK/.test(clean.outcome));
    }).map((scenario) => `${scenario.name}: ${cleanRuns.get(scenario.name)?.outcome} ${cleanRuns.get(scenario.name)?.violations.join('; ')}`);
    expect(unclean).toEqual([]);
    // Every scenario makes AWS calls, so each has cells.
    expect(SCENARIOS.filter((scenario) => (cleanRuns.get(scenario.name)?.calls.length ?? 0) === 0).map((scenario) => scenario.name)).toEqual([]);
  });

  it('injects the DynamoDB faults as the SDK meets them', () => {
    // A throttled or failing call is retried to the client's three attempts; a refusal and an unreadable answer are not.
    const attempts = (fault: Fault) => [...new Set(matrix.filter((cell) => cell.call.service === 'dynamodb' && cell.fault === fault).map((cell) => cell.result?.attempts))];
    expect(attempts('throttling')).toEqual([3]);
    expect(attempts('internal')).toEqual([3]);
    expect(attempts('timeout')).toEqual([3]);
    expect(attempts('accessDenied')).toEqual([1]);
    expect(attempts('malformed')).toEqual([1]);
  });

  it('answers every cell as the rules say, breaks no invariant, leaks nothing', () => {
    const notes: string[] = [];
    const all: string[] = [];
    let cells = 0;
    for (const [service, matches] of SERVICES) {
      const part = matrix.filter((cell) => matches(cell.call));
      const violations: string[] = [];
      const lines: string[] = [];
      let scenarioName = '';
      for (const cell of part) {
        const result = cell.result as CellResult;
        const where = `${cell.scenario.name} #${cell.index} ${cell.call.label} × ${cell.fault}`;
        if (result.outcome !== cell.expected.outcome) violations.push(`${where}: ${result.outcome}, expected ${cell.expected.outcome} (${cell.expected.rule})`);
        if (result.injected !== undefined && result.injected !== cell.call.label) violations.push(`${where}: the fault met ${result.injected}: the calls are not deterministic`);
        violations.push(...result.violations);
        if (cell.scenario.name !== scenarioName) {
          scenarioName = cell.scenario.name;
          lines.push(`${scenarioName} (clean: ${cleanRuns.get(scenarioName)?.outcome})`);
        }
        lines.push(`  #${cell.index} ${cell.call.label} × ${cell.fault} → ${result.outcome}${result.outcome === cell.expected.outcome ? '' : `  ✗ expected ${cell.expected.outcome}`}`);
      }
      cells += part.length;
      all.push(...violations);
      notes.push(`${service}: ${part.length} cells`, ...lines);
      recordPart({ section: 'faults', part: `HTTP routes × ${service}`, tried: part.length, unit: 'cells', violations, notes: lines });
    }
    const logLines = [...lanes.flatMap((lane) => lane.logs.flat())];
    const leaks = leakedSecrets(logLines, allSecrets);
    recordLogs('faults', logLines);
    recordSecrets('faults', allSecrets);
    const rules = RULES.map((rule) => `rule ${rule.name}: ${rule.reason}`);
    const slowest = [...matrix].sort((a, b) => (b.result?.ms ?? 0) - (a.result?.ms ?? 0))[0];
    const timing = `${cells} cells on ${LANES} lanes in ${(wallMs / 1000).toFixed(1)} s; slowest ${slowest?.scenario.name} × ${slowest?.fault} ${((slowest?.result?.ms ?? 0) / 1000).toFixed(1)} s`;
    const global = [
      ...leaks.map((leak) => `a log line leaks a secret: ${leak}`),
      ...(unhandled === 0 ? [] : [`${unhandled} unhandled rejection(s) during the matrix`]),
      ...strayCalls.map((stray) => `AWS call ${stray}`),
    ];
    recordPart({ section: 'faults', part: 'fault matrix: global invariants', tried: logLines.length, unit: 'log lines', violations: global, notes: [timing, ...rules] });
    console.log([timing, ...rules, ...notes, ...(all.length === 0 ? [] : ['violations:', ...all])].join('\n'));
    expect(cells).toBeGreaterThan(0);
    expect(all).toEqual([]);
    expect(global).toEqual([]);
  });
});
