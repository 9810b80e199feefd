/**
 * `npm run bench [-- --json] [--quick] [names…]`: every benchmark in turn, each in its own
 * process (so one's JIT state, sockets and DynamoDB Local do not colour the next),
 * printing its tables. With `--json`, the last line is one JSON object holding every
 * section's figures (bench/support/figures.ts), and the run fails (exit 1) when a
 * benchmark that ran left out a figure it promises (bench/support/contract.ts). Names
 * pick benchmarks (policy, lint, coldstart, cli-startup, warm, credentials, exec,
 * delivery, sessions). `--quick` runs each at a smoke-test size (bench/support/scale.ts):
 * it proves the benchmarks work, its figures measure nothing, and its JSON says
 * `"quick": true`. Figures, not pass/fail: only a benchmark that fails to run, or a
 * promised figure left out, fails the run; an unknown name exits 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingFigures } from './support/contract.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = ['policy', 'lint', 'coldstart', 'cli-startup', 'warm', 'credentials', 'exec', 'delivery', 'sessions'];

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const names = args.filter((arg) => arg !== '--json' && arg !== '--quick');
const unknown = names.filter((name) => !BENCHES.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.join(', ')})\n`);
  process.exit(2);
}
const chosen = names.length === 0 ? BENCHES : BENCHES.filter((name) => names.includes(name));

const out = mkdtempSync(path.join(tmpdir(), 'sentinel-bench-'));
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
let failed = 0;
const ran: string[] = [];
try {
  for (const name of chosen) {
    console.log(`\n=== ${name} ===`);
    const result = spawnSync(tsx, [path.join(root, 'bench', `${name}.bench.ts`)], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, SENTINEL_BENCH_OUT: out, SENTINEL_BENCH_QUICK: quick ? '1' : '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    if (result.status !== 0) {
      failed += 1;
      process.stderr.write(`bench: ${name} exited ${result.status ?? result.signal}\n`);
    } else ran.push(name);
  }
  if (json) {
    const figures: Record<string, unknown> = quick ? { quick: true } : {};
    for (const file of readdirSync(out).sort()) figures[file.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(out, file), 'utf8'));
    const missing = missingFigures(figures, ran);
    if (missing.length > 0) {
      failed += 1;
      process.stderr.write(`bench: figures missing from the JSON (bench/support/contract.ts): ${missing.join(', ')}\n`);
    }
    console.log(JSON.stringify(figures));
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);
