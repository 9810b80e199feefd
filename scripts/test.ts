/**
 * `npm test [-- <vitest options>]`: the whole suite, in two vitest processes at once.
 *
 * vitest runs the projects that take one file at a time (`integration`, `reliability`:
 * vitest.config.ts) only after every other file has finished, so for the last four or
 * five minutes of a run one of the machine's two cores sat mostly idle: the default
 * project alone used 1.5 cores on average, the one-at-a-time projects 1.3. Here one
 * process runs the default project and the other the one-at-a-time projects, each
 * writing a blob report; the report the caller asked for (`--reporter`, `--outputFile`,
 * vitest's default report when none) is made from both once they are done, and the
 * exit code is 0 only when both ran and nothing failed.
 *
 * Any other argument (a file, `--project`, `-t`…) runs one plain `vitest run` with the
 * arguments as given.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');

/** The two processes, by the projects each runs. */
const RUNS = [
  { name: 'default', projects: ['default'] },
  { name: 'one-at-a-time', projects: ['integration', 'reliability'] },
] as const;

/** The options that only say how to report (and so may go to the merged report): `--reporter`, `--outputFile`, with or without `=`. */
function reportOptions(args: readonly string[]): string[] | undefined {
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!/^--(reporter|outputFile)(\.|=|$)/.test(arg)) return undefined;
    options.push(arg);
    if (!arg.includes('=')) {
      const value = args[i + 1];
      if (value === undefined) return undefined;
      options.push(value);
      i++;
    }
  }
  return options;
}

const children = new Set<ReturnType<typeof spawn>>();
/** The folder of the blob reports while there is one. */
let reports: string | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    if (reports !== undefined) rmSync(reports, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

function vitestRun(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [vitest, 'run', ...args], { cwd: root, stdio: 'inherit' });
  children.add(child);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const report = reportOptions(args);
  if (report === undefined) return vitestRun(args);

  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-test-'));
  reports = dir;
  try {
    const blob = (name: string) => path.join(dir, `${name}.json`);
    const codes = await Promise.all(
      RUNS.map(({ name, projects }) =>
        vitestRun([...projects.flatMap((project) => ['--project', project]), '--reporter=./test/support/progressReporter.ts', '--reporter=blob', `--outputFile.blob=${blob(name)}`]),
      ),
    );
    const merged = await vitestRun([`--merge-reports=${dir}`, ...report]);
    // A half that failed before its tests (a global setup that threw: no DynamoDB Local)
    // exits non-zero with the error on stderr, and the merged report, which lacks its
    // files, may look green: say so last.
    let failed = false;
    RUNS.forEach(({ name, projects }, index) => {
      const code = codes[index] ?? 1;
      if (existsSync(blob(name)) && code === 0) return;
      failed = true;
      const what = existsSync(blob(name)) ? 'exited' : 'wrote no report and exited';
      process.stderr.write(`npm test: the ${name} tests (${projects.join(', ')}) ${what} ${code}: see the errors above\n`);
    });
    if (merged !== 0) return merged;
    return failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    reports = undefined;
  }
}

process.exitCode = await main();
