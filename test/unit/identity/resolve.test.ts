import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { matchesRolePattern, parseIdentityRolePin, resolveCaller } from '../../../src/identity/resolve.js';
import type { AuthorizerIam, Caller, IdentityRoleVerifier, IdentityRules } from '../../../src/identity/types.js';
import { caught } from '../../support/caught.js';

/** The deployment's own account, a second allowed one, and one that is not allowed. */
const OWN = '111122223333';
const SECOND = '222222222222';
const OTHER = '444455556666';
/** An organisation whose accounts are allowed, and one whose accounts are not. */
const ORG = 'o-a1b2c3d4e5';
const OTHER_ORG = 'o-zzzzzzzzzz';

const SSO_ADMIN = 'AWSReservedSSO_Admin_0123456789abcdef';
const SSO_ADMIN_ID = 'AROAADMINROLE0000001';

const RULES: IdentityRules = {
  ownAccountId: OWN,
  allowedAccounts: [OWN, SECOND],
  allowedOrganizations: [],
  identityRolePatterns: ['AWSReservedSSO_*'],
  identityRoles: [],
  identityRoleLookup: true,
};

/** A verifier that knows exactly the Identity Center roles it is given (account/name/id), and records what it was asked. */
function verifier(known: string[] = [], failure?: Error): IdentityRoleVerifier & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async isIdentityRole(accountId, roleName, roleId) {
      asked.push(`${accountId}/${roleName}/${roleId}`);
      if (failure !== undefined) throw failure;
      return known.includes(`${accountId}/${roleName}/${roleId}`);
    },
  };
}

function iam(userArn: string, options: { userId?: string | null; accountId?: string | null; orgId?: string | null } = {}): AuthorizerIam {
  const accountId = options.accountId === undefined ? (userArn.split(':')[4] ?? null) : options.accountId;
  return { accountId, userArn, userId: options.userId === undefined ? 'AIDAEXAMPLE' : options.userId, accessKey: 'AKIAEXAMPLE', principalOrgId: options.orgId ?? null };
}

/** `context` as AWS reports it for a caller whose account belongs to organisation `orgId`. */
function inOrg(context: AuthorizerIam, orgId: string): AuthorizerIam {
  return { ...context, principalOrgId: orgId };
}

/** The assumed-role context API Gateway reports: the ARN and `<role id>:<session>`. */
function session(account: string, role: string, name: string, roleId = 'AROAORDINARYROLE0001', partition = 'aws'): AuthorizerIam {
  return iam(`arn:${partition}:sts::${account}:assumed-role/${role}/${name}`, { userId: `${roleId}:${name}` });
}

