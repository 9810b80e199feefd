/**
 * Cold start of every Lambda function beside a bare-SDK baseline.
 *
 *   npx tsx bench/coldstart.bench.ts [runs]
 *
 * Builds the functions (scripts/build.mjs; not when dist/functions is newer than every
 * file each bundle was built from, as right after `npm run build`) and, with the same esbuild options (code
 * splitting included), a baseline bundle that only constructs a DynamoDBClient, a
 * DynamoDBDocumentClient and an STSClient. "init" is what a fresh `node` process spends
 * importing a bundle (which builds the handler at module scope, as Lambda's init phase
 * does), timed inside that process; runs alternate between baseline and function so a
 * load spike hits both. Each run also reports the CPU time the process spent on the
 * import (user + system, every thread), which a loaded machine inflates far less than
 * wall time: `cpuRatio` is the steadier figure to compare between runs on a shared
 * machine. Sizes: `bundleKB` is the JavaScript a cold start loads (the
 * entry and the chunks it imports statically), `totalKB` every chunk shipped, those
 * loaded on first use included (the default credential chain's other providers, the
 * IAM client of the identity-role lookup). Prints sizes, median init times and the
 * ratios. Figures, not a pass/fail test.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';
// @ts-expect-error: a plain .mjs module without type declarations.
import { bundleSizes, functionOptions } from '../scripts/buildOptions.mjs';
import { reportFigures, round } from './support/figures.js';
import { sized } from './support/scale.js';
import { withoutNodeStartVariables } from './support/nodeEnv.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? sized(20, 1));
/** Imports of each bundle before the timed ones (the file cache, the disk). */
const WARM_UPS = sized(1, 0);

const BASELINE_ENTRY = [
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
  "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
  "import { STSClient } from '@aws-sdk/client-sts';",
  "const dynamodb = new DynamoDBClient({ region: 'eu-west-1' });",
  'const documents = DynamoDBDocumentClient.from(dynamodb);',
  "const sts = new STSClient({ region: 'eu-west-1' });",
  'export const handler = async () => ({ dynamodb, documents, sts });',
].join('\n');

/**
 * What a deployed function's environment holds, enough for loadConfig. The bench's own
 * `SENTINEL_*` variables (`SENTINEL_BENCH_OUT` from bench/run.ts) are left out: the
 * configuration refuses keys it does not know, and a function would never see them.
 * So are `NODE_EXTRA_CA_CERTS` and `NODE_OPTIONS` (bench/support/nodeEnv.ts), which the
 * nodejs22.x runtime does not set.
 */
const FUNCTION_ENV = {
  ...Object.fromEntries(Object.entries(withoutNodeStartVariables(process.env)).filter(([key]) => !key.startsWith('SENTINEL_'))),
  AWS_REGION: 'eu-west-1',
  SENTINEL_ACCOUNT_ID: '111122223333',
  SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_DEV: 'false',
};

export interface ColdStartFigure {
  /** Kilobytes of JavaScript a cold start loads: the entry and the chunks it imports statically. */
  bundleKB: number;
  /** Kilobytes of every chunk shipped, those loaded on first use included. */
  totalKB: number;
  baselineBundleKB: number;
  baselineTotalKB: number;
  /** bundleKB / baselineBundleKB. */
  bundleRatio: number;
  initMs: number;
  baselineInitMs: number;
  /** initMs / baselineInitMs. */
  ratio: number;
  /** CPU milliseconds (user + system) the import took, median. */
  initCpuMs: number;
  baselineInitCpuMs: number;
  /** initCpuMs / baselineInitCpuMs. */
  cpuRatio: number;
}

type Sizes = { initKB: number; totalKB: number };
const sizesOf = bundleSizes as (metafile: Metafile, entryOutput: string) => Sizes;

/** The baseline bundle, built into `directory` with the functions' options: its entry and its sizes. */
async function buildBaseline(directory: string): Promise<{ entry: string } & Sizes> {
  const options = functionOptions(root) as Record<string, unknown>;
  const result = await build({
    ...options,
    stdin: { contents: BASELINE_ENTRY, resolveDir: root, loader: 'js', sourcefile: 'baseline.mjs' },
    outdir: directory,
    write: true,
    metafile: true,
  });
  if (result.errors.length > 0) throw new Error('baseline bundle failed');
  const entryOutput = Object.keys(result.metafile.outputs).find((file) => result.metafile.outputs[file]?.entryPoint === 'baseline.mjs');
  if (entryOutput === undefined) throw new Error('baseline bundle has no entry');
  return { entry: path.resolve(root, entryOutput), ...sizesOf(result.metafile, entryOutput) };
}

interface Init {
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds, user + system. */
  cpuMs: number;
}

/** What a fresh node process spends importing `file`, measured inside it. */
function initOnce(file: string, scratch: string): Init {
  const script = [
    'const cpu = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = performance.now() - t; const used = process.cpuUsage(cpu);',
    'process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));',
  ].join(' ');
  // A bundle is a few long lines: an uncaught error prints its whole line before the
  // message, and a dying process cuts that short on a pipe, so stderr goes to a file and
  // only its end (the message and stack) is reported.
  const errors = path.join(scratch, 'init-stderr.txt');
  const stderr = openSync(errors, 'w');
  let result;
  try {
    result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: FUNCTION_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', stderr] });
  } finally {
    closeSync(stderr);
  }
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.signal !== null ? `signal ${result.signal}` : `exit ${result.status}`);
    throw new Error(`importing ${file} failed (${why}): …${readFileSync(errors, 'utf8').slice(-1500)}`);
  }
  return JSON.parse(result.stdout) as Init;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Files outside the sources that decide what the build writes. */
