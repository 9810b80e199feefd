/**
 * Access requests against DynamoDB Local: whole lifecycles through the domain code
 * (src/requests/manage.ts) on the real table schema, the conditional writes under
 * concurrency (exactly one of 20 simultaneous approvals completes a request), the
 * quorum of `min_approvals: 2`, effective expiry with nothing swept, the grants
 * issuance reads, and every command the store sends recorded (never a Scan).
 */

import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRequestView } from '../../src/api/contract.js';
import { SentinelError } from '../../src/errors.js';
import type { Caller } from '../../src/identity/types.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { DynamoRequestStore } from '../../src/requests/DynamoRequestStore.js';
import { approveRequest, cancelRequest, createRequest, denyRequest, listRequests, showRequest } from '../../src/requests/manage.js';
import type { RequestDeps } from '../../src/requests/manage.js';
import { cursorCodec, cursorKey } from '../../src/sessions/cursor.js';
import { createTestTable, testClients } from './dynamodb.js';

// In the future, so every item's ttl (end of life + 90 days) is too: DynamoDB Local's TTL would delete past-dated items mid-test.
const T0 = new Date('2031-03-14T09:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const RETENTION = 90 * 86_400;

const CROWD = Array.from({ length: 20 }, (_, n) => `approver-${String(n + 1).padStart(2, '0')}`);

const POLICY = `
version: "1"
profiles:
  prod-admin: { role_arn: "arn:aws:iam::111122223333:role/sentinel-prod-admin", max_duration: 1h }
  billing: { role_arn: "arn:aws:iam::111122223333:role/sentinel-billing", max_duration: 1h }
  dev: { role_arn: "arn:aws:iam::111122223333:role/sentinel-dev", max_duration: 1h }
groups:
  platform: [alice, bob, "iam:erin"]
  crowd: [${CROWD.join(', ')}]
rules:
  - name: dev-engineers
    effect: allow
    conditions: { profiles: [dev], groups: [platform] }
  - name: prod-admin-approval
    effect: require_approval
    conditions: { profiles: [prod-admin], users: [alice, bob] }
  - name: billing-approval
    effect: require_approval
    conditions: { profiles: [billing], groups: [platform] }
approvals:
  - name: prod-admin-approvers
    profiles: [prod-admin]
    approvers: [bob]
    approver_groups: [crowd]
    max_duration: 1h
    auto_approve: { users: ["role:deploy/ci-42"], max_duration: 30m }
  - name: billing-approvers
    profiles: [billing]
    approvers: [bob, admin, "iam:erin"]
    min_approvals: 2
    max_duration: 2h
admins: [admin]
`;

const caller = (user: string): Caller => ({ user, arn: `arn:aws:iam::000000000000:user/${user}`, accountId: '000000000000', kind: 'person', principal: `person/${user}` });
const JUSTIFICATION = 'INC-4711: rotate the leaked deploy key';

let table: string;
let deps: RequestDeps;
let store: DynamoRequestStore;
const sent: string[] = [];
/** Every command of the whole file (`sent` is cleared before each test). */
const everything: string[] = [];

beforeAll(async () => {
  table = await createTestTable('requests');
  // A client of its own whose every command is recorded by a middleware.
  const counted = DynamoDBDocumentClient.from(testClients().dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      everything.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  store = new DynamoRequestStore(counted, table);
  const policy = parsePolicy(POLICY);
  const loaded = { policy, compiled: compilePolicy(policy), version: 7 };
  deps = {
    requests: store,
    policies: { current: async () => loaded },
    bootstrapAdmins: [],
    settings: { defaultSessionTable: 'sentinel-sessions', auditRetentionSeconds: RETENTION },
    cursors: cursorCodec(cursorKey(undefined)),
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    log: { info: () => undefined },
  };
}, 60_000);

beforeEach(() => {
  sent.length = 0;
});

/** The error a promise rejects with, as `{ code, message }`. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SentinelError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

async function rawItem(id: string): Promise<Record<string, unknown>> {
  const output = await testClients().documents.send(new GetCommand({ TableName: table, Key: { id } }));
  return output.Item as Record<string, unknown>;
}

const request = (user: string, profile: string, minutes = 0, durationSeconds?: number) =>
  createRequest({ profile, justification: JUSTIFICATION, ...(durationSeconds === undefined ? {} : { durationSeconds }) }, caller(user), at(minutes), deps);

describe('a request from creation to credentials', () => {
  it('alice asks, bob approves: the window opens at the approval and issuance finds it as a grant', async () => {
    const created = await request('alice', 'prod-admin');
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      requester: 'alice',
      profile: 'prod-admin',
      justification: JUSTIFICATION,
      durationSeconds: 3600,
      status: 'pending',
      createdAt: T0.toISOString(),
      expiresAt: at(24 * 60).toISOString(),
      minApprovals: 1,
      approvals: [],
    });
    const stored = await rawItem(created.id);
    // In the pending index while pending; the evidence kept 90 days past expiry; the requester's principal kept.
    expect(stored).toMatchObject({ pending_profile: 'prod-admin', requester_principal: 'person/alice', ttl: Math.floor(at(24 * 60).getTime() / 1000) + RETENTION });
    expect(stored).not.toHaveProperty('approver_set');

    // No grant while pending.
    expect(await store.approvedGrants({ user: 'alice', profile: 'prod-admin', now: at(5) })).toEqual([]);

    const approved = await approveRequest(created.id, { comment: 'ok, go' }, caller('bob'), at(10), deps);
    expect(approved).toMatchObject({
      status: 'approved',
      decidedAt: at(10).toISOString(),
      windowEndsAt: at(70).toISOString(),
      approvals: [{ approver: 'bob', at: at(10).toISOString(), comment: 'ok, go' }],
    });
    const after = await rawItem(created.id);
    expect(after).not.toHaveProperty('pending_profile');
    expect(after.approver_set).toEqual(new Set(['bob']));
    // The window ends before the pending expiry would have: the ttl stays at expiry + retention.
    expect(after.ttl).toBe(Math.floor(at(24 * 60).getTime() / 1000) + RETENTION);

    expect(await store.approvedGrants({ user: 'alice', profile: 'prod-admin', now: at(11) })).toEqual([{ kind: 'approval', id: created.id, endsAt: at(70) }]);
    // Not before the approval, not after the window, not for another profile or another user.
    expect(await store.approvedGrants({ user: 'alice', profile: 'prod-admin', now: at(9) })).toEqual([]);
    expect(await store.approvedGrants({ user: 'alice', profile: 'prod-admin', now: at(70) })).toEqual([]);
    expect(await store.approvedGrants({ user: 'alice', profile: 'billing', now: at(11) })).toEqual([]);
    expect(await store.approvedGrants({ user: 'bob', profile: 'prod-admin', now: at(11) })).toEqual([]);

    // A decided request takes no more decisions, and says who decided it.
    expect(await refusal(approveRequest(created.id, {}, caller('approver-01'), at(12), deps))).toEqual({
      code: 'CONFLICT',
      message: `request ${created.id} is already approved (by bob) at ${at(10).toISOString()}`,
    });
    expect(await refusal(denyRequest(created.id, {}, caller('approver-01'), at(12), deps))).toMatchObject({ code: 'CONFLICT' });
    expect(await refusal(cancelRequest(created.id, caller('alice'), at(12), deps))).toEqual({
      code: 'CONFLICT',
      message: `request ${created.id} is already approved (by bob) at ${at(10).toISOString()}: only pending requests can be cancelled`,
    });
  });

  it('an approver denies: denied with who and why, out of the pending index, no grant', async () => {
    const created = await request('alice', 'billing');
    const denied = await denyRequest(created.id, { comment: 'use the read-only profile' }, caller('iam:erin'), at(3), deps);
    expect(denied).toMatchObject({ status: 'denied', deniedBy: 'iam:erin', denyComment: 'use the read-only profile', decidedAt: at(3).toISOString() });
    expect(await rawItem(created.id)).not.toHaveProperty('pending_profile');
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(4), deps))).toEqual({ code: 'CONFLICT', message: `request ${created.id} was denied by iam:erin at ${at(3).toISOString()}` });
    expect(await store.approvedGrants({ user: 'alice', profile: 'billing', now: at(5) })).toEqual([]);
  });

  it('the requester cancels; nobody else may, and a cancelled request is over', async () => {
    const created = await request('alice', 'prod-admin');
    expect(await refusal(cancelRequest(created.id, caller('bob'), at(1), deps))).toEqual({ code: 'NOT_OWNER', message: `request ${created.id} is not yours: only its requester may cancel it` });
    expect(await cancelRequest(created.id, caller('alice'), at(2), deps)).toMatchObject({ status: 'cancelled', decidedAt: at(2).toISOString() });
    expect(await refusal(cancelRequest(created.id, caller('alice'), at(3), deps))).toMatchObject({ code: 'CONFLICT' });
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(3), deps))).toEqual({ code: 'CONFLICT', message: `request ${created.id} was cancelled by its requester at ${at(2).toISOString()}` });
  });

  it('an auto_approve entry approves at once, within its max_duration only', async () => {
    const auto = await request('role:deploy/ci-42', 'prod-admin', 0, 1800);
    expect(auto).toMatchObject({
      status: 'approved',
      decidedAt: T0.toISOString(),
      windowEndsAt: at(30).toISOString(),
      approvals: [],
      autoApproved: { rule: 'prod-admin-approvers', reason: '"role:deploy/ci-42" is approved automatically for up to 30m by approval rule "prod-admin-approvers"' },
    });
    expect(await rawItem(auto.id)).not.toHaveProperty('pending_profile');
    expect(await store.approvedGrants({ user: 'role:deploy/ci-42', profile: 'prod-admin', now: at(1) })).toEqual([{ kind: 'approval', id: auto.id, endsAt: at(30) }]);
    // Longer than auto_approve allows: an ordinary request.
    expect(await request('role:deploy/ci-42', 'prod-admin', 0, 3600)).toMatchObject({ status: 'pending' });
  });
});

describe('who may approve', () => {
  it('never the requester: refused by the domain, and by the write itself', async () => {
    // bob is an approver of prod-admin and may also ask for it.
    const created = await request('bob', 'prod-admin');
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(1), deps))).toEqual({ code: 'NOT_OWNER', message: `"bob" may not approve their own request ${created.id}` });
    // The condition holds even for a caller that skipped the domain's check.
    const seen = await store.get(created.id);
    expect(await refusal(store.approve({ id: created.id, approver: 'bob', now: at(1).toISOString(), seen: { ...seen!, requester: 'someone-else' }, completion: { windowEndsAt: at(61).toISOString(), ttl: 2_000_000_000 } }))).toEqual({
      code: 'NOT_OWNER',
      message: `"bob" may not approve their own request ${created.id}`,
    });
    expect(await showRequest(created.id, caller('bob'), at(2), deps)).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('only an approver of the profile under the current policy; others are told so', async () => {
    const created = await request('alice', 'billing');
    expect(await refusal(approveRequest(created.id, {}, caller('approver-01'), at(1), deps))).toEqual({
      code: 'NOT_OWNER',
      message: '"approver-01" may not approve requests for profile "billing": only the approvers its approval rules name may',
    });
    expect(await refusal(approveRequest('0'.repeat(32), {}, caller('bob'), at(1), deps))).toEqual({ code: 'NOT_FOUND', message: `request ${'0'.repeat(32)} does not exist` });
  });

  it('min_approvals 2: one approver twice does not complete it, two distinct ones do; the window starts at the second', async () => {
    const created = await request('alice', 'billing', 0, 7200);
    const first = await approveRequest(created.id, {}, caller('bob'), at(5), deps);
    expect(first).toMatchObject({ status: 'pending', approvals: [{ approver: 'bob', at: at(5).toISOString() }] });
    expect(first).not.toHaveProperty('windowEndsAt');
    expect(await rawItem(created.id)).toMatchObject({ pending_profile: 'billing', approver_set: new Set(['bob']) });
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(6), deps))).toEqual({
      code: 'CONFLICT',
      message: `"bob" has already approved request ${created.id} (1 of 2 approvals)`,
    });
    expect(await store.approvedGrants({ user: 'alice', profile: 'billing', now: at(7) })).toEqual([]);

    const second = await approveRequest(created.id, { comment: 'second pair of eyes' }, caller('admin'), at(20), deps);
    expect(second).toMatchObject({
      status: 'approved',
      decidedAt: at(20).toISOString(),
      windowEndsAt: at(140).toISOString(),
      approvals: [
        { approver: 'bob', at: at(5).toISOString() },
        { approver: 'admin', at: at(20).toISOString(), comment: 'second pair of eyes' },
      ],
    });
    expect(await rawItem(created.id)).not.toHaveProperty('pending_profile');
    expect(await store.approvedGrants({ user: 'alice', profile: 'billing', now: at(21) })).toEqual([{ kind: 'approval', id: created.id, endsAt: at(140) }]);
  });

  it('20 approvals at once of a min_approvals 1 request: exactly one completes it, the other 19 are CONFLICT with the state', async () => {
    const created = await request('alice', 'prod-admin');
    const outcomes = await Promise.allSettled(CROWD.map((approver) => approveRequest(created.id, {}, caller(approver), at(1), deps)));
    const won = outcomes.filter((outcome): outcome is PromiseFulfilledResult<AccessRequestView> => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(won).toHaveLength(1);
    const winner = won[0]!.value.approvals[0]!.approver;
    expect(won[0]!.value).toMatchObject({ status: 'approved', approvals: [{ approver: winner }] });
    expect(lost).toHaveLength(19);
    for (const outcome of lost) {
      expect(outcome.reason).toBeInstanceOf(SentinelError);
      expect(outcome.reason).toMatchObject({ code: 'CONFLICT', message: `request ${created.id} is already approved (by ${winner}) at ${at(1).toISOString()}` });
    }
    const item = await rawItem(created.id);
    expect(item.approvals).toHaveLength(1);
    expect(item.approver_set).toEqual(new Set([winner]));
  });

  it('3 approvals at once of a min_approvals 2 request: two count, the third finds it approved', async () => {
    const created = await request('alice', 'billing');
    const outcomes = await Promise.allSettled(['bob', 'admin', 'iam:erin'].map((approver) => approveRequest(created.id, {}, caller(approver), at(1), deps)));
    const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(fulfilled).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason.code)).toEqual(['CONFLICT']);
    const final = await showRequest(created.id, caller('alice'), at(2), deps);
    expect(final.status).toBe('approved');
    expect(final.approvals).toHaveLength(2);
  });
});

describe('expiry and listings', () => {
  it('a pending request past expires_at reads expired at once (nothing sweeps it) and takes no decision', async () => {
    const created = await request('iam:erin', 'prod-admin', -1);
    const later = at(24 * 60);
    expect(await showRequest(created.id, caller('iam:erin'), later, deps)).toMatchObject({ status: 'expired' });
    expect((await rawItem(created.id)).status).toBe('pending');
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), later, deps))).toEqual({
      code: 'CONFLICT',
      message: `request ${created.id} expired at ${at(24 * 60 - 1).toISOString()} without being approved`,
    });
    expect(await refusal(cancelRequest(created.id, caller('iam:erin'), later, deps))).toMatchObject({ code: 'CONFLICT' });
    const expired = await listRequests({ status: 'expired' }, caller('iam:erin'), later, deps);
    expect(expired.requests.map((listed) => listed.id)).toContain(created.id);
    const pending = await listRequests({ status: 'pending' }, caller('iam:erin'), later, deps);
    expect(pending.requests.map((listed) => listed.id)).not.toContain(created.id);
    // Not approvable any more, though still in the sparse index.
    const approvable = await listRequests({ scope: 'approvable' }, caller('bob'), later, deps);
    expect(approvable.requests.map((listed) => listed.id)).not.toContain(created.id);
  });

  it('pages through mine, approvable and all with cursors, newest first, Queries only', async () => {
    // A requester and a profile of their own, so earlier tests do not show up.
    const policy = parsePolicy(POLICY.replace('profiles:\n  prod-admin:', 'profiles:\n  audit: { role_arn: "arn:aws:iam::111122223333:role/sentinel-audit" }\n  prod-admin:').replace('approvals:\n', 'approvals:\n  - { name: audit-approvers, profiles: [audit], approvers: [bob, dora] }\n'));
    const own: RequestDeps = { ...deps, policies: { current: async () => ({ policy, compiled: compilePolicy(policy), version: 8 }) } };
    const made: string[] = [];
    for (let n = 0; n < 23; n += 1) made.push((await createRequest({ profile: 'audit', justification: JUSTIFICATION }, caller('carol'), at(n), own)).id);
    // bob approves one: it leaves bob's approvable list (and everyone's, being approved).
    await approveRequest(made[0]!, {}, caller('bob'), at(30), own);
    sent.length = 0;

    async function all(query: Parameters<typeof listRequests>[0], who: string): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listRequests({ ...query, limit: 5, ...(cursor === undefined ? {} : { cursor }) }, caller(who), at(40), own);
        expect(page.requests.length).toBeLessThanOrEqual(5);
        ids.push(...page.requests.map((listed) => listed.id));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return ids;
    }
    const newestFirst = [...made].reverse();
    expect(await all({}, 'carol')).toEqual(newestFirst);
    expect(await all({ status: 'pending' }, 'carol')).toEqual(newestFirst.slice(0, 22));
    expect(await all({ scope: 'approvable', profile: 'audit' }, 'bob')).toEqual(newestFirst.slice(0, 22));
    expect(await all({ scope: 'approvable', profile: 'audit' }, 'dora')).toEqual(newestFirst.slice(0, 22));
    // The requester approves nothing; an admin lists by profile.
    expect(await all({ scope: 'approvable' }, 'carol')).toEqual([]);
    expect(await all({ scope: 'all', profile: 'audit', status: 'approved' }, 'admin')).toEqual([made[0]]);
    expect(new Set(sent)).toEqual(new Set(['QueryCommand']));

    // A cursor belongs to its listing and its caller.
    const first = await listRequests({ limit: 5 }, caller('carol'), at(40), own);
    expect(await refusal(listRequests({ limit: 5, cursor: first.cursor! }, caller('dora'), at(40), own))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await refusal(listRequests({ limit: 5, status: 'pending', cursor: first.cursor! }, caller('carol'), at(40), own))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('all is for admins and needs a profile; show is for the requester, approvers and admins', async () => {
    expect(await refusal(listRequests({ scope: 'all', profile: 'billing' }, caller('alice'), at(1), deps))).toMatchObject({ code: 'NOT_ADMIN' });
    expect(await refusal(listRequests({ scope: 'all' }, caller('admin'), at(1), deps))).toEqual({ code: 'INVALID_REQUEST', message: 'name a profile: listing every request would need a Scan of the table' });
    const created = await request('alice', 'billing');
    for (const who of ['alice', 'bob', 'iam:erin', 'admin']) expect((await showRequest(created.id, caller(who), at(1), deps)).id).toBe(created.id);
    // An approver of another profile, or anyone else: it does not exist.
    for (const who of ['approver-01', 'mallory']) expect(await refusal(showRequest(created.id, caller(who), at(1), deps))).toEqual({ code: 'NOT_FOUND', message: `request ${created.id} does not exist` });
  });

  it('sent no Scan in the whole file: gets, puts, conditional updates and index Queries only', () => {
    expect(new Set(everything)).toEqual(new Set(['PutItemCommand', 'GetItemCommand', 'UpdateItemCommand', 'QueryCommand']));
  });
});
