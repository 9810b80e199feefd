/**
 * Entry point of the `sentinel` CLI bundle (dist/cli/sentinel.cjs), loaded by bin/sentinel.
 */

import { run } from './program.js';

// `sentinel … | head` closes the pipe before we finish writing: the reader has what it
// wanted, so stop quietly instead of dying with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

/** Calls `done` once everything written to stdout and stderr so far has been handed to the OS. */
function afterFlush(done: () => void): void {
  let pending = 2;
  const one = (): void => {
    pending -= 1;
    if (pending === 0) done();
  };
  process.stdout.write('', one);
  process.stderr.write('', one);
}

void run(process.argv).then((code) => {
  process.exitCode = code;
  // Exit as soon as the output is out: idle keep-alive sockets of the API client and
  // other handles would otherwise hold the process open for a noticeable moment after
  // the work (and, for exec, the child) is done.
  afterFlush(() => process.exit(code));
});
