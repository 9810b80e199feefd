/**
 * Policy linter time (`sentinel policy lint`'s warnings) on the realistic policies of
 * bench/policy.bench.ts, at 1,000, 4,000 and 10,000 rules. Run with `npm run bench`, or alone:
 *
 *   npx tsx bench/lint.bench.ts [--pairwise]
 *
 * Each policy is written as YAML and parsed (as the command reads it, positions
 * included); only `lintPolicy` is timed, median of a few runs. With `--pairwise`, the
 * linter it replaced, which compares every rule with every earlier rule
 * (test/unit/policy/lintReference.ts), is timed once per size too and must return the
 * same warnings; it takes minutes at 10,000 rules.
 *
 * Policies come from a fixed seed, so runs differ only by the machine. Figures, not pass/fail.
 */
import { isDeepStrictEqual } from 'node:util';
import { lintPolicy, type LintOptions } from '../src/policy/lint.js';
import { MAX_POLICY_BYTES, parsePolicy } from '../src/policy/parse.js';
import type { Policy } from '../src/policy/types.js';
import { pairwiseLintPolicy } from '../test/unit/policy/lintReference.js';
import { toYaml, workload } from './policy.bench.js';
import { reportFigures, round } from './support/figures.js';
import { QUICK, sized } from './support/scale.js';

const SIZES = [1000, 4000, 10_000] as const;
type Size = `${(typeof SIZES)[number]}`;
const RUNS = sized(7, 1);
const OPTIONS: LintOptions = { file: 'p.yaml', defaultSessionTable: 'sentinel-sessions' };

interface SizeFigures {
  /** Median `lintPolicy` time; NaN when the parser refuses the text (over `MAX_POLICY_BYTES`). */
  ms: number;
  warnings: number;
  kB: number;
  /** One run of the pairwise linter; NaN unless asked for. */
  pairwiseMs: number;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timed<T>(work: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = work();
  return { ms: performance.now() - started, result };
}

function measure(count: number, pairwise: boolean): SizeFigures {
  const text = toYaml(workload(count, 0x5e47 + count).policy);
  const kB = Buffer.byteLength(text, 'utf8') / 1024;
  if (kB * 1024 > MAX_POLICY_BYTES) return { ms: Number.NaN, warnings: Number.NaN, kB, pairwiseMs: Number.NaN };
  const policy: Policy = parsePolicy(text, OPTIONS.file);
  const runs = Array.from({ length: RUNS }, () => timed(() => lintPolicy(policy, OPTIONS)));
  const warnings = runs[0]!.result;
  if (runs.some((run) => !isDeepStrictEqual(run.result, warnings))) throw new Error(`lintPolicy gave different warnings from one run to the next at ${count} rules`);
  let pairwiseMs = Number.NaN;
  if (pairwise) {
    const reference = timed(() => pairwiseLintPolicy(policy, OPTIONS));
    if (!isDeepStrictEqual(reference.result, warnings)) throw new Error(`lintPolicy and the pairwise linter disagree at ${count} rules`);
    pairwiseMs = reference.ms;
  }
  return { ms: median(runs.map((run) => run.ms)), warnings: warnings.length, kB, pairwiseMs };
}

const pairwise = process.argv.includes('--pairwise');
// A quick run lints the largest policy only.
const figures = new Map<Size, SizeFigures>(SIZES.filter((count) => !QUICK || count === 10_000).map((count) => [String(count) as Size, measure(count, pairwise)]));

console.log(`policy lint, realistic policies (bench/policy.bench.ts), median of ${RUNS} runs${pairwise ? '; pairwise linter: one run, same warnings checked' : ''}`);
console.log('');
console.log(`rules |      kB | warnings | lint ms${pairwise ? ' | pairwise ms' : ''}`);
console.log(`------|---------|----------|--------${pairwise ? '-|------------' : ''}`);
for (const [size, f] of figures) {
  const head = `${size.padStart(5)} | ${f.kB.toFixed(1).padStart(7)}`;
  if (Number.isNaN(f.ms)) {
    console.log(`${head} | not measured: the parser refuses documents over ${MAX_POLICY_BYTES / 1024} kB`);
    continue;
  }
  const row = `${head} | ${String(f.warnings).padStart(8)} | ${f.ms.toFixed(1).padStart(7)}`;
  console.log(pairwise ? `${row} | ${f.pairwiseMs.toFixed(0).padStart(11)}` : row);
}

const bySize = (value: (f: SizeFigures) => number): Record<Size, number> =>
  Object.fromEntries([...figures].map(([size, f]) => [size, round(value(f), 1)])) as Record<Size, number>;
reportFigures('lint', {
  ms: bySize((f) => f.ms),
  warnings: bySize((f) => f.warnings),
  ...(pairwise ? { pairwiseMs: bySize((f) => f.pairwiseMs) } : {}),
});
