/**
 * `npm run bench` as a developer runs it, at the smoke-test size (`--quick`): every
 * benchmark still runs to its end and reports every figure docs/performance.md and
 * issue 16 promise in the `--json` object. The figures themselves are not looked at:
 * a quick run measures nothing, and no test asserts a time.
 */
import { describe, expect, it } from 'vitest';
import { missingFigures, PROMISED_FIGURES } from '../../bench/support/contract.js';
import { FUNCTION_NAMES } from '../../src/api/routes.js';
import { SCHEDULED_FUNCTIONS } from '../../src/compose/lambda.js';
import type { CliResult } from '../support/cli.js';
import { ROOT, runCaptured } from '../support/cli.js';

const npmRunBench = (args: readonly string[]): Promise<CliResult> => runCaptured('npm', ['run', '--silent', 'bench', '--', ...args], { cwd: ROOT, env: process.env });

describe('npm run bench', () => {
  it('refuses a benchmark it does not know, naming the ones it does, before running any', async () => {
    const run = await npmRunBench(['--json', 'policy', 'warmm']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bench: unknown benchmark warmm (known: policy, lint, coldstart, cli-startup, warm, credentials, exec, delivery, sessions)');
    expect(run.stdout).not.toContain('=== policy ===');
  });

  it(
    'runs every benchmark with --quick and prints, last, one JSON object with every promised figure',
    async () => {
      const run = await npmRunBench(['--json', '--quick']);
      expect(run.stderr).not.toContain('bench:');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      for (const name of Object.keys(PROMISED_FIGURES)) expect(lines).toContain(`=== ${name} ===`);
      const figures = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
      expect(figures['quick']).toBe(true);
      expect(missingFigures(figures, Object.keys(PROMISED_FIGURES))).toEqual([]);
      // A cold start for every function that is deployed, HTTP or scheduled.
      expect(Object.keys(figures['coldStart'] as object).sort()).toEqual([...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS].sort());
      // Counts, not times: what an issuance, a refresh and a re-check send does not depend on the size of the run.
      expect(figures['warm']).toMatchObject({ ddbCallsPerIssuance: 2, ddbCallsPerRefresh: 2, ddbCallsPerCheck: 1, stsCallsPerIssuance: 1 });
    },
    600_000,
  );
});
