/**
 * What the benchmarks against the real local stack share: starting it in a temporary
 * state dir and stopping it on every way out, alice's identity, a signed
 * `POST /v1/credentials` client, and timing.
 *
 * The stack (and through it the AWS SDK) is imported dynamically, when a bench starts it,
 * so that the bench's AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, set in its body
 * after the static imports ran, is in place before the SDK modules load.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { readSharedCredentialsFile } from '../../src/local/identities.js';
import type { LocalStack } from '../../src/local/stack.js';

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningStack {
  stack: LocalStack;
  /** The local identity the benches sign as. */
  alice: Credentials;
  stateDir: string;
  /** How long `startLocalStack` took. */
  startMs: number;
}

export function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** `N CPUs (model), Node vX, platform arch`: the first line of a bench's output names the machine. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/**
 * Starts the local stack in a fresh temporary state dir (`stateDirPrefix` names it),
 * runs `measure`, and stops the stack and removes the dir however `measure` ends,
 * Ctrl-C included, which then exits 130.
 */
export async function withLocalStack(stateDirPrefix: string, measure: (running: RunningStack) => Promise<void>): Promise<void> {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { startLocalStack } = await import('../../src/local/stack.js');

  const stateDir = await mkdtemp(path.join(os.tmpdir(), stateDirPrefix));
  let stack: LocalStack | undefined;
  /** Set on Ctrl-C: what is in flight then fails because the stack is stopping, which is no error to report. */
  let stopping = false;
  const stop = async (): Promise<void> => {
    const running = stack;
    stack = undefined;
    await running?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  // Ctrl-C must not leave DynamoDB Local (a Java process) behind.
  const interrupted = (): void => {
    stopping = true;
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const startedAt = process.hrtime.bigint();
    stack = await startLocalStack({
      port: 0,
      stateDir,
      logger: new Logger({ logLevel: 'SILENT' }),
      log: () => undefined,
      // The deployment limit (60 a minute) would answer 429 partway through a run.
      rateLimit: { requests: 1_000_000, windowSeconds: 60 },
      // Cache the policy as a deployment does (SENTINEL_POLICY_TTL default).
      policyTtlSeconds: 10,
      policyFile: path.join(root, 'examples/policy.yaml'),
    });
    const startMs = elapsedMs(startedAt);
    const alice = (await readSharedCredentialsFile(stack.credentialsFile))?.find((identity) => identity.name === 'alice');
    if (alice === undefined) throw new Error(`no alice identity in ${stack.credentialsFile}`);
    await measure({ stack, alice, stateDir, startMs });
  } catch (error) {
    if (!stopping) throw error;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stop();
  }
}

/**
 * Signs and sends `POST /v1/credentials` as API clients do (SigV4 for execute-api); any
 * answer but 200 stops the run (a 429 would be measured otherwise).
 */
export function credentialsClient(stack: LocalStack, credentials: Credentials) {
  const target = new URL('/v1/credentials', stack.url);
  const signer = new SignatureV4({ service: 'execute-api', region: stack.region, credentials, sha256: Hash.bind(null, 'sha256') });
  const sign = (body: string) =>
    signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: {},
      headers: { host: target.host, 'content-type': 'application/json' },
      body,
    });
  /**
   * One request; `ms` is the round trip from sending to the last byte of the answer,
   * from before signing with `timeSigning`, else signing excluded.
   */
  const post = async (body: string, { timeSigning = false } = {}): Promise<{ ms: number; text: string }> => {
    const beforeSigning = process.hrtime.bigint();
    const signed = await sign(body);
    const started = timeSigning ? beforeSigning : process.hrtime.bigint();
    const response = await fetch(target, { method: 'POST', headers: signed.headers, body });
    const text = await response.text();
    const ms = elapsedMs(started);
    if (response.status !== 200) throw new Error(`POST /v1/credentials ${body} answered ${response.status}: ${text}`);
    return { ms, text };
  };
  return { post, sign };
}
