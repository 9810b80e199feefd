/**
 * Turns the structured facts of a denial into words and the exact next command.
 *
 * The API only sends facts (src/api/denial.ts); every surface of the CLI that shows a
 * denial (`exec`, `credentials`, `policy eval`) renders it here, so the advice is the
 * same wherever the user meets it.
 */

import type { Denial } from '../api/denial.js';

/** Characters a POSIX shell word can hold without quoting. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:@%+=/-]+$/;

/** A value as one shell word: bare when safe, else single-quoted. */
function shellWord(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
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
  const cmd = options.command === undefined || options.command.length === 0 ? '<cmd>' : options.command.map(shellWord).join(' ');
  const profileText = JSON.stringify(denial.profile);
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
  const ruleName = JSON.stringify(denial.rule);
  const rule = denial.rule === '' || denial.reason.includes(ruleName) ? '' : ` (rule ${ruleName})`;
  const lines =
    denial.effect === 'require_approval'
      ? [`profile ${profileText} requires an approved access request: ${denial.reason}${rule}`]
      : [`access to profile ${profileText} is denied: ${denial.reason}${rule}`];
  if (denial.alternatives.includes('request')) {
    lines.push(`To ask for access: sentinel request --profile ${profileWord}`);
  }
  if (denial.alternatives.includes('breakglass')) {
    lines.push(`In an emergency: sentinel breakglass --profile ${profileWord}`);
  }
  return lines.join('\n');
}
