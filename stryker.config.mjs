// @ts-check
/**
 * Mutation testing (`npm run test:mutation`): how strong are the unit tests of the
 * policy engine, the identity rules and the issuance pipeline? Outside `npm test`: it
 * takes tens of minutes on 2 cores. Reports: reports/mutation/ (mutation.html,
 * mutation.json; stryker-incremental.json lets the next run retest only what changed).
 *
 * Scope, chosen so a run fits about 30 minutes on a 2-core machine:
 * - src/policy: what decides (evaluate, compile, time windows, durations, profiles,
 *   denials, outcomes, admins). Not mutated by default: parse.ts (1,000 mutants alone;
 *   `npx stryker run stryker.config.mjs --mutate src/policy/parse.ts --incremental false`),
 *   lint.ts and suggest.ts (advice to policy authors; they decide nothing).
 * - src/identity: who the caller is, and the names STS gets.
 * - src/vending: the issuance pipeline (issue, plan, check, errors). Not the adapters
 *   DynamoRateLimiter and StsCredentialIssuer (SDK translation; 190 mutants more).
 * - Not mutated anywhere: the wording of error and log messages (test/mutation/ignoreMessages.mjs)
 *   and module-level constants (`ignoreStatic`).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner', './test/mutation/ignoreMessages.mjs'],
  ignorers: ['message-wording'],
  mutate: [
    'src/policy/**/*.ts',
    '!src/policy/parse.ts',
    '!src/policy/lint.ts',
    '!src/policy/suggest.ts',
    'src/identity/**/*.ts',
    'src/vending/issue.ts',
    'src/vending/plan.ts',
    'src/vending/check.ts',
    'src/vending/errors.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant in module-level code (tables, regexes built at import) would need a fresh
  // module graph per mutant; such mutants are reported as ignored instead.
  ignoreStatic: true,
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: 'reports/.stryker-tmp',
  // Not copied into the sandbox: nothing the unit tests read.
  ignorePatterns: ['dist', 'docs', 'deploy', 'bench', 'reports', '.serverless', '.esbuild', '.sentinel', 'coverage'],
  thresholds: { high: 90, low: 85, break: null },
  // Over the time the covering tests took in the dry run: an infinite loop is called a timeout
  // (detected) after 10 s, while a loaded 2-core machine gets some slack.
  timeoutMS: 10_000,
};
