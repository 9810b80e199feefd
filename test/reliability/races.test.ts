/**
 * Races on DynamoDB Local with real concurrency (issue 15, Races): each race run many
 * times through the real HTTP handlers, composed in-process as the Lambda entries
 * compose them (test/reliability/support/races.ts: several containers per function,
 * a minting issuer for STS, the in-memory revoker for IAM), and its invariant checked
 * after every trial:
 *
 * 1. revoke vs refresh and re-check of a server-mode session;
 * 2. end vs revoke of the same session;
 * 3. issuance and refresh vs the bulk revoke of the user;
 * 4. double approval and quorum (`min_approvals: 2`, three approvers), approvals racing a
 *    deny and a cancel;
 * 5. break-glass quotas (one active event, cooldown, `max_per_user`, `max_per_profile`,
 *    per principal) and concurrent closes;
 * 6. policy pushes with the same stale `expectedVersion`, reads in between;
 * 7. concurrent creation of the same table through `POST /v1/provision`, polled at once.
 *
 * Ordering facts use performance.now() stamps taken around each call and around each
 * DynamoDB command at the client; DynamoDB applies conditional writes on one item in
 * some order, so a write that was applied before another was sent before that other
 * settled. No assertion is about how long anything took (the pace is only used to
 * spread the random delays, and reported as notes).
 */

import { DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableKind } from '../../src/provisioning/schemas.js';
import { REVOCATION_CAPACITY } from '../../src/sessions/revocation.js';
import { createTestTable, testClients } from '../integration/dynamodb.js';
import { capturingLogger } from './support/logs.js';
import type { CapturingLogger } from './support/logs.js';
import { leakedSecrets, recordLogs, recordPart, recordSecrets, scaled } from './support/report.js';
import { ACCOUNT, after, codeOf, Deployment, iamUser, median, ms, roleSession, seeded } from './support/races.js';
import type { Answer, Identity } from './support/races.js';

// ---------------------------------------------------------------- sizes (CI / --long)

/**
 * Trials per race. The CI sizes keep the whole file near a minute on two cores (each
 * trial is tens of DynamoDB Local requests); `--long` runs ten times as many.
 */
const TRIALS = {
  revoke: scaled(100, 1_000),
  endRevoke: scaled(50, 500),
  bulk: scaled(30, 300),
  approvals: scaled(75, 750),
  breakglass: scaled(75, 750),
  policy: scaled(100, 1_000),
  provision: scaled(30, 300),
};

// ---------------------------------------------------------------- the deployment under test

const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/sentinel-${name}`;
const ADMIN = iamUser('ops');
const OWNER = iamUser('alice');
const REQUESTER = iamUser('req');
const APPROVERS = { ann: iamUser('ann'), ben: iamUser('ben'), cat: iamUser('cat') };
const BG_USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map(iamUser);
const CI = [roleSession('ci', 'run-1'), roleSession('ci', 'run-2')];
const BG_PROFILES = ['bg1', 'bg2', 'bg3', 'bg4'] as const;
const BG_LIMITS = { maxPerUser: 2, maxPerProfile: 3, cooldownSeconds: 1800, windowSeconds: 3600, durationSeconds: 900 };

const POLICY = `version: "1"
profiles:
  dev: { role_arn: "${role('dev')}", max_duration: 1h }
  gated: { role_arn: "${role('gated')}", max_duration: 1h }
${BG_PROFILES.map((name) => `  ${name}: { role_arn: "${role(name)}", max_duration: 1h }`).join('\n')}
rules:
  - name: dev-for-everyone
    effect: allow
    conditions: { profiles: [dev] }
  - name: gated-needs-approval
    effect: require_approval
    conditions: { profiles: [gated] }
approvals:
  - name: quorum
    profiles: [gated]
    approvers: [${Object.values(APPROVERS).map((approver) => approver.user).join(', ')}]
    min_approvals: 2
    max_duration: 1h
breakglass:
  - name: oncall
    profiles: [${BG_PROFILES.join(', ')}]
    users: [${[...BG_USERS, ...CI].map((caller) => `"${caller.user}"`).join(', ')}]
    reason_codes: [incident]
    max_duration: 15m
    rate_limit: { cooldown: 30m, max_per_user: ${BG_LIMITS.maxPerUser}, max_per_profile: ${BG_LIMITS.maxPerProfile}, window: 1h }
admins: [${ADMIN.user}]
`;

/** STS and IAM refuse: every credential comes from the deployment's minting issuer, every deny goes to the memory revoker. */
const sts = mockClient(STSClient).rejects(new Error('the race tests never call STS'));
const iam = mockClient(IAMClient).rejects(new Error('the race tests never call IAM'));

let tables: { config: string; sessions: string; requests: string; breakglass: string };

beforeAll(async () => {
  const [config, sessions, requests, breakglass] = await Promise.all([createTestTable('config'), createTestTable('sessions'), createTestTable('requests'), createTestTable('breakglass')]);
  tables = { config, sessions, requests, breakglass };
  const setup = new Deployment({ tables, bootstrapAdmins: [ADMIN.user], logger: capturingLogger().logger, containers: 1 });
  await setup.ok('putPolicy', ADMIN, { body: { text: POLICY, expectedVersion: 0 } });
});

afterAll(() => {
  sts.restore();
  iam.restore();
});

// ---------------------------------------------------------------- reading the tables

async function item(table: string, key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
  return (await testClients().documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

async function query(table: string, input: { index?: string; key: string; value: string; since?: string; only?: string[] }): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const output = await testClients().documents.send(
      new QueryCommand({
        TableName: table,
        ...(input.index === undefined ? { ConsistentRead: true } : { IndexName: input.index }),
        KeyConditionExpression: input.since === undefined ? '#k = :v' : '#k = :v AND created_at >= :since',
        ExpressionAttributeNames: { '#k': input.key, ...Object.fromEntries((input.only ?? []).map((name, n) => [`#p${n}`, name])) },
        ...(input.only === undefined ? {} : { ProjectionExpression: input.only.map((_name, n) => `#p${n}`).join(', ') }),
        ExpressionAttributeValues: { ':v': input.value, ...(input.since === undefined ? {} : { ':since': input.since }) },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(output.Items ?? []));
    start = output.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

// ---------------------------------------------------------------- recording a part

/**
 * Ends a part: scans its log lines for every secret the issuer minted (a leak is a
 * violation), records logs, secrets and the part, and fails the test on any violation.
 */
function finish(part: string, tried: number, violations: string[], notes: string[], log: CapturingLogger, deployment: Deployment): void {
  for (const leak of leakedSecrets(log.lines, deployment.issuer.secrets)) violations.push(`log leak: ${leak}`);
  recordLogs(`races ${part}`, log.lines);
  recordSecrets(`races ${part}`, deployment.issuer.secrets);
  recordPart({ section: 'races', part, tried, unit: 'trials', violations, notes });
  console.log(`races, ${part}: ${tried} trials, ${violations.length} violations; ${notes.join('; ')}; ${log.lines.length} log lines, ${deployment.sent.length} DynamoDB commands`);
  expect(violations, `${part}: broken invariants`).toEqual([]);
}

