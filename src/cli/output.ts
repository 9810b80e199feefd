/**
 * How commands write: `--output text|json`, results on the context's stdout,
 * diagnostics on its stderr. Every helper takes the stream (or the context) it writes
 * to, so a command writes only where its context says.
 */

import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { printableJson, printableLines } from './sanitize.js';

/** The values of the global `--output` option. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `--output` format in effect for a command (the option is global). */
export function outputFormat(command: Command): OutputFormat {
  const value: unknown = command.optsWithGlobals()['output'];
  return value === 'json' ? 'json' : 'text';
}

/**
 * Writes `lines` to `stream`, each newline-terminated; nothing at all for no lines.
 * Lines often carry server text (names, ARNs, reasons): any character a terminal would
 * act on is shown as an escape (src/cli/sanitize.ts); the CLI's own text has none.
 */
export function writeLines(stream: NodeJS.WritableStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${printableLines(lines.join('\n'))}\n`);
}

/** A JSON document, two-space indented, newline-terminated (as `--output json` prints everywhere); the same document, nothing raw a terminal acts on. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${printableJson(JSON.stringify(value, null, 2))}\n`);
}

/** The streams and format the helpers below choose between. */
export type OutputTarget = Pick<CommandContext, 'format' | 'stdout' | 'stderr'>;

/**
 * Where text for people goes that is not the result itself (a plan, a diff shown before
 * a confirmation): stdout in text mode; stderr in JSON mode, so stdout holds the one
 * JSON document while whoever confirms still sees it.
 */
export function infoStream(target: OutputTarget): NodeJS.WritableStream {
  return target.format === 'json' ? target.stderr : target.stdout;
}

/** Lines of text for people on {@link infoStream}. */
export function writeInfo(target: OutputTarget, lines: readonly string[]): void {
  writeLines(infoStream(target), lines);
}

/** A `sentinel: …` diagnostic on stderr (the form reportError uses for failures). */
export function writeDiagnostic(target: Pick<OutputTarget, 'stderr'>, message: string): void {
  target.stderr.write(`sentinel: ${message}\n`);
}
