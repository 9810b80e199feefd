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
        'To ask for access: sentinel request --profile prod-admin\n' +
        'In an emergency: sentinel breakglass --profile prod-admin',
    );
  });

  it('leaves out break-glass when the user may not invoke it, and names the rule once', () => {
    const text = renderDenialGuidance(
      denial({ rule: 'no-prod', reason: 'denied by rule "no-prod"', alternatives: ['request'] }),
    );
    expect(text).toBe(
      'access to profile "prod" is denied: denied by rule "no-prod"\n' + 'To ask for access: sentinel request --profile prod',
    );
  });

  it('names the rule after a reason of its own', () => {
    expect(renderDenialGuidance(denial({ rule: 'no-prod', reason: 'Freeze until Monday', alternatives: ['request'] }))).toBe(
      'access to profile "prod" is denied: Freeze until Monday (rule "no-prod")\nTo ask for access: sentinel request --profile prod',
    );
  });

  it('says no rule matched without naming one', () => {
    expect(renderDenialGuidance(denial({ rule: '', reason: 'no matching rule', alternatives: ['request'] }))).toBe(
      'access to profile "prod" is denied: no matching rule\nTo ask for access: sentinel request --profile prod',
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

  it('escapes quotes and control characters in the prose', () => {
    expect(renderDenialGuidance(denial({ profile: 'a"b\nc', alternatives: ['request'] }))).toBe(
      'access to profile "a\\"b\\nc" is denied: Production needs tracked server sessions (rule "prod-tracked")\n' +
        `To ask for access: sentinel request --profile 'a"b\nc'`,
    );
  });
});
