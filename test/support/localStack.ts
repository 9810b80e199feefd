/**
 * A local control plane for e2e tests: `startLocalStack` in this process on a free
 * port, with its own credentials file, and the environment the real `bin/sentinel`
 * (or AWS CLI, boto3) needs to talk to it as a given local identity.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LocalStack, LocalStackOptions } from '../../src/local/stack.js';
import { startLocalStack } from '../../src/local/stack.js';

export interface TestStack {
  stack: LocalStack;
  /** Environment for a child process signing as `user` (alice by default): no inherited AWS settings. */
  env(user?: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Variables of the test runner's own environment that must not leak into a child talking to the stack. */
const INHERITED_AWS = /^(AWS_|SENTINEL_)/;

export async function startTestStack(options: Omit<LocalStackOptions, 'port' | 'stateDir'> = {}): Promise<TestStack> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'sentinel-e2e-'));
  const stack = await startLocalStack({
    port: 0,
    stateDir,
    logger: new Logger({ serviceName: 'sentinel-e2e', logLevel: 'SILENT' }),
    log: () => undefined,
    rateLimit: { requests: 10_000, windowSeconds: 60 },
    ...options,
  });
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!INHERITED_AWS.test(key)) base[key] = value;
  return {
    stack,
    env: (user = 'alice', extra = {}) => ({
      ...base,
      SENTINEL_API_URL: stack.url,
      AWS_SHARED_CREDENTIALS_FILE: stack.credentialsFile,
      // An empty config file: nothing from the developer's ~/.aws leaks in.
      AWS_CONFIG_FILE: path.join(stateDir, 'config'),
      AWS_PROFILE: user,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...extra,
    }),
    stop: async () => {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
