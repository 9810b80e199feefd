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

void run(process.argv).then((code) => {
  // Setting exitCode rather than calling process.exit lets stdout drain when piped.
  process.exitCode = code;
});
