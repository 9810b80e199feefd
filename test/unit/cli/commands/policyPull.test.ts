/**
 * `sentinel policy pull` through runPolicyPull: the text exactly as stored, the version
 * on stderr, `--file`, JSON output, and the refusals an ordinary user or a bad path meet.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyPull } from '../../../../src/cli/commands/policyPull.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { denied, fakeApi, harness, outcome } from './harness.js';
import { policyStore, scratch, SMALL, UPDATED_AT } from './policies.js';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({});
});
afterAll(() => files.remove());

describe('sentinel policy pull', () => {
  it('prints the stored text exactly, and the version on stderr', async () => {
    const h = harness(policyStore({ text: SMALL, version: 4 }).api);
    expect(await outcome(h, (context) => runPolicyPull({}, context))).toEqual({
      code: 0,
      stdout: SMALL,
      stderr: `policy version 4 (updated ${UPDATED_AT} by ops-erin)\n`,
    });
  });

  it('writes the text to --file instead of stdout', async () => {
    const file = files.file('pulled.yaml');
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file }, context));
    expect(result).toEqual({ code: 0, stdout: '', stderr: `policy version 4 (updated ${UPDATED_AT} by ops-erin)\n` });
    expect(await readFile(file, 'utf8')).toBe(SMALL);
  });

  it('prints the whole answer as JSON with --output json, and nothing on stderr', async () => {
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api, { format: 'json' }), (context) => runPolicyPull({}, context));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ text: SMALL, version: 4, updatedAt: UPDATED_AT, updatedBy: 'ops-erin' });
  });

  it('reports a file it cannot write in plain words, exit 1', async () => {
    const file = files.file('no-such-directory/pulled.yaml');
    expect(await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file }, context))).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: ${file}: cannot write file: no such directory\n`,
    });
  });

  it('passes on the API refusing an ordinary user, exit 1', async () => {
    const api = fakeApi({ getPolicy: async () => Promise.reject(new ApiError('NOT_ADMIN', 'only admins may read the stored policy', { status: 403 })) });
    expect(await outcome(harness(api), (context) => runPolicyPull({}, context))).toEqual({ code: 1, stdout: '', stderr: 'sentinel: only admins may read the stored policy\n' });
  });

  it('reports a denial with its guidance, exit 3', async () => {
    const api = fakeApi({ getPolicy: async () => Promise.reject(denied()) });
    const result = await outcome(harness(api), (context) => runPolicyPull({}, context));
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod\n',
    });
  });
});
