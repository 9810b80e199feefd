/**
 * `sentinel policy diff` through runPolicyDiff: the unified diff from the stored policy
 * (none yet counts as empty), no changes, `--exit-code`, JSON output, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyDiff } from '../../../../src/cli/commands/policyDiff.js';
import { denied, fakeApi, harness, outcome } from './harness.js';
import { SMALL, SMALL_WITH_BOB, patch, policyStore, scratch } from './policies.js';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({ 'policy.yaml': SMALL_WITH_BOB });
});
afterAll(() => files.remove());


describe('sentinel policy diff', () => {
  it('prints the unified diff from the stored version to the file, exit 0', async () => {
    const file = files.file('policy.yaml');
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyDiff({ file }, context));
    expect(result).toEqual({ code: 0, stdout: patch(file), stderr: '' });
  });

  it('exits 1 for differences with --exit-code', async () => {
    const file = files.file('policy.yaml');
    expect((await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyDiff({ file, exitCode: true }, context))).code).toBe(1);
  });

  it('says there are no changes, and exits 0 even with --exit-code', async () => {
    const file = files.file('policy.yaml');
    const h = harness(policyStore({ text: SMALL_WITH_BOB, version: 4 }).api);
    expect(await outcome(h, (context) => runPolicyDiff({ file, exitCode: true }, context))).toEqual({
      code: 0,
      stdout: `no changes: ${file} matches policy version 4\n`,
      stderr: '',
    });
  });

  it('diffs against an empty policy when none is stored yet', async () => {
    const file = files.file('policy.yaml');
    const result = await outcome(harness(policyStore().api), (context) => runPolicyDiff({ file }, context));
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual(['--- stored policy (none yet)', `+++ ${file}`, '@@ -0,0 +1,11 @@']);
  });

  it('prints { file, storedVersion, changed, patch } with --output json', async () => {
    const file = files.file('policy.yaml');
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api, { format: 'json' }), (context) => runPolicyDiff({ file }, context));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ file, storedVersion: 4, changed: true, patch: patch(file) });
  });

  it('reports a missing file before asking the API, exit 1', async () => {
    const missing = files.file('missing.yaml');
    const h = harness(policyStore({ text: SMALL, version: 4 }).api);
    expect(await outcome(h, (context) => runPolicyDiff({ file: missing }, context))).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: ${missing}: cannot read file: no such file or directory\n`,
    });
    expect(h.apiRequests()).toBe(0);
  });

  it('reports a denial as the error document on stdout with --output json, exit 3', async () => {
    const file = files.file('policy.yaml');
    const result = await outcome(harness(fakeApi({ getPolicy: async () => Promise.reject(denied()) }), { format: 'json' }), (context) => runPolicyDiff({ file }, context));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'POLICY_DENY', denial: { rule: 'prod-oncall' } } });
  });
});
