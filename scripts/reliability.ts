/**
 * `npm run test:reliability [-- --long] [-- <vitest filters>]`: runs the reliability
 * suite (the `reliability` vitest project, test/reliability/), then prints one summary
 * table of what every part tried and broke, scans every log line the run produced for
 * every secret the run saw vended, and ends with `violations: <count>`.
 *
 * The count is the parts' recorded violations, the leaks the scan found, and any test
 * that failed without recording one (a crash is a violation too). Exit code 0 only when
 * it is 0.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableLines } from '../src/cli/table.js';
import type { PartResult, Section } from '../test/reliability/support/report.js';
import { leakedSecrets } from '../test/reliability/support/report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECTIONS: readonly Section[] = ['faults', 'inputs', 'races', 'load', 'logs'];

interface VitestReport {
  numFailedTests: number;
  numPassedTests: number;
  testResults: Array<{ name: string; status: string; message?: string }>;
}

function runVitest(dir: string, long: boolean, filters: string[]): Promise<number> {
  const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
  const args = ['run', '--project', 'reliability', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(dir, 'vitest.json')}`, ...filters];
  const child = spawn(vitest, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SENTINEL_RELIABILITY_DIR: dir, SENTINEL_RELIABILITY_LONG: long ? '1' : '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

function readResults(dir: string): PartResult[] {
  const file = path.join(dir, 'results.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PartResult);
}

function readLines(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => readFileSync(path.join(folder, name), 'utf8').split('\n').filter((line) => line !== ''));
}

/** The run-wide scan: every secret any part recorded, in every log line any part recorded. */
function scanLogs(dir: string): PartResult {
  const lines = readLines(path.join(dir, 'logs'));
  const secrets = readLines(path.join(dir, 'secrets'));
  return {
    section: 'logs',
    part: `all log lines × ${new Set(secrets).size} vended secrets and tokens`,
    tried: lines.length,
    unit: 'lines',
    violations: leakedSecrets(lines, secrets),
  };
}

const count = (value: number) => value.toLocaleString('en-US');

function summary(results: PartResult[], failedTests: number, vitestExit: number): { lines: string[]; violations: number } {
  const rows = SECTIONS.flatMap((section) =>
    results.filter((result) => result.section === section).map((result) => [section, result.part, count(result.tried), result.unit, String(result.violations.length)]),
  );
  // A part that counts log lines it checked (the fault matrix's global invariants) adds to its row, not to
  // "faults tried": the column counts cells, requests, trials; log lines have the logs column.
  const totals = (section: Section) =>
    results.filter((result) => result.section === section && (section === 'logs' || result.unit !== 'log lines')).reduce((sum, result) => sum + result.tried, 0);
  const recorded = results.reduce((sum, result) => sum + result.violations.length, 0);
  // A failed test whose part recorded no violation still broke something (or crashed before it could say).
  const unexplained = recorded === 0 ? failedTests : 0;
  const missing = vitestExit !== 0 && failedTests === 0 && recorded === 0 ? 1 : 0;
  const violations = recorded + unexplained + missing;
  const lines = [
    '',
    'Reliability summary',
    ...tableLines(['section', 'part', 'tried', 'unit', 'violations'], rows, { rightAligned: [2, 4] }),
    '',
    ...tableLines(
      ['faults tried', 'inputs tried', 'races run', 'load held', 'log lines scanned', 'violations'],
      [[count(totals('faults')), count(totals('inputs')), count(totals('races')), count(totals('load')), count(totals('logs')), String(violations)]],
      { rightAligned: [0, 1, 2, 3, 4, 5] },
    ),
  ];
  for (const result of results) {
    for (const violation of result.violations) lines.push(`violation (${result.part}): ${violation}`);
  }
  if (unexplained > 0) lines.push(`violation: ${unexplained} failed test(s) recorded no violation of their own (see vitest's output above)`);
  if (missing > 0) lines.push(`violation: vitest exited with ${vitestExit} without a failed test (a file did not load, or a hook failed)`);
  const notes = results.flatMap((result) => (result.notes ?? []).map((note) => note));
  if (notes.length > 0) lines.push('', ...notes);
  lines.push('', `violations: ${violations}`);
  return { lines, violations };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const long = args.includes('--long');
  const filters = args.filter((arg) => arg !== '--long');
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-reliability-'));
  try {
    const exit = await runVitest(dir, long, filters);
    const reportFile = path.join(dir, 'vitest.json');
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport) : undefined;
    const results = [...readResults(dir), scanLogs(dir)];
    const { lines, violations } = summary(results, report?.numFailedTests ?? 0, exit);
    console.log(lines.join('\n'));
    return violations === 0 && exit === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
