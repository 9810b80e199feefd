import 'aws-sdk-client-mock-vitest/extend';
import { AssumeRoleCommand, ExpiredTokenException, RegionDisabledException, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SentinelError, UnavailableError } from '../../../src/errors.js';
import { StsCredentialIssuer } from '../../../src/vending/StsCredentialIssuer.js';
import type { IssueInput } from '../../../src/vending/ports.js';

const ROLE = 'arn:aws:iam::111122223333:role/sentinel-prod-operator';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const EXPIRATION = new Date('2030-01-01T01:00:00Z');

const INPUT: IssueInput = {
  roleArn: ROLE,
  roleSessionName: 'sentinel-alice-0a1b2c3d',
  sourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
  durationSeconds: 3600,
  sessionId: 'ses-0123456789abcdef',
};

const sts = mockClient(STSClient);
const issuer = new StsCredentialIssuer(new STSClient({ region: 'eu-west-1' }));

function serviceError(name: string, message: string, status = 403): STSServiceException {
  return new STSServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** The error `issue` fails with; the test fails if it resolves. */
async function failure(input: IssueInput = INPUT): Promise<UnavailableError> {
  const error: unknown = await issuer.issue(input).then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(UnavailableError);
  return error as UnavailableError;
}

beforeEach(() => {
  sts.reset();
});

describe('StsCredentialIssuer requests', () => {
  it('assumes the role with SourceIdentity, session name, duration and the transitive session tag', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: TOKEN, Expiration: EXPIRATION },
    });

    const credentials = await issuer.issue(INPUT);

    expect(credentials).toEqual({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN, expiration: EXPIRATION });
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: ROLE,
      RoleSessionName: 'sentinel-alice-0a1b2c3d',
      SourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
      DurationSeconds: 3600,
      Tags: [{ Key: 'SentinelSessionID', Value: 'ses-0123456789abcdef' }],
      TransitiveTagKeys: ['SentinelSessionID'],
    });
    expect(issuer.kind).toBe('sts');
  });

  it('sends no session tag when the issuance has no session record', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: TOKEN, Expiration: EXPIRATION },
    });
    const { sessionId: _sessionId, ...untracked } = INPUT;

    await issuer.issue(untracked);

    const sent = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(sent).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'sentinel-alice-0a1b2c3d',
      SourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
      DurationSeconds: 3600,
    });
  });
});

describe('StsCredentialIssuer faults', () => {
  it('explains an AccessDenied as the trust policy the role needs, without AWS’s text', async () => {
    const aws = serviceError(
      'AccessDenied',
      'User: arn:aws:sts::111122223333:assumed-role/sentinel-prod-eu-west-1-lambdaRole/sentinel-prod-credentials is not authorized to perform: sts:AssumeRole',
    );
    sts.on(AssumeRoleCommand).rejects(aws);

    const error = await failure();

    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(
      `AWS refused to assume ${ROLE}: its trust policy must allow this deployment's role sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession, and the deployment's assumable-roles setting must cover it`,
    );
    expect(error.message).not.toContain('not authorized');
    expect(error.cause).toBe(aws);
    // Only an administrator can fix a trust policy: past the 10 s the CLI waits out, so it reports at once.
    expect(error.retryAfterSeconds).toBe(30);
  });

  it('names the role’s maximum session duration when the request asks for longer', async () => {
    sts.on(AssumeRoleCommand).rejects(
      serviceError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 400),
    );

    const error = await failure({ ...INPUT, durationSeconds: 14_400 });

    expect(error.message).toBe(
      `AWS refused 14400-second credentials for ${ROLE}: the role's maximum session duration is shorter; raise it or lower the profile's max_duration`,
    );
    expect(error.retryAfterSeconds).toBe(30);
  });

  const REJECTED = `AWS STS rejected the request to assume ${ROLE}; the deployment or the role needs an administrator's attention (details in the log)`;
  const RETRY = `AWS STS could not issue credentials for ${ROLE}; try again shortly`;

  it.each([
    ['RegionDisabledException', new RegionDisabledException({ message: 'STS is not activated in this region for account:111122223333', $metadata: {} }), REJECTED],
    ['MalformedPolicyDocument', serviceError('MalformedPolicyDocumentException', 'The policy is malformed', 400), REJECTED],
    ['PackedPolicyTooLarge', serviceError('PackedPolicyTooLargeException', 'Packed policy consumes 120% of allotted space', 400), REJECTED],
    ['another validation error', serviceError('ValidationError', "1 validation error detected: Value at 'sourceIdentity'", 400), REJECTED],
    ['ExpiredToken (the deployment’s own credentials)', new ExpiredTokenException({ message: 'The security token included in the request is expired', $metadata: {} }), RETRY],
    ['a server error', serviceError('InternalFailure', 'We encountered an internal error. Please try again.', 500), RETRY],
    ['a network error', Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), RETRY],
    ['an unknown failure', new Error('socket hang up'), RETRY],
  ])('%s → UNAVAILABLE with a stable message and AWS’s error only as cause; an administrator’s problem comes back in 30 s, a passing one in 1 s', async (_case, aws, message) => {
    sts.on(AssumeRoleCommand).rejects(aws);

    const error = await failure();

    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(aws.message);
    expect(error.cause).toBe(aws);
    expect(error.retryAfterSeconds).toBe(message === REJECTED ? 30 : 1);
  });

  it('asks the caller to wait a little longer when STS throttles', async () => {
    sts.on(AssumeRoleCommand).rejects(serviceError('Throttling', 'Rate exceeded', 400));

    const error = await failure();

    expect(error.message).toBe('AWS STS is throttling requests; try again in a few seconds');
    expect(error.retryAfterSeconds).toBe(2);
  });

  it.each([
    ['no Credentials at all', {}],
    ['no SessionToken', { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: '', Expiration: EXPIRATION } }],
    ['no Expiration', { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: TOKEN, Expiration: undefined as unknown as Date } }],
    ['an invalid Expiration', { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: TOKEN, Expiration: new Date(Number.NaN) } }],
  ])('refuses a response with %s, and keeps the parts that did arrive out of the error', async (_case, response) => {
    sts.on(AssumeRoleCommand).resolves(response);

    const error = await failure();

    expect(error.message).toBe(`AWS STS answered without complete credentials for ${ROLE}; try again shortly`);
    const everything = `${error.message} ${String(error.cause)} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(TOKEN);
  });

  it('never puts a secret into any error message', async () => {
    const faults = [
      serviceError('AccessDenied', `denied ${SECRET}`),
      serviceError('ValidationError', 'MaxSessionDuration'),
      serviceError('Throttling', 'Rate exceeded', 400),
      new Error(`boom ${TOKEN}`),
    ];
    for (const fault of faults) {
      sts.reset();
      sts.on(AssumeRoleCommand).rejects(fault);
      const error = await failure();
      expect(error).toBeInstanceOf(SentinelError);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain(TOKEN);
    }
  });
});
