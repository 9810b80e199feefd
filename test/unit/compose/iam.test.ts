/**
 * The identity-role verifier of every function's stack (src/compose/iam.ts): IAM behind
 * the per-instance cache, its client loaded on the first lookup. IAM is aws-sdk-client-mock.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IdentityRoleVerifier } from '../../../src/identity/types.js';

const iam = mockClient(IAMClient);
const OWN = '111122223333';
const ROLE = 'AWSReservedSSO_Engineer_5c1f0e9a7b3d2468';
const ROLE_ID = 'AROAENGINEERROLE0001';

/** A fresh module graph (so src/aws/iam.js is not loaded yet) and a verifier of a runtime with the lookup `iam` or `none`. */
async function freshVerifier(lookup: 'iam' | 'none'): Promise<IdentityRoleVerifier> {
  vi.resetModules();
  const { identityRoleVerifier } = await import('../../../src/compose/iam.js');
  const { createRuntime } = await import('../../../src/compose/runtime.js');
  const { loadConfig } = await import('../../../src/config.js');
  const config = loadConfig({ AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: OWN, SENTINEL_IDENTITY_ROLE_LOOKUP: lookup });
  const runtime = createRuntime(config, { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }) });
  const verifier = identityRoleVerifier(runtime);
  expect(identityRoleVerifier(runtime)).toBe(verifier);
  return verifier;
}

beforeEach(() => {
  iam.reset();
  iam.on(GetRoleCommand, { RoleName: ROLE }).resolves({
    Role: { Path: '/aws-reserved/sso.amazonaws.com/', RoleName: ROLE, RoleId: ROLE_ID, Arn: `arn:aws:iam::${OWN}:role/aws-reserved/sso.amazonaws.com/${ROLE}`, CreateDate: new Date('2026-01-01T00:00:00Z') },
  });
});

afterEach(() => {
  vi.doUnmock('../../../src/aws/iam.js');
});

describe('identityRoleVerifier', () => {
  it('asks IAM on the first lookup, once for concurrent lookups of one role, and keeps the answer', async () => {
    const verifier = await freshVerifier('iam');
    expect(iam.calls()).toHaveLength(0);
    expect(await Promise.all([verifier.isIdentityRole(OWN, ROLE, ROLE_ID), verifier.isIdentityRole(OWN, ROLE, ROLE_ID)])).toEqual([true, true]);
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(true);
    expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: ROLE }]);
    // A role that was recreated (another unique id) is not the one the session belongs to.
    expect(await verifier.isIdentityRole(OWN, ROLE, 'AROARECREATEDROLE001')).toBe(false);
  });

  it('fails the lookup when the IAM module cannot be loaded, and loads it again on the next lookup', async () => {
    let loads = 0;
    vi.doMock('../../../src/aws/iam.js', async (importOriginal) => {
      loads += 1;
      if (loads === 1) throw new Error('chunk missing');
      return importOriginal();
    });
    const verifier = await freshVerifier('iam');
    // Nobody passes as a person unverified: the question fails, it is not answered "no" or "yes".
    await expect(verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).rejects.toThrow();
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(true);
    expect(loads).toBe(2);
  });

  it('with the lookup off never asks IAM: only pinned roles make people', async () => {
    const verifier = await freshVerifier('none');
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(false);
    expect(iam.calls()).toHaveLength(0);
  });
});
