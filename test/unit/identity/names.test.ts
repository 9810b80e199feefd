import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { MAX_USER_LENGTH, STS_NAME_MAX_LENGTH, roleSessionName, sourceIdentity } from '../../../src/identity/names.js';

/** What STS accepts for SourceIdentity and RoleSessionName. */
const STS_VALUE = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-'.split('');
/** Without the two characters the mapping writes, names cannot be mistaken for each other. */
const NAME_CHARS_WITHOUT_MAPPED = NAME_CHARS.filter((c) => c !== '=' && c !== '.');

function iamName(chars: string[], maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength });
}

/**
 * Any user resolveCaller can produce, at most 33 characters: a person's bare name,
 * `iam:<name>`, `role:<role>/<session>`, each of the last two also with an account in front.
 */
function user(chars: string[] = NAME_CHARS): fc.Arbitrary<string> {
  const name = iamName(chars, MAX_USER_LENGTH);
  const account = fc.option(fc.constantFrom('222233334444', '111122223333'), { nil: undefined }).map((a) => (a === undefined ? '' : `${a}:`));
  const iamUser = fc.tuple(account, name).map(([a, n]) => `${a}iam:${n}`);
  const roleSession = fc.tuple(account, name, name).map(([a, role, session]) => `${a}role:${role}/${session}`);
  return fc.oneof(name, iamUser, roleSession).filter((u) => u.length <= MAX_USER_LENGTH);
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
    ['iam:alice', 'direct', '0f3a9c21', 'sentinel.iam.alice.direct.0f3a9c21', 'sentinel-iam.alice-0f3a9c21'],
    ['role:deploy/ci-42', 'bg-00000000', '0123456789abcdef', 'sentinel.role.deploy=ci-42.bg-00000000.0123456789abcdef', 'sentinel-role.deploy=ci-42-0123456789abcdef'],
    ['222233334444:iam:alice', 'apr-0a1b2c3d', 'deadbeef', 'sentinel.222233334444.iam.alice.apr-0a1b2c3d.deadbeef', 'sentinel-222233334444.iam.alice-deadbeef'],
    ['222233334444:role:deploy/ci-42', 'direct', '0f3a9c21', 'sentinel.222233334444.role.deploy=ci-42.direct.0f3a9c21', 'sentinel-222233334444.role.deploy=ci-42-0f3a9c21'],
    // The spelling of earlier versions still maps (a stored session record may carry it).
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

  it('fits the longest users of every form exactly, with the longest via', () => {
    for (const u of ['p'.repeat(33), `iam:${'u'.repeat(29)}`, `role:${'r'.repeat(13)}/${'s'.repeat(14)}`, `222233334444:iam:${'u'.repeat(16)}`, `222233334444:role:${'r'.repeat(7)}/${'s'.repeat(7)}`]) {
      expect(u).toHaveLength(MAX_USER_LENGTH);
      expect(sourceIdentity(u, 'apr-0123abcd', '89abcdef')).toHaveLength(STS_NAME_MAX_LENGTH);
      expect(sourceIdentity(u, 'apr-0123abcd', '89abcdef')).toMatch(STS_VALUE);
    }
  });

  it('maps distinct users to distinct names when no name contains "=" or "."', () => {
    fc.assert(
      fc.property(user(NAME_CHARS_WITHOUT_MAPPED), user(NAME_CHARS_WITHOUT_MAPPED), via, hex8, (a, b, v, id) => {
        fc.pre(a !== b);
        expect(sourceIdentity(a, v, id)).not.toBe(sourceIdentity(b, v, id));
        expect(roleSessionName(a, id)).not.toBe(roleSessionName(b, id));
      }),
    );
  });

  it('is not injective when a name contains "=" or "." (documented; the session record keeps the exact user)', () => {
    expect(sourceIdentity('role:deploy/alice', 'direct', '0f3a9c21')).toBe(sourceIdentity('role.deploy=alice', 'direct', '0f3a9c21'));
    expect(sourceIdentity('iam:alice', 'direct', '0f3a9c21')).toBe(sourceIdentity('iam.alice', 'direct', '0f3a9c21'));
  });

  it.each([
    ['an empty user', '', 'direct', '0f3a9c21'],
    ['a user of 34 characters', 'u'.repeat(34), 'direct', '0f3a9c21'],
    ['a user with a space', 'al ice', 'direct', '0f3a9c21'],
    ['a user with two slashes', 'a/b/c', 'direct', '0f3a9c21'],
    ['a user with a colon that is no kind', 'a:b', 'direct', '0f3a9c21'],
    ['a role user without a session', 'role:deploy', 'direct', '0f3a9c21'],
    ['an IAM user with a slash', 'iam:a/b', 'direct', '0f3a9c21'],
    ['an account that is not 12 digits', '2222:iam:alice', 'direct', '0f3a9c21'],
    ['an iam: user of 34 characters', `iam:${'u'.repeat(30)}`, 'direct', '0f3a9c21'],
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
