import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { MAX_USER_LENGTH, STS_NAME_MAX_LENGTH, roleSessionName, sourceIdentity } from '../../../src/identity/names.js';

/** What STS accepts for SourceIdentity and RoleSessionName. */
const STS_VALUE = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-'.split('');
const NAME_CHARS_WITHOUT_EQUALS = NAME_CHARS.filter((c) => c !== '=');

function iamName(chars: string[], maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength });
}

/** Any user resolveCaller can produce: an IAM name, or role/session, at most 33 characters. */
function user(chars: string[] = NAME_CHARS): fc.Arbitrary<string> {
  const plain = iamName(chars, MAX_USER_LENGTH);
  const roleSession = fc
    .tuple(iamName(chars, MAX_USER_LENGTH), iamName(chars, MAX_USER_LENGTH))
    .map(([role, session]) => `${role}/${session}`)
    .filter((u) => u.length <= MAX_USER_LENGTH);
  return fc.oneof(plain, roleSession);
}

const hex8 = fc.stringMatching(/^[0-9a-f]{8}$/);
const via = fc.oneof(fc.constant('direct'), hex8.map((h) => `apr-${h}`), hex8.map((h) => `bg-${h}`));

function internal(fn: () => unknown): SentinelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SentinelError);
    expect((error as SentinelError).code).toBe('INTERNAL');
    return error as SentinelError;
  }
  throw new Error('expected a SentinelError');
}

describe('sourceIdentity and roleSessionName', () => {
  it('MAX_USER_LENGTH is 33: the longest user that fits with apr-<8 hex> and an 8-digit request id', () => {
    expect(MAX_USER_LENGTH).toBe(33);
    expect(sourceIdentity('u'.repeat(33), 'apr-0123abcd', '89abcdef')).toHaveLength(STS_NAME_MAX_LENGTH);
  });

  it.each([
    ['alice', 'direct', '0f3a9c21', 'sentinel.alice.direct.0f3a9c21', 'sentinel-alice-0f3a9c21'],
    ['alice@example.com', 'apr-0a1b2c3d', 'deadbeef', 'sentinel.alice@example.com.apr-0a1b2c3d.deadbeef', 'sentinel-alice@example.com-deadbeef'],
    ['deploy/ci', 'bg-00000000', '0123456789abcdef', 'sentinel.deploy=ci.bg-00000000.0123456789abcdef', 'sentinel-deploy=ci-0123456789abcdef'],
  ])('%s via %s (%s)', (u, v, id, expectedSource, expectedSession) => {
    expect(sourceIdentity(u, v, id)).toBe(expectedSource);
    expect(roleSessionName(u, id)).toBe(expectedSession);
  });

  it('always fits STS for any valid user, via and 8-digit request id', () => {
    fc.assert(
      fc.property(user(), via, hex8, (u, v, id) => {
        expect(sourceIdentity(u, v, id)).toMatch(STS_VALUE);
        expect(roleSessionName(u, id)).toMatch(STS_VALUE);
      }),
    );
  });

  it('maps distinct users to distinct names when no name contains "="', () => {
    fc.assert(
      fc.property(user(NAME_CHARS_WITHOUT_EQUALS), user(NAME_CHARS_WITHOUT_EQUALS), via, hex8, (a, b, v, id) => {
        fc.pre(a !== b);
        expect(sourceIdentity(a, v, id)).not.toBe(sourceIdentity(b, v, id));
        expect(roleSessionName(a, id)).not.toBe(roleSessionName(b, id));
      }),
    );
  });

  it('is not injective when a name contains "=" (documented; the session record keeps the exact user)', () => {
    expect(sourceIdentity('deploy/alice', 'direct', '0f3a9c21')).toBe(sourceIdentity('deploy=alice', 'direct', '0f3a9c21'));
  });

  it.each([
    ['an empty user', '', 'direct', '0f3a9c21'],
    ['a user of 34 characters', 'u'.repeat(34), 'direct', '0f3a9c21'],
    ['a user with a space', 'al ice', 'direct', '0f3a9c21'],
    ['a user with two slashes', 'a/b/c', 'direct', '0f3a9c21'],
    ['a user with a colon', 'a:b', 'direct', '0f3a9c21'],
    ['an unknown via', 'alice', 'approved', '0f3a9c21'],
    ['a via with upper-case hex', 'alice', 'apr-0A1B2C3D', '0f3a9c21'],
    ['a via with 7 hex digits', 'alice', 'bg-0a1b2c3', '0f3a9c21'],
    ['a request id of 7 digits', 'alice', 'direct', '0f3a9c2'],
    ['an upper-case request id', 'alice', 'direct', '0F3A9C21'],
    ['a request id that is not hex', 'alice', 'direct', 'zzzzzzzz'],
  ])('sourceIdentity throws INTERNAL for %s', (_name, u, v, id) => {
    internal(() => sourceIdentity(u, v, id));
  });

  it('throws INTERNAL rather than truncate when a long request id overflows 64 characters', () => {
    const error = internal(() => sourceIdentity('u'.repeat(33), 'apr-0123abcd', '89abcdef0'));
    expect(error.message).toMatch(/is 65 characters; STS allows 64$/);
    expect(roleSessionName('u'.repeat(33), '0'.repeat(21))).toHaveLength(64);
    internal(() => roleSessionName('u'.repeat(33), '0'.repeat(22)));
  });

  it.each([
    ['an empty user', '', '0f3a9c21'],
    ['a user of 34 characters', 'u'.repeat(34), '0f3a9c21'],
    ['a bad request id', 'alice', 'xyz'],
  ])('roleSessionName throws INTERNAL for %s', (_name, u, id) => {
    internal(() => roleSessionName(u, id));
  });
});
