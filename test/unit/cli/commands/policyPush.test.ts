/**
 * `sentinel policy push` through runPolicyPush: local checks before the API, the diff
 * and the confirmation (terminal, no terminal, --yes), a push that lost a race, JSON
 * output, and a denial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyPush } from '../../../../src/cli/commands/policyPush.js';
import { denied, fakeApi, harness, outcome } from './harness.js';
import type { HarnessOptions } from './harness.js';
import type { PolicyStore } from './policies.js';
import { BAD, SMALL, SMALL_WITH_BOB, patch, policyStore, scratch } from './policies.js';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({ 'policy.yaml': SMALL_WITH_BOB, 'bad.yaml': BAD });
});
afterAll(() => files.remove());


const push = (store: PolicyStore, options: { file: string; yes?: boolean }, harnessOptions: HarnessOptions = {}) => {
  const h = harness(store.api, harnessOptions);
  return outcome(h, (context) => runPolicyPush(options, context)).then((result) => ({ ...result, apiRequests: h.apiRequests() }));
};

describe('sentinel policy push', () => {
  it('with --yes: shows the diff and pushes the file as the next version', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL, version: 4 });
    expect(await push(store, { file, yes: true })).toMatchObject({ code: 0, stdout: `${patch(file)}pushed ${file} as policy version 5\n`, stderr: '' });
    expect(store.pushed).toEqual([{ text: SMALL_WITH_BOB, expectedVersion: 4 }]);
  });

  it('asks on a terminal, and pushes on "y"', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL, version: 4 });
    const result = await push(store, { file }, { typed: 'y\n' });
    expect(result).toMatchObject({ code: 0, stdout: `${patch(file)}pushed ${file} as policy version 5\n`, stderr: 'Push this policy as version 5? [y/N] ' });
    expect(store.pushed).toHaveLength(1);
  });

  it('pushes nothing on any other answer, exit 1', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL, version: 4 });
    const result = await push(store, { file }, { typed: 'no\n' });
    expect(result).toMatchObject({ code: 1, stdout: patch(file), stderr: 'Push this policy as version 5? [y/N] sentinel: nothing pushed\n' });
    expect(store.pushed).toEqual([]);
  });

  it('refuses without --yes when stdin is not a terminal, after showing the diff', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL, version: 4 });
    expect(await push(store, { file })).toMatchObject({
      code: 1,
      stdout: patch(file),
      stderr: 'sentinel: nothing pushed: stdin is not a terminal, so no one can confirm; check the diff and run again with --yes to push it as version 5\n',
    });
    expect(store.calls).toEqual(['get']);
  });

  it('says so and pushes nothing when the file matches the stored policy', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL_WITH_BOB, version: 4 });
    expect(await push(store, { file, yes: true })).toMatchObject({ code: 0, stdout: `no changes: ${file} matches policy version 4; nothing pushed\n`, stderr: '' });
    expect(store.calls).toEqual(['get']);
  });

  it('refuses an invalid file with its errors, before asking the API anything', async () => {
    const bad = files.file('bad.yaml');
    const result = await push(policyStore({ text: SMALL, version: 4 }), { file: bad, yes: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(`sentinel: ${bad} is invalid, nothing pushed:`);
    expect(result.stderr).toContain(`${bad}:4:13: unknown effect "alow"`);
    expect(result.apiRequests).toBe(0);
  });

  it('refuses a missing file before asking the API anything', async () => {
    const missing = files.file('missing.yaml');
    expect(await push(policyStore({ text: SMALL, version: 4 }), { file: missing, yes: true })).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: ${missing}: cannot read file: no such file or directory\n`,
      apiRequests: 0,
    });
  });

  it('never overwrites a version someone else pushed meanwhile: says to diff again, exit 1', async () => {
    const file = files.file('policy.yaml');
    const store = policyStore({ text: SMALL, version: 4 }, 'version: "1"\nrules: []\n');
    const result = await push(store, { file, yes: true });
    expect(result).toMatchObject({
      code: 1,
      stdout: patch(file),
      stderr: `sentinel: the stored policy changed while you were pushing (now version 5): run sentinel policy diff ${file} again\n`,
    });
    expect(store.pushed).toEqual([]);
  });

  it('with --output json: the diff on stderr for whoever confirms, the result alone on stdout', async () => {
    const file = files.file('policy.yaml');
    const result = await push(policyStore({ text: SMALL, version: 4 }), { file, yes: true }, { format: 'json' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(patch(file));
    expect(JSON.parse(result.stdout)).toEqual({ version: 5, updatedAt: '2025-03-14T09:30:00.000Z' });
  });

  it('with --output json: the conflict as the error document, with the request id', async () => {
    const file = files.file('policy.yaml');
    const result = await push(policyStore({ text: SMALL, version: 4 }, 'version: "1"\nrules: []\n'), { file, yes: true }, { format: 'json' });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'CONFLICT', message: `the stored policy changed while you were pushing (now version 5): run sentinel policy diff ${file} again`, requestId: 'req-0c0ffee1' },
    });
  });

  it('reports a denial with its guidance, exit 3', async () => {
    const file = files.file('policy.yaml');
    const api = fakeApi({ getPolicy: async () => Promise.reject(denied()) });
    const h = harness(api);
    expect(await outcome(h, (context) => runPolicyPush({ file, yes: true }, context))).toEqual({
      code: 3,
      stdout: '',
      stderr: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod --justification "…"\n',
    });
  });
});
