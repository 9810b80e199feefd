/**
 * How commands write results: `--output text|json`, stdout for results, stderr for
 * diagnostics.
 */

import type { Command } from 'commander';

/** The values of the global `--output` option. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `--output` format in effect for a command (the option is global). */
export function outputFormat(command: Command): OutputFormat {
  const value: unknown = command.optsWithGlobals()['output'];
  return value === 'json' ? 'json' : 'text';
}

/** A JSON document on stdout, pretty-printed with two spaces, newline-terminated. */
export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Lines of text on stdout. */
export function writeOut(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Lines of text on stderr. */
export function writeErr(lines: readonly string[]): void {
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
}
