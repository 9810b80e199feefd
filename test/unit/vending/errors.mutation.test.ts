import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/policy/types.js';
import { denialCode, denialMessage } from '../../../src/vending/errors.js';

// The code and the one-line message a refused caller gets (src/vending/errors.ts).

function decision(overrides: Partial<Decision>): Decision {
  return {
    effect: 'deny',
    rule: 'r',
    ruleIndex: 0,
    reason: 'because',
    requiresServerMode: false,
    requiresSessionTracking: false,
    sessionTable: null,
    maxServerDurationSeconds: null,
    ...overrides,
  };
}

describe('denialCode', () => {
  it.each([
    [{ effect: 'require_approval' } as const, 'APPROVAL_REQUIRED'],
    [{ requiresServerMode: true, requiresSessionTracking: true }, 'SERVER_SESSION_REQUIRED'],
    [{ requiresServerMode: true }, 'SERVER_MODE_REQUIRED'],
    [{ requiresSessionTracking: true }, 'SESSION_TRACKING_REQUIRED'],
    [{}, 'POLICY_DENY'],
    [{ rule: '', ruleIndex: -1, reason: 'no rule matched' }, 'POLICY_DENY'],
  ])('%o → %s', (overrides, code) => {
    expect(denialCode(decision(overrides))).toBe(code);
  });
});

describe('denialMessage', () => {
  it('says a require_approval profile needs an approved access request, with the rule reason', () => {
    expect(denialMessage('prod-admin', decision({ effect: 'require_approval', reason: 'two people' }))).toBe(
      'profile "prod-admin" requires an approved access request: two people',
    );
  });

  it('says anything else is denied, with the rule reason', () => {
    expect(denialMessage('prod', decision({ reason: 'change freeze' }))).toBe('access to profile "prod" is denied: change freeze');
    expect(denialMessage('prod', decision({ requiresServerMode: true, reason: 'server only' }))).toBe('access to profile "prod" is denied: server only');
  });
});
