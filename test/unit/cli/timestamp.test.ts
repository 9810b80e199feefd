import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../../../src/cli/timestamp.js';

describe('parseRfc3339', () => {
  it('reads UTC and offset timestamps as the same instant', () => {
    expect(parseRfc3339('2025-03-14T09:30:00Z')?.toISOString()).toBe('2025-03-14T09:30:00.000Z');
    expect(parseRfc3339('2025-03-14T10:30:00+01:00')?.toISOString()).toBe('2025-03-14T09:30:00.000Z');
    expect(parseRfc3339('2025-03-14T04:00:00-05:30')?.toISOString()).toBe('2025-03-14T09:30:00.000Z');
    expect(parseRfc3339('2025-03-14t09:30:00z')?.toISOString()).toBe('2025-03-14T09:30:00.000Z');
    expect(parseRfc3339('2025-03-14T09:30:00-00:00')?.toISOString()).toBe('2025-03-14T09:30:00.000Z');
  });

  it('keeps fractions to the millisecond', () => {
    expect(parseRfc3339('2025-03-14T09:30:00.1239Z')?.toISOString()).toBe('2025-03-14T09:30:00.123Z');
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseRfc3339('2025-02-29T00:00:00Z')).toBeUndefined();
  });

  it.each([
    ['a date without a time', '2025-03-14'],
    ['a time without an offset', '2025-03-14T09:30:00'],
    ['a space instead of T', '2025-03-14 09:30:00Z'],
    ['no seconds', '2025-03-14T09:30Z'],
    ['31 April', '2025-04-31T00:00:00Z'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['day 0', '2025-01-00T00:00:00Z'],
    ['hour 24', '2025-03-14T24:00:00Z'],
    ['minute 60', '2025-03-14T09:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset without a colon', '2025-03-14T09:30:00+0100'],
    ['an offset hour of 24', '2025-03-14T09:30:00+24:00'],
    ['epoch milliseconds', '1741944600000'],
    ['an empty string', ''],
  ])('rejects %s', (_label, value) => {
    expect(parseRfc3339(value)).toBeUndefined();
  });
});
