/**
 * The words of src/cli/sessions/render.ts that the command tests do not pin line by
 * line: times to the minute, and telling an earlier revocation from one made now.
 */
import { describe, expect, it } from 'vitest';
import { minuteTime } from '../../../../src/cli/sessions/render.js';

describe('minuteTime', () => {
  it('is the UTC time to the minute, seconds dropped', () => {
    expect(minuteTime('2025-03-14T09:30:59.999Z')).toBe('2025-03-14T09:30Z');
    expect(minuteTime('2025-03-14T10:30:00+01:00')).toBe('2025-03-14T09:30Z');
  });

  it('shows anything that is not a time as it came', () => {
    expect(minuteTime('soon')).toBe('soon');
  });
});
