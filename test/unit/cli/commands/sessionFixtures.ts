/**
 * Sessions as the API shows them (SessionView), for the `sentinel sessions` tests.
 */
import type { SessionView } from '../../../../src/api/contract.js';
import { ACCOUNT } from './harness.js';

/** A server-mode session of alice for prod, started 2025-03-14T09:00:00Z. */
export function session(overrides: Partial<SessionView> = {}): SessionView {
  return {
    id: '0123456789abcdef0123456789abcdef',
    table: 'sentinel-sessions',
    user: 'alice',
    callerArn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/alice`,
    accountId: ACCOUNT,
    profile: 'prod',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/sentinel-prod-operator`,
    mode: 'server',
    status: 'active',
    sourceIdentity: 'sentinel.alice.direct.4973b874',
    createdAt: '2025-03-14T09:00:12.345Z',
    lastAccessAt: '2025-03-14T09:29:59.999Z',
    expiresAt: '2025-03-14T09:45:12.000Z',
    requestCount: 17,
    ttl: 1749893112,
    ...overrides,
  };
}

/** A session id made of one repeated hex digit: `id('a')` is 32 a's. */
export function id(digit: string): string {
  return digit.repeat(32);
}
