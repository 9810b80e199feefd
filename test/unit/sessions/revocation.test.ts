import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import {
  addRevocation,
  INLINE_POLICY_BUDGET,
  parseRevocationPolicy,
  policyCharacters,
  pruneRevocations,
  REVOCATION_CAPACITY,
  REVOCATION_CONDITION_KEY,
  REVOCATION_POLICY_NAME,
  RevocationPolicyFullError,
  revocationPolicy,
} from '../../../src/sessions/revocation.js';
import { caught } from '../../support/caught.js';

/** The n-th 32-hex session id. */
const id = (n: number) => n.toString(16).padStart(32, '0');
const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => id(from + i));

describe('revocationPolicy', () => {
  it('is one Deny of everything, conditioned on the SentinelSessionID tag being a revoked id', () => {
    const document = JSON.parse(revocationPolicy([id(1), id(2)])) as unknown;
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'SentinelRevokedSessions',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalTag/SentinelSessionID': [id(1), id(2)] } },
        },
      ],
    });
  });

  it('is minified as IAM stores it, so its size is what IAM counts', () => {
    const document = revocationPolicy([id(1)]);
    expect(document).not.toMatch(/\s/);
    expect(policyCharacters(document)).toBe(document.length);
    expect(document).toBe(
      `{"Version":"2012-10-17","Statement":[{"Sid":"${REVOCATION_POLICY_NAME}","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"${REVOCATION_CONDITION_KEY}":["${id(1)}"]}}}]}`,
    );
  });

  it('refuses an empty list (the policy is deleted instead) and anything but a session id', () => {
    expect(() => revocationPolicy([])).toThrow(/delete it instead/);
    expect(() => revocationPolicy(['"],"Effect":"Allow'])).toThrow(/32 hex digits/);
  });

  it('does not count whitespace, as IAM does not', () => {
    expect(policyCharacters('{ "a" :\n\t"b" }')).toBe(9);
  });
});

describe('the budget', () => {
  it(`fits ${REVOCATION_CAPACITY} session ids in ${INLINE_POLICY_BUDGET} characters, measured`, () => {
    let fits = 0;
    while (policyCharacters(revocationPolicy(ids(fits + 1))) <= INLINE_POLICY_BUDGET) fits += 1;
    expect(fits).toBe(REVOCATION_CAPACITY);
    // The document around the list, and 35 characters per further id ("…" and a comma).
    expect(policyCharacters(revocationPolicy(ids(1)))).toBe(221);
    expect(policyCharacters(revocationPolicy(ids(fits)))).toBe(221 + (fits - 1) * 35);
  });

  it('refuses the entry that would not fit, naming the limit, and keeps every entry', async () => {
    const full = addRevocation([], ids(REVOCATION_CAPACITY));
    const error = await caught(Promise.resolve().then(() => addRevocation(full, id(100_000))));
    expect(error).toBeInstanceOf(RevocationPolicyFullError);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/SentinelRevokedSessions is full: .*10,240 characters/);
    expect(error.retryAfterSeconds).toBe(60);
    expect((error as RevocationPolicyFullError).entries).toBe(REVOCATION_CAPACITY + 1);
    expect(full).toEqual(ids(REVOCATION_CAPACITY));
  });

  it('adds nothing from a batch that would not fit as a whole', () => {
    const nearlyFull = ids(REVOCATION_CAPACITY - 1);
    expect(() => addRevocation(nearlyFull, [id(5000), id(5001)])).toThrow(RevocationPolicyFullError);
    expect(addRevocation(nearlyFull, [id(5000)])).toHaveLength(REVOCATION_CAPACITY);
  });

  it('honours a smaller budget when the role has other inline policies', () => {
    expect(() => addRevocation(ids(10), id(999), 221 + 9 * 35)).toThrow(RevocationPolicyFullError);
  });
});

describe('addRevocation', () => {
  it('appends, oldest first, and is idempotent', () => {
    const once = addRevocation([id(1)], id(2));
    expect(once).toEqual([id(1), id(2)]);
    expect(addRevocation(once, id(2))).toEqual(once);
    expect(addRevocation(once, [id(1), id(3), id(3)])).toEqual([id(1), id(2), id(3)]);
  });

  it('does not change the list it was given', () => {
    const current = [id(1)];
    addRevocation(current, id(2));
    expect(current).toEqual([id(1)]);
  });
});

describe('pruneRevocations', () => {
  it('removes exactly the expired ids, keeps the rest in order (unknown ones too)', () => {
    expect(pruneRevocations([id(1), id(2), id(3)], new Set([id(2), id(9)]))).toEqual({ kept: [id(1), id(3)], removed: [id(2)] });
  });

  it('removes everything when every id has expired (the caller then deletes the policy)', () => {
    expect(pruneRevocations([id(1)], new Set([id(1)]))).toEqual({ kept: [], removed: [id(1)] });
    expect(pruneRevocations([id(1)], new Set())).toEqual({ kept: [id(1)], removed: [] });
  });
});

describe('parseRevocationPolicy', () => {
  it('reads back what revocationPolicy writes, and nothing when there is no policy', () => {
    expect(parseRevocationPolicy(revocationPolicy(ids(3)))).toEqual(ids(3));
    expect(parseRevocationPolicy(undefined)).toEqual([]);
  });

  it('accepts a single value stored as a string, and whitespace', () => {
    const document = JSON.stringify(JSON.parse(revocationPolicy([id(7)]), (key, value: unknown) => (key === REVOCATION_CONDITION_KEY ? id(7) : value)), null, 2);
    expect(parseRevocationPolicy(document)).toEqual([id(7)]);
  });

  it.each([
    ['not JSON', '{'],
    ['an Allow', revocationPolicy([id(1)]).replace('"Deny"', '"Allow"')],
    ['a narrower action', revocationPolicy([id(1)]).replace('"Action":"*"', '"Action":"s3:*"')],
    ['another condition operator', revocationPolicy([id(1)]).replace('StringEquals', 'StringLike')],
    ['a foreign value', revocationPolicy([id(1)]).replace(id(1), 'alice')],
    ['a second statement', revocationPolicy([id(1)]).replace(/\]\}$/, ',{"Effect":"Allow","Action":"*","Resource":"*"}]}')],
  ])('refuses a document changed outside Sentinel: %s', async (_name, document) => {
    const error = await caught(Promise.resolve().then(() => parseRevocationPolicy(document)));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/changed outside Sentinel/);
  });
});
