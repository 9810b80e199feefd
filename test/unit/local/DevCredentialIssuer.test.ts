import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { decodeDevSessionToken, DevCredentialIssuer } from '../../../src/local/DevCredentialIssuer.js';
import type { IssueInput } from '../../../src/vending/ports.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const issuer = new DevCredentialIssuer({ now: () => NOW });

const INPUT: IssueInput = {
  roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
  roleSessionName: 'sentinel-alice-0a1b2c3d',
  sourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
  durationSeconds: 3600,
  sessionId: 'ses-0123456789abcdef',
};

describe('DevCredentialIssuer', () => {
  it('mints credentials shaped like AWS ones but marked as development credentials', async () => {
    const credentials = await issuer.issue(INPUT);

    expect(issuer.kind).toBe('dev');
    expect(credentials.accessKeyId).toMatch(/^ASIASENTINELDEV[A-Z]{5}$/);
    expect(credentials.secretAccessKey).toHaveLength(40);
    expect(credentials.secretAccessKey).toMatch(/^sentinel-dev-[A-Za-z0-9]{27}$/);
    expect(credentials.sessionToken).toMatch(/^sentinel-dev:[A-Za-z0-9_-]+$/);
    expect(credentials.expiration).toEqual(new Date('2030-01-01T01:00:00.000Z'));
  });

  it('encodes what was minted in the session token, readable by local tools', async () => {
    const { sessionToken } = await issuer.issue(INPUT);

    expect(decodeDevSessionToken(sessionToken)).toEqual({
      roleArn: 'arn:aws:iam::111122223333:role/sentinel-dev',
      roleSessionName: 'sentinel-alice-0a1b2c3d',
      sourceIdentity: 'sentinel:alice:direct:0a1b2c3d',
      sessionId: 'ses-0123456789abcdef',
      expiration: '2030-01-01T01:00:00.000Z',
      nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('leaves the session id out of the token when the issuance has no session record', async () => {
    const { sessionId: _sessionId, ...untracked } = INPUT;
    const { sessionToken } = await issuer.issue({ ...untracked, durationSeconds: 900 });

    const claims = decodeDevSessionToken(sessionToken);
    expect(claims).not.toHaveProperty('sessionId');
    expect(claims?.expiration).toBe('2030-01-01T00:15:00.000Z');
  });

  it('never hands out the same credentials twice', async () => {
    const first = await issuer.issue(INPUT);
    const second = await issuer.issue(INPUT);

    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.secretAccessKey).not.toBe(first.secretAccessKey);
    expect(second.sessionToken).not.toBe(first.sessionToken);
  });

  it.each([899, 43_201, 1800.5])('refuses %s-second credentials, as STS would', async (durationSeconds) => {
    const error: unknown = await issuer.issue({ ...INPUT, durationSeconds }).catch((rejection: unknown) => rejection);

    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toBe(
      `the dev issuer, like AWS STS, refuses ${durationSeconds}-second credentials: use 900 to 43200 seconds`,
    );
  });

  it('does not mistake a real or damaged token for a dev one', () => {
    expect(decodeDevSessionToken('FwoGZXIvYXdzEXAMPLE')).toBeUndefined();
    expect(decodeDevSessionToken('sentinel-dev:not-json')).toBeUndefined();
    expect(decodeDevSessionToken(`sentinel-dev:${Buffer.from('{"roleArn":1}').toString('base64url')}`)).toBeUndefined();
  });

  it('uses the system clock by default', async () => {
    const before = Date.now();
    const { expiration } = await new DevCredentialIssuer().issue(INPUT);

    expect(expiration.getTime()).toBeGreaterThanOrEqual(before + 3600 * 1000);
  });
});
