import 'aws-sdk-client-mock-vitest/extend';
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createIamClient } from '../../../src/aws/iam.js';
import { iamClientsByAccount, IamRoleRevoker, REVOKER_ROLE_NAME } from '../../../src/aws/IamRoleRevoker.js';
import { RevocationPolicyFullError, REVOCATION_CAPACITY, revocationPolicy } from '../../../src/sessions/revocation.js';
import { caught } from '../../support/caught.js';

const OWN = '111122223333';
const OTHER = '444455556666';
const ROLE = 'sentinel-deploy';
const ROLE_ARN = `arn:aws:iam::${OWN}:role/teams/${ROLE}`;
const POLICY = 'SentinelRevokedSessions';
const id = (n: number) => n.toString(16).padStart(32, '0');
const MINE = id(0xa);
const THEIRS = id(0xb);

const iam = mockClient(IAMClient);
const own = createIamClient({ region: 'eu-west-1' });
const revoker = new IamRoleRevoker({ clientFor: () => own, settle: () => Promise.resolve() });

/** GetRolePolicy's answer: the document URL-encoded, as IAM returns it. */
function stored(ids: string[]) {
  return { RoleName: ROLE, PolicyName: POLICY, PolicyDocument: encodeURIComponent(revocationPolicy(ids)) };
}

function noSuchEntity() {
  return new NoSuchEntityException({ message: 'The role policy with name SentinelRevokedSessions cannot be found. (AWS text)', $metadata: { httpStatusCode: 404 } });
}

function serviceError(name: string, status: number): IAMServiceException {
  return new IAMServiceException({ name, message: `${name} (AWS text)`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

beforeEach(() => {
  iam.reset();
});

describe('IamRoleRevoker.deny', () => {
  it('creates the policy when the role has none yet, with the exact document, and checks it stuck', async () => {
    iam.on(GetRolePolicyCommand).rejectsOnce(noSuchEntity()).resolves(stored([MINE]));
    expect(await revoker.deny(ROLE_ARN, [MINE])).toEqual({ status: 'denied', added: [MINE], entries: 1 });
    expect(iam).toHaveReceivedCommandExactlyOnceWith(PutRolePolicyCommand, {
      RoleName: ROLE,
      PolicyName: POLICY,
      PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Sid":"SentinelRevokedSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/SentinelSessionID":["${MINE}"]}}}]}`,
    });
    expect(iam).toHaveReceivedCommandTimes(GetRolePolicyCommand, 2);
    expect(iam).toHaveReceivedCommandWith(GetRolePolicyCommand, { RoleName: ROLE, PolicyName: POLICY });
  });

  it('appends to the existing entries, oldest first', async () => {
    iam.on(GetRolePolicyCommand).resolvesOnce(stored([THEIRS])).resolves(stored([THEIRS, MINE]));
    expect(await revoker.deny(ROLE_ARN, [MINE])).toEqual({ status: 'denied', added: [MINE], entries: 2 });
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, { PolicyDocument: revocationPolicy([THEIRS, MINE]) });
  });

  it('writes nothing when the id is already denied (idempotent)', async () => {
    iam.on(GetRolePolicyCommand).resolves(stored([MINE]));
    expect(await revoker.deny(ROLE_ARN, [MINE])).toEqual({ status: 'denied', added: [], entries: 1 });
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
  });

  it('writes again when a concurrent revocation overwrote its entry, keeping both', async () => {
    iam
      .on(GetRolePolicyCommand)
      .rejectsOnce(noSuchEntity()) // both writers read: no policy yet
      .resolvesOnce(stored([THEIRS])) // the other writer's Put landed after ours
      .resolves(stored([THEIRS, MINE]));
    expect(await revoker.deny(ROLE_ARN, [MINE])).toEqual({ status: 'denied', added: [MINE], entries: 2 });
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 2);
    expect(iam).toHaveReceivedNthCommandWith(PutRolePolicyCommand, 1, { PolicyDocument: revocationPolicy([MINE]) });
    expect(iam).toHaveReceivedNthCommandWith(PutRolePolicyCommand, 2, { PolicyDocument: revocationPolicy([THEIRS, MINE]) });
  });

  it('gives up after a bounded number of writes when its entry keeps disappearing: UNAVAILABLE, pending', async () => {
    iam.on(GetRolePolicyCommand).resolves(stored([THEIRS]));
    const error = await caught(revoker.deny(ROLE_ARN, [MINE]));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/kept changing under concurrent writes; the AWS-side deny is pending/);
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 3);
  });

  it('reports a role that no longer exists instead of failing', async () => {
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(PutRolePolicyCommand).rejects(new NoSuchEntityException({ message: 'The role with name sentinel-deploy cannot be found.', $metadata: {} }));
    expect(await revoker.deny(ROLE_ARN, [MINE])).toEqual({ status: 'role-missing', added: [], entries: 0 });
  });

  it('refuses a full policy before writing, keeping every entry', async () => {
    const full = Array.from({ length: REVOCATION_CAPACITY }, (_, n) => id(n + 0x100));
    iam.on(GetRolePolicyCommand).resolves(stored(full));
    const error = await caught(revoker.deny(ROLE_ARN, [MINE]));
    expect(error).toBeInstanceOf(RevocationPolicyFullError);
    expect(error.message).toMatch(/10,240 characters/);
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
  });

  it('refuses to overwrite a policy someone else changed', async () => {
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent('{"Version":"2012-10-17","Statement":[]}') });
    const error = await caught(revoker.deny(ROLE_ARN, [MINE]));
    expect(error.message).toMatch(/changed outside Sentinel/);
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
  });
});

