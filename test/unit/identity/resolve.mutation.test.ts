/**
 * Identity rules the mutation run (npm run test:mutation) showed untested: ARN forms
 * that must be refused, pins that must match exactly what they name, and context
 * values that are not strings.
 */

import { describe, expect, it } from 'vitest';
import { parseIdentityRolePin, resolveCaller } from '../../../src/identity/resolve.js';
import type { AuthorizerIam, IdentityRoleVerifier, IdentityRules } from '../../../src/identity/types.js';
import { caught } from '../../support/caught.js';

const OWN = '111122223333';
const SECOND = '222222222222';

const RULES: IdentityRules = {
  ownAccountId: OWN,
  allowedAccounts: [OWN, SECOND],
  allowedOrganizations: [],
  identityRolePatterns: ['AWSReservedSSO_*'],
  identityRoles: [],
  identityRoleLookup: true,
};

/** Knows exactly the identity roles it is given as `account/name/id`. */
function verifier(known: string[] = []): IdentityRoleVerifier {
  return { isIdentityRole: async (accountId, roleName, roleId) => known.includes(`${accountId}/${roleName}/${roleId}`) };
}

function context(userArn: string, userId: unknown = 'AIDAEXAMPLE'): AuthorizerIam {
  return { accountId: userArn.split(':')[4] ?? null, userArn, userId: userId as string, accessKey: 'AKIAEXAMPLE', principalOrgId: null };
}

describe('resolveCaller refuses ARN forms it does not know', () => {
  it.each([
    ['a seventh ARN part', `arn:aws:sts::${OWN}:assumed-role/deploy/ci:extra`],
    ['another prefix than arn', `arx:aws:sts::${OWN}:assumed-role/deploy/ci`],
    ['an IAM user ARN under sts', `arn:aws:sts::${OWN}:user/alice`],
    ['an assumed-role ARN under iam', `arn:aws:iam::${OWN}:assumed-role/deploy/ci`],
  ])('%s: %s', async (_, arn) => {
    const error = await caught(resolveCaller(context(arn), RULES, verifier()));
    expect(error.code).toBe('INVALID_IDENTITY');
  });
});

describe('identity-role pins', () => {
  it('a pin by name makes that role a person, but no other role of the account', async () => {
    const rules: IdentityRules = { ...RULES, identityRoles: [{ accountId: SECOND, roleName: 'people' }] };
    const pinned = await resolveCaller(context(`arn:aws:sts::${SECOND}:assumed-role/people/alice`, 'AROAPEOPLE0000000001:alice'), rules, verifier());
    expect(pinned).toMatchObject({ user: 'alice', kind: 'person' });
    const other = await resolveCaller(context(`arn:aws:sts::${SECOND}:assumed-role/deploy/alice`, 'AROADEPLOY0000000001:alice'), rules, verifier());
    expect(other).toMatchObject({ user: `${SECOND}:role:deploy/alice`, kind: 'role', principal: `${SECOND}:role/deploy` });
  });

  it('a unique id that is not a string counts as none: a pin by id does not match it', async () => {
    const rules: IdentityRules = { ...RULES, identityRoles: [{ accountId: SECOND, roleId: 'AROAPEOPLE0000000001' }] };
    const arn = `arn:aws:sts::${SECOND}:assumed-role/people/alice`;
    expect(await resolveCaller(context(arn, 'AROAPEOPLE0000000001:alice'), rules, verifier())).toMatchObject({ kind: 'person' });
    const caller = await resolveCaller(context(arn, ['AROAPEOPLE0000000001:alice']), rules, verifier());
    expect(caller).toMatchObject({ user: `${SECOND}:role:people/alice`, kind: 'role' });
  });

  it('a role of the own account matching any one of several patterns is looked up', async () => {
    const rules: IdentityRules = { ...RULES, identityRolePatterns: ['AWSReservedSSO_*', 'people-*'] };
    const caller = await resolveCaller(
      context(`arn:aws:sts::${OWN}:assumed-role/people-eng/alice`, 'AROAPEOPLE0000000001:alice'),
      rules,
      verifier([`${OWN}/people-eng/AROAPEOPLE0000000001`]),
    );
    expect(caller).toMatchObject({ user: 'alice', kind: 'person', principal: 'person/alice' });
  });
});

describe('parseIdentityRolePin (SENTINEL_IDENTITY_ROLES entries)', () => {
  it.each([
    `x${OWN}:AROAPEOPLE0000000001`,
    `${OWN}:AROAPEOPLE0000000001x`,
    `arx:aws:iam::${OWN}:role/people`,
    `arn:aws:sts::${OWN}:role/people`,
    `arn:aws:iam::${OWN}:role/people:extra`,
    `arn:aws:iam::${OWN}:role/${'r'.repeat(65)}`,
  ])('refuses %s', (text) => {
    expect(parseIdentityRolePin(text)).toBeUndefined();
  });

  it('accepts a role name of 64 characters, the IAM maximum', () => {
    expect(parseIdentityRolePin(`arn:aws:iam::${OWN}:role/${'r'.repeat(64)}`)).toEqual({ accountId: OWN, roleName: 'r'.repeat(64) });
  });
});
