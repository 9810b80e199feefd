/**
 * Parsed JSON as an object with named members: what the hand-written checks of decoded
 * data (the stored policy document, the API's error bodies, the CLI's credentials
 * cache entries) test before reading a member.
 */

/** Whether `value` is a non-null object that is not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
