import { describe, expect, it } from 'vitest';
import { parseRecheckInterval, parseRequestDuration } from '../../../../src/cli/exec/duration.js';

describe('parseRequestDuration', () => {
  it.each([
    ['15m', 900],
    ['1h', 3600],
    ['3600s', 3600],
    ['900s', 900],
    ['1h30m', 5400],
    ['12h', 43_200],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseRequestDuration(text)).toBe(seconds);
  });

  it.each(['3600', '14m', '899s', '12h1s', '13h', '1d', '1.5h', '', '0s', '-1h', 'h'])('refuses %j', (text) => {
    expect(parseRequestDuration(text)).toBeUndefined();
  });
});

describe('parseRecheckInterval', () => {
  it.each([
    ['5s', 5],
    ['30s', 30],
    ['1m', 60],
    ['1m30s', 90],
    [' 2m ', 120],
    ['1h', 3600],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseRecheckInterval(text)).toBe(seconds);
  });

  it.each(['4s', '0s', '30', '1h1s', '2h', '1.5m', '', '-30s', '30 s'])('refuses %j', (text) => {
    expect(parseRecheckInterval(text)).toBeUndefined();
  });
});
