/**
 * An in-memory RequestStore with the adapter's rules (each decision applies only to a
 * pending, unexpired request; approvals count distinct approvers; the requester never
 * approves), for the domain tests. The DynamoDB conditions themselves are tested on
 * DynamoDB Local (test/integration/requests.test.ts).
 */
import { SentinelError } from '../../../src/errors.js';
import { effectiveRequestStatus } from '../../../src/requests/types.js';
import type { AccessRequestRecord, ApprovalInput, ApprovalOutcome, RequestPage, RequestQuery, RequestStore } from '../../../src/requests/types.js';
import type { Grant } from '../../../src/vending/plan.js';

export class MemoryRequestStore implements RequestStore {
  readonly items = new Map<string, AccessRequestRecord>();
  readonly queries: RequestQuery[] = [];

  async create(request: AccessRequestRecord): Promise<void> {
    if (this.items.has(request.id)) throw new SentinelError('CONFLICT', `request ${request.id} already exists`);
    this.items.set(request.id, structuredClone(request));
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    const item = this.items.get(id);
    return item === undefined ? undefined : structuredClone(item);
  }

  async approve(input: ApprovalInput): Promise<ApprovalOutcome> {
    const item = this.#decidable(input.id, input.now);
    if (item.requester === input.approver) throw new SentinelError('NOT_OWNER', 'own request');
    if (item.approvals.some((approval) => approval.approver === input.approver)) throw new SentinelError('CONFLICT', `"${input.approver}" has already approved request ${item.id}`);
    item.approvals.push({ approver: input.approver, at: input.now, ...(input.comment === undefined ? {} : { comment: input.comment }) });
    const completed = item.approvals.length >= item.minApprovals;
    if (completed) Object.assign(item, { status: 'approved', decidedAt: input.now, windowEndsAt: input.completion.windowEndsAt, ttl: input.completion.ttl });
    return { request: structuredClone(item), completed };
  }

  async deny(input: { id: string; by: string; comment?: string; now: string }): Promise<AccessRequestRecord> {
    const item = this.#decidable(input.id, input.now);
    if (item.requester === input.by) throw new SentinelError('NOT_OWNER', 'own request');
    Object.assign(item, { status: 'denied', deniedBy: input.by, decidedAt: input.now, ...(input.comment === undefined ? {} : { denyComment: input.comment }) });
    return structuredClone(item);
  }

  async cancel(input: { id: string; requester: string; now: string }): Promise<AccessRequestRecord> {
    const item = this.items.get(input.id);
    if (item !== undefined && item.requester !== input.requester) throw new SentinelError('NOT_OWNER', `request ${input.id} is not yours: only its requester may cancel it`);
    const pending = this.#decidable(input.id, input.now);
    Object.assign(pending, { status: 'cancelled', decidedAt: input.now });
    return structuredClone(pending);
  }

  async list(query: RequestQuery): Promise<RequestPage> {
    this.queries.push(query);
    const partition = (item: AccessRequestRecord): string | undefined =>
      query.index === 'by-requester' ? item.requester : query.index === 'by-profile' ? item.profile : item.status === 'pending' ? item.profile : undefined;
    const start = typeof query.startKey?.id === 'string' ? query.startKey.id : undefined;
    let matching = [...this.items.values()]
      .filter((item) => partition(item) === query.key && (query.createdAfter === undefined || item.createdAt > query.createdAfter))
      .sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    if (start !== undefined) matching = matching.slice(matching.findIndex((item) => item.id === start) + 1);
    const kept = matching.filter(
      (item) =>
        (query.statuses === undefined || query.statuses.includes(effectiveRequestStatus(item, query.now))) &&
        (query.profile === undefined || item.profile === query.profile) &&
        (query.notRequestedBy === undefined || item.requester !== query.notRequestedBy) &&
        (query.notApprovedBy === undefined || !item.approvals.some((approval) => approval.approver === query.notApprovedBy)),
    );
    const page = kept.slice(0, query.limit).map((item) => structuredClone(item));
    const last = page[page.length - 1];
    return kept.length > query.limit && last !== undefined ? { requests: page, next: { id: last.id } } : { requests: page };
  }

  async approvedGrants(request: { user: string; profile: string; now: Date }): Promise<Grant[]> {
    const now = request.now.toISOString();
    return [...this.items.values()]
      .filter((item) => item.requester === request.user && item.profile === request.profile && item.status === 'approved' && (item.decidedAt ?? '') <= now && (item.windowEndsAt ?? '') > now)
      .map((item) => ({ kind: 'approval', id: item.id, endsAt: new Date(item.windowEndsAt as string) }));
  }

  #decidable(id: string, now: string): AccessRequestRecord {
    const item = this.items.get(id);
    if (item === undefined) throw new SentinelError('NOT_FOUND', `request ${id} does not exist`);
    const status = effectiveRequestStatus(item, now);
    if (status !== 'pending') throw new SentinelError('CONFLICT', `request ${id} is ${status}`);
    return item;
  }
}
