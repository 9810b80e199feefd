/**
 * Runs the real `bin/sentinel` for e2e tests: captured (stdin from nowhere, as in CI)
 * or on a pseudo-terminal (util-linux `script`), as a person at a terminal would.
 */

import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'sentinel');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `sentinel args…` with stdin closed; stdout and stderr captured apart. */
export function runCli(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  return runCaptured(BIN, args, options);
}

/** Any `command args…` as {@link runCli} runs the CLI: stdin closed, stdout and stderr captured apart. */
export function runCaptured(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `sentinel args…` on a terminal: once `prompt` appears, `answer` (given the output so
 * far is on screen) is typed. stdout and stderr arrive merged; CRLF becomes LF.
 */
export function runCliOnTerminal(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  prompt: string,
  answer: () => Promise<string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = [BIN, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
    const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let prompted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (!prompted && output.includes(prompt)) {
        prompted = true;
        answer().then((text) => child.stdin.end(text), reject);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: output.replaceAll('\r\n', '\n') }));
  });
}