describe('resolveCaller: who each principal is', () => {
  const cases: Array<{ name: string; context: AuthorizerIam; user: string; kind: Caller['kind']; principal: string; known?: string[]; rules?: Partial<IdentityRules> }> = [
    { name: 'an IAM user of the own account keeps its kind', context: iam(`arn:aws:iam::${OWN}:user/ops-erin`), user: 'iam:ops-erin', kind: 'iam-user', principal: `${OWN}:user/ops-erin` },
    {
      name: 'an IAM user of a second allowed account keeps its account and kind',
      context: iam(`arn:aws:iam::${SECOND}:user/ops-erin`),
      user: `${SECOND}:iam:ops-erin`,
      kind: 'iam-user',
      principal: `${SECOND}:user/ops-erin`,
    },
    { name: 'an IAM user with a path: the path is not part of the name', context: iam(`arn:aws:iam::${OWN}:user/division/team/alice`), user: 'iam:alice', kind: 'iam-user', principal: `${OWN}:user/alice` },
    { name: 'an IAM user in China', context: iam(`arn:aws-cn:iam::${OWN}:user/bob`), user: 'iam:bob', kind: 'iam-user', principal: `${OWN}:user/bob` },
    { name: 'an IAM user in GovCloud', context: iam(`arn:aws-us-gov:iam::${OWN}:user/ops/carol`), user: 'iam:carol', kind: 'iam-user', principal: `${OWN}:user/carol` },
    { name: 'every IAM name character', context: iam(`arn:aws:iam::${OWN}:user/a_b+c=d,e.f@g-h`), user: 'iam:a_b+c=d,e.f@g-h', kind: 'iam-user', principal: `${OWN}:user/a_b+c=d,e.f@g-h` },
    {
      name: 'a verified Identity Center role: the session name is the person',
      context: session(OWN, SSO_ADMIN, 'ops-erin', SSO_ADMIN_ID),
      known: [`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`],
      user: 'ops-erin',
      kind: 'person',
      principal: 'person/ops-erin',
    },
    {
      name: 'a verified Identity Center role in GovCloud',
      context: session(OWN, 'AWSReservedSSO_ReadOnly_abc', 'dave@example.com', 'AROAREADONLYROLE0001', 'aws-us-gov'),
      known: [`${OWN}/AWSReservedSSO_ReadOnly_abc/AROAREADONLYROLE0001`],
      user: 'dave@example.com',
      kind: 'person',
      principal: 'person/dave@example.com',
    },
    {
      name: 'a look-alike the lookup does not confirm is an ordinary role',
      context: session(OWN, 'AWSReservedSSO_x', 'erin'),
      user: 'role:AWSReservedSSO_x/erin',
      kind: 'role',
      principal: `${OWN}:role/AWSReservedSSO_x`,
    },
    { name: 'an ordinary role of the own account', context: session(OWN, 'deploy', 'ci-42'), user: 'role:deploy/ci-42', kind: 'role', principal: `${OWN}:role/deploy` },
    {
      name: 'an ordinary role of a second allowed account',
      context: session(SECOND, 'deploy', 'ci-42'),
      user: `${SECOND}:role:deploy/ci-42`,
      kind: 'role',
      principal: `${SECOND}:role/deploy`,
    },
    {
      name: 'a role pinned by ARN in a second account (no lookup)',
      context: session(SECOND, 'AWSReservedSSO_Eng_abc', 'alice', 'AROAENGINEERROLE0001'),
      rules: { identityRoles: [{ accountId: SECOND, roleName: 'AWSReservedSSO_Eng_abc' }] },
      user: 'alice',
      kind: 'person',
      principal: 'person/alice',
    },
    {
      name: 'a role pinned by unique id in a second account',
      context: session(SECOND, 'AWSReservedSSO_Eng_abc', 'alice', 'AROAENGINEERROLE0001'),
      rules: { identityRoles: [{ accountId: SECOND, roleId: 'AROAENGINEERROLE0001' }] },
      user: 'alice',
      kind: 'person',
      principal: 'person/alice',
    },
    {
      name: 'a pin by unique id does not cover a recreated role of the same name',
      context: session(SECOND, 'people', 'alice', 'AROARECREATEDROLE001'),
      rules: { identityRoles: [{ accountId: SECOND, roleId: 'AROAENGINEERROLE0001' }] },
      user: `${SECOND}:role:people/alice`,
      kind: 'role',
      principal: `${SECOND}:role/people`,
    },
    {
      name: 'a pin is for its account only',
      context: session(OWN, 'people', 'alice'),
      rules: { identityRoles: [{ accountId: SECOND, roleName: 'people' }] },
      user: 'role:people/alice',
      kind: 'role',
      principal: `${OWN}:role/people`,
    },
    {
      name: 'a pin needs no pattern: any role the operator names',
      context: session(OWN, 'people', 'alice'),
      rules: { identityRoles: [{ accountId: OWN, roleName: 'people' }], identityRolePatterns: [] },
      user: 'alice',
      kind: 'person',
      principal: 'person/alice',
    },
    {
      name: 'the same person through another role and account is the same user and principal',
      context: session(SECOND, 'AWSReservedSSO_Eng_abc', 'ops-erin', 'AROAENGINEERROLE0001'),
      rules: { identityRoles: [{ accountId: SECOND, roleName: 'AWSReservedSSO_Eng_abc' }] },
      user: 'ops-erin',
      kind: 'person',
      principal: 'person/ops-erin',
    },
    { name: 'a person of exactly 33 characters', context: session(OWN, SSO_ADMIN, 'p'.repeat(33), SSO_ADMIN_ID), known: [`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`], user: 'p'.repeat(33), kind: 'person', principal: `person/${'p'.repeat(33)}` },
    { name: 'an IAM user of exactly 33 characters with iam:', context: iam(`arn:aws:iam::${OWN}:user/${'u'.repeat(29)}`), user: `iam:${'u'.repeat(29)}`, kind: 'iam-user', principal: `${OWN}:user/${'u'.repeat(29)}` },
    {
      name: 'an IAM user of another account of exactly 33 characters',
      context: iam(`arn:aws:iam::${SECOND}:user/${'u'.repeat(16)}`),
      user: `${SECOND}:iam:${'u'.repeat(16)}`,
      kind: 'iam-user',
      principal: `${SECOND}:user/${'u'.repeat(16)}`,
    },
    { name: 'a role session of exactly 33 characters', context: session(OWN, 'r'.repeat(13), 's'.repeat(14)), user: `role:${'r'.repeat(13)}/${'s'.repeat(14)}`, kind: 'role', principal: `${OWN}:role/${'r'.repeat(13)}` },
    {
      name: 'an IAM user of an account allowed through its organisation keeps its account and kind',
      context: inOrg(iam(`arn:aws:iam::${OTHER}:user/alice`), ORG),
      rules: { allowedOrganizations: [ORG] },
      user: `${OTHER}:iam:alice`,
      kind: 'iam-user',
      principal: `${OTHER}:user/alice`,
    },
    {
      name: 'a role session of an account allowed through its organisation',
      context: inOrg(session(OTHER, 'deploy', 'ci-42'), ORG),
      rules: { allowedOrganizations: [OTHER_ORG, ORG] },
      user: `${OTHER}:role:deploy/ci-42`,
      kind: 'role',
      principal: `${OTHER}:role/deploy`,
    },
    {
      name: 'a pinned role in an account allowed through its organisation is a person',
      context: inOrg(session(OTHER, 'AWSReservedSSO_Eng_abc', 'alice', 'AROAENGINEERROLE0001'), ORG),
      rules: { allowedOrganizations: [ORG], identityRoles: [{ accountId: OTHER, roleId: 'AROAENGINEERROLE0001' }] },
      user: 'alice',
      kind: 'person',
      principal: 'person/alice',
    },
    {
      name: 'a listed account needs no organisation, whatever AWS reports for it',
      context: inOrg(iam(`arn:aws:iam::${SECOND}:user/alice`), OTHER_ORG),
      rules: { allowedOrganizations: [ORG] },
      user: `${SECOND}:iam:alice`,
      kind: 'iam-user',
      principal: `${SECOND}:user/alice`,
    },
  ];

  it.each(cases)('$name', async ({ context, user, kind, principal, known, rules }) => {
    const arn = context.userArn ?? '';
    expect(await resolveCaller(context, { ...RULES, ...rules }, verifier(known))).toEqual({ user, arn, accountId: arn.split(':')[4], kind, principal });
  });

  it('looks up only what it must: the own account, a matching name, with the session role id', async () => {
    const lookups = verifier([`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`]);
    await resolveCaller(session(OWN, SSO_ADMIN, 'ops-erin', SSO_ADMIN_ID), RULES, lookups);
    await resolveCaller(session(OWN, 'deploy', 'ci-42'), RULES, lookups);
    await resolveCaller(iam(`arn:aws:iam::${OWN}:user/alice`), RULES, lookups);
    await resolveCaller(session(SECOND, 'deploy', 'ci-42'), RULES, lookups);
    expect(lookups.asked).toEqual([`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`]);
  });

  it('asks with the id of the session, so a deleted and recreated look-alike (another id) is not a person', async () => {
    const lookups = verifier([`${OWN}/AWSReservedSSO_x/AROAORIGINALROLE0001`]);
    const caller = await resolveCaller(session(OWN, 'AWSReservedSSO_x', 'erin', 'AROARECREATEDROLE001'), RULES, lookups);
    expect(caller).toMatchObject({ user: 'role:AWSReservedSSO_x/erin', kind: 'role' });
    expect(lookups.asked).toEqual([`${OWN}/AWSReservedSSO_x/AROARECREATEDROLE001`]);
  });

  it('with the lookup off, only pins make people', async () => {
    const lookups = verifier([`${OWN}/AWSReservedSSO_x/AROAORDINARYROLE0001`]);
    const caller = await resolveCaller(session(OWN, 'AWSReservedSSO_x', 'erin'), { ...RULES, identityRoleLookup: false }, lookups);
    expect(caller).toMatchObject({ user: 'role:AWSReservedSSO_x/erin', kind: 'role' });
    expect(lookups.asked).toEqual([]);
  });

  it('without a role id in the context nothing is looked up: the session stays an ordinary one', async () => {
    const lookups = verifier([`${OWN}/AWSReservedSSO_x/AROAORDINARYROLE0001`]);
    for (const userId of [null, '', 'AIDAEXAMPLE', 'not-an-id:erin']) {
      const context = iam(`arn:aws:sts::${OWN}:assumed-role/AWSReservedSSO_x/erin`, { userId });
      expect(await resolveCaller(context, RULES, lookups)).toMatchObject({ user: 'role:AWSReservedSSO_x/erin', kind: 'role' });
    }
    expect(lookups.asked).toEqual([]);
  });

  it('accepts a context without accountId (the ARN names the account)', async () => {
    expect((await resolveCaller(iam(`arn:aws:iam::${OWN}:user/alice`, { accountId: null }), RULES, verifier())).accountId).toBe(OWN);
  });

  it('never treats a role of another account as a person without a pin, whatever its name', async () => {
    const lookups = verifier([`${SECOND}/AWSReservedSSO_A/AROAORDINARYROLE0001`]);
    const error = await caught(resolveCaller(session(SECOND, 'AWSReservedSSO_A', 'al'), RULES, lookups));
    // As an ordinary role of another account the name is too long to represent: refused, never a person.
    expect(error.code).toBe('INVALID_IDENTITY');
    expect(lookups.asked).toEqual([]);
  });
});