describe('IamRoleRevoker.prune', () => {
  it('rewrites the policy without the expired ids', async () => {
    iam.on(GetRolePolicyCommand).resolves(stored([THEIRS, MINE]));
    expect(await revoker.prune(ROLE_ARN, new Set([THEIRS]))).toEqual({ removed: [THEIRS], entries: 1 });
    expect(iam).toHaveReceivedCommandExactlyOnceWith(PutRolePolicyCommand, { RoleName: ROLE, PolicyName: POLICY, PolicyDocument: revocationPolicy([MINE]) });
  });

  it('deletes the policy when no entry is left', async () => {
    iam.on(GetRolePolicyCommand).resolves(stored([MINE]));
    expect(await revoker.prune(ROLE_ARN, new Set([MINE]))).toEqual({ removed: [MINE], entries: 0 });
    expect(iam).toHaveReceivedCommandExactlyOnceWith(DeleteRolePolicyCommand, { RoleName: ROLE, PolicyName: POLICY });
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
  });

  it('takes a policy deleted meanwhile as done', async () => {
    iam.on(GetRolePolicyCommand).resolves(stored([MINE]));
    iam.on(DeleteRolePolicyCommand).rejects(noSuchEntity());
    expect(await revoker.prune(ROLE_ARN, new Set([MINE]))).toEqual({ removed: [MINE], entries: 0 });
  });

  it('writes nothing when no entry has expired, or there is no policy; ids it was not told about stay', async () => {
    iam.on(GetRolePolicyCommand).resolvesOnce(stored([MINE])).rejects(noSuchEntity());
    expect(await revoker.prune(ROLE_ARN, new Set([THEIRS]))).toEqual({ removed: [], entries: 1 });
    expect(await revoker.prune(ROLE_ARN, new Set([MINE]))).toEqual({ removed: [], entries: 0 });
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
    expect(iam).toHaveReceivedCommandTimes(DeleteRolePolicyCommand, 0);
  });
});

