import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/policy/duration.js';

// Durations as users write them in a policy and read them in break-glass and request messages.

describe('parseDuration', () => {
  it.each([
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2h0m5s', 7205],
    ['12h', 43_200],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '0s', '0h0m', '90', '1.5h', '1d', '15 m', 'm', '1h 30m', '30m1h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [5400, '1h30m'],
    [900, '15m'],
    [3600, '1h'],
    [45, '45s'],
    [3661, '1h1m1s'],
    [43_200, '12h'],
    [3605, '1h5s'],
    [0, '0s'],
    [-30, '0s'],
  ])('writes %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes what parseDuration reads back to the same seconds', () => {
    for (const seconds of [1, 59, 60, 61, 899, 900, 3599, 3600, 3601, 5400, 43_199, 43_200, 86_400]) {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    }
  });
});