const describeAnswer = (answer: Answer) => `${answer.route} by ${answer.caller} → ${answer.status} ${codeOf(answer)}`;
const sessionOf = (body: Record<string, unknown>) => (body.session as { id: string } | null | undefined)?.id ?? '';

/** Warm medians of a refresh and a revoke through the handlers: the random delays spread over them. */
/** Median warm times of a new issuance, a refresh and a revoke on this machine, now. */
interface Pace {
  issueMs: number;
  refreshMs: number;
  revokeMs: number;
}

async function sessionPace(deployment: Deployment): Promise<Pace> {
  const issuances: number[] = [];
  const refreshes: number[] = [];
  const revokes: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const issued = await deployment.call('credentials', OWNER, { body: { profile: 'dev', mode: 'server' } });
    if (issued.status !== 200) throw new Error(`pace: credentials answered ${issued.status}: ${issued.text}`);
    issuances.push(issued.answeredAt - issued.startedAt);
    const id = sessionOf(issued.body);
    for (let j = 0; j < 3; j += 1) {
      const answer = await deployment.call('credentials', OWNER, { body: { profile: 'dev', mode: 'server', sessionId: id } });
      refreshes.push(answer.answeredAt - answer.startedAt);
    }
    const answer = await deployment.call('revokeSession', ADMIN, { path: { id }, body: { reason: 'pace' } });
    revokes.push(answer.answeredAt - answer.startedAt);
  }
  return { issueMs: median(issuances), refreshMs: median(refreshes), revokeMs: median(revokes) };
}

// ---------------------------------------------------------------- 1. revoke vs refresh and re-check

interface RevokeTally {
  delivered: number;
  refusedAfter: number;
  dropped: number;
  checksAllowed: number;
  checksRefusedAfter: number;
}

/**
 * One trial: a fresh server-mode session; the admin's revoke, three refreshes and two
 * re-checks, each after its own random delay, STS answering after another.
 */
async function revokeTrial(deployment: Deployment, trial: number, draw: () => number, pace: Pace, tally: RevokeTally): Promise<string[]> {
  const id = sessionOf(await deployment.ok('credentials', OWNER, { body: { profile: 'dev', mode: 'server' } }));
  // The revoke's update lands about half-way through it: refreshes and re-checks start before, around and after it.
  const spread = pace.refreshMs * 1.5;
  deployment.issuer.delays.set(id, draw() * pace.refreshMs * 0.5);
  const reason = `race ${trial}: laptop lost`;
  const firstCommand = deployment.sent.length;
  const firstMint = deployment.issuer.mints.length;
  const [revoke, ...others] = await Promise.all([
    after(draw() * spread, () => deployment.call('revokeSession', ADMIN, { path: { id }, body: { reason } })),
    ...[0, 1, 2].map(() => after(draw() * (spread + pace.revokeMs), () => deployment.call('credentials', OWNER, { body: { profile: 'dev', mode: 'server', sessionId: id } }))),
    ...[0, 1].map(() => after(draw() * (spread + pace.revokeMs * 1.5), () => deployment.call('checkSession', OWNER, { path: { id }, body: { profile: 'dev' } }))),
  ]);
  const refreshes = others.filter((answer) => answer.route === 'credentials');
  const checks = others.filter((answer) => answer.route === 'checkSession');
  const sent = deployment.sent.slice(firstCommand).filter((command) => command.id === id);
  const mints = deployment.issuer.mints.slice(firstMint).filter((mint) => mint.sessionId === id);
  const stored = await item(tables.sessions, { id });
  const v: string[] = [];
  const where = `revoke trial ${trial} (session ${id})`;

  if (revoke === undefined || revoke.status !== 200) return [`${where}: the revoke answered ${revoke === undefined ? 'nothing' : describeAnswer(revoke)}`];
  const revoked = revoke.body as { alreadyRevoked?: unknown; aws?: { status?: unknown } };
  if (revoked.alreadyRevoked !== false || revoked.aws?.status !== 'denied') v.push(`${where}: the revoke answered ${JSON.stringify({ alreadyRevoked: revoked.alreadyRevoked, aws: revoked.aws })}`);
  const write = sent.find((command) => command.updateExpression.includes(':revoked') && command.outcome === 'ok');
  if (write === undefined) v.push(`${where}: no applied revoke update was sent`);

  for (const answer of [...refreshes, ...checks]) {
    const code = codeOf(answer);
    if (code !== 'ok' && code !== 'SESSION_REVOKED') v.push(`${where}: ${describeAnswer(answer)} (only success or SESSION_REVOKED are right)`);
    if (answer.startedAt > revoke.answeredAt && code !== 'SESSION_REVOKED') v.push(`${where}: ${describeAnswer(answer)}, started after the revoke had answered`);
  }
  // Every conditional write that DynamoDB applied (the refresh's, the mark-issued) was applied before the revoke's: sent before it settled.
  const conditional = sent.filter((command) => command.updateExpression.includes('request_count') || command.conditionExpression === '#status IN (:pending, :active)');
  for (const command of conditional) {
    if (command.outcome === 'ok' && write !== undefined && command.sentAt > write.settledAt) v.push(`${where}: a ${command.updateExpression.slice(0, 40)}… update was applied though sent after the revoke's had settled`);
  }
  const delivered = refreshes.filter((answer) => answer.status === 200);
  const marked = conditional.filter((command) => command.conditionExpression === '#status IN (:pending, :active)' && command.outcome === 'ok');
  if (marked.length !== delivered.length) v.push(`${where}: ${delivered.length} refreshes delivered credentials but ${marked.length} mark-issued updates were applied`);
  const denied = deployment.revoker.denied(role('dev')).includes(id);
  for (const answer of delivered) {
    const key = (answer.body.credentials as { accessKeyId?: string } | undefined)?.accessKeyId;
    if (!mints.some((mint) => mint.accessKeyId === key)) v.push(`${where}: a refresh delivered ${key ?? 'no key'}, which was not minted for this session`);
    if (!denied) v.push(`${where}: a refresh delivered credentials, and the role's deny does not name the session`);
  }
  if (stored?.status !== 'revoked' || stored.revoked_by !== ADMIN.user || stored.revoked_reason !== reason || typeof stored.revoked_at !== 'string' || stored.active_user !== undefined) {
    v.push(`${where}: the item ends ${JSON.stringify({ status: stored?.status, revoked_by: stored?.revoked_by, revoked_reason: stored?.revoked_reason, active_user: stored?.active_user })}`);
  }

  tally.delivered += delivered.length;
  tally.refusedAfter += refreshes.filter((answer) => answer.startedAt > revoke.answeredAt).length;
  tally.dropped += mints.length - delivered.length;
  tally.checksAllowed += checks.filter((answer) => answer.status === 200).length;
  tally.checksRefusedAfter += checks.filter((answer) => answer.startedAt > revoke.answeredAt).length;
  return v;
}

