/**
 * Text safe to print. A terminal acts on some characters instead of showing them: an
 * OSC sequence retitles the window, a CSI sequence erases lines, a bidirectional
 * override reverses what follows. The policy parser refuses them in every string of a
 * document (src/policy/parse.ts); the CLI escapes them in every server-supplied string
 * it prints (src/cli/sanitize.ts). One set for both, defined here.
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

/**
 * `text` with every character a terminal would act on written as a visible escape
 * (`\u001b`, `\u202e`, `\u000a`): safe to print, and always one line.
 */
export function printable(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += isTerminalControl(code) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}
