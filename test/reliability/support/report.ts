/**
 * What every part of the reliability suite reports, and the one switch between its CI
 * size and its long size.
 *
 * Each part (a test file under test/reliability/) asserts its own invariants, so a
 * violation fails `npm test` like any other failure, and also records what it tried
 * with {@link recordPart}. `npm run test:reliability` (scripts/reliability.ts) points
 * `SENTINEL_RELIABILITY_DIR` at a folder, runs the parts, and prints one table from
 * those records; without the variable (plain `npm test`) recording is a no-op.
 *
 * Log output and the secrets a part saw vended go to the same folder
 * ({@link recordLogs}, {@link recordSecrets}), so the runner can scan every log line of
 * the whole run for every secret of the whole run, on top of each part's own scan.
 */

import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** `npm run test:reliability -- --long`: the sizes the issue asks of a long run (1,000,000 inputs, more trials). */
export const LONG = process.env.SENTINEL_RELIABILITY_LONG === '1';

/** `ci` in `npm test` and a default `test:reliability` run, `long` with `--long`. */
export function scaled(ci: number, long: number): number {
  return LONG ? long : ci;
}

/** The sections of the summary table, in its order. */
export type Section = 'faults' | 'inputs' | 'races' | 'load' | 'logs';

export interface PartResult {
  section: Section;
  /** A short name of what was tried: `credentials × DynamoDB`, `SigV4 tampering`, `revoke vs refresh`. */
  part: string;
  /** How many cases, inputs, trials or requests were run. */
  tried: number;
  /** What `tried` counts: `cells`, `requests`, `trials`, `ARNs`. */
  unit: string;
  /** One line per broken invariant; must be empty (the part's own test fails otherwise). */
  violations: string[];
  /** Figures worth showing under the table: a printed matrix, p50/p99, requests per second. */
  notes?: string[];
}

function directory(): string | undefined {
  const dir = process.env.SENTINEL_RELIABILITY_DIR;
  if (dir === undefined || dir === '') return undefined;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Adds one part's result to the run's records (a JSON line in `results.jsonl`). */
export function recordPart(result: PartResult): void {
  const dir = directory();
  if (dir !== undefined) appendFileSync(path.join(dir, 'results.jsonl'), `${JSON.stringify(result)}\n`);
}

/** Keeps log lines a part produced for the run-wide scan (`logs/<part>.log`). */
export function recordLogs(part: string, lines: readonly string[]): void {
  const dir = directory();
  if (dir === undefined || lines.length === 0) return;
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  appendFileSync(path.join(dir, 'logs', `${fileName(part)}.log`), `${lines.join('\n')}\n`);
}

/** Keeps secrets a part saw vended or handed out (access key ids, secret keys, session and bearer tokens). */
export function recordSecrets(part: string, secrets: Iterable<string>): void {
  const dir = directory();
  const list = [...new Set(secrets)].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  if (dir === undefined || list.length === 0) return;
  mkdirSync(path.join(dir, 'secrets'), { recursive: true });
  appendFileSync(path.join(dir, 'secrets', `${fileName(part)}.txt`), `${list.join('\n')}\n`);
}

/** Shorter strings would match by chance (and no real key, secret or token is this short). */
export const MIN_SECRET_LENGTH = 12;

/**
 * The secrets that occur in `lines`: each occurrence as `"<secret prefix>…" in line N`,
 * never the secret itself (the report must not leak what it looks for).
 */
export function leakedSecrets(lines: readonly string[], secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const list = [...new Set(secrets)].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  lines.forEach((line, index) => {
    for (const secret of list) if (line.includes(secret)) found.push(`"${secret.slice(0, 4)}…" in log line ${index + 1}`);
  });
  return found;
}

const fileName = (part: string) => part.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '');
