/**
 * The issuance pipeline on the real adapters against DynamoDB Local: what lands in the
 * session table, refresh, revoke, STS failure, and refresh racing a revoke. Only STS is
 * replaced (by an issuer the test controls).
 */

import { person } from '../support/callers.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CredentialsRequest } from '../../src/api/contract.js';
import type { SentinelConfig } from '../../src/config.js';
import { SentinelError, UnavailableError } from '../../src/errors.js';
import { vendingDeps } from '../../src/compose/credentials.js';
import { policyStore } from '../../src/compose/dynamo.js';
import { createRuntime } from '../../src/compose/runtime.js';
import type { VendingDeps } from '../../src/vending/issue.js';
import type { CredentialIssuer, IssueInput } from '../../src/vending/ports.js';
import { vendCredentials } from '../../src/vending/issue.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';
import { parsePolicy } from '../../src/policy/parse.js';

const POLICY = readFileSync(new URL('../../examples/policy.yaml', import.meta.url), 'utf8');
const alice = person('alice');

/** STS stand-in: counts calls, can fail, can run something while "STS" answers. */
class ControlledIssuer implements CredentialIssuer {
  readonly kind = 'sts' as const;
  calls: IssueInput[] = [];
  fail = false;
  during: ((call: number) => Promise<void>) | undefined;

  async issue(input: IssueInput) {
    const call = this.calls.push(input);
    await this.during?.(call);
    if (this.fail) throw new UnavailableError('could not assume the role');
    return { accessKeyId: `ASIATEST${call}`, secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(Date.now() + input.durationSeconds * 1000) };
  }
}

let sessionsTable: string;
let configTable: string;

beforeAll(async () => {
  [sessionsTable, configTable] = await Promise.all([createTestTable('sessions'), createTestTable('config')]);
});

