/**
 * Runs the command of `sentinel exec` and makes its end ours: no shell in between,
 * the terminal shared, signals forwarded, exit code and death by signal passed on.
 */

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CliError } from '../errors.js';

/** Signals a user or a supervisor sends to stop a command; the child must get them. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Deaths re-raised on ourselves could dump a core of sentinel (SIGQUIT, SIGSEGV, …):
 * for those, and for signals Node ignores (SIGPIPE), 128 + the number is the answer.
 */
const RERAISED_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGALRM']);

/** How the child ended: an exit code, or the signal that killed it. */
export type ChildOutcome = { code: number; signal?: undefined } | { code?: undefined; signal: NodeJS.Signals };

/**
 * Runs `argv` with `env`, stdio inherited, arguments passed as they are (no shell).
 * While it runs, SIGINT, SIGTERM and SIGHUP sent to sentinel go to the child instead
 * of killing sentinel, so it can still clean up after the child. A command that cannot
 * be started is a `CliError` (`COMMAND_NOT_FOUND`, `COMMAND_NOT_EXECUTABLE`,
 * `COMMAND_FAILED_TO_START`).
 */
export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildOutcome> {
  const [file, ...args] = argv;
  if (file === undefined || file === '') {
    return Promise.reject(new CliError('COMMAND_NOT_FOUND', 'no command to run'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      // The child may already be gone; then there is nobody left to tell.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const stopForwarding = (): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      stopForwarding();
      reject(startError(file, error));
    });
    child.once('exit', (code, signal) => {
      stopForwarding();
      resolve(signal !== null ? { signal } : { code: code ?? 1 });
    });
  });
}

function startError(file: string, error: NodeJS.ErrnoException): CliError {
  const name = JSON.stringify(file);
  if (error.code === 'ENOENT') return new CliError('COMMAND_NOT_FOUND', `cannot run ${name}: command not found`, { cause: error });
  if (error.code === 'EACCES') return new CliError('COMMAND_NOT_EXECUTABLE', `cannot run ${name}: permission denied`, { cause: error });
  return new CliError('COMMAND_FAILED_TO_START', `cannot run ${name}: ${error.code ?? error.message}`, { cause: error });
}

/** The exit code a shell reports for a command that could not be started: 127 not found, 126 otherwise. */
export function startFailureExitCode(error: CliError): number {
  return error.code === 'COMMAND_NOT_FOUND' ? 127 : 126;
}

/** The shell's exit status for death by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Ends sentinel the way the child ended: with its exit code, or by the same signal, so
 * a parent shell sees "killed by SIGINT" and stops its script as it would for the
 * command itself. Returns the exit code to use when the signal is not re-raised.
 */
export function passOn(outcome: ChildOutcome): number {
  if (outcome.signal === undefined) return outcome.code;
  if (RERAISED_SIGNALS.has(outcome.signal)) {
    // runChild has stopped listening, so the default action (terminate) applies; if
    // something else still listens, we live on and exit with 128 + n below.
    process.kill(process.pid, outcome.signal);
  }
  return signalExitCode(outcome.signal);
}