// ---------------------------------------------------------------- 2. end vs revoke

interface EndTally {
  ended: number;
  revoked: number;
}

/** One trial: the owner's end, the admin's revoke and a re-check of the same fresh session, at once (small random delays). */
async function endTrial(deployment: Deployment, trial: number, draw: () => number, pace: { revokeMs: number }, tally: EndTally): Promise<string[]> {
  const id = sessionOf(await deployment.ok('credentials', OWNER, { body: { profile: 'dev', mode: 'server' } }));
  const reason = `race ${trial}: offboarding`;
  // The end is one update; the revoke's comes after the admin check and the ledger entry (about half its time): the end starts later.
  const [end, revoke, check] = await Promise.all([
    after(draw() * pace.revokeMs, () => deployment.call('endSession', OWNER, { path: { id }, body: {} })),
    after(draw() * pace.revokeMs * 0.5, () => deployment.call('revokeSession', ADMIN, { path: { id }, body: { reason } })),
    after(draw() * pace.revokeMs * 1.5, () => deployment.call('checkSession', OWNER, { path: { id }, body: { profile: 'dev' } })),
  ]);
  if (end === undefined || revoke === undefined || check === undefined) return [`end trial ${trial}: a call answered nothing`];
  const stored = await item(tables.sessions, { id });
  const where = `end trial ${trial} (session ${id})`;
  const v: string[] = [];
  const endCode = codeOf(end);
  const revokeCode = codeOf(revoke);
  if (endCode !== 'ok' && endCode !== 'SESSION_REVOKED') v.push(`${where}: ${describeAnswer(end)}`);
  if (revokeCode !== 'ok' && revokeCode !== 'CONFLICT') v.push(`${where}: ${describeAnswer(revoke)}`);
  if ((endCode === 'ok') === (revokeCode === 'ok')) v.push(`${where}: end ${endCode} and revoke ${revokeCode}: exactly one must win`);
  const winner = endCode === 'ok' ? end : revoke;
  const expected = endCode === 'ok' ? 'ended' : 'revoked';
  const consistent =
    stored?.status === expected &&
    stored.active_user === undefined &&
    (expected === 'ended'
      ? typeof stored.ended_at === 'string' && stored.revoked_by === undefined && stored.revoked_at === undefined
      : stored.revoked_by === ADMIN.user && stored.revoked_reason === reason && stored.ended_at === undefined);
  if (!consistent) v.push(`${where}: ${endCode === 'ok' ? 'end' : 'revoke'} won, the item ends ${JSON.stringify({ status: stored?.status, ended_at: stored?.ended_at, revoked_by: stored?.revoked_by, active_user: stored?.active_user })}`);
  if (expected === 'revoked' && !deployment.revoker.denied(role('dev')).includes(id)) v.push(`${where}: revoked, and the role's deny does not name the session`);
  const checkCode = codeOf(check);
  if (!['ok', 'SESSION_REVOKED', 'SESSION_ENDED'].includes(checkCode)) v.push(`${where}: ${describeAnswer(check)}`);
  const refusal = expected === 'ended' ? 'SESSION_ENDED' : 'SESSION_REVOKED';
  if (check.startedAt > winner.answeredAt && checkCode !== refusal) v.push(`${where}: ${describeAnswer(check)}, started after the ${expected === 'ended' ? 'end' : 'revoke'} had answered`);
  tally[expected] += 1;
  return v;
}

// ---------------------------------------------------------------- 3. issuance vs bulk revoke of the user

interface BulkTally {
  caught: number;
  missed: number;
  refusedIssuances: number;
}

/**
 * One trial, a fresh user: two sessions issued first; then at once the admin's bulk
 * revoke of the user, three new issuances and a refresh of each earlier session.
 */
async function bulkTrial(deployment: Deployment, trial: number, draw: () => number, pace: Pace, tally: BulkTally): Promise<string[]> {
  const user = iamUser(`bulk-${trial}`);
  const before = [await deployment.ok('credentials', user, { body: { profile: 'dev', mode: 'server' } }), await deployment.ok('credentials', user, { body: { profile: 'dev', mode: 'server' } })].map(sessionOf);
  const reason = `race ${trial}: offboarding ${user.user}`;
  // The bulk revoke lists the user's sessions early in its run, and an issuance writes its item about halfway
  // through: spread over one issuance time, some items land before the listing (caught) and some after (missed),
  // whatever this machine's speed.
  const [bulk, ...others] = await Promise.all([
    after(pace.issueMs * (0.3 + draw()), () => deployment.call('revokeSessions', ADMIN, { body: { user: user.user, reason } })),
    ...[0, 1, 2].map(() => after(draw() * pace.issueMs * 1.2, () => deployment.call('credentials', user, { body: { profile: 'dev', mode: 'server' } }))),
    ...before.map((id) => after(draw() * (pace.refreshMs + pace.revokeMs), () => deployment.call('credentials', user, { body: { profile: 'dev', mode: 'server', sessionId: id } }))),
  ]);
  const where = `bulk trial ${trial} (${user.user})`;
  if (bulk === undefined || bulk.status !== 200) return [`${where}: the bulk revoke answered ${bulk === undefined ? 'nothing' : describeAnswer(bulk)}`];
  const issuances = others.slice(0, 3);
  const refreshes = others.slice(3);
  const v: string[] = [];
  for (const answer of others) {
    const code = codeOf(answer);
    if (code !== 'ok' && code !== 'SESSION_REVOKED') v.push(`${where}: ${describeAnswer(answer)}`);
  }
  for (const answer of refreshes) if (answer.startedAt > bulk.answeredAt && codeOf(answer) !== 'SESSION_REVOKED') v.push(`${where}: ${describeAnswer(answer)}, a refresh started after the bulk revoke had answered`);

  const listed = await query(tables.sessions, { index: 'by-user', key: 'user', value: user.user });
  const stored = await Promise.all(listed.map(async (entry) => item(tables.sessions, { id: String(entry.id) })));
  const byId = new Map(stored.filter((entry) => entry !== undefined).map((entry) => [String(entry.id), entry]));
  const denied = new Set(deployment.revoker.denied(role('dev')));
  for (const id of before) if (byId.get(id)?.status !== 'revoked') v.push(`${where}: session ${id}, issued before the bulk revoke began, ends ${String(byId.get(id)?.status)}`);
  for (const [id, entry] of byId) {
    if (entry.status !== 'active' && entry.status !== 'revoked') v.push(`${where}: session ${id} ends ${String(entry.status)}`);
    if (entry.status === 'revoked' && !denied.has(id)) v.push(`${where}: session ${id} is revoked, and the role's deny does not name it`);
    if (entry.status === 'revoked' && (entry.revoked_by !== ADMIN.user || entry.revoked_reason !== reason)) v.push(`${where}: session ${id} revoked by ${String(entry.revoked_by)} for "${String(entry.revoked_reason)}"`);
  }
  const revokedCount = [...byId.values()].filter((entry) => entry.status === 'revoked').length;
  if ((bulk.body as { revoked?: unknown }).revoked !== revokedCount) v.push(`${where}: the bulk revoke reports ${String((bulk.body as { revoked?: unknown }).revoked)} revoked, the table holds ${revokedCount}`);
  for (const answer of issuances) {
    const id = answer.status === 200 ? sessionOf(answer.body) : undefined;
    if (id !== undefined && !byId.has(id)) v.push(`${where}: issued session ${id} is not in the table`);
    if (id !== undefined && answer.startedAt > bulk.answeredAt && byId.get(id)?.status !== 'active') v.push(`${where}: session ${id}, issued after the bulk revoke had answered, ends ${String(byId.get(id)?.status)}`);
  }
  tally.caught += revokedCount - before.length;
  tally.missed += [...byId.values()].filter((entry) => entry.status === 'active').length;
  tally.refusedIssuances += issuances.filter((answer) => answer.status !== 200).length;
  return v;
}

