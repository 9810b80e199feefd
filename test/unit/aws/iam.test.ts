import 'aws-sdk-client-mock-vitest/extend';
import { GetRoleCommand, IAMClient, IAMServiceException, NoSuchEntityException, ServiceFailureException } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createIamClient, iamFailure, IamIdentityRoleVerifier } from '../../../src/aws/iam.js';
import { SentinelError } from '../../../src/errors.js';
import { CachedIdentityRoleVerifier } from '../../../src/identity/CachedIdentityRoleVerifier.js';
import { caught } from '../../support/caught.js';

const OWN = '111122223333';
const ROLE = 'AWSReservedSSO_Admin_0123456789abcdef';
const ROLE_ID = 'AROAADMINROLE0000001';
const CREATED = new Date('2026-01-01T00:00:00Z');

const iam = mockClient(IAMClient);
const warnings: string[] = [];
const verifier = new IamIdentityRoleVerifier(createIamClient({ region: 'eu-west-1' }), OWN, (message) => void warnings.push(message));

function role(path: string, roleId = ROLE_ID) {
  return { Role: { Path: path, RoleName: ROLE, RoleId: roleId, Arn: `arn:aws:iam::${OWN}:role${path}${ROLE}`, CreateDate: CREATED, AssumeRolePolicyDocument: '{}' } };
}

function serviceError(name: string, status: number): IAMServiceException {
  return new IAMServiceException({ name, message: `${name} (AWS text)`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

beforeEach(() => {
  iam.reset();
  warnings.length = 0;
});

describe('IamIdentityRoleVerifier', () => {
  it.each([
    ['the reserved path', '/aws-reserved/sso.amazonaws.com/'],
    ['the reserved path with the Identity Center region', '/aws-reserved/sso.amazonaws.com/eu-west-2/'],
  ])('confirms a role under %s whose unique id is the session one', async (_name, path) => {
    iam.on(GetRoleCommand).resolves(role(path));
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(true);
    expect(iam).toHaveReceivedCommandExactlyOnceWith(GetRoleCommand, { RoleName: ROLE });
  });

  it.each([
    ['the default path', '/'],
    ['a path that only contains the reserved one', '/team/aws-reserved/sso.amazonaws.com/'],
    ['a look-alike of the reserved path', '/aws-reserved/sso.amazonaws.com.evil/'],
  ])('refuses a role on %s', async (_name, path) => {
    iam.on(GetRoleCommand).resolves(role(path));
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(false);
  });

  it('refuses a role whose unique id is not the session one (deleted and recreated under the same name)', async () => {
    iam.on(GetRoleCommand).resolves(role('/aws-reserved/sso.amazonaws.com/', 'AROARECREATEDROLE001'));
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(false);
  });

  it('refuses a role IAM does not know (NoSuchEntity)', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role cannot be found.', $metadata: { httpStatusCode: 404 } }));
    expect(await verifier.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(false);
  });

  it('refuses, and warns, when IAM denies the lookup: a role outside the reserved path, or a missing permission', async () => {
    iam.on(GetRoleCommand).rejects(serviceError('AccessDenied', 403));
    expect(await verifier.isIdentityRole(OWN, 'AWSReservedSSO_selfmade', ROLE_ID)).toBe(false);
    expect(warnings).toEqual([
      'IAM refused GetRole for AWSReservedSSO_selfmade: not an identity role (outside /aws-reserved/sso.amazonaws.com/, or the function may not call iam:GetRole there)',
    ]);
  });

  it('never looks up a role of another account: it cannot be one', async () => {
    expect(await verifier.isIdentityRole('222222222222', ROLE, ROLE_ID)).toBe(false);
    expect(iam).not.toHaveReceivedCommand(GetRoleCommand);
  });

  it.each([
    ['throttling', serviceError('Throttling', 400), 2],
    ['a 429', serviceError('TooManyRequests', 429), 2],
    ['a 500 (ServiceFailure)', new ServiceFailureException({ message: 'internal', $metadata: { httpStatusCode: 500 } }), 1],
    ['a 503', serviceError('ServiceUnavailable', 503), 1],
    ['a timeout', Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' }), 1],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 1],
    ["refused function credentials", serviceError('InvalidClientTokenId', 403), 30],
  ])('fails closed as UNAVAILABLE on %s, retry in %i s', async (_name, fault, retryAfterSeconds) => {
    iam.on(GetRoleCommand).rejects(fault);
    const error = await caught(verifier.isIdentityRole(OWN, ROLE, ROLE_ID));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('IAM is unavailable');
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(error.cause).toBe(fault);
  });

  it('fails closed as INTERNAL when IAM rejects the request itself', async () => {
    const fault = serviceError('ValidationError', 400);
    iam.on(GetRoleCommand).rejects(fault);
    const error = await caught(verifier.isIdentityRole(OWN, ROLE, ROLE_ID));
    expect(error).toMatchObject({ code: 'INTERNAL', message: 'IAM rejected the request', cause: fault });
  });

  it('fails closed when IAM answers without a role', async () => {
    iam.on(GetRoleCommand).resolves({});
    expect((await caught(verifier.isIdentityRole(OWN, ROLE, ROLE_ID))).code).toBe('UNAVAILABLE');
  });

  it('behind the cache, a second question sends no second GetRole', async () => {
    iam.on(GetRoleCommand).resolves(role('/aws-reserved/sso.amazonaws.com/'));
    const cached = new CachedIdentityRoleVerifier(verifier, { now: () => new Date('2026-11-18T10:00:00Z') });
    expect(await cached.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(true);
    expect(await cached.isIdentityRole(OWN, ROLE, ROLE_ID)).toBe(true);
    expect(iam).toHaveReceivedCommandTimes(GetRoleCommand, 1);
  });
});

describe('iamFailure', () => {
  it('passes a SentinelError through untouched', () => {
    const error = new SentinelError('UNAVAILABLE', 'already translated');
    expect(iamFailure(error)).toBe(error);
  });
});

describe('createIamClient', () => {
  it.each([
    ['eu-west-1', 'us-east-1'],
    ['cn-northwest-1', 'cn-north-1'],
    ['us-gov-east-1', 'us-gov-west-1'],
  ])("signs for the partition's IAM region from %s", async (region, signingRegion) => {
    const client = createIamClient({ region, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } });
    const endpoint = await client.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });
    expect(JSON.stringify(endpoint.properties)).toContain(signingRegion);
  });
});
