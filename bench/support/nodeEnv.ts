/**
 * The environment the start-up benchmarks run Node children in.
 *
 * Two variables change what every `node` start costs before any of the program's code
 * runs: `NODE_EXTRA_CA_CERTS` (when it is set, Node 20 builds its root certificate
 * store at start-up, its own roots and the file's: on this project's machine, where it
 * names the system bundle, about 86 ms on each side, and 50 ms for a file of one
 * certificate, which makes any program look close to `node -e 0`) and `NODE_OPTIONS`
 * (flags, preloaded modules). The benchmarks time Sentinel's own start-up, so their
 * children run without both; what the certificates cost is measured and printed beside
 * the figures, since every process of a user who sets it pays it, Sentinel's too.
 */
import { spawnSync } from 'node:child_process';

const NODE_START_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

/** `env` without the variables that change every Node start (see above). */
export function withoutNodeStartVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of NODE_START_VARIABLES) delete copy[name];
  return copy;
}

/** The variables left out that are set here, for the benchmark's header. */
export function nodeStartVariablesLeftOut(env: NodeJS.ProcessEnv = process.env): string[] {
  return NODE_START_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
}

function nodeStartMs(env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`node -e 0 exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * What `NODE_EXTRA_CA_CERTS` as set here adds to `node -e 0` (median of `runs`
 * alternating pairs, milliseconds), or undefined when it is not set.
 */
export function extraCaCertsCostMs(runs = 11, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return undefined;
  const without = withoutNodeStartVariables(env);
  const withCerts = { ...without, NODE_EXTRA_CA_CERTS: file };
  const differences: number[] = [];
  nodeStartMs(withCerts);
  for (let run = 0; run < runs; run++) differences.push(nodeStartMs(withCerts) - nodeStartMs(without));
  differences.sort((a, b) => a - b);
  return differences[Math.floor(differences.length / 2)];
}
