/**
 * `sentinel policy validate` through runPolicyValidate: valid files on stdout, every
 * error as file:line:col on stderr, JSON output; the API is never needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyValidate } from '../../../../src/cli/commands/policyValidate.js';
import { fakeApi, harness, outcome } from './harness.js';
import { BAD, EXAMPLE, scratch } from './policies.js';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({ 'bad.yaml': BAD });
});
afterAll(() => files.remove());

describe('sentinel policy validate', () => {
  it('prints "FILE: valid" for a valid policy, exit 0, without the API', async () => {
    const h = harness(fakeApi({}));
    expect(await outcome(h, (context) => runPolicyValidate({ files: [EXAMPLE] }, context))).toEqual({ code: 0, stdout: `${EXAMPLE}: valid\n`, stderr: '' });
    expect(h.apiRequests()).toBe(0);
  });

  it('lists every error of every file, unreadable ones included, and exits 1', async () => {
    const bad = files.file('bad.yaml');
    const missing = files.file('missing.yaml');
    const result = await outcome(harness(fakeApi({})), (context) => runPolicyValidate({ files: [bad, EXAMPLE, missing] }, context));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${EXAMPLE}: valid\n`);
    const errors = result.stderr.split('\n');
    expect(errors[0]).toMatch(new RegExp(`^${bad}:4:13: unknown effect "alow"`));
    expect(errors[1]).toMatch(new RegExp(`^${bad}:10:14: unknown mode "serverr"`));
    expect(errors.slice(2)).toEqual([`${missing}: cannot read file: no such file or directory`, '']);
  });

  it('prints { files: [{ file, valid, errors }] } with --output json, and nothing on stderr', async () => {
    const bad = files.file('bad.yaml');
    const result = await outcome(harness(fakeApi({}), { format: 'json' }), (context) => runPolicyValidate({ files: [EXAMPLE, bad] }, context));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout) as { files: { file: string; valid: boolean; errors: { line: number; col: number; path: string }[] }[] };
    expect(output.files.map((file) => [file.file, file.valid, file.errors.length])).toEqual([
      [EXAMPLE, true, 0],
      [bad, false, 2],
    ]);
    expect(output.files[1]?.errors[0]).toMatchObject({ line: 4, col: 13, path: 'rules[0].effect' });
  });
});