describe('resolveCaller: refusals', () => {
  it.each([undefined, iam(''), { accountId: OWN, userArn: null }])('IAM_AUTH_REQUIRED without an IAM context (%#)', async (context) => {
    const error = await caught(resolveCaller(context, RULES, verifier()));
    expect(error.code).toBe('IAM_AUTH_REQUIRED');
    expect(error.message).toBe('this API needs a SigV4-signed request (AWS_IAM)');
  });

  it.each([42, ['arn:aws:iam::111122223333:user/alice'], { arn: 'arn:aws:iam::111122223333:user/alice' }, true])(
    'INVALID_IDENTITY, not a crash, when the context holds an ARN that is not a string (%j)',
    async (userArn) => {
      const error = await caught(resolveCaller({ accountId: OWN, userArn } as unknown as AuthorizerIam, RULES, verifier()));
      expect(error.code).toBe('INVALID_IDENTITY');
    },
  );

  const cases: Array<{ name: string; context: AuthorizerIam; message: RegExp; rules?: Partial<IdentityRules>; known?: string[] }> = [
    { name: 'root', context: iam(`arn:aws:iam::${OWN}:root`), message: /^root credentials cannot be used with Sentinel; sign in as an IAM user or role$/ },
    { name: 'GovCloud root', context: iam(`arn:aws-us-gov:iam::${OWN}:root`), message: /^root credentials cannot be used/ },
    { name: 'federated user', context: iam(`arn:aws:sts::${OWN}:federated-user/bob`), message: /^federated-user credentials \(GetFederationToken\) cannot be used/ },
    { name: 'a role ARN (not a session)', context: iam(`arn:aws:iam::${OWN}:role/deploy`), message: /^iam:role credentials cannot be used with Sentinel; only IAM users and assumed roles/ },
    { name: 'an unknown STS form', context: iam(`arn:aws:sts::${OWN}:something/x`), message: /^sts:something credentials cannot be used/ },
    { name: 'another service', context: iam(`arn:aws:s3:::bucket`, { accountId: null }), message: /not a valid IAM or STS ARN/ },
    { name: 'not an ARN', context: iam('alice', { accountId: null }), message: /not a valid IAM or STS ARN/ },
    { name: 'an ISO partition', context: iam(`arn:aws-iso:iam::${OWN}:user/alice`), message: /^partition "aws-iso" is not supported; Sentinel accepts aws, aws-cn, aws-us-gov$/ },
    { name: 'a region in an IAM ARN', context: iam(`arn:aws:iam:us-east-1:${OWN}:user/alice`), message: /not a valid IAM or STS ARN/ },
    { name: 'a short account id', context: iam('arn:aws:iam::1234:user/alice', { accountId: null }), message: /not a valid IAM or STS ARN/ },
    { name: 'assumed role without a session', context: iam(`arn:aws:sts::${OWN}:assumed-role/deploy`), message: /expected assumed-role\/<role>\/<session>/ },
    { name: 'assumed role with a path', context: iam(`arn:aws:sts::${OWN}:assumed-role/path/deploy/ci`), message: /expected assumed-role\/<role>\/<session>/ },
    { name: 'empty user name', context: iam(`arn:aws:iam::${OWN}:user/team/`), message: /^the caller ARN has an empty user name$/ },
    { name: 'empty session name', context: iam(`arn:aws:sts::${OWN}:assumed-role/deploy/`), message: /empty session name/ },
    {
      name: 'characters IAM does not allow',
      context: iam(`arn:aws:iam::${OWN}:user/al ice`),
      message: /^user name "al ice" contains characters outside \[A-Za-z0-9_\+=,\.@-\], which Sentinel cannot represent$/,
    },
    { name: 'non-ASCII session name', context: iam(`arn:aws:sts::${OWN}:assumed-role/AWSReservedSSO_A/élodie`), message: /^session name "élodie" contains characters outside/ },
    {
      name: 'a person of 34 characters',
      context: session(OWN, SSO_ADMIN, 'p'.repeat(34), SSO_ADMIN_ID),
      known: [`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`],
      message: new RegExp(`^user name "${'p'.repeat(34)}" is 34 characters; Sentinel can represent at most 33$`),
    },
    {
      name: 'an IAM user whose iam: name is 34 characters',
      context: iam(`arn:aws:iam::${OWN}:user/${'u'.repeat(30)}`),
      message: new RegExp(`^user name "iam:${'u'.repeat(30)}" is 34 characters; Sentinel can represent at most 33$`),
    },
    {
      name: "another account's IAM user of 34 characters",
      context: iam(`arn:aws:iam::${SECOND}:user/${'u'.repeat(17)}`),
      message: /is 34 characters; Sentinel can represent at most 33$/,
    },
    {
      name: 'an ordinary role whose role:role/session is too long',
      context: session(OWN, 'deployment-pipeline', 'github-actions-run'),
      message: /^user name "role:deployment-pipeline\/github-actions-run" is 43 characters; Sentinel can represent at most 33$/,
    },
    {
      name: 'the look-alike AWSReservedSSO_selfmade: an ordinary role, too long to represent',
      context: session(OWN, 'AWSReservedSSO_selfmade', 'ops-erin'),
      message: /^user name "role:AWSReservedSSO_selfmade\/ops-erin" is 37 characters; Sentinel can represent at most 33$/,
    },
    {
      name: 'an Identity Center role whose unique id is not the session one: an ordinary role, too long to represent',
      context: session(OWN, SSO_ADMIN, 'ops-erin', 'AROASOMEOTHERROLE001'),
      known: [`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`],
      message: /^user name "role:AWSReservedSSO_Admin_0123456789abcdef\/ops-erin" is 51 characters; Sentinel can represent at most 33$/,
    },
    {
      name: 'a unique id that names another session',
      context: iam(`arn:aws:sts::${OWN}:assumed-role/${SSO_ADMIN}/alice`, { userId: `${SSO_ADMIN_ID}:bob` }),
      known: [`${OWN}/${SSO_ADMIN}/${SSO_ADMIN_ID}`],
      message: /^the caller's unique id names session "bob", but its ARN names session "alice"$/,
    },
    {
      name: 'an account that is not allowed, outside any organisation',
      context: iam(`arn:aws:iam::${OTHER}:user/alice`),
      rules: { allowedOrganizations: [ORG] },
      message:
        /^account 444455556666 is not allowed to use this Sentinel deployment; an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS \(AWS reported no organisation for this caller, so SENTINEL_ALLOWED_ORGANIZATIONS cannot admit it\)$/,
    },
    {
      name: 'an account that is not allowed, of an organisation that is not: the caller learns its own organisation, never the list',
      context: iam(`arn:aws:iam::${OTHER}:user/alice`, { orgId: OTHER_ORG }),
      rules: { allowedOrganizations: [ORG] },
      message: /^account 444455556666 is not allowed to use this Sentinel deployment; an operator can allow the account in SENTINEL_ALLOWED_ACCOUNTS, or its organisation o-zzzzzzzzzz in SENTINEL_ALLOWED_ORGANIZATIONS$/,
    },
    { name: 'an organisation id in another case is another id', context: iam(`arn:aws:iam::${OTHER}:user/alice`, { orgId: ORG.toUpperCase() }), rules: { allowedOrganizations: [ORG] }, message: /^account 444455556666 is not allowed.*no organisation/ },
    { name: 'an empty organisation id', context: iam(`arn:aws:iam::${OTHER}:user/alice`, { orgId: '' }), rules: { allowedOrganizations: [ORG] }, message: /^account 444455556666 is not allowed.*no organisation/ },
    { name: 'no allowed accounts at all', context: iam(`arn:aws:iam::${OWN}:user/alice`), rules: { allowedAccounts: [] }, message: /^account 111122223333 is not allowed/ },
    {
      name: 'an allowed organisation does not excuse an ARN of another account than the authorizer',
      context: iam(`arn:aws:iam::${OTHER}:user/alice`, { accountId: SECOND, orgId: ORG }),
      rules: { allowedOrganizations: [ORG] },
      message: /^the caller's ARN names account 444455556666 but the request was authenticated for account 222222222222$/,
    },
    {
      name: 'ARN account differs from the authorizer account',
      context: iam(`arn:aws:iam::${SECOND}:user/alice`, { accountId: OWN }),
      message: /^the caller's ARN names account 222222222222 but the request was authenticated for account 111122223333$/,
    },
  ];

  it.each(cases)('INVALID_IDENTITY: $name', async ({ context, message, rules, known }) => {
    const error = await caught(resolveCaller(context, { ...RULES, ...rules }, verifier(known)));
    expect(error.code).toBe('INVALID_IDENTITY');
    expect(error.message).toMatch(message);
  });

  it('fails closed when the lookup fails: UNAVAILABLE, never a person and never an ordinary role', async () => {
    const failure = new UnavailableError('IAM is unavailable', { retryAfterSeconds: 2 });
    const error = await caught(resolveCaller(session(OWN, SSO_ADMIN, 'ops-erin', SSO_ADMIN_ID), RULES, verifier([], failure)));
    expect(error).toBe(failure);
  });
});

