/**
 * scripts/test.ts (`npm test`) in a scratch checkout whose vitest.config.ts has the same
 * three projects as ours over a few tiny test files, so each case runs in seconds: both
 * halves at once, one merged report, and an exit code that is 0 only when all passed.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCaptured } from '../support/cli.js';

let copy: string;

const CONFIG = `import { defineConfig } from 'vitest/config';
import Sequencer from './test/support/sequencer.js';
const setup = process.env.SCRATCH_BREAK_SETUP === '1' ? ['cases/brokenSetup.ts'] : [];
export default defineConfig({
  test: {
    maxWorkers: 2,
    testTimeout: 30_000,
    sequence: { sequencer: Sequencer },
    projects: [
      { extends: true, test: { name: 'default', include: ['cases/default/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['cases/integration/**/*.test.ts'], fileParallelism: false, globalSetup: setup } },
      { extends: true, test: { name: 'reliability', include: ['cases/reliability/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
`;

/**
 * A test that leaves `mine` in the scratch folder and passes once `theirs` is there too
 * (within 20 s): the default file and the integration file wait for each other, so they
 * pass only when they run at the same time.
 */
const meeting = (mine: string, theirs: string) => `import { existsSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
// Without its global setup the integration half never runs, and there is nobody to meet.
it.skipIf(process.env.SCRATCH_BREAK_SETUP === '1')('meets the other half', async () => {
  writeFileSync(${JSON.stringify(mine)}, '');
  for (let i = 0; i < 200 && !existsSync(${JSON.stringify(theirs)}); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(existsSync(${JSON.stringify(theirs)})).toBe(true);
});
`;

const FILES: Record<string, string> = {
  'package.json': '{ "type": "module" }\n',
  'vitest.config.ts': CONFIG,
  'cases/brokenSetup.ts': "export default function setup() { throw new Error('no emulator here'); }\n",
  'cases/default/unit.test.ts': "import { expect, it } from 'vitest';\nit('adds', () => expect(1 + 1).toBe(2));\nit('fails when asked', () => expect(process.env.SCRATCH_FAIL).toBeUndefined());\n",
  'cases/reliability/invariants.test.ts': "import { expect, it } from 'vitest';\nit('holds', () => expect([1, 2].length).toBe(2));\n",
};

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string }[];
}

async function npmTest(args: string[], env: Record<string, string> = {}) {
  await rm(path.join(copy, 'marks'), { recursive: true, force: true });
  await mkdir(path.join(copy, 'marks'));
  // Plain text, as in CI: vitest's workers are given FORCE_COLOR.
  const { FORCE_COLOR: _color, ...inherited } = process.env;
  return runCaptured(path.join(copy, 'node_modules', '.bin', 'tsx'), [path.join(copy, 'scripts', 'test.ts'), ...args], { cwd: copy, env: { ...inherited, NO_COLOR: '1', ...env } });
}

beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), 'sentinel-test-runner-'));
  await mkdir(path.join(copy, 'scripts'));
  await cp(path.join(ROOT, 'scripts', 'test.ts'), path.join(copy, 'scripts', 'test.ts'));
  await mkdir(path.join(copy, 'test', 'support'), { recursive: true });
  for (const name of ['progressReporter.ts', 'sequencer.ts']) await cp(path.join(ROOT, 'test', 'support', name), path.join(copy, 'test', 'support', name));
  await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const marks = path.join(copy, 'marks');
  const files = {
    ...FILES,
    'cases/default/meets.test.ts': meeting(path.join(marks, 'default'), path.join(marks, 'integration')),
    'cases/integration/meets.test.ts': meeting(path.join(marks, 'integration'), path.join(marks, 'default')),
  };
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(copy, name)), { recursive: true });
    await writeFile(path.join(copy, name), contents);
  }
});

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

describe('npm test (scripts/test.ts)', () => {
  it('runs the default project beside the one-at-a-time projects and reports all of them once, where --outputFile asks', async () => {
    const json = path.join(copy, 'report.json');
    const result = await npmTest(['--reporter=default', '--reporter=json', `--outputFile.json=${json}`]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // A line per file as it finishes, then vitest's report of the whole run.
    expect(result.stdout).toMatch(/^✓ integration cases\/integration\/meets\.test\.ts \(1 tests\) [\d.]+ s$/m);
    expect(result.stdout).toMatch(/^✓ default cases\/default\/unit\.test\.ts \(2 tests\) [\d.]+ s$/m);
    expect(result.stdout).toMatch(/Test Files +4 passed \(4\)/);
    const report = JSON.parse(await readFile(json, 'utf8')) as JsonReport;
    expect(report).toMatchObject({ numPassedTests: 5, numFailedTests: 0 });
    expect(report.testResults.map(({ name }) => path.relative(copy, name)).sort()).toEqual([
      'cases/default/meets.test.ts',
      'cases/default/unit.test.ts',
      'cases/integration/meets.test.ts',
      'cases/reliability/invariants.test.ts',
    ]);
  });

  it('exits 1 when a test fails, and the report shows which', async () => {
    const result = await npmTest([], { SCRATCH_FAIL: '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ default cases\/default\/unit\.test\.ts/m);
    expect(result.stdout).toMatch(/× fails when asked/);
    expect(result.stderr).toMatch(/FAIL .*cases\/default\/unit\.test\.ts > fails when asked/);
    expect(result.stdout).toMatch(/Tests +1 failed \| 4 passed \(5\)/);
  });

  it('exits 1 and says so when one half could not run at all (a global setup that throws)', async () => {
    const result = await npmTest([], { SCRATCH_BREAK_SETUP: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no emulator here');
    // The merged report has only the default files; the last line says what is missing.
    expect(result.stdout).toMatch(/Test Files +1 passed \| 1 skipped \(2\)/);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(/^npm test: the one-at-a-time tests \(integration, reliability\) (exited|wrote no report and exited) [1-9]\d*: see the errors above$/);
  });

  it('runs any other arguments as one plain vitest run', async () => {
    const result = await npmTest(['cases/reliability']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Test Files +1 passed \(1\)/);
    expect(result.stdout).not.toContain('meets');
  });
});