const BUILD_FILES = ['package.json', 'scripts/build.mjs', 'scripts/buildOptions.mjs', 'deploy/esbuildPlugins.cjs'];

/**
 * Whether dist/functions holds a bundle of exactly the functions in functions/, each
 * newer than every file its metafile lists (node_modules included) and than the build's
 * own files: then `npm run build` has nothing to change and the bench does not run it.
 */
function functionsUpToDate(): boolean {
  const built = path.join(root, 'dist/functions');
  const sources = readdirSync(path.join(root, 'functions')).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -'.ts'.length)).sort();
  let names: string[];
  try {
    names = readdirSync(built).sort();
  } catch {
    return false;
  }
  if (names.join() !== sources.join()) return false;
  return names.every((name) => {
    const entry = statSync(path.join(built, name, 'index.mjs'), { throwIfNoEntry: false });
    let metafile: Metafile;
    try {
      metafile = JSON.parse(readFileSync(path.join(built, name, 'meta.json'), 'utf8')) as Metafile;
    } catch {
      return false;
    }
    return (
      entry !== undefined &&
      [...Object.keys(metafile.inputs), ...BUILD_FILES].every((input) => {
        const stats = statSync(path.join(root, input), { throwIfNoEntry: false });
        return stats !== undefined && stats.mtimeMs <= entry.mtimeMs;
      })
    );
  });
}

export async function measureColdStarts(count: number): Promise<Record<string, ColdStartFigure>> {
  if (!functionsUpToDate()) {
    const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  }
  const directory = mkdtempSync(path.join(tmpdir(), 'sentinel-coldstart-'));
  try {
    const baseline = await buildBaseline(directory);
    const functions = readdirSync(path.join(root, 'dist/functions')).sort();
    const figures: Record<string, ColdStartFigure> = {};
    for (const name of functions) {
      const bundle = path.join(root, 'dist/functions', name, 'index.mjs');
      // scripts/build.mjs writes each function's metafile beside its entry.
      const metafile = JSON.parse(readFileSync(path.join(root, 'dist/functions', name, 'meta.json'), 'utf8')) as Metafile;
      const sizes = sizesOf(metafile, `dist/functions/${name}/index.mjs`);
      for (let warm = 0; warm < WARM_UPS; warm++) {
        initOnce(bundle, directory);
        initOnce(baseline.entry, directory);
      }
      const own: Init[] = [];
      const base: Init[] = [];
      for (let run = 0; run < count; run++) {
        own.push(initOnce(bundle, directory));
        base.push(initOnce(baseline.entry, directory));
      }
      const initMs = median(own.map((init) => init.ms));
      const baselineInitMs = median(base.map((init) => init.ms));
      const initCpuMs = median(own.map((init) => init.cpuMs));
      const baselineInitCpuMs = median(base.map((init) => init.cpuMs));
      figures[name] = {
        bundleKB: sizes.initKB,
        totalKB: sizes.totalKB,
        baselineBundleKB: baseline.initKB,
        baselineTotalKB: baseline.totalKB,
        bundleRatio: sizes.initKB / baseline.initKB,
        initMs,
        baselineInitMs,
        ratio: initMs / baselineInitMs,
        initCpuMs,
        baselineInitCpuMs,
        cpuRatio: initCpuMs / baselineInitCpuMs,
      };
    }
    return figures;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export function printColdStarts(figures: Record<string, ColdStartFigure>, count: number): void {
  console.log(`cold start: bundle and init (fresh node importing the bundle, median of ${count}, alternating with the bare-SDK baseline)`);
  console.log('bundle kB: loaded at start (entry + static chunks); total kB: every chunk shipped, those loaded on first use included');
  console.log('init ms: wall clock; cpu ms: CPU time of the same imports (user + system), steadier on a loaded machine');
  console.log(
    `${'function'.padEnd(16)} ${'bundle kB'.padStart(10)} ${'× base'.padStart(7)} ${'total kB'.padStart(9)} ${'init ms'.padStart(8)} ${'base ms'.padStart(8)} ${'× base'.padStart(7)} ${'cpu ms'.padStart(7)} ${'base'.padStart(6)} ${'× base'.padStart(7)}`,
  );
  for (const [name, figure] of Object.entries(figures)) {
    console.log(
      `${name.padEnd(16)} ${figure.bundleKB.toFixed(1).padStart(10)} ${figure.bundleRatio.toFixed(2).padStart(7)} ${figure.totalKB.toFixed(1).padStart(9)} ${figure.initMs.toFixed(1).padStart(8)} ${figure.baselineInitMs.toFixed(1).padStart(8)} ${figure.ratio.toFixed(2).padStart(7)} ${figure.initCpuMs.toFixed(1).padStart(7)} ${figure.baselineInitCpuMs.toFixed(1).padStart(6)} ${figure.cpuRatio.toFixed(2).padStart(7)}`,
    );
  }
  const any = Object.values(figures)[0];
  if (any !== undefined) {
    console.log(`baseline (DynamoDBClient + DynamoDBDocumentClient + STSClient, same build options): ${any.baselineBundleKB.toFixed(1)} kB loaded at start, ${any.baselineTotalKB.toFixed(1)} kB in all`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const figures = await measureColdStarts(runs);
  printColdStarts(figures, runs);
  writeFileSync(path.join(tmpdir(), 'sentinel-coldstart.json'), JSON.stringify(figures));
  reportFigures(
    'coldStart',
    Object.fromEntries(Object.entries(figures).map(([name, figure]) => [name, Object.fromEntries(Object.entries(figure).map(([key, value]) => [key, round(value, key.endsWith('Ratio') || key === 'ratio' ? 3 : 1)]))])),
  );
}
