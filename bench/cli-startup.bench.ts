/**
 * Start-up time of the `sentinel` launcher against bare Node.
 *
 *   npx tsx bench/cli-startup.bench.ts [runs]
 *
 * Runs `node -e 0` and `./bin/sentinel --version` alternately (so a load spike hits
 * both alike) and prints median, minimum and maximum wall-clock times and the ratio of
 * the medians. The warm-up run is also the one that writes the bundle's V8 code cache
 * after a build (bin/sentinel), so the figures are those of every later run. Both run
 * without `NODE_EXTRA_CA_CERTS` and `NODE_OPTIONS`, which change every Node start
 * (bench/support/nodeEnv.ts); what the certificates cost, when set here, is printed
 * beside the figures. A figure to watch, not a pass/fail test.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportFigures, round } from './support/figures.js';
import { sized } from './support/scale.js';
import { extraCaCertsCostMs, nodeStartVariablesLeftOut, withoutNodeStartVariables } from './support/nodeEnv.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? sized(21, 3));
const env = withoutNodeStartVariables(process.env);
const commands: [label: string, command: string, args: string[]][] = [
  ['node -e 0', process.execPath, ['-e', '0']],
  ['./bin/sentinel --version', path.join(root, 'bin', 'sentinel'), ['--version']],
];

function once(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// Warm-up, a rebuild of a stale bundle and the run that writes the code cache: none of them timed.
for (const [, command, args] of commands) once(command, args);
const times = commands.map((): number[] => []);
// Forward one round, backward the next: neither always runs right after the other.
for (let run = 0; run < runs; run++) {
  const indexes = [...commands.keys()];
  for (const index of run % 2 === 0 ? indexes : indexes.reverse()) {
    const [, command, args] = commands[index] as (typeof commands)[number];
    times[index]?.push(once(command, args));
  }
}

const medians = times.map((samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
});
commands.forEach(([label], index) => {
  const { median, min, max } = medians[index] ?? { median: 0, min: 0, max: 0 };
  console.log(`${label.padEnd(26)} median ${median.toFixed(1)} ms  min ${min.toFixed(1)}  max ${max.toFixed(1)}  (${runs} runs)`);
});
console.log(`ratio of medians: ${((medians[1]?.median ?? 0) / (medians[0]?.median ?? 1)).toFixed(2)}`);
const leftOut = nodeStartVariablesLeftOut();
const caCostMs = extraCaCertsCostMs();
if (leftOut.length > 0) console.log(`both ran without ${leftOut.join(' and ')}, set in this environment`);
if (caCostMs !== undefined) console.log(`NODE_EXTRA_CA_CERTS as set here adds ${caCostMs.toFixed(1)} ms to every Node start (node -e 0, median of 11 pairs), Sentinel's included`);
reportFigures('cli', {
  nodeMs: round(medians[0]?.median ?? Number.NaN),
  versionMs: round(medians[1]?.median ?? Number.NaN),
  ratio: round((medians[1]?.median ?? 0) / (medians[0]?.median ?? 1)),
  ...(caCostMs === undefined ? {} : { extraCaCertsMs: round(caCostMs) }),
});