// ---------------------------------------------------------------- 4. double approval and quorum

/** Who does what to one request, at once. */
type Decision = { verb: 'approve' | 'deny'; by: Identity } | { verb: 'cancel'; by: Identity };

const CONTESTS: Record<string, { decisions: Decision[]; mustEnd: readonly string[] }> = {
  'same approver twice': { decisions: [{ verb: 'approve', by: APPROVERS.ann }, { verb: 'approve', by: APPROVERS.ann }, { verb: 'approve', by: APPROVERS.ben }], mustEnd: ['approved'] },
  'three approvers': { decisions: [{ verb: 'approve', by: APPROVERS.ann }, { verb: 'approve', by: APPROVERS.ben }, { verb: 'approve', by: APPROVERS.cat }], mustEnd: ['approved'] },
  'approve vs deny vs cancel': {
    decisions: [{ verb: 'approve', by: APPROVERS.ann }, { verb: 'approve', by: APPROVERS.ben }, { verb: 'deny', by: APPROVERS.cat }, { verb: 'cancel', by: REQUESTER }],
    mustEnd: ['approved', 'denied', 'cancelled'],
  },
};

const FINAL = ['approved', 'denied', 'cancelled'];
const ROUTE_OF = { approve: 'approveRequest', deny: 'denyRequest', cancel: 'cancelRequest' } as const;

/** The warm median of one approval through the handler: the random delays spread over it. */
async function approvalPace(deployment: Deployment): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const created = await deployment.ok('createRequest', REQUESTER, { body: { profile: 'gated', justification: 'pace: warming up' } });
    for (const approver of [APPROVERS.ann, APPROVERS.ben]) {
      const answer = await deployment.call('approveRequest', approver, { path: { id: (created.request as { id: string }).id }, body: {} });
      times.push(answer.answeredAt - answer.startedAt);
    }
  }
  return median(times);
}

/**
 * When each decision starts: approvals early, the deny and the cancel spread wider (a
 * cancel is one update, an approval reads the request and the policy first), so that
 * each of approved, denied and cancelled happens.
 */
function decisionDelay(decision: Decision, draw: () => number, paceMs: number): number {
  if (decision.verb === 'approve') return draw() * paceMs * 0.5;
  if (decision.verb === 'deny') return draw() * paceMs * 4;
  return paceMs * 0.5 + draw() * paceMs * 4;
}

/** One contest on a fresh request: the decisions at once; the answers and the stored item against the rules. */
async function contest(deployment: Deployment, name: string, trial: number, draw: () => number, paceMs: number, finals: Map<string, number>): Promise<string[]> {
  const spec = CONTESTS[name];
  if (spec === undefined) throw new Error(name);
  const created = await deployment.ok('createRequest', REQUESTER, { body: { profile: 'gated', justification: `race ${trial}: ${name}` } });
  const id = (created.request as { id: string }).id;
  const answers = await Promise.all(
    spec.decisions.map((decision) =>
      after(decisionDelay(decision, draw, paceMs), () => deployment.call(ROUTE_OF[decision.verb], decision.by, { path: { id }, ...(decision.verb === 'cancel' ? {} : { body: {} }) })),
    ),
  );
  const stored = await item(tables.requests, { id });
  const where = `approval trial ${trial}, ${name} (request ${id})`;
  const v: string[] = [];
  for (const answer of answers) if (answer.status !== 200 && codeOf(answer) !== 'CONFLICT') v.push(`${where}: ${describeAnswer(answer)} (losers get 409 CONFLICT)`);
  const statusOf = (answer: Answer) => (answer.body.request as { status?: string } | undefined)?.status ?? '';
  const transitions = answers.filter((answer) => answer.status === 200 && FINAL.includes(statusOf(answer)));
  if (transitions.length !== 1) v.push(`${where}: ${transitions.length} answers made a final transition (${transitions.map(describeAnswer).join(', ')})`);
  const status = String(stored?.status);
  if (!spec.mustEnd.includes(status)) v.push(`${where}: the request ends ${status}`);
  if (transitions[0] !== undefined && statusOf(transitions[0]) !== status) v.push(`${where}: ${describeAnswer(transitions[0])} answered ${statusOf(transitions[0])}, the item is ${status}`);

  const approvals = ((stored?.approvals as Array<{ approver: string }> | undefined) ?? []).map((approval) => approval.approver);
  const distinct = new Set(approvals);
  const set = stored?.approver_set instanceof Set ? [...(stored.approver_set as Set<string>)].sort() : [];
  if (distinct.size !== approvals.length) v.push(`${where}: approvals ${JSON.stringify(approvals)} name an approver twice`);
  if (distinct.has(REQUESTER.user)) v.push(`${where}: the requester approved their own request`);
  if (JSON.stringify(set) !== JSON.stringify([...distinct].sort())) v.push(`${where}: approver_set ${JSON.stringify(set)} ≠ approvals ${JSON.stringify(approvals)}`);
  if (status === 'approved' && (approvals.length !== 2 || typeof stored?.window_ends_at !== 'string' || typeof stored.decided_at !== 'string')) v.push(`${where}: approved with ${JSON.stringify(approvals)}, window ${String(stored?.window_ends_at)}`);
  if (status !== 'approved' && approvals.length >= 2) v.push(`${where}: ${status} although ${approvals.length} approvers approved`);
  if (status === 'denied' && stored?.denied_by !== APPROVERS.cat.user) v.push(`${where}: denied by ${String(stored?.denied_by)}`);
  const approvedOk = answers.filter((answer) => answer.route === 'approveRequest' && answer.status === 200).map((answer) => answer.caller).sort();
  if (JSON.stringify(approvedOk) !== JSON.stringify([...approvals].sort())) v.push(`${where}: approvals answered 200 for ${JSON.stringify(approvedOk)}, the item records ${JSON.stringify(approvals)}`);
  finals.set(`${name}: ${status}`, (finals.get(`${name}: ${status}`) ?? 0) + 1);
  return v;
}

