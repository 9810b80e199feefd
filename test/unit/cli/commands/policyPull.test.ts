/**
 * `sentinel policy pull` through runPolicyPull: the text exactly as stored, the version
 * on stderr, `--file` (private, never through a symlink, replaced atomically), JSON
 * output, and the refusals an ordinary user or a bad path meet.
 */
import { chmod, link, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

  it('writes --file readable by the owner only (0600), also when it replaces a world-readable file', async () => {
    const fresh = files.file('fresh.yaml');
    const existing = files.file('existing.yaml');
    await writeFile(existing, 'old text\n');
    await chmod(existing, 0o644);
    for (const file of [fresh, existing]) {
      const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file }, context));
      expect(result.code).toBe(0);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toBe(SMALL);
    }
  });

  it('refuses to write through a symlink planted at --file, and writes nothing anywhere', async () => {
    const dir = files.file('planted');
    await mkdir(dir);
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'do not touch\n');
    const link = path.join(dir, 'pulled.yaml');
    await symlink(victim, link);
    const dangling = path.join(dir, 'dangling.yaml');
    await symlink(path.join(dir, 'would-be-created'), dangling);
    for (const file of [link, dangling]) {
      expect(await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file }, context))).toEqual({
        code: 1,
        stdout: '',
        stderr: `sentinel: ${file}: cannot write file: it is a symbolic link, and the policy is never written through one; remove the link or choose another file\n`,
      });
      expect((await lstat(file)).isSymbolicLink()).toBe(true);
    }
    expect(await readFile(victim, 'utf8')).toBe('do not touch\n');
    expect(await readlink(link)).toBe(victim);
    expect((await readdir(dir)).sort()).toEqual(['dangling.yaml', 'pulled.yaml', 'victim']);
  });

  it('reports the refusal with its code in JSON', async () => {
    const file = files.file('planted-json.yaml');
    await symlink(files.file('elsewhere'), file);
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api, { format: 'json' }), (context) => runPolicyPull({ file }, context));
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'CANNOT_WRITE_FILE' } });
  });

  it('replaces the file in one step: a new file renamed over the old, no temporary file left behind', async () => {
    const dir = files.file('atomic');
    await mkdir(dir);
    const file = path.join(dir, 'policy.yaml');
    await writeFile(file, 'old text\n');
    // A second name for the old file: written in place, it would show the new text too.
    await link(file, path.join(dir, 'old-name.yaml'));
    const result = await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file }, context));
    expect(result.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(SMALL);
    expect(await readFile(path.join(dir, 'old-name.yaml'), 'utf8')).toBe('old text\n');
    expect((await readdir(dir)).sort()).toEqual(['old-name.yaml', 'policy.yaml']);
  });

  it('refuses a directory at --file, leaving nothing behind', async () => {
    const dir = files.file('a-directory');
    await mkdir(dir);
    expect(await outcome(harness(policyStore({ text: SMALL, version: 4 }).api), (context) => runPolicyPull({ file: dir }, context))).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: ${dir}: cannot write file: is a directory\n`,
    });
    expect((await readdir(files.dir)).filter((name) => name.includes('.tmp'))).toEqual([]);
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
      stderr: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod --justification "…"\n',
    });
  });
});
