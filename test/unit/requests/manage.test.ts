/**
 * The access-request domain (src/requests/manage.ts) on an in-memory store: who may
 * approve, deny, cancel and see a request under the current policy, the quorum, the
 * window starting at the completing approval, the listings (and which index each reads),
 * the audit log lines and the events announced.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import type { SentinelEvent } from '../../../src/notify/events.js';
import { fanOut } from '../../../src/notify/notifier.js';
import type { LoadedPolicy } from '../../../src/policy/source.js';
import { approveRequest, cancelRequest, createRequest, denyRequest, listRequests, showRequest } from '../../../src/requests/manage.js';
import type { RequestDeps } from '../../../src/requests/manage.js';
import { cursorCodec, cursorKey } from '../../../src/sessions/cursor.js';
import { EXAMPLE_POLICY, loaded } from '../vending/fakes.js';
import { MemoryRequestStore } from './fakes.js';

const T0 = new Date('2025-03-14T09:30:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const caller = (user: string): Caller => ({ user, arn: `arn:aws:iam::000000000000:user/${user}`, accountId: '000000000000', kind: 'person', principal: `person/${user}` });
const JUSTIFICATION = 'INC-4711: rotate the leaked deploy key';

let store: MemoryRequestStore;
let policy: LoadedPolicy;
let deps: RequestDeps;
let events: SentinelEvent[];
let logged: Array<[string, Record<string, unknown>]>;
let ids: number;

beforeEach(() => {
  store = new MemoryRequestStore();
  policy = loaded();
  events = [];
  logged = [];
  ids = 0;
  deps = {
    requests: store,
    policies: { current: async () => policy },
    bootstrapAdmins: [],
    settings: { defaultSessionTable: 'sentinel-sessions', auditRetentionSeconds: 7_776_000 },
    cursors: cursorCodec(cursorKey(undefined)),
    randomHex: () => (ids += 1).toString(16).padStart(32, '0'),
    log: { info: (message, fields) => void logged.push([message, fields]) },
    notifier: { publish: async (event) => void events.push(event) },
  };
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SentinelError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

const ask = (user: string, profile: string, minutes = 0) => createRequest({ profile, justification: JUSTIFICATION }, caller(user), at(minutes), deps);

describe('a request and its decisions', () => {
  it('bob approves alice\'s request: approved, the window from the approval, logged and announced with the command that works', async () => {
    const created = await ask('alice', 'prod-admin');
    expect(events.map((event) => [event.type, event.actor, event.command])).toEqual([['request.created', 'alice', `sentinel approve ${created.id}`]]);
    const approved = await approveRequest(created.id, { comment: 'go' }, caller('bob'), at(7), deps);
    expect(approved).toMatchObject({ status: 'approved', decidedAt: at(7).toISOString(), windowEndsAt: at(67).toISOString(), approvals: [{ approver: 'bob', comment: 'go' }] });
    expect(events[1]).toEqual({
      type: 'request.approved',
      at: at(7).toISOString(),
      actor: 'bob',
      id: created.id,
      profile: 'prod-admin',
      user: 'alice',
      summary: "alice's request for prod-admin was approved by bob",
      command: 'sentinel exec --profile prod-admin -- <cmd>',
      details: { justification: JUSTIFICATION, windowEndsAt: at(67).toISOString(), comment: 'go' },
    });
    expect(logged.map(([message]) => message)).toEqual(['access request created', 'access request approved']);
    expect(logged[0]?.[1]).toMatchObject({ request: created.id, requester: 'alice', principal: 'person/alice', profile: 'prod-admin', status: 'pending', policyVersion: 1 });
    expect(await store.approvedGrants({ user: 'alice', profile: 'prod-admin', now: at(8) })).toEqual([{ kind: 'approval', id: created.id, endsAt: at(67) }]);
  });

  it('a webhook that fails never blocks or undoes a transition: the request is approved, the failure logged', async () => {
    const warnings: string[] = [];
    deps.notifier = fanOut([{ name: 'webhook', send: async () => Promise.reject(new Error('receiver down')) }], { warn: (message) => void warnings.push(message) });
    const created = await ask('alice', 'prod-admin');
    const approved = await approveRequest(created.id, {}, caller('bob'), at(1), deps);
    expect(approved.status).toBe('approved');
    expect((await store.get(created.id))?.status).toBe('approved');
    expect(warnings).toEqual(['could not deliver a notification; the change it announces stands', 'could not deliver a notification; the change it announces stands']);
  });

  it('min_approvals 2 (billing): the first approval is recorded, not announced; the second approves', async () => {
    const created = await ask('alice', 'billing');
    expect(await approveRequest(created.id, {}, caller('iam:erin'), at(1), deps)).toMatchObject({ status: 'pending', approvals: [{ approver: 'iam:erin' }] });
    expect(logged.at(-1)?.[0]).toBe('access request approval recorded');
    expect(events.map((event) => event.type)).toEqual(['request.created']);
    expect(await approveRequest(created.id, {}, caller('admin'), at(9), deps)).toMatchObject({ status: 'approved', decidedAt: at(9).toISOString(), windowEndsAt: at(69).toISOString() });
    expect(events.map((event) => event.type)).toEqual(['request.created', 'request.approved']);
  });

  it('the requester may not approve or deny their own request; someone the policy does not name may not either', async () => {
    const created = await ask('bob', 'billing');
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(1), deps))).toEqual({ code: 'NOT_OWNER', message: `"bob" may not approve their own request ${created.id}` });
    expect(await refusal(denyRequest(created.id, {}, caller('bob'), at(1), deps))).toEqual({ code: 'NOT_OWNER', message: `"bob" may not deny their own request ${created.id}: cancel it (sentinel cancel ${created.id})` });
    expect(await refusal(approveRequest(created.id, {}, caller('alice'), at(1), deps))).toEqual({
      code: 'NOT_OWNER',
      message: '"alice" may not approve requests for profile "billing": only the approvers its approval rules name may',
    });
    expect(await refusal(approveRequest('f'.repeat(32), {}, caller('admin'), at(1), deps))).toEqual({ code: 'NOT_FOUND', message: `request ${'f'.repeat(32)} does not exist` });
  });

  it('approvers are those of the policy in force when they decide', async () => {
    const created = await ask('alice', 'prod-admin');
    // bob is taken off prod-admin's approvers: his approval is refused at once.
    policy = loaded(EXAMPLE_POLICY.replace('approvers: [bob]\n    max_duration: 1h', 'approvers: [iam:erin]\n    max_duration: 1h'), 2);
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(1), deps))).toMatchObject({ code: 'NOT_OWNER' });
    expect(await approveRequest(created.id, {}, caller('iam:erin'), at(2), deps)).toMatchObject({ status: 'approved' });
  });

  it('one denial ends it, with who and why; announced', async () => {
    const created = await ask('alice', 'billing');
    await approveRequest(created.id, {}, caller('bob'), at(1), deps);
    expect(await denyRequest(created.id, { comment: 'not during the freeze' }, caller('admin'), at(2), deps)).toMatchObject({ status: 'denied', deniedBy: 'admin', denyComment: 'not during the freeze', decidedAt: at(2).toISOString() });
    expect(events.at(-1)).toMatchObject({ type: 'request.denied', actor: 'admin', user: 'alice', details: { comment: 'not during the freeze' } });
    expect(await refusal(approveRequest(created.id, {}, caller('iam:erin'), at(3), deps))).toMatchObject({ code: 'CONFLICT' });
  });

  it('the requester cancels a pending request; nobody else may', async () => {
    const created = await ask('alice', 'prod-admin');
    expect(await refusal(cancelRequest(created.id, caller('bob'), at(1), deps))).toMatchObject({ code: 'NOT_OWNER' });
    expect(await cancelRequest(created.id, caller('alice'), at(1), deps)).toMatchObject({ status: 'cancelled', decidedAt: at(1).toISOString() });
    expect(events.at(-1)).toMatchObject({ type: 'request.cancelled', actor: 'alice' });
  });

  it('an expired request reads expired and takes no decision', async () => {
    const created = await ask('alice', 'prod-admin');
    expect(await showRequest(created.id, caller('alice'), at(24 * 60), deps)).toMatchObject({ status: 'expired' });
    expect(await refusal(approveRequest(created.id, {}, caller('bob'), at(24 * 60), deps))).toMatchObject({ code: 'CONFLICT' });
  });

  it('show: the requester, an approver of the profile and an admin see it; to anyone else it does not exist', async () => {
    const created = await ask('alice', 'prod-admin');
    for (const who of ['alice', 'bob', 'admin']) expect((await showRequest(created.id, caller(who), at(1), deps)).id).toBe(created.id);
    for (const who of ['iam:erin', 'carol']) expect(await refusal(showRequest(created.id, caller(who), at(1), deps))).toEqual({ code: 'NOT_FOUND', message: `request ${created.id} does not exist` });
  });
});

describe('listings', () => {
  it('mine reads the requester\'s partition; approvable the pending index of each profile the caller approves, never their own, none approved already', async () => {
    const forAdmin = await ask('alice', 'prod-admin', 0);
    const forBilling = await ask('alice', 'billing', 1);
    const bobsOwn = await ask('bob', 'billing', 2);
    await approveRequest(forBilling.id, {}, caller('iam:erin'), at(3), deps);

    expect((await listRequests({}, caller('alice'), at(5), deps)).requests.map((request) => request.id)).toEqual([forBilling.id, forAdmin.id]);
    expect(store.queries.at(-1)).toMatchObject({ index: 'by-requester', key: 'alice' });

    store.queries.length = 0;
    // bob approves both profiles; his own billing request is not his to approve.
    expect((await listRequests({ scope: 'approvable' }, caller('bob'), at(5), deps)).requests.map((request) => request.id)).toEqual([forBilling.id, forAdmin.id]);
    expect(store.queries.map((query) => [query.index, query.key, query.notRequestedBy, query.notApprovedBy, query.createdAfter])).toEqual([
      ['by-pending', 'billing', 'bob', 'bob', at(5 - 24 * 60).toISOString()],
      ['by-pending', 'prod-admin', 'bob', 'bob', at(5 - 24 * 60).toISOString()],
    ]);
    // iam:erin approved alice's billing request already: only bob's is left for her.
    expect((await listRequests({ scope: 'approvable' }, caller('iam:erin'), at(5), deps)).requests.map((request) => request.id)).toEqual([bobsOwn.id]);
    // alice approves nothing.
    expect(await listRequests({ scope: 'approvable' }, caller('alice'), at(5), deps)).toEqual({ requests: [] });
    expect(await refusal(listRequests({ scope: 'approvable', status: 'approved' }, caller('bob'), at(5), deps))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('approvable pages across profiles with one cursor', async () => {
    const made = [await ask('alice', 'billing', 0), await ask('iam:erin', 'billing', 1), await ask('alice', 'prod-admin', 2), await ask('carol', 'prod-admin', 3)];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listRequests({ scope: 'approvable', limit: 1, ...(cursor === undefined ? {} : { cursor }) }, caller('bob'), at(10), deps);
      seen.push(...page.requests.map((request) => request.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    // Profiles in name order, each newest first.
    expect(seen).toEqual([made[1]!.id, made[0]!.id, made[3]!.id, made[2]!.id]);
  });

  it('all is for admins, for one profile', async () => {
    const created = await ask('alice', 'prod-admin');
    expect((await listRequests({ scope: 'all', profile: 'prod-admin' }, caller('admin'), at(1), deps)).requests.map((request) => request.id)).toEqual([created.id]);
    expect(store.queries.at(-1)).toMatchObject({ index: 'by-profile', key: 'prod-admin' });
    expect(await refusal(listRequests({ scope: 'all', profile: 'prod-admin' }, caller('bob'), at(1), deps))).toMatchObject({ code: 'NOT_ADMIN' });
    expect(await refusal(listRequests({ scope: 'all' }, caller('admin'), at(1), deps))).toEqual({ code: 'INVALID_REQUEST', message: 'name a profile: listing every request would need a Scan of the table' });
  });
});
