/**
 * `sentinel policy lint` through runPolicyLint: warnings on stdout, validation errors
 * first on stderr, `--strict`, JSON output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyLint } from '../../../../src/cli/commands/policyLint.js';
import { fakeApi, harness, outcome } from './harness.js';
import { BAD, EXAMPLE, scratch, SHADOWED } from './policies.js';

let files: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  files = await scratch({ 'bad.yaml': BAD, 'shadowed.yaml': SHADOWED });
});
afterAll(() => files.remove());

const lint = (options: Parameters<typeof runPolicyLint>[0], format: 'text' | 'json' = 'text') =>
  outcome(harness(fakeApi({}), { format }), (context) => runPolicyLint(options, context));

describe('sentinel policy lint', () => {
  it('prints warnings as file:line:col: warning: and exits 0 without --strict', async () => {
    const shadowed = files.file('shadowed.yaml');
    const result = await lint({ files: [shadowed] });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const warnings = result.stdout.trimEnd().split('\n');
    expect(warnings.length).toBeGreaterThan(0);
    for (const line of warnings) expect(line.startsWith(`${shadowed}:6:5: warning: `)).toBe(true);
    expect(result.stdout).toContain('"never"');
  });

  it('exits 1 with --strict when there are warnings', async () => {
    expect((await lint({ files: [files.file('shadowed.yaml')], strict: true })).code).toBe(1);
  });

  it('says "valid, no warnings" and exits 0 with --strict when there are none', async () => {
    expect(await lint({ files: [EXAMPLE], strict: true, defaultSessionTable: 'sentinel-sessions' })).toEqual({ code: 0, stdout: `${EXAMPLE}: valid, no warnings\n`, stderr: '' });
  });

  it('reports validation errors on stderr, nothing on stdout for that file, and exits 1', async () => {
    const bad = files.file('bad.yaml');
    const result = await lint({ files: [bad, EXAMPLE], defaultSessionTable: 'sentinel-sessions' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${EXAMPLE}: valid, no warnings\n`);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(result.stderr).toMatch(new RegExp(`^${bad}:4:13: unknown effect`));
  });

  it('prints errors and warnings per file with --output json', async () => {
    const shadowed = files.file('shadowed.yaml');
    const bad = files.file('bad.yaml');
    const result = await lint({ files: [shadowed, bad] }, 'json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout) as { files: { file: string; valid: boolean; errors: unknown[]; warnings: { line: number; col: number }[] }[] };
    expect(output.files.map((file) => [file.file, file.valid, file.errors.length])).toEqual([
      [shadowed, true, 0],
      [bad, false, 2],
    ]);
    expect(output.files[0]?.warnings[0]).toMatchObject({ line: 6, col: 5 });
    expect(output.files[1]?.warnings).toEqual([]);
  });
});