async function setup(): Promise<{ deps: VendingDeps; issuer: ControlledIssuer }> {
  const config: SentinelConfig = {
    region: 'us-east-1',
    accountId: '000000000000',
    configTable,
    requestsTable: 'sentinel-requests',
    breakglassTable: 'sentinel-breakglass',
    notifications: {},
    defaultSessionTable: sessionsTable,
    tablePrefix: 'sentinel-',
    identity: { ownAccountId: '000000000000', identityRolePatterns: ['AWSReservedSSO_*'], allowedAccounts: ['000000000000'], allowedOrganizations: [], identityRoles: [], identityRoleLookup: false },
    policyTtlSeconds: 0,
    rateLimit: { requests: 1000, windowSeconds: 60 },
    maxSessionLifetimeSeconds: 12 * 3600,
    auditRetentionSeconds: 90 * 86_400,
    bootstrapAdmins: [],
    issuer: 'sts',
    dynamodbEndpoint: dynamodbEndpoint(),
  };
  const issuer = new ControlledIssuer();
  const runtime = createRuntime(config, { issuer, logger: new Logger({ logLevel: 'SILENT' }), dynamodbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const store = policyStore(runtime);
  if ((await store.current()) === undefined) await store.put({ text: POLICY, policy: parsePolicy(POLICY) }, 0, 'test', new Date());
  return { deps: vendingDeps(runtime), issuer };
}

function vend(deps: VendingDeps, request: CredentialsRequest) {
  return vendCredentials(request, { caller: alice, requestId: 'req', receivedAt: new Date() }, deps);
}

async function items(): Promise<Array<Record<string, unknown>>> {
  const output = await testClients().documents.send(new ScanCommand({ TableName: sessionsTable, ConsistentRead: true }));
  return output.Items ?? [];
}

async function item(id: string): Promise<Record<string, unknown> | undefined> {
  return (await items()).find((entry) => entry.id === id);
}

async function revoke(id: string): Promise<void> {
  // As an admin's revoke will write it (a later issue): status, who, why, when; out of the active index.
  await testClients().documents.send(
    new UpdateCommand({
      TableName: sessionsTable,
      Key: { id },
      UpdateExpression: 'SET #status = :revoked, revoked_by = :by, revoked_reason = :why, revoked_at = :at REMOVE active_user',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':revoked': 'revoked', ':by': 'admin', ':why': 'laptop lost', ':at': new Date().toISOString() },
    }),
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'issued';
  } catch (error) {
    if (error instanceof SentinelError) return error.code;
    throw error;
  }
}

describe('issuance against DynamoDB Local', () => {
  it('one issuance writes exactly one session item with the fields of DESIGN.md', async () => {
    const { deps } = await setup();
    const before = (await items()).length;
    const response = await vend(deps, { profile: 'prod', mode: 'server' });
    const all = await items();
    expect(all).toHaveLength(before + 1);
    const stored = all.find((entry) => entry.id === response.session?.id);
    expect(Object.keys(stored ?? {}).sort()).toEqual(
      ['account_id', 'active_user', 'caller_arn', 'created_at', 'expires_at', 'id', 'last_access_at', 'mode', 'profile', 'request_count', 'role_arn', 'source_identity', 'status', 'ttl', 'user'].sort(),
    );
    expect(stored).toMatchObject({
      user: 'alice',
      caller_arn: alice.arn,
      account_id: '000000000000',
      profile: 'prod',
      role_arn: 'arn:aws:iam::111122223333:role/sentinel-prod-operator',
      mode: 'server',
      status: 'active',
      source_identity: response.sourceIdentity,
      expires_at: response.credentials.expiration,
      request_count: 1,
      active_user: 'alice',
    });
    // TTL: the credentials' expiry plus 90 days of audit retention.
    expect(stored?.ttl).toBe(Math.floor(Date.parse(response.credentials.expiration) / 1000) + 90 * 86_400);
  });

  it('a refresh bumps the same item; a revoke written in the table refuses the next refresh', async () => {
    const { deps, issuer } = await setup();
    const first = await vend(deps, { profile: 'prod', mode: 'server' });
    const id = first.session?.id ?? '';
    const again = await vend(deps, { profile: 'prod', mode: 'server', sessionId: id, sessionTable: sessionsTable });
    expect(again.session?.id).toBe(id);
    expect(await item(id)).toMatchObject({ request_count: 2, status: 'active', expires_at: again.credentials.expiration });

    await revoke(id);
    expect(await codeOf(vend(deps, { profile: 'prod', mode: 'server', sessionId: id }))).toBe('SESSION_REVOKED');
    expect(issuer.calls).toHaveLength(2);
    expect(await item(id)).toMatchObject({ status: 'revoked', request_count: 2 });
  });

  it('an STS failure leaves a failed item and issues no credentials', async () => {
    const { deps, issuer } = await setup();
    issuer.fail = true;
    const before = new Set((await items()).map((entry) => entry.id));
    expect(await codeOf(vend(deps, { profile: 'dev', mode: 'cli' }))).toBe('UNAVAILABLE');
    const added = (await items()).filter((entry) => !before.has(entry.id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ status: 'failed', profile: 'dev' });
    expect(added[0]).not.toHaveProperty('active_user');
  });

  it('refreshes racing a revoke: none whose STS call returned after the revoke was written gets credentials', async () => {
    const { deps, issuer } = await setup();
    const first = await vend(deps, { profile: 'prod', mode: 'server' });
    const id = first.session?.id ?? '';
    let revokedAt = Number.POSITIVE_INFINITY;
    const returnedAt = new Map<number, number>();
    issuer.during = async (call) => {
      // The sixth STS call is where the admin's revoke lands; the others take a moment each.
      if (call === 6) {
        await revoke(id);
        revokedAt = performance.now();
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5 * (call % 4)));
      }
      returnedAt.set(call, performance.now());
    };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const callsBefore = issuer.calls.length;
        const code = await codeOf(vend(deps, { profile: 'prod', mode: 'server', sessionId: id }));
        return { code, callsBefore };
      }),
    );
    const codes = outcomes.map((outcome) => outcome.code);
    expect(codes.every((code) => code === 'issued' || code === 'SESSION_REVOKED')).toBe(true);
    expect(codes).toContain('SESSION_REVOKED');
    // Every STS call that returned after the revoke was written must have ended refused:
    // the count of issued refreshes is at most the calls that returned before it.
    const returnedBefore = [...returnedAt.entries()].filter(([call, at]) => call !== 1 && at < revokedAt).length;
    expect(codes.filter((code) => code === 'issued').length).toBeLessThanOrEqual(returnedBefore);
    expect(await item(id)).toMatchObject({ status: 'revoked' });
  });
});
