/**
 * Text the CLI did not write itself (the API's error messages, the reason and rule of a
 * denial, names) made safe to print. A terminal acts on some characters instead of
 * showing them: an OSC sequence retitles the window, a CSI sequence erases lines, a
 * bidirectional override reverses what follows. The CLI never trusts the server with
 * that, so every such character is shown as a visible escape (`\u001b`) at the points
 * where server text is written: denial guidance (src/cli/guidance.ts) and error
 * reports (src/cli/report.ts).
 *
 * The characters are the ones the policy parser refuses in a document: both use
 * src/text.ts.
 */

import { isTerminalControl, printable } from '../text.js';

export { hasTerminalControl, isTerminalControl, printable } from '../text.js';

/**
 * {@link printable} for the CLI's own multi-line messages: their line breaks stay,
 * everything else a terminal would act on is escaped.
 */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/**
 * A JSON text (from `JSON.stringify`) with the characters it leaves raw inside strings
 * — DEL, C1, the bidirectional controls, U+2028 and U+2029 — written as JSON `\u`
 * escapes. The document means the same; a terminal showing it acts on nothing.
 * (`JSON.stringify` escapes C0 inside strings itself; outside strings only its own
 * whitespace occurs, which stays.)
 */
export function printableJson(json: string): string {
  let out = '';
  for (const char of json) {
    const code = char.codePointAt(0)!;
    out += code > 0x1f && isTerminalControl(code) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}
