/**
 * Text the CLI did not write itself (the API's error messages, the reason and rule of a
 * denial, names) made safe to print. A terminal acts on some characters instead of
 * showing them: an OSC sequence retitles the window, a CSI sequence erases lines, a
 * bidirectional override reverses what follows. The CLI never trusts the server with
 * that, so every such character is shown as a visible escape (`\u001b`) at the points
 * where server text is written: denial guidance (src/cli/guidance.ts) and error
 * reports (src/cli/report.ts).
 *
 * The characters are the ones the policy parser refuses in a document
 * (src/policy/parse.ts, `controlCharacterIn`); a test holds the two to the same set.
 */

/**
 * Whether a terminal acts on the character `code` instead of showing it: C0 (tab and
 * newline included), DEL, C1, the bidirectional controls (embeddings, overrides,
 * isolates and marks) and the Unicode line and paragraph separators.
 */
export function isTerminalControl(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x2028 ||
    code === 0x2029
  );
}

/** Whether `text` holds any character {@link isTerminalControl} names. */
export function hasTerminalControl(text: string): boolean {
  for (const char of text) if (isTerminalControl(char.codePointAt(0)!)) return true;
  return false;
}

/** `\u001b`: the escape JSON and JavaScript use, four lower-case hex digits. */
function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every character a terminal would act on written as a visible escape
 * (`\u001b`, `\u202e`, `\u000a`): safe to print, and always one line.
 */
export function printable(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += isTerminalControl(code) ? unicodeEscape(code) : char;
  }
  return out;
}

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
    out += code > 0x1f && isTerminalControl(code) ? unicodeEscape(code) : char;
  }
  return out;
}
