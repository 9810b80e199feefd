import { describe, expect, it } from 'vitest';
import { person } from '../../support/callers.js';
import { policyAdmins } from '../../../src/http/access.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { parsePolicy } from '../../../src/policy/parse.js';
import type { LoadedPolicy, PolicySource } from '../../../src/policy/source.js';
import { caught } from '../../support/caught.js';

const NOW = new Date('2026-11-18T10:00:00Z');

function source(text: string | undefined): PolicySource & { reads: number } {
  const policy = parsePolicy(text ?? 'version: "1"\nrules: []\n');
  const loaded: LoadedPolicy = { policy, compiled: compilePolicy(policy), version: text === undefined ? 0 : 1 };
  const counting = { reads: 0, current: async () => (counting.reads++, loaded) };
  return counting;
}

const caller = person;

describe('policyAdmins', () => {
  it('lets a bootstrap admin in while no policy is stored (a new deployment)', async () => {
    const policies = source(undefined);
    await expect(policyAdmins(policies, ['root-admin']).require(caller('root-admin'), NOW, 'push')).resolves.toBeUndefined();
    expect(policies.reads).toBe(1);
  });

  it('refuses a bootstrap admin once the stored policy names an admin', async () => {
    const policies = source('version: "1"\nrules: []\nadmins: [ops-erin]\n');
    const error = await caught(policyAdmins(policies, ['root-admin']).require(caller('root-admin'), NOW, 'change the policy'));
    expect([error.code, error.message]).toEqual(['NOT_ADMIN', `only admins may change the policy; "root-admin" is not in the policy's admins`]);
    await expect(policyAdmins(policies, ['root-admin']).require(caller('ops-erin'), NOW, 'change the policy')).resolves.toBeUndefined();
  });
});
