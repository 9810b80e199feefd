/**
 * How a benchmark hands its figures to `npm run bench -- --json` (bench/run.ts): the
 * runner sets SENTINEL_BENCH_OUT to a directory, and each benchmark writes its section
 * there as `<section>.json`. Run alone, a benchmark only prints its tables.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Adds `figures` to `section` (two benchmarks may fill one section: cli-startup and exec fill `cli`). */
export function reportFigures(section: string, figures: Record<string, unknown>): void {
  const directory = process.env.SENTINEL_BENCH_OUT;
  if (directory === undefined || directory === '') return;
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${section}.json`);
  const earlier = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, `${JSON.stringify({ ...earlier, ...figures })}\n`);
}

/** Nearest-rank percentile of `samples` (need not be sorted). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Rounds for JSON: figures to 3 significant decimals, not 17. */
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
