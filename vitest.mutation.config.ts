import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Only for `npm run test:mutation` (stryker.config.mjs): the unit tests that exercise
// the mutated modules (src/policy, src/identity, the issuance pipeline in src/vending).
// One flat config, no projects (the Stryker vitest runner points at one config), no
// DynamoDB Local, no e2e: every mutant is judged by fast, in-process tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  resolve: {
    // Property tests run at most 40 cases per property here (test/mutation/fastCheck.ts).
    alias: [{ find: /^fast-check$/, replacement: fileURLToPath(new URL('./test/mutation/fastCheck.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/unit/policy/**/*.test.ts', 'test/unit/identity/**/*.test.ts', 'test/unit/vending/**/*.test.ts'],
    // lint.ts is not mutated (stryker.config.mjs), and its property tests count their cases.
    exclude: ['test/unit/policy/lint.test.ts'],
    testTimeout: 20_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