describe('resolveCaller: allowed organisations', () => {
  const orgId = fc.stringMatching(/^o-[a-z0-9]{10,32}$/);
  /** Any 12-digit account the rules do not list. */
  const unlisted = fc.stringMatching(/^\d{12}$/).filter((account) => account !== OWN && account !== SECOND);

  it('admits a caller of an account that is not listed exactly when the organisation AWS reported is listed', async () => {
    await fc.assert(
      fc.asyncProperty(
        unlisted,
        fc.uniqueArray(orgId, { maxLength: 4 }),
        fc.option(fc.oneof(orgId, fc.string(), fc.constant('')), { nil: null }),
        fc.nat(),
        async (account, listed, reported, pick) => {
          // Half the time the caller's organisation is one of those listed.
          const principalOrgId = listed.length > 0 && pick % 2 === 0 ? (listed[pick % listed.length] ?? null) : reported;
          const rules = { ...RULES, allowedOrganizations: listed };
          const outcome = await resolveCaller(iam(`arn:aws:iam::${account}:user/alice`, { orgId: principalOrgId }), rules, verifier()).then(
            (caller) => caller.user,
            (error: unknown) => error,
          );
          if (principalOrgId !== null && listed.includes(principalOrgId)) {
            expect(outcome).toBe(`${account}:iam:alice`);
          } else {
            expect(outcome).toMatchObject({ code: 'INVALID_IDENTITY', message: expect.stringMatching(new RegExp(`^account ${account} is not allowed to use this Sentinel deployment; `)) as unknown });
            // The refusal never names a listed organisation other than the caller's own.
            for (const other of listed) if (other !== principalOrgId) expect((outcome as Error).message).not.toContain(other);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('resolveCaller: distinct principals are distinct users', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{2,12}$/);
  const account = fc.constantFrom(OWN, SECOND, '333333333333');
  /** A principal AWS tells apart, with the key it is told apart by (a person is their sign-in name). */
  const principal = fc.oneof(
    fc.record({ kind: fc.constant('iam-user' as const), account, name }).map((p) => ({ key: `user ${p.account} ${p.name}`, context: iam(`arn:aws:iam::${p.account}:user/${p.name}`) })),
    fc.record({ kind: fc.constant('role' as const), account, role: name, session: name }).map((p) => ({
      key: `role ${p.account} ${p.role} ${p.session}`,
      context: session(p.account, p.role, p.session),
    })),
    fc.record({ account, role: fc.constantFrom('AWSReservedSSO_Eng_a', 'AWSReservedSSO_Ops_b'), session: name }).map((p) => ({
      key: `person ${p.session}`,
      context: session(p.account, p.role, p.session, p.role === 'AWSReservedSSO_Eng_a' ? 'AROAENGROLE000000001' : 'AROAOPSROLE000000001'),
    })),
  );
  const rules: IdentityRules = {
    ...RULES,
    allowedAccounts: [OWN, SECOND, '333333333333'],
    identityRoles: [
      { accountId: OWN, roleId: 'AROAENGROLE000000001' },
      { accountId: SECOND, roleName: 'AWSReservedSSO_Eng_a' },
      { accountId: '333333333333', roleName: 'AWSReservedSSO_Eng_a' },
      { accountId: SECOND, roleName: 'AWSReservedSSO_Ops_b' },
      { accountId: '333333333333', roleName: 'AWSReservedSSO_Ops_b' },
    ],
  };
  const lookups = verifier([`${OWN}/AWSReservedSSO_Ops_b/AROAOPSROLE000000001`]);

  /** The caller, or undefined when the name is too long to represent (refused, so it collides with nobody). */
  async function resolved(context: AuthorizerIam): Promise<Caller | undefined> {
    return resolveCaller(context, rules, lookups).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'INVALID_IDENTITY') return undefined;
      throw error;
    });
  }

  it('never maps two principals AWS tells apart (account, kind, role, user, session) to one user', async () => {
    await fc.assert(
      fc.asyncProperty(principal, principal, async (a, b) => {
        fc.pre(a.key !== b.key);
        const [first, second] = await Promise.all([resolved(a.context), resolved(b.context)]);
        fc.pre(first !== undefined && second !== undefined);
        expect(first?.user).not.toBe(second?.user);
      }),
      { numRuns: 500 },
    );
  });

  it('counts every session of a role as its role, and nothing else as it', async () => {
    await fc.assert(
      fc.asyncProperty(principal, principal, async (a, b) => {
        const [first, second] = await Promise.all([resolved(a.context), resolved(b.context)]);
        fc.pre(first !== undefined && second !== undefined);
        const sameFixedPrincipal = (caller: Caller, key: string) => (caller.kind === 'role' ? key.split(' ').slice(0, 3).join(' ') : key);
        expect(first?.principal === second?.principal).toBe(sameFixedPrincipal(first as Caller, a.key) === sameFixedPrincipal(second as Caller, b.key));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseIdentityRolePin', () => {
  it.each([
    [`arn:aws:iam::${OWN}:role/aws-reserved/sso.amazonaws.com/eu-west-2/${SSO_ADMIN}`, { accountId: OWN, roleName: SSO_ADMIN }],
    [`arn:aws:iam::${OWN}:role/people`, { accountId: OWN, roleName: 'people' }],
    [`arn:aws-us-gov:iam::${OWN}:role/people`, { accountId: OWN, roleName: 'people' }],
    [`${SECOND}:AROAENGINEERROLE0001`, { accountId: SECOND, roleId: 'AROAENGINEERROLE0001' }],
  ])('%s', (text, pin) => {
    expect(parseIdentityRolePin(text)).toEqual(pin);
  });

  it.each([
    'AWSReservedSSO_*',
    `arn:aws:sts::${OWN}:assumed-role/people/alice`,
    `arn:aws:iam::${OWN}:user/alice`,
    `arn:aws:iam::${OWN}:role/`,
    `arn:aws-iso:iam::${OWN}:role/people`,
    `arn:aws:iam:eu-west-1:${OWN}:role/people`,
    '1234:AROAX',
    `${OWN}:AIDAUSERID`,
    `${OWN}:aroalowercase`,
  ])('refuses %s', (text) => {
    expect(parseIdentityRolePin(text)).toBeUndefined();
  });
});

describe('matchesRolePattern', () => {
  it.each([
    ['AWSReservedSSO_*', 'AWSReservedSSO_Admin_abc', true],
    ['AWSReservedSSO_*', 'AWSReservedSSO_', true],
    ['AWSReservedSSO_*', 'XAWSReservedSSO_a', false],
    ['AWSReservedSSO_*', 'AWSReservedSSO', false],
    ['AWSReservedSSO_*', 'awsreservedsso_Admin', false],
    ['*_people', 'eng_people', true],
    ['*_people', 'eng_people_x', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'acb', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['*', 'anything', true],
    // Regex metacharacters in a pattern are literal.
    ['role.name', 'roleXname', false],
    ['role.name', 'role.name', true],
    ['role+x', 'rolex', false],
    ['(x)*', '(x)y', true],
  ])('%s vs %s → %s', (pattern, role, expected) => {
    expect(matchesRolePattern(pattern, role)).toBe(expected);
  });
});
