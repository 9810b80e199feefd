/**
 * Reading policy files for the `policy` commands, and reporting their problems.
 *
 * Imported lazily (the parser pulls in `yaml`), so commands that never read a policy
 * do not pay for it at start-up.
 */

import { readFile } from 'node:fs/promises';
import { formatIssue, loadPolicy } from '../policy/parse.js';
import type { Policy, PolicyIssue } from '../policy/types.js';
import { describeReadError } from './readError.js';

/** One policy file after reading and validation. */
export interface PolicyFile {
  file: string;
  /** The validated policy; absent when the file could not be read or is invalid. */
  policy?: Policy;
  /** Why the file could not be read (then there are no issues). */
  readError?: string;
  /** Validation errors, in document order. */
  errors: PolicyIssue[];
}

/** A problem as the JSON outputs show it; `line`/`col` are null when the file was unreadable. */
export interface JsonProblem {
  line: number | null;
  col: number | null;
  path: string;
  message: string;
}


/** Reads and validates one policy file; never throws for a bad or missing file. */
export async function readPolicyFile(file: string): Promise<PolicyFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, readError: `cannot read file: ${describeReadError(error)}`, errors: [] };
  }
  // loadPolicy reports errors only (warnings are lint's), and a policy exactly when there are none.
  const { policy, issues } = loadPolicy(text, file);
  return policy === undefined ? { file, errors: issues } : { file, policy, errors: [] };
}

/** Whether the file was read and holds a valid policy. */
export function isValid(result: PolicyFile): result is PolicyFile & { policy: Policy } {
  return result.policy !== undefined;
}

/** The file's errors as `file:line:col: message` lines (`file: message` when unreadable). */
export function errorLines(result: PolicyFile): string[] {
  if (result.readError !== undefined) return [`${result.file}: ${result.readError}`];
  return result.errors.map((issue) => formatIssue(issue));
}

/** Lint warnings as `file:line:col: warning: message` lines (formatIssue adds the `warning:`). */
export function warningLines(warnings: readonly PolicyIssue[]): string[] {
  return warnings.map((issue) => formatIssue(issue));
}

/** The file's errors for JSON output. */
export function jsonErrors(result: PolicyFile): JsonProblem[] {
  if (result.readError !== undefined) return [{ line: null, col: null, path: '', message: result.readError }];
  return result.errors.map(jsonProblem);
}

/** One issue for JSON output. */
export function jsonProblem(issue: PolicyIssue): JsonProblem {
  return { line: issue.line, col: issue.col, path: issue.path, message: issue.message };
}
