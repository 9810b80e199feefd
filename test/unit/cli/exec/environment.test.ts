import { describe, expect, it } from 'vitest';
import type { VendedCredentials } from '../../../../src/api/contract.js';
import { childEnvironment } from '../../../../src/cli/exec/environment.js';

// Obviously fake values: tests never hold anything that looks like a real secret.
const VENDED: VendedCredentials = {
  accessKeyId: 'ASIASENTINELDEVTEST1',
  secretAccessKey: 'sentinel-dev-secret',
  sessionToken: 'sentinel-dev:token',
  expiration: '2030-01-01T01:00:00.000Z',
};

/** What a developer's shell typically carries: their own AWS identity, and an ECS/EKS setup. */
const INHERITED: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/alice',
  AWS_PROFILE: 'admin-profile',
  AWS_DEFAULT_PROFILE: 'admin-profile',
  AWS_ACCESS_KEY_ID: 'AKIAINHERITED',
  AWS_SECRET_ACCESS_KEY: 'inherited-secret',
  AWS_SESSION_TOKEN: 'inherited-token',
  AWS_SECURITY_TOKEN: 'inherited-token',
  AWS_CREDENTIAL_EXPIRATION: '2029-01-01T00:00:00Z',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
  AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inherited-container-token',
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/token',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/web-identity',
  AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/inherited',
  AWS_CONFIG_FILE: '/home/alice/.aws/config',
  SENTINEL_API_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com',
  SENTINEL_SESSION_ID: 'stale-session',
};

describe('childEnvironment in cli mode', () => {
  const env = childEnvironment(INHERITED, {
    profile: 'dev',
    credentials: { kind: 'static', credentials: VENDED },
    region: 'eu-west-1',
    sessionId: 'f05bac6542fb82bd0ea7e54d1d3f76fe',
  });

  it('puts the vended credentials, the region and the profile in the environment', () => {
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: VENDED.accessKeyId,
      AWS_SECRET_ACCESS_KEY: VENDED.secretAccessKey,
      AWS_SESSION_TOKEN: VENDED.sessionToken,
      AWS_CREDENTIAL_EXPIRATION: VENDED.expiration,
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      SENTINEL_PROFILE: 'dev',
      SENTINEL_SESSION_ID: 'f05bac6542fb82bd0ea7e54d1d3f76fe',
    });
  });

  it('drops every inherited variable that selects or carries other credentials', () => {
    for (const key of [
      'AWS_PROFILE',
      'AWS_DEFAULT_PROFILE',
      'AWS_SECURITY_TOKEN',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_CONTAINER_AUTHORIZATION_TOKEN',
      'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_ROLE_ARN',
    ]) {
      expect(env, key).not.toHaveProperty(key);
    }
  });

  it('keeps everything else, and leaves the caller environment alone', () => {
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', HOME: '/home/alice', AWS_CONFIG_FILE: '/home/alice/.aws/config', SENTINEL_API_URL: INHERITED['SENTINEL_API_URL'] });
    expect(INHERITED['AWS_ACCESS_KEY_ID']).toBe('AKIAINHERITED');
  });
});

describe('childEnvironment in server mode', () => {
  const env = childEnvironment(INHERITED, {
    profile: 'prod',
    credentials: { kind: 'endpoint', url: 'http://127.0.0.1:40123/credentials', token: 'a-token' },
    region: 'eu-west-1',
    sessionId: 'f05bac6542fb82bd0ea7e54d1d3f76fe',
  });

  it('points the SDKs at the local endpoint with its token, and at nothing else', () => {
    expect(env['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toBe('http://127.0.0.1:40123/credentials');
    expect(env['AWS_CONTAINER_AUTHORIZATION_TOKEN']).toBe('a-token');
    const credentialKeys = Object.keys(env).filter((key) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|CREDENTIAL_EXPIRATION|PROFILE)$/.test(key));
    expect(credentialKeys).toEqual([]);
    expect(Object.keys(env).filter((key) => key.startsWith('AWS_CONTAINER_')).sort()).toEqual([
      'AWS_CONTAINER_AUTHORIZATION_TOKEN',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ]);
    expect(env).toMatchObject({ SENTINEL_PROFILE: 'prod', SENTINEL_SESSION_ID: 'f05bac6542fb82bd0ea7e54d1d3f76fe' });
  });
});

describe('childEnvironment region and session', () => {
  it('sets no region when the profile has none, keeping an inherited one', () => {
    const env = childEnvironment({ AWS_REGION: 'us-west-2' }, { profile: 'dev', credentials: { kind: 'static', credentials: VENDED } });
    expect(env['AWS_REGION']).toBe('us-west-2');
    expect(env).not.toHaveProperty('AWS_DEFAULT_REGION');
  });

  it('overrides an inherited region with the profile region', () => {
    const env = childEnvironment(
      { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2' },
      { profile: 'dev', credentials: { kind: 'static', credentials: VENDED }, region: 'eu-west-1' },
    );
    expect(env).toMatchObject({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' });
  });

  it('sets no SENTINEL_SESSION_ID when the session is not tracked, even a stale inherited one', () => {
    const env = childEnvironment({ SENTINEL_SESSION_ID: 'stale' }, { profile: 'dev', credentials: { kind: 'static', credentials: VENDED } });
    expect(env).not.toHaveProperty('SENTINEL_SESSION_ID');
    expect(env['SENTINEL_PROFILE']).toBe('dev');
  });
});
