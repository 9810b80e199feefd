/**
 * A local control plane for e2e tests: `startLocalStack` in this process on a free
 * port, with its own credentials file, and the environment the real `bin/sentinel`
 * (or AWS CLI, boto3) needs to talk to it as a given local identity.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
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
      // `sentinel credentials` caches what it gets: in the stack's folder, not the developer's ~/.cache.
      XDG_CACHE_HOME: path.join(stateDir, 'cache'),
      ...extra,
    }),
    stop: async () => {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * The API requests a stack answered, as its adapter logs them (`POST /v1/credentials
 * 200 12ms`): pass `log` to {@link startTestStack} (it replaces the silent default) and
 * count what a run cost. Lines that are not request lines (refused signatures, progress)
 * are kept but never counted.
 */
export interface RequestLog {
  log(line: string): void;
  /** Every line logged so far. */
  readonly lines: readonly string[];
  /** How many requests matched `method` and `path` (a pattern over the path, query excluded) and, when given, `status`. */
  count(method: string, path: RegExp, status?: number): number;
}

export function requestLog(): RequestLog {
  const lines: string[] = [];
  return {
    log: (line) => void lines.push(line),
    lines,
    count: (method, pattern, status) =>
      lines.filter((line) => {
        const [verb, url = '', code] = line.split(' ');
        return verb === method && pattern.test(url.split('?')[0] ?? '') && (status === undefined || code === String(status));
      }).length,
  };
}

/** The decision line the stack logs for one credential request (src/vending/issue.ts), as far as tests look at it. */
export interface RecordedDecision {
  user: string;
  profile: string;
  mode: string;
  /** `issued`, or the error code the caller got. */
  outcome: string;
}

/**
 * A silent logger for `startTestStack({ logger })` that keeps the stack's decision
 * lines: one per credential request, so `issued` ones count issuances exactly.
 */
export function decisionRecorder(): { logger: Logger; decisions: RecordedDecision[] } {
  const decisions: RecordedDecision[] = [];
  class RecordingLogger extends Logger {
    override info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
      const [attributes] = extra;
      if (input === 'decision' && typeof attributes === 'object' && attributes !== null) decisions.push(attributes as unknown as RecordedDecision);
      super.info(input, ...extra);
    }
  }
  return { logger: new RecordingLogger({ serviceName: 'sentinel-e2e', logLevel: 'SILENT' }), decisions };
}