describe('IAM failures', () => {
  it.each([
    ['throttling', serviceError('Throttling', 400), 2],
    ['AccessDenied (the revoker may not change the role)', serviceError('AccessDenied', 403), 30],
    ['a 5xx', new ServiceFailureException({ message: 'ServiceFailure (AWS text)', $metadata: { httpStatusCode: 500 } }), 1],
    ['a timeout', Object.assign(new Error('socket timed out (AWS text)'), { name: 'TimeoutError' }), 1],
    ['a concurrent change IAM noticed', serviceError('ConcurrentModification', 409), 1],
  ])('%s on the write is UNAVAILABLE with Retry-After %i s, AWS text only in cause', async (_name, failure, retryAfter) => {
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(PutRolePolicyCommand).rejects(failure);
    const error = await caught(revoker.deny(ROLE_ARN, [MINE]));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expect(error.message).not.toMatch(/AWS text/);
    expect(error.cause).toBe(failure);
  });

  it('the same on the read', async () => {
    iam.on(GetRolePolicyCommand).rejects(serviceError('AccessDenied', 403));
    const error = await caught(revoker.prune(ROLE_ARN, new Set()));
    expect([error.code, error.retryAfterSeconds]).toEqual(['UNAVAILABLE', 30]);
  });

  it.each([
    ['LimitExceeded (other inline policies use the room)', new LimitExceededException({ message: 'Maximum policy size of 10240 bytes exceeded (AWS text)', $metadata: { httpStatusCode: 409 } })],
    ['MalformedPolicyDocument', new MalformedPolicyDocumentException({ message: 'Syntax errors in policy (AWS text)', $metadata: { httpStatusCode: 400 } })],
  ])('%s on the write is the full-policy error, not throttling', async (_name, failure) => {
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(PutRolePolicyCommand).rejects(failure);
    const error = await caught(revoker.deny(ROLE_ARN, [MINE]));
    expect(error).toBeInstanceOf(RevocationPolicyFullError);
    expect(error.message).toBe(
      `IAM refused the revocation policy SentinelRevokedSessions of ${ROLE_ARN}: a role's inline policies may hold 10,240 characters in all; the AWS-side deny stays pending until entries are pruned or the role's other inline policies shrink`,
    );
    expect(error.retryAfterSeconds).toBe(60);
    expect(error.cause).toBe(failure);
  });

  it('refuses something that is not a role ARN before calling IAM', async () => {
    const error = await caught(revoker.deny('arn:aws:iam::111122223333:user/alice', [MINE]));
    expect(error.code).toBe('INTERNAL');
    expect(iam).toHaveReceivedCommandTimes(GetRolePolicyCommand, 0);
  });
});

describe('iamClientsByAccount', () => {
  const fake = { accessKeyId: 'AKIDREVOKER', secretAccessKey: 'secret', sessionToken: 'token' };

  it('uses the function’s own client in its own account and the revoker role elsewhere, one client per account', async () => {
    const assumed: string[] = [];
    const clientFor = iamClientsByAccount({
      ownAccountId: OWN,
      ownClient: own,
      region: 'eu-west-1',
      credentialsFor: (roleArn) => {
        assumed.push(roleArn);
        return () => Promise.resolve(fake);
      },
    });
    expect(clientFor(OWN)).toBe(own);
    const other = clientFor(OTHER);
    expect(other).not.toBe(own);
    expect(clientFor(OTHER)).toBe(other);
    expect(assumed).toEqual([`arn:aws:iam::${OTHER}:role/${REVOKER_ROLE_NAME}`]);
    expect(await other.config.credentials()).toMatchObject(fake);
  });

  it('names the revoker role in the deployment’s partition', () => {
    const assumed: string[] = [];
    const clientFor = iamClientsByAccount({
      ownAccountId: OWN,
      ownClient: own,
      region: 'us-gov-west-1',
      partition: 'aws-us-gov',
      credentialsFor: (roleArn) => {
        assumed.push(roleArn);
        return () => Promise.resolve(fake);
      },
    });
    clientFor(OTHER);
    expect(assumed).toEqual([`arn:aws-us-gov:iam::${OTHER}:role/sentinel-revoker`]);
  });

  it('sends a role of another account to that account’s client', async () => {
    const accounts: string[] = [];
    const other = createIamClient({ region: 'eu-west-1' });
    const crossAccount = new IamRoleRevoker({
      clientFor: (accountId) => {
        accounts.push(accountId);
        return accountId === OWN ? own : other;
      },
      settle: () => Promise.resolve(),
    });
    const otherIam = mockClient(other);
    otherIam.on(GetRolePolicyCommand).rejectsOnce(noSuchEntity()).resolves(stored([MINE]));
    await crossAccount.deny(`arn:aws:iam::${OTHER}:role/sentinel-prod`, [MINE]);
    expect(accounts).toEqual([OTHER]);
    expect(otherIam).toHaveReceivedCommandWith(PutRolePolicyCommand, { RoleName: 'sentinel-prod' });
    otherIam.restore();
  });

  it('by default builds credentials that assume the revoker role lazily (no STS call until used)', () => {
    const clientFor = iamClientsByAccount({ ownAccountId: OWN, ownClient: own, region: 'eu-west-1' });
    expect(typeof clientFor(OTHER).config.credentials).toBe('function');
  });
});
