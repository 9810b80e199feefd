/**
 * The figures `npm run bench -- --json` promises (issue 16, docs/performance.md), by the
 * benchmark that reports them: bench/run.ts checks that every benchmark it ran put its
 * figures in the JSON object, each a finite number, and fails the run when one is
 * missing. A benchmark may report more than its list; a renamed or dropped figure is
 * caught here, not by whoever reads the JSON.
 *
 * A path is dotted; `*` stands for every key present at that level, and at least one
 * must be (coldStart has one entry per function).
 */
export const PROMISED_FIGURES: Readonly<Record<string, readonly string[]>> = {
  policy: [
    'policy.decisionsPerSec.10',
    'policy.decisionsPerSec.100',
    'policy.decisionsPerSec.1000',
    'policy.decisionsPerSec.10000',
    'policy.ratio1000to10',
    'policy.ratio10000to10',
    'policy.firstPassDecisionsPerSec.10000',
    'policy.firstPushDecisionsPerSec',
    'policy.coldDocumentCompileMs',
    'policy.parseCompileMs.10000',
    'policy.documentCompileMs.10000',
  ],
  lint: ['lint.ms.10000'],
  coldstart: ['coldStart.*.bundleKB', 'coldStart.*.baselineBundleKB', 'coldStart.*.initMs', 'coldStart.*.baselineInitMs', 'coldStart.*.ratio'],
  'cli-startup': ['cli.versionMs', 'cli.nodeMs', 'cli.ratio'],
  warm: [
    'warm.p50Ms',
    'warm.p99Ms',
    'warm.barePutP50Ms',
    'warm.ratio',
    'warm.ddbCallsPerIssuance',
    'warm.ddbCallsPerRefresh',
    'warm.ddbCallsPerCheck',
    'warm.stsCallsPerIssuance',
  ],
  credentials: ['endToEnd.issuancesPerSec', 'endToEnd.rawPutsPerSec', 'endToEnd.ratio'],
  exec: ['cli.execMs', 'cli.execOverheadMs'],
  delivery: ['delivery.apiCallsPer1000BotocoreReads', 'delivery.apiCallsPer1000JsReads', 'delivery.endpointP99Ms'],
  sessions: [],
};

/** The promised figures of `benchmarks` that `figures` lacks, or holds as something other than a finite number. */
export function missingFigures(figures: unknown, benchmarks: readonly string[]): string[] {
  const missing: string[] = [];
  for (const benchmark of benchmarks) {
    for (const promised of PROMISED_FIGURES[benchmark] ?? []) missing.push(...missingAt(figures, promised.split('.'), ''));
  }
  return missing;
}

function missingAt(value: unknown, keys: readonly string[], at: string): string[] {
  const [key, ...rest] = keys;
  if (key === undefined) return typeof value === 'number' && Number.isFinite(value) ? [] : [at];
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (key !== '*') return missingAt(record?.[key], rest, at === '' ? key : `${at}.${key}`);
  const present = record === undefined ? [] : Object.keys(record);
  if (present.length === 0) return [[at, ...keys].join('.')];
  return present.flatMap((name) => missingAt(record?.[name], rest, `${at}.${name}`));
}
