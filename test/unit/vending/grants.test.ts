/**
 * Grants in issuance and the re-check (src/vending/issue.ts, check.ts): an approved
 * request or an active break-glass event lifts a `require_approval` or deny of the
 * example policy's prod-admin, read only when the policy refuses; the server-mode
 * requirements are never lifted; a failing grant source fails closed.
 */

import { describe, expect, it } from 'vitest';
import type { CredentialsRequest } from '../../../src/api/contract.js';
import { UnavailableError } from '../../../src/errors.js';
import type { Caller } from '../../../src/identity/types.js';
import { checkSession } from '../../../src/vending/check.js';
import { vendCredentials } from '../../../src/vending/issue.js';
import type { Grant } from '../../../src/vending/plan.js';
import { person } from '../../support/callers.js';
import { caught } from '../../support/caught.js';
import { harness } from './fakes.js';
import type { Harness } from './fakes.js';

const alice: Caller = person('alice');
const REQUEST_ID = 'abcdef0123456789abcdef0123456789';
const EVENT_ID = '0badc0de0123456789abcdef01234567';

/** A harness whose grant source answers `grants` and records every read. */
function withGrants(grants: Grant[] | Error): Harness & { reads: Array<{ user: string; profile: string }> } {
  const h = harness();
  const reads: Array<{ user: string; profile: string }> = [];
  h.deps.grants = {
    grantsFor: async ({ user, profile }) => {
      reads.push({ user, profile });
      if (grants instanceof Error) throw grants;
      return grants;
    },
  };
  return Object.assign(h, { reads });
}

function vend(h: Harness, request: CredentialsRequest) {
  return vendCredentials(request, { caller: alice, requestId: 'req-1', receivedAt: h.clock.time }, h.deps);
}

const inMinutes = (h: Harness, minutes: number) => new Date(h.clock.time.getTime() + minutes * 60_000);

describe('issuance under a grant', () => {
  it('an approved request lifts require_approval: apr-<8 hex> in the SourceIdentity and the decision line, which names the request', async () => {
    const h = withGrants([]);
    h.deps.grants = { grantsFor: async () => [{ kind: 'approval', id: REQUEST_ID, endsAt: inMinutes(h, 45) }] };
    const response = await vend(h, { profile: 'prod-admin', mode: 'cli' });
    expect(response.sourceIdentity).toBe('sentinel.alice.apr-abcdef01.00000001');
    // Capped to what is left of the window: 45 minutes, not the profile's hour.
    expect(h.issuer.calls[0]?.durationSeconds).toBe(45 * 60);
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', effect: 'allow', via: 'apr-abcdef01', reason: `approved request ${REQUEST_ID}`, rule: 'prod-admin-approval' });
  });

  it('an active break-glass event lifts it with bg-<8 hex>', async () => {
    const h = withGrants([]);
    h.deps.grants = { grantsFor: async () => [{ kind: 'breakglass', id: EVENT_ID, endsAt: inMinutes(h, 30) }] };
    const response = await vend(h, { profile: 'prod-admin', mode: 'cli' });
    expect(response.sourceIdentity).toBe('sentinel.alice.bg-0badc0de.00000001');
    expect(h.lines[0]).toMatchObject({ outcome: 'issued', via: 'bg-0badc0de' });
  });

  it('less than 900 s left in the window is a clear refusal, not an STS error', async () => {
    const h = withGrants([{ kind: 'approval', id: REQUEST_ID, endsAt: new Date(Date.parse('2026-11-18T10:10:00Z')) }]);
    const error = await caught(vend(h, { profile: 'prod-admin', mode: 'cli' }));
    expect(error.message).toMatch(/900|15 minutes|window/);
    expect(h.issuer.calls).toHaveLength(0);
  });

  it('reads grants only for the refused user and profile, never for an allowed issuance', async () => {
    const h = withGrants([]);
    await vend(h, { profile: 'dev', mode: 'cli' });
    expect(h.reads).toEqual([]);
    expect((await caught(vend(h, { profile: 'prod-admin', mode: 'cli' }))).code).toBe('APPROVAL_REQUIRED');
    expect(h.reads).toEqual([{ user: 'alice', profile: 'prod-admin' }]);
  });

  it('never lifts the server-mode requirements, and does not even ask', async () => {
    const h = withGrants([{ kind: 'approval', id: REQUEST_ID, endsAt: new Date('2026-11-18T12:00:00Z') }]);
    expect((await caught(vend(h, { profile: 'staging', mode: 'cli' }))).code).toBe('SERVER_MODE_REQUIRED');
    expect((await caught(vend(h, { profile: 'prod', mode: 'cli' }))).code).toBe('SERVER_SESSION_REQUIRED');
    expect(h.reads).toEqual([]);
    expect(h.issuer.calls).toHaveLength(0);
  });

  it('a grant source that fails fails the request closed: UNAVAILABLE, nothing issued', async () => {
    const h = withGrants(new UnavailableError('the requests table is unavailable', { retryAfterSeconds: 1 }));
    const error = await caught(vend(h, { profile: 'prod-admin', mode: 'cli' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(h.issuer.calls).toHaveLength(0);
    expect(h.lines[0]).toMatchObject({ outcome: 'UNAVAILABLE' });
  });
});

describe('the re-check under a grant', () => {
  it('keeps a server session of an approved request allowed while the window is open, and refuses it after', async () => {
    const h = withGrants([]);
    let endsAt = inMinutes(h, 60);
    h.deps.grants = { grantsFor: async () => [{ kind: 'approval', id: REQUEST_ID, endsAt }] };
    const first = await vend(h, { profile: 'prod-admin', mode: 'server' });
    const id = first.session?.id as string;
    h.clock.time = inMinutes(h, 5);
    expect((await checkSession(id, { profile: 'prod-admin' }, alice, h.deps)).decision).toEqual({ effect: 'allow', rule: 'prod-admin-approval' });
    // The window closes (or the request is gone): the next re-check is the policy's refusal.
    endsAt = h.clock.time;
    expect((await caught(checkSession(id, { profile: 'prod-admin' }, alice, h.deps))).code).toBe('APPROVAL_REQUIRED');
  });
});
