import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { CachedIdentityRoleVerifier, IDENTITY_ROLE_CACHE_DEFAULTS } from '../../../src/identity/CachedIdentityRoleVerifier.js';
import type { IdentityRoleVerifier } from '../../../src/identity/types.js';
import { caught } from '../../support/caught.js';

const ACCOUNT = '111122223333';
const ROLE = 'AWSReservedSSO_Admin_0123456789abcdef';

/** An inner verifier that answers from `answers` (or fails), counting calls; `release` resolves held calls. */
function inner(answers: Record<string, boolean | Error>) {
  const calls: string[] = [];
  const verifier: IdentityRoleVerifier = {
    async isIdentityRole(accountId, roleName, roleId) {
      const key = `${accountId}/${roleName}/${roleId}`;
      calls.push(key);
      const answer = answers[key] ?? false;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { verifier, calls };
}

function clock(start = Date.parse('2026-11-18T10:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => void (now += seconds * 1000) };
}

describe('CachedIdentityRoleVerifier', () => {
  it('asks IAM once per hour for a role that is one', async () => {
    const { verifier, calls } = inner({ [`${ACCOUNT}/${ROLE}/AROA1`]: true });
    const time = clock();
    const cache = new CachedIdentityRoleVerifier(verifier, time);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    time.advance(IDENTITY_ROLE_CACHE_DEFAULTS.positiveTtlSeconds - 1);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    expect(calls).toHaveLength(1);
    time.advance(1);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('keeps a "no" for a minute only, so a role IAM did not show yet is seen soon', async () => {
    const answers: Record<string, boolean> = {};
    const { verifier, calls } = inner(answers);
    const time = clock();
    const cache = new CachedIdentityRoleVerifier(verifier, time);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(false);
    answers[`${ACCOUNT}/${ROLE}/AROA1`] = true;
    time.advance(59);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(false);
    time.advance(1);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('keys on the unique id: a recreated role of the same name is asked about afresh', async () => {
    const { verifier, calls } = inner({ [`${ACCOUNT}/${ROLE}/AROA1`]: true });
    const cache = new CachedIdentityRoleVerifier(verifier, clock());
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA2')).toBe(false);
    expect(calls).toEqual([`${ACCOUNT}/${ROLE}/AROA1`, `${ACCOUNT}/${ROLE}/AROA2`]);
  });

  it('never keeps a failure: the next request asks again', async () => {
    const failure = new UnavailableError('IAM is unavailable');
    const answers: Record<string, boolean | Error> = { [`${ACCOUNT}/${ROLE}/AROA1`]: failure };
    const { verifier, calls } = inner(answers);
    const cache = new CachedIdentityRoleVerifier(verifier, clock());
    expect(await caught(cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1'))).toBe(failure);
    answers[`${ACCOUNT}/${ROLE}/AROA1`] = true;
    expect(await cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('shares one lookup between concurrent questions about the same role', async () => {
    const { verifier, calls } = inner({ [`${ACCOUNT}/${ROLE}/AROA1`]: true });
    const cache = new CachedIdentityRoleVerifier(verifier, clock());
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.isIdentityRole(ACCOUNT, ROLE, 'AROA1')));
    expect(answers).toEqual([true, true, true, true, true]);
    expect(calls).toHaveLength(1);
  });

  it('holds at most maxEntries answers, dropping the oldest', async () => {
    const { verifier, calls } = inner({});
    const cache = new CachedIdentityRoleVerifier(verifier, clock(), { positiveTtlSeconds: 3600, negativeTtlSeconds: 3600, maxEntries: 2 });
    for (const id of ['AROA1', 'AROA2', 'AROA3']) await cache.isIdentityRole(ACCOUNT, `AWSReservedSSO_${id}`, id);
    await cache.isIdentityRole(ACCOUNT, 'AWSReservedSSO_AROA3', 'AROA3');
    await cache.isIdentityRole(ACCOUNT, 'AWSReservedSSO_AROA2', 'AROA2');
    expect(calls).toHaveLength(3);
    await cache.isIdentityRole(ACCOUNT, 'AWSReservedSSO_AROA1', 'AROA1');
    expect(calls).toHaveLength(4);
  });
});
