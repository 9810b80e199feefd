/**
 * Turns the structured facts of a denial into words and the exact next command.
 *
 * The API only sends facts (src/api/denial.ts); every surface of the CLI that shows a
 * denial (`exec`, `credentials`, `policy eval`) renders it here, so the advice is the
 * same wherever the user meets it.
 *
 * Every fact comes from the server, so none reaches the terminal raw: control
 * characters in the prose are shown as `\u001b`-style escapes (src/cli/sanitize.ts),
 * and in a command as `$'…'` escapes, so the command still names the same value.
 */

import type { Denial } from '../api/denial.js';
import { hasTerminalControl, printable } from './sanitize.js';

/** Characters a POSIX shell word can hold without quoting. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:@%+=/-]+$/;

/** Escapes inside `$'…'` that read better than a hex code. */
const ANSI_C_NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\', "'": "\\'" };

/**
 * A value as one shell word: bare when safe, else single-quoted; one holding a control
 * character as an ANSI-C `$'…'` string (bash, zsh, ksh and POSIX.1-2024 sh), where
 * the character is an escape (`\x1b`, `\u202e`) rather than itself. `ownText`: the
 * user's own command, whose line breaks and tabs (a multi-line `node -e` script) stay
 * as typed inside single quotes, which every POSIX shell reads back the same.
 */
export function shellWord(value: string, ownText = false): string {
  if (SHELL_SAFE.test(value)) return value;
  const controls = ownText ? value.replace(/[\n\t]/g, '') : value;
  if (!hasTerminalControl(controls)) return `'${value.replaceAll("'", `'\\''`)}'`;
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    const named = ANSI_C_NAMED[char];
    if (named !== undefined) out += named;
    else if (!hasTerminalControl(char)) out += char;
    // \x for ASCII; \u above it, since $'\x9b' would be the raw byte, not U+009B.
    else out += code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `$'${out}'`;
}

/** A name in the prose: quoted as JSON does, then made printable. */
function quoted(value: string): string {
  return printable(JSON.stringify(value));
}

/**
 * The access-request line of a denial (docs/cli.md, Access requests): the exact
 * `sentinel request` to run, with `"…"` where the user writes why they need access.
 */
function accessRequestAdvice(profileWord: string): string {
  return `To ask for access: sentinel request --profile ${profileWord} --justification "…"`;
}

/**
 * The break-glass line of a denial: the whole `sentinel breakglass` command when the
 * entries the caller may invoke accept one reason code; with several, `<code>` and the
 * codes to choose from after it, since the code says why and only the caller knows; with
 * none known (a server older than the field), `<code>` alone.
 */
function breakglassAdvice(profileWord: string, reasonCodes: readonly string[]): string {
  const code = reasonCodes.length === 1 ? shellWord(reasonCodes[0] ?? '') : '<code>';
  const choices = reasonCodes.length > 1 ? ` (code: ${reasonCodes.map((value) => shellWord(value)).join(', ')})` : '';
  return `In an emergency: sentinel breakglass --profile ${profileWord} --reason-code ${code} --justification "…"${choices}`;
}

const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

/**
 * Guidance for a denial, one or more lines without a trailing newline.
 *
 * Server-mode denials (server mode and/or session tracking required) name the
 * missing flag or the full `sentinel exec --server …` command, and say they cannot be
 * bypassed. Other denials show the reason and rule, then the access request and,
 * when the caller may use it, break-glass. `<table>` stands in for a session table
 * the caller has to choose because none is known; `<cmd>` for the command to run,
 * unless `options.command` gives it.
 */
export function renderDenialGuidance(denial: Denial, options: { command?: readonly string[] } = {}): string {
  const cmd = options.command === undefined || options.command.length === 0 ? '<cmd>' : options.command.map((word) => shellWord(word, true)).join(' ');
  const profileText = quoted(denial.profile);
  const profileWord = shellWord(denial.profile);
  const table = denial.sessionTable === null || denial.sessionTable === '' ? '<table>' : shellWord(denial.sessionTable);
  const { requiresServerMode, requiresSessionTracking } = denial;

  if (requiresServerMode || requiresSessionTracking) {
    const requirement =
      requiresServerMode && requiresSessionTracking
        ? 'server mode with session tracking'
        : requiresServerMode
          ? 'server mode'
          : 'session tracking';
    const execCommand = requiresSessionTracking
      ? `sentinel exec --server --session-table ${table} --profile ${profileWord} -- ${cmd}`
      : `sentinel exec --server --profile ${profileWord} -- ${cmd}`;
    let advice: string;
    if (denial.mode === 'credential_process') {
      // credential_process can only hand out static keys: no server, no tracked session.
      advice = `policy requires ${requirement} for profile ${profileText}, and credential_process does not support server mode or session tracking. Use: ${execCommand}`;
    } else if (requiresServerMode && requiresSessionTracking) {
      advice = `policy requires ${requirement} for profile ${profileText}. Use: ${execCommand}`;
    } else if (requiresSessionTracking) {
      advice = `policy requires ${requirement} for profile ${profileText}. Add --session-table ${table} flag`;
    } else {
      advice = `policy requires ${requirement} for profile ${profileText}. Add --server flag`;
    }
    return `${advice}\n${NEVER_BYPASSED}`;
  }

  // Generated reasons already name the rule; say it once.
  const rule = denial.rule === '' || denial.reason.includes(JSON.stringify(denial.rule)) ? '' : ` (rule ${quoted(denial.rule)})`;
  const reason = printable(denial.reason);
  const lines =
    denial.effect === 'require_approval'
      ? [`profile ${profileText} requires an approved access request: ${reason}${rule}`]
      : [`access to profile ${profileText} is denied: ${reason}${rule}`];
  if (denial.alternatives.includes('request')) lines.push(accessRequestAdvice(profileWord));
  if (denial.alternatives.includes('breakglass')) {
    lines.push(breakglassAdvice(profileWord, denial.breakglassReasonCodes ?? []));
  }
  return lines.join('\n');
}
