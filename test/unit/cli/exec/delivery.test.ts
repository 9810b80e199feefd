import { describe, expect, it } from 'vitest';
import { ApiError, CliError } from '../../../../src/cli/errors.js';
import { failureKind, refreshDueAt, refreshLeadMs, retryDelayMs } from '../../../../src/cli/exec/delivery.js';

const MINUTE = 60_000;

describe('when held credentials are renewed', () => {
  it.each([
    // The default max_server_duration: every 4 minutes, 11 minutes before expiry (outside botocore's mandatory 10).
    [15, 11, 4],
    [20, 11, 9],
    [25, 11, 14],
    // Long enough to renew outside botocore's advisory 15 minutes, so it stops asking the endpoint.
    [26, 16, 10],
    [60, 16, 44],
    [720, 16, 704],
  ])('%i-minute credentials: %i minutes before expiry, %i minutes after they arrived', (lifetime, lead, after) => {
    expect(refreshLeadMs(lifetime * MINUTE)).toBe(lead * MINUTE);
    expect(refreshDueAt(0, lifetime * MINUTE)).toBe(after * MINUTE);
  });

  it('credentials cut short (the session lifetime cap, a clock off) are renewed after a minute at the soonest, and never after they expire', () => {
    expect(refreshDueAt(0, 5 * MINUTE)).toBe(MINUTE);
    expect(refreshDueAt(0, 30_000)).toBe(30_000);
    expect(refreshDueAt(0, -1)).toBe(-1);
  });
});

describe('retryDelayMs', () => {
  it('doubles from 1 s up to the cap, waiting between half of it and all of it', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((failures) => retryDelayMs(failures, () => 0))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect([1, 2, 6, 30].map((failures) => retryDelayMs(failures, () => 0.999_999))).toEqual([1_000, 2_000, 30_000, 30_000]);
    expect([1, 4, 5].map((failures) => retryDelayMs(failures, () => 0, 5_000))).toEqual([500, 2_500, 2_500]);
  });
});

describe('failureKind', () => {
  it.each([
    ['SESSION_REVOKED', 403],
    ['SESSION_ENDED', 403],
    ['SESSION_EXPIRED', 403],
    ['POLICY_DENY', 403],
    ['SERVER_SESSION_REQUIRED', 403],
    ['NOT_OWNER', 403],
    ['INVALID_REQUEST', 400],
    ['NOT_FOUND', 404],
    ['UNKNOWN_PROFILE', 404],
    ['CONFLICT', 409],
  ] as const)('%s (%i) is a refusal: the endpoint stops', (code, status) => {
    expect(failureKind(new ApiError(code, 'no', { status }))).toBe('refusal');
  });

  it.each([
    ['RATE_LIMITED', 429],
    ['UNAVAILABLE', 503],
    ['INTERNAL', 500],
    ['API_BAD_RESPONSE', 502],
    ['API_BAD_RESPONSE', 404],
    ['API_FORBIDDEN', 403],
    ['API_UNREACHABLE', undefined],
    ['API_TIMEOUT', undefined],
    ['NO_AWS_CREDENTIALS', undefined],
  ] as const)('%s (%s) is transient: the endpoint keeps serving and tries again', (code, status) => {
    expect(failureKind(new ApiError(code, 'no', status === undefined ? {} : { status }))).toBe('transient');
  });

  it('anything that is not an API answer is transient', () => {
    expect(failureKind(new CliError('SERVER_START_FAILED', 'x'))).toBe('transient');
    expect(failureKind(new TypeError('x'))).toBe('transient');
  });
});
