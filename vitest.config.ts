import { configDefaults, defineConfig } from 'vitest/config';
import Sequencer from './test/support/sequencer.js';

// `test.env` reaches the test workers only; the integration global setup runs in this
// process and talks to DynamoDB Local through the AWS SDK too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    // e2e tests spawn the real CLI; give them room on a 2-core machine.
    testTimeout: 20_000,
    // Vitest's default on 2 cores is one worker, and most e2e time is spent waiting on
    // spawned CLIs and DynamoDB Local: two workers took the suite from 586 s to 433 s here.
    // The integration and reliability projects still run one file at a time.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Without recorded durations (CI's fresh clone) the long e2e files start first.
    sequence: { sequencer: Sequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          // Only the integration project starts DynamoDB Local (a Java process).
          exclude: [...configDefaults.exclude, 'test/integration/**', 'test/reliability/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One DynamoDB Local for the whole run; tests reach it through test/integration/dynamodb.ts.
          globalSetup: ['test/integration/globalSetup.ts'],
          // One file at a time against the shared emulator: DynamoDB Local (SQLite inside)
          // has been seen failing a request now and then when several files create tables
          // and write at once on a 2-core machine.
          fileParallelism: false,
          // DynamoDB Local documents its reads as eventually consistent, and on a loaded
          // 2-core machine a write is now and then not yet visible to the next request
          // (seen: an UpdateItem right after a PutItem finding no item). A test that fails
          // that way is run again; a real failure fails all three runs.
          retry: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          // Faults, hostile input, races and load (test/reliability/support/report.ts):
          // CI sizes here; `npm run test:reliability -- --long` runs the long sizes.
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/integration/globalSetup.ts'],
          // Races and load measure real concurrency: one file at a time, and never retried
          // (a broken invariant is a finding, not a flake).
          fileParallelism: false,
          // The long sizes (SENTINEL_RELIABILITY_LONG=1, set by scripts/reliability.ts) are
          // 10 to 100 times the work: a test may then take up to an hour.
          testTimeout: process.env['SENTINEL_RELIABILITY_LONG'] === '1' ? 3_600_000 : 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