// ---------------------------------------------------------------- 5. break-glass quotas

/** The break-glass deployment's clock: each trial starts 10 minutes into a fresh 1 h window, 2 h after the last. */
class TrialClock {
  #base = 0;
  #wall = 0;
  readonly origin = Math.ceil(Date.now() / 3_600_000) * 3_600_000;

  start(trial: number): Date {
    this.#base = this.origin + trial * 2 * 3_600_000 + 10 * 60_000;
    this.#wall = Date.now();
    return new Date(this.#base);
  }

  now(): Date {
    return new Date(this.#base + (Date.now() - this.#wall));
  }
}

interface Invocation {
  caller: Identity;
  profile: string;
  answer: Answer;
}

/** The guards a break-glass refusal names, read from its message (src/breakglass/types.ts). */
function refusalKinds(message: string): { kinds: string[]; activeId?: string } {
  const kinds: string[] = [];
  if (message.includes('an active break-glass exists')) kinds.push('active');
  if (message.includes('has a cooldown of')) kinds.push('cooldown');
  if (message.includes('invocations by you per')) kinds.push('perUser');
  if (message.includes('invocations of profile')) kinds.push('perProfile');
  const activeId = /\(event ([0-9a-f]{32})\)/.exec(message)?.[1];
  return activeId === undefined ? { kinds } : { kinds, activeId };
}

interface BreakglassTally {
  invoked: number;
  conflict: number;
  limited: number;
  unavailable: number;
}

/**
 * One trial in a fresh window: u1 opens an event on bg2; then at once u1 and the admin
 * close it, and 17 invocations by six users and two sessions of one role land on the
 * four profiles. Every success must fit every limit; every refusal must name a limit
 * that the trial's own events did reach.
 */
async function breakglassTrial(deployment: Deployment, clock: TrialClock, trial: number, draw: () => number, tally: BreakglassTally): Promise<string[]> {
  const since = clock.start(trial).toISOString();
  const [u1, u2, u3, u4, u5, u6] = BG_USERS as [Identity, Identity, Identity, Identity, Identity, Identity];
  const invoke = (caller: Identity, profile: string) => ({ caller, profile });
  const body = (profile: string) => ({ profile, reasonCode: 'incident', justification: `race ${trial}: pager went off`, durationSeconds: BG_LIMITS.durationSeconds });
  const first = await deployment.ok('invokeBreakglass', u1, { body: body('bg2') });
  const pre = (first.event as { id: string }).id;
  const planned = [
    ...[0, 1, 2].map(() => invoke(u1, 'bg2')),
    ...[0, 1, 2].map(() => invoke(u1, 'bg1')),
    invoke(u2, 'bg1'), invoke(u2, 'bg3'), invoke(u2, 'bg4'),
    ...CI.flatMap((session) => [invoke(session, 'bg3'), invoke(session, 'bg4')]),
    invoke(u3, 'bg3'), invoke(u4, 'bg3'), invoke(u5, 'bg3'), invoke(u6, 'bg3'),
  ];
  const [closes, invocations] = await Promise.all([
    Promise.all([u1, ADMIN].map((by) => after(draw() * 10, () => deployment.call('closeBreakglass', by, { path: { id: pre }, body: { reason: `race ${trial}: resolved` } })))),
    Promise.all(planned.map(async ({ caller, profile }): Promise<Invocation> => ({ caller, profile, answer: await after(draw() * 10, () => deployment.call('invokeBreakglass', caller, { body: body(profile) })) }))),
  ]);
  const where = `break-glass trial ${trial}`;
  const v: string[] = [];

  const closed = closes.filter((answer) => answer.status === 200);
  if (closed.length !== 1 || closes.some((answer) => answer.status !== 200 && codeOf(answer) !== 'CONFLICT')) v.push(`${where}: closes of ${pre} answered ${closes.map(describeAnswer).join(', ')}`);
  const preItem = await item(tables.breakglass, { id: pre });
  if (preItem?.status !== 'closed' || preItem.closed_by !== closed[0]?.caller) v.push(`${where}: event ${pre} ends ${String(preItem?.status)}, closed by ${String(preItem?.closed_by)}, the close that won was ${closed[0]?.caller ?? 'none'}'s`);

  // Every event of the trial, as the table holds it (pre included): per principal and profile, per principal, per profile.
  const events = (await Promise.all(BG_PROFILES.map((profile) => query(tables.breakglass, { index: 'by-profile', key: 'profile', value: profile, since })))).flat();
  const succeeded = invocations.filter((invocation) => invocation.answer.status === 201);
  const ids = new Set(succeeded.map((invocation) => (invocation.answer.body.event as { id: string }).id));
  ids.add(pre);
  if (events.length !== ids.size || events.some((event) => !ids.has(String(event.id)))) v.push(`${where}: the table holds ${events.length} events of the trial, ${ids.size} were answered as created`);
  const count = (predicate: (event: Record<string, unknown>) => boolean) => events.filter(predicate).length;
  const pairs = new Set(events.map((event) => `${String(event.invoker_principal)} ${String(event.profile)}`));
  for (const pair of pairs) if (count((event) => `${String(event.invoker_principal)} ${String(event.profile)}` === pair) > 1) v.push(`${where}: ${pair} has more than one event within the cooldown`);
  const principals = new Set(planned.map((invocation) => invocation.caller.principal));
  for (const principal of principals) {
    const n = count((event) => event.invoker_principal === principal);
    if (n > BG_LIMITS.maxPerUser) v.push(`${where}: ${principal} has ${n} events (max_per_user ${BG_LIMITS.maxPerUser})`);
  }
  for (const profile of BG_PROFILES) {
    const n = count((event) => event.profile === profile);
    if (n > BG_LIMITS.maxPerProfile) v.push(`${where}: ${profile} has ${n} events (max_per_profile ${BG_LIMITS.maxPerProfile})`);
  }
  v.push(...(await countersMatch(events, principals, trial, clock.origin, where)));

  for (const { caller, profile, answer } of invocations) {
    if (answer.status === 201) continue;
    const message = String((answer.body.error as { message?: unknown } | undefined)?.message ?? '');
    const { kinds, activeId } = refusalKinds(message);
    const justified = kinds.length > 0 && kinds.every((kind) => {
      if (kind === 'active') return activeId !== undefined && events.some((event) => event.id === activeId && event.invoker_principal === caller.principal && event.profile === profile);
      if (kind === 'cooldown') return events.some((event) => event.invoker_principal === caller.principal && event.profile === profile);
      if (kind === 'perUser') return count((event) => event.invoker_principal === caller.principal) === BG_LIMITS.maxPerUser;
      return count((event) => event.profile === profile) === BG_LIMITS.maxPerProfile;
    });
    const status = kinds.includes('active') ? 409 : 429;
    const retryAfter = answer.status !== 429 || Number(answer.headers['retry-after']) >= 1;
    if (!justified || answer.status !== status || !retryAfter) v.push(`${where}: ${caller.user} on ${profile}: ${describeAnswer(answer)} naming [${kinds.join(', ')}], unjustified by the trial's events (${message.slice(0, 120)})`);
  }
  tally.invoked += succeeded.length;
  tally.conflict += invocations.filter((invocation) => invocation.answer.status === 409).length;
  tally.limited += invocations.filter((invocation) => invocation.answer.status === 429).length;
  tally.unavailable += invocations.filter((invocation) => invocation.answer.status === 503).length;
  return v;
}

/** The quota counters in the config table count exactly the trial's events (each trial has its own window). */
async function countersMatch(events: Array<Record<string, unknown>>, principals: Set<string>, trial: number, origin: number, where: string): Promise<string[]> {
  const windowStart = (origin + trial * 2 * 3_600_000) / 1000;
  const sk = `${BG_LIMITS.windowSeconds}#${windowStart}#oncall`;
  const v: string[] = [];
  const subjects: Array<['user' | 'profile', string, number]> = [
    ...[...principals].map((principal): ['user', string, number] => ['user', principal, events.filter((event) => event.invoker_principal === principal).length]),
    ...BG_PROFILES.map((profile): ['profile', string, number] => ['profile', profile, events.filter((event) => event.profile === profile).length]),
  ];
  const keys = subjects.map(([kind, subject]) => ({ pk: `breakglass#${kind}#${subject}`, sk }));
  const output = await testClients().documents.send(new BatchGetCommand({ RequestItems: { [tables.config]: { Keys: keys, ConsistentRead: true } } }));
  if (Object.keys(output.UnprocessedKeys ?? {}).length > 0) return [`${where}: DynamoDB Local left counters unread`];
  const counters = new Map((output.Responses?.[tables.config] ?? []).map((counter) => [String(counter.pk), counter]));
  subjects.forEach(([kind, subject, expected]) => {
    const counter = counters.get(`breakglass#${kind}#${subject}`);
    const counted = typeof counter?.count === 'number' ? counter.count : 0;
    if (counted !== expected) v.push(`${where}: the ${kind} counter of ${subject} says ${counted}, the table holds ${expected} events`);
  });
  return v;
}

// ---------------------------------------------------------------- 6. policy push with a stale version

const PUSHERS = ['ops', 'ops2', 'ops3', 'ops4'].map(iamUser);
const pushedPolicy = (trial: number, pusher: Identity) => `${POLICY.replace(`admins: [${ADMIN.user}]`, `admins: [${PUSHERS.map((caller) => caller.user).join(', ')}]`)}# trial ${trial}, pushed by ${pusher.user}\n`;

/** One trial: four admins push at once from the same version, two readers read meanwhile. */
async function policyTrial(deployment: Deployment, config: string, trial: number, draw: () => number, texts: Map<number, string>): Promise<string[]> {
  const expectedVersion = texts.size;
  const answers = await Promise.all([
    ...PUSHERS.map((pusher) => after(draw() * 4, () => deployment.call('putPolicy', pusher, { body: { text: pushedPolicy(trial, pusher), expectedVersion } }))),
    ...[0, 1].map(() => after(draw() * 8, () => deployment.call('getPolicy', ADMIN))),
  ]);
  const pushes = answers.slice(0, PUSHERS.length);
  const reads = answers.slice(PUSHERS.length);
  const where = `policy trial ${trial} (from version ${expectedVersion})`;
  const v: string[] = [];
  const won = pushes.filter((answer) => answer.status === 200);
  if (won.length !== 1) v.push(`${where}: ${won.length} pushes won (${pushes.map(describeAnswer).join(', ')})`);
  for (const answer of pushes) if (answer.status !== 200 && codeOf(answer) !== 'CONFLICT') v.push(`${where}: ${describeAnswer(answer)} (the losers get 409 CONFLICT)`);
  const winner = won[0];
  if (winner !== undefined) {
    if ((winner.body as { version?: unknown }).version !== expectedVersion + 1) v.push(`${where}: the winner was given version ${String(winner.body.version)}`);
    texts.set(expectedVersion + 1, pushedPolicy(trial, PUSHERS.find((pusher) => pusher.user === winner.caller) as Identity));
  }
  for (const read of reads) {
    const version = Number(read.body.version);
    if (read.status !== 200 || texts.get(version) !== read.body.text) v.push(`${where}: a read during the pushes got ${read.status} version ${version} with ${texts.get(version) === read.body.text ? 'its' : 'another'} text`);
  }
  const current = await deployment.call('getPolicy', ADMIN);
  if (current.body.version !== texts.size || current.body.text !== texts.get(texts.size) || (winner !== undefined && current.body.updatedBy !== winner.caller)) {
    v.push(`${where}: the current policy is version ${String(current.body.version)} by ${String(current.body.updatedBy)}, the winner ${winner?.caller ?? 'none'} pushed version ${texts.size}`);
  }
  const stored = await query(config, { key: 'pk', value: 'policy', only: ['sk'] });
  // Each version is its text (`v<n>`) and its document (`v<n>#document`), written together or not at all.
  const numbered = (pattern: RegExp): number[] =>
    stored.flatMap((entry) => pattern.exec(String(entry.sk))?.slice(1, 2).map(Number) ?? []).sort((a, b) => a - b);
  const versions = numbered(/^v(\d+)$/);
  const documents = numbered(/^v(\d+)#document$/);
  const expected = Array.from({ length: texts.size }, (_, n) => n + 1).join(',');
  if (versions.join(',') !== expected) v.push(`${where}: stored versions ${versions.join(',')} are not 1..${texts.size}`);
  if (documents.join(',') !== expected) v.push(`${where}: stored documents ${documents.join(',')} are not those of versions 1..${texts.size}`);
  if (stored.length !== versions.length + documents.length + 1) v.push(`${where}: the policy partition holds ${stored.length} items, not the versions, their documents and the pointer`);
  return v;
}

// ---------------------------------------------------------------- 7. concurrent creation of one table

const PROVISIONERS = ['ops', 'ops2', 'ops3'].map(iamUser);
const KINDS: readonly TableKind[] = ['config', 'sessions', 'requests', 'breakglass'];

/** What each answer of the provisioning routes may be (docs/api.md, Provisioning). */
function provisionAnswerIsDocumented(answer: Answer): boolean {
  const status = String(answer.body.status);
  if (answer.route === 'provision') return (answer.status === 202 && status === 'CREATING') || (answer.status === 200 && status === 'READY');
  return (answer.status === 200 && (status === 'CREATING' || status === 'READY')) || (answer.status === 404 && codeOf(answer) === 'NOT_FOUND');
}

/** Polls the status route until READY (bounded), as `sentinel init` does. */
async function pollUntilReady(deployment: Deployment, table: string, kind: TableKind, answers: Answer[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answer = await deployment.call('provisionStatus', ADMIN, { path: { table }, query: { kind } });
    answers.push(answer);
    if (answer.body.status === 'READY' || !provisionAnswerIsDocumented(answer)) return;
    await after(20, async () => undefined);
  }
}

/** One trial: three admins create the same new table at once while three pollers poll it. */
async function provisionTrial(deployment: Deployment, config: string, trial: number, draw: () => number, tally: { ready: number; creating: number; notFound: number }): Promise<string[]> {
  const kind = KINDS[trial % KINDS.length] as TableKind;
  const table = `sentinel-race-${trial}-${Math.floor(draw() * 1e9).toString(36)}`;
  const firstCommand = deployment.sent.length;
  const answers: Answer[] = [];
  await Promise.all([
    ...PROVISIONERS.map((admin) => after(draw() * 10, async () => void answers.push(await deployment.call('provision', admin, { body: { kind, table } })))),
    ...PROVISIONERS.map(() => after(draw() * 10, () => pollUntilReady(deployment, table, kind, answers))),
  ]);
  await pollUntilReady(deployment, table, kind, answers);
  const where = `provision trial ${trial} (${kind} table ${table})`;
  const v: string[] = [];
  for (const answer of answers) if (!provisionAnswerIsDocumented(answer)) v.push(`${where}: ${describeAnswer(answer)} ${String(answer.body.status ?? '')}`);
  const created = deployment.sent.slice(firstCommand).filter((command) => command.command === 'CreateTableCommand' && command.table === table && command.outcome === 'ok');
  if (created.length !== 1) v.push(`${where}: ${created.length} CreateTable calls succeeded`);
  const firstReady = Math.min(...answers.filter((answer) => answer.body.status === 'READY').map((answer) => answer.answeredAt));
  if (!Number.isFinite(firstReady)) v.push(`${where}: never READY`);
  for (const answer of answers) if (answer.startedAt > firstReady && answer.body.status !== 'READY') v.push(`${where}: ${describeAnswer(answer)} ${String(answer.body.status ?? '')} after it had been READY`);
  const registered = (await query(config, { key: 'pk', value: 'table' })).filter((entry) => entry.sk === table);
  const entry = registered[0];
  if (registered.length !== 1 || entry?.kind !== kind || !PROVISIONERS.some((admin) => admin.user === entry.registered_by) || !String(entry.arn).endsWith(`:table/${table}`)) {
    v.push(`${where}: the registry holds ${JSON.stringify(registered)}`);
  }
  const { dynamodb } = testClients();
  const described = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table;
  const ttl = (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
  if (described?.TableStatus !== 'ACTIVE' || ttl?.TimeToLiveStatus !== 'ENABLED' || ttl.AttributeName !== 'ttl') v.push(`${where}: the table ends ${String(described?.TableStatus)} with TTL ${JSON.stringify(ttl)}`);
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  tally.ready += answers.filter((answer) => answer.body.status === 'READY').length;
  tally.creating += answers.filter((answer) => answer.body.status === 'CREATING').length;
  tally.notFound += answers.filter((answer) => answer.status === 404).length;
  return v;
}

// ---------------------------------------------------------------- the parts

/**
 * Runs `trials` trials, `atOnce` at a time (each on its own session, request or table,
 * so they race only within themselves), each checked as it ends; the wall time for the notes.
 */
async function runTrials(trials: number, run: (trial: number) => Promise<string[]>, atOnce = 1, between?: () => void): Promise<{ violations: string[]; wallMs: number }> {
  const started = performance.now();
  const violations: string[] = [];
  for (let next = 0; next < trials; next += atOnce) {
    const batch = Array.from({ length: Math.min(atOnce, trials - next) }, (_, offset) => run(next + offset));
    for (const found of await Promise.all(batch)) violations.push(...found);
    between?.();
  }
  return { violations, wallMs: performance.now() - started };
}

/**
 * Between batches of revoking trials: empties the dev role's deny once it holds half of
 * what one role's policy can (REVOCATION_CAPACITY). Every id in it is of a trial already
 * checked; in a deployment time would pass between such revocations, those sessions'
 * credentials would expire and the sweep prune their entries (docs/revocation.md, Budget
 * and capacity). Without it the long sizes (1,000 revokes on one role within minutes)
 * would fill the policy, which is the documented capacity of a role, not a race.
 */
function pruneCheckedDenies(deployment: Deployment): () => void {
  return () => {
    if (deployment.revoker.denied(role('dev')).length >= REVOCATION_CAPACITY / 2) deployment.revoker.documents.delete(role('dev'));
  };
}

describe('races on DynamoDB Local, through the HTTP handlers', () => {
  it(`revoke vs refresh and re-check: ${TRIALS.revoke} trials`, async () => {
    const log = capturingLogger();
    const deployment = new Deployment({ tables, bootstrapAdmins: [], logger: log.logger });
    const pace = await sessionPace(deployment);
    const draw = seeded(15_001);
    const tally: RevokeTally = { delivered: 0, refusedAfter: 0, dropped: 0, checksAllowed: 0, checksRefusedAfter: 0 };
    const { violations, wallMs } = await runTrials(TRIALS.revoke, (trial) => revokeTrial(deployment, trial, draw, pace, tally), 2, pruneCheckedDenies(deployment));
    // Not vacuous: both orders happened, and so did the window between STS and the mark-issued update.
    for (const [what, n] of Object.entries(tally)) if (n === 0) violations.push(`no trial had ${what} (the race never took that turn)`);
    finish('revoke vs refresh and re-check', TRIALS.revoke, violations, [
      `${TRIALS.revoke} trials × (1 revoke, 3 refreshes, 2 re-checks) in ${(wallMs / 1000).toFixed(1)} s; warm refresh ${ms(pace.refreshMs)}, revoke ${ms(pace.revokeMs)}`,
      `refreshes delivered before the revoke ${tally.delivered}, started after it ${tally.refusedAfter} (all refused), minted by STS then dropped ${tally.dropped}; re-checks allowed ${tally.checksAllowed}, started after it ${tally.checksRefusedAfter}`,
    ], log, deployment);
  });

  it(`end vs revoke of one session: ${TRIALS.endRevoke} trials`, async () => {
    const log = capturingLogger();
    const deployment = new Deployment({ tables, bootstrapAdmins: [], logger: log.logger });
    const pace = await sessionPace(deployment);
    const draw = seeded(15_002);
    const tally: EndTally = { ended: 0, revoked: 0 };
    const { violations, wallMs } = await runTrials(TRIALS.endRevoke, (trial) => endTrial(deployment, trial, draw, pace, tally), 2, pruneCheckedDenies(deployment));
    for (const [what, n] of Object.entries(tally)) if (n === 0) violations.push(`no trial ${what} the session first (the race never took that turn)`);
    finish('end vs revoke', TRIALS.endRevoke, violations, [`${TRIALS.endRevoke} trials in ${(wallMs / 1000).toFixed(1)} s: end won ${tally.ended}, revoke won ${tally.revoked}`], log, deployment);
  });

  it(`issuance and refresh vs bulk revoke of the user: ${TRIALS.bulk} trials`, async () => {
    const log = capturingLogger();
    const deployment = new Deployment({ tables, bootstrapAdmins: [], logger: log.logger });
    const pace = await sessionPace(deployment);
    const draw = seeded(15_003);
    // STS answers new sessions after a random delay: a session can be revoked while it is still pending.
    deployment.issuer.delay = () => draw() * pace.refreshMs * 0.5;
    const tally: BulkTally = { caught: 0, missed: 0, refusedIssuances: 0 };
    const { violations, wallMs } = await runTrials(TRIALS.bulk, (trial) => bulkTrial(deployment, trial, draw, pace, tally), 2, pruneCheckedDenies(deployment));
    if (tally.caught === 0 || tally.missed === 0) violations.push(`the bulk revoke caught ${tally.caught} and missed ${tally.missed} concurrent issuances: the race never took one of its turns`);
    finish('issuance vs bulk revoke', TRIALS.bulk, violations, [
      `${TRIALS.bulk} trials × (2 earlier sessions, 1 bulk revoke, 3 issuances, 2 refreshes) in ${(wallMs / 1000).toFixed(1)} s`,
      `concurrent issuances caught by the bulk revoke ${tally.caught} (of which refused at mark-issued ${tally.refusedIssuances}), issued after its listing ${tally.missed}`,
    ], log, deployment);
  });

  it(`double approval and quorum: ${TRIALS.approvals} trials × ${Object.keys(CONTESTS).length} requests`, async () => {
    const log = capturingLogger();
    const deployment = new Deployment({ tables, bootstrapAdmins: [], logger: log.logger });
    const paceMs = await approvalPace(deployment);
    const draw = seeded(15_004);
    const finals = new Map<string, number>();
    const { violations, wallMs } = await runTrials(TRIALS.approvals, async (trial) => (await Promise.all(Object.keys(CONTESTS).map((name) => contest(deployment, name, trial, draw, paceMs, finals)))).flat());
    for (const outcome of ['approve vs deny vs cancel: approved', 'approve vs deny vs cancel: denied', 'approve vs deny vs cancel: cancelled']) if (!finals.has(outcome)) violations.push(`no trial ended "${outcome}" (the race never took that turn)`);
    finish('double approve and quorum', TRIALS.approvals, violations, [
      `${TRIALS.approvals} trials × ${Object.keys(CONTESTS).length} requests (min_approvals 2, three approvers) in ${(wallMs / 1000).toFixed(1)} s; warm approval ${ms(paceMs)}`,
      [...finals].sort().map(([outcome, n]) => `${outcome} ${n}`).join(', '),
    ], log, deployment);
  });

  it(`break-glass quotas and closes: ${TRIALS.breakglass} trials`, async () => {
    const log = capturingLogger();
    const clock = new TrialClock();
    const deployment = new Deployment({ tables, bootstrapAdmins: [], logger: log.logger, clock });
    const draw = seeded(15_005);
    const tally: BreakglassTally = { invoked: 0, conflict: 0, limited: 0, unavailable: 0 };
    const { violations, wallMs } = await runTrials(TRIALS.breakglass, (trial) => breakglassTrial(deployment, clock, trial, draw, tally));
    finish('break-glass quota', TRIALS.breakglass, violations, [
      `${TRIALS.breakglass} trials × (1 event, 2 closes, 17 invocations by 6 users and 2 sessions of one role on 4 profiles) in ${(wallMs / 1000).toFixed(1)} s`,
      `invocations: created ${tally.invoked}, 409 ${tally.conflict}, 429 ${tally.limited}, 503 ${tally.unavailable}`,
    ], log, deployment);
  });

  it(`policy push with a stale version: ${TRIALS.policy} trials`, async () => {
    const log = capturingLogger();
    const config = await createTestTable('config');
    const texts = new Map<number, string>();
    texts.set(1, pushedPolicy(-1, ADMIN));
    // The first push by the bootstrap admin, before the racing deployment caches anything: every version names the same admins.
    await new Deployment({ tables: { config }, bootstrapAdmins: [ADMIN.user], logger: log.logger, containers: 1 }).ok('putPolicy', ADMIN, { body: { text: texts.get(1), expectedVersion: 0 } });
    const deployment = new Deployment({ tables: { config }, bootstrapAdmins: [], logger: log.logger });
    const draw = seeded(15_006);
    const { violations, wallMs } = await runTrials(TRIALS.policy, (trial) => policyTrial(deployment, config, trial, draw, texts));
    finish('policy push, stale version', TRIALS.policy, violations, [`${TRIALS.policy} trials × (4 pushes from one version, 2 reads) in ${(wallMs / 1000).toFixed(1)} s; versions 1..${texts.size}`], log, deployment);
  });

  it(`concurrent creation of one table: ${TRIALS.provision} trials`, async () => {
    const log = capturingLogger();
    const config = await createTestTable('config');
    const deployment = new Deployment({ tables: { config }, bootstrapAdmins: PROVISIONERS.map((admin) => admin.user), logger: log.logger });
    const draw = seeded(15_007);
    const tally = { ready: 0, creating: 0, notFound: 0 };
    const { violations, wallMs } = await runTrials(TRIALS.provision, (trial) => provisionTrial(deployment, config, trial, draw, tally), 2);
    finish('concurrent table creation', TRIALS.provision, violations, [
      `${TRIALS.provision} trials × (3 creates, 3 pollers) over ${KINDS.join(', ')} in ${(wallMs / 1000).toFixed(1)} s`,
      `answers: READY ${tally.ready}, CREATING ${tally.creating}, NOT_FOUND ${tally.notFound}`,
    ], log, deployment);
  });
});
