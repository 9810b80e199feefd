import { describe, expect, it } from 'vitest';
import { resolveApiSettings } from '../../../../src/cli/api/settings.js';
import type { ApiSettingsOptions } from '../../../../src/cli/api/settings.js';
import { caughtCoded as caught } from '../../../support/caught.js';

const EXECUTE_API = 'https://abc123def4.execute-api.eu-west-1.amazonaws.com';

async function failure(opts: ApiSettingsOptions, env: NodeJS.ProcessEnv): Promise<{ code: string; message: string }> {
  const error = await caught((async () => resolveApiSettings(opts, env))());
  return { code: error.code, message: error.message };
}

describe('resolveApiSettings', () => {
  it.each([
    // [what, options, env, expected]
    ['the URL from --api, region from its execute-api host', { api: EXECUTE_API }, {}, { apiUrl: EXECUTE_API, region: 'eu-west-1' }],
    ['the URL from SENTINEL_API_URL', {}, { SENTINEL_API_URL: EXECUTE_API }, { apiUrl: EXECUTE_API, region: 'eu-west-1' }],
    ['--api over SENTINEL_API_URL', { api: 'http://127.0.0.1:4280' }, { SENTINEL_API_URL: EXECUTE_API }, { apiUrl: 'http://127.0.0.1:4280', region: 'us-east-1' }],
    ['an empty --api counts as unset', { api: '' }, { SENTINEL_API_URL: EXECUTE_API }, { apiUrl: EXECUTE_API, region: 'eu-west-1' }],
    ['--region over SENTINEL_REGION over the host', { api: EXECUTE_API, region: 'ap-southeast-2' }, { SENTINEL_REGION: 'us-west-2' }, { apiUrl: EXECUTE_API, region: 'ap-southeast-2' }],
    ['SENTINEL_REGION over the host', { api: EXECUTE_API }, { SENTINEL_REGION: 'us-west-2' }, { apiUrl: EXECUTE_API, region: 'us-west-2' }],
    ['AWS_REGION is not the API region', { api: EXECUTE_API }, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2' }, { apiUrl: EXECUTE_API, region: 'eu-west-1' }],
    ['a China-region host', { api: 'https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn' }, {}, { apiUrl: 'https://a1b2c3.execute-api.cn-north-1.amazonaws.com.cn', region: 'cn-north-1' }],
    ['a GovCloud host', { api: 'https://a1b2c3.execute-api.us-gov-west-1.amazonaws.com' }, {}, { apiUrl: 'https://a1b2c3.execute-api.us-gov-west-1.amazonaws.com', region: 'us-gov-west-1' }],
    ['a stage path is kept, trailing slashes dropped', { api: `${EXECUTE_API}/prod/` }, {}, { apiUrl: `${EXECUTE_API}/prod`, region: 'eu-west-1' }],
    ['an upper-case host is normalised', { api: 'https://ABC123.Execute-Api.EU-WEST-1.amazonaws.com' }, {}, { apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com', region: 'eu-west-1' }],
    ['loopback: the local stack region', { api: 'http://127.0.0.1:4280/' }, {}, { apiUrl: 'http://127.0.0.1:4280', region: 'us-east-1' }],
    ['localhost is loopback', { api: 'http://localhost:4280' }, {}, { apiUrl: 'http://localhost:4280', region: 'us-east-1' }],
    ['[::1] is loopback', { api: 'http://[::1]:4280' }, {}, { apiUrl: 'http://[::1]:4280', region: 'us-east-1' }],
    ['a custom domain with --region', { api: 'https://sentinel.example.com', region: 'eu-central-1' }, {}, { apiUrl: 'https://sentinel.example.com', region: 'eu-central-1' }],
    ['--aws-profile is carried', { api: EXECUTE_API, awsProfile: 'work' }, {}, { apiUrl: EXECUTE_API, region: 'eu-west-1', awsProfile: 'work' }],
  ] as const)('%s', (_what, opts, env, expected) => {
    expect(resolveApiSettings(opts, env)).toEqual(expected);
  });

  it('without a URL, says how to give one', async () => {
    expect(await failure({}, {})).toEqual({
      code: 'NO_API_URL',
      message: 'no Sentinel API URL: pass --api <url> or set SENTINEL_API_URL (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com)',
    });
    expect((await failure({ api: ' ' }, { SENTINEL_API_URL: '' })).code).toBe('NO_API_URL');
  });

  it('for a custom domain without a region, asks for --region', async () => {
    expect(await failure({ api: 'https://sentinel.example.com' }, {})).toEqual({
      code: 'NO_REGION',
      message: "cannot tell the API's region from --api (sentinel.example.com is not an execute-api host name): pass --region or set SENTINEL_REGION",
    });
    expect((await failure({}, { SENTINEL_API_URL: 'https://sentinel.example.com' })).message).toContain('from SENTINEL_API_URL');
  });

  it.each([
    ['not a URL', { api: 'abc123.execute-api.eu-west-1.amazonaws.com' }, 'is not a URL'],
    ['another scheme', { api: 'ftp://example.com' }, 'must be an https:// URL'],
    ['plain http to a remote host', { api: 'http://abc123.execute-api.eu-west-1.amazonaws.com' }, 'must use https'],
    ['a query', { api: `${EXECUTE_API}?stage=prod` }, 'must not have a query or fragment'],
  ])('refuses %s', async (_what, opts, words) => {
    const { code, message } = await failure(opts, {});
    expect(code).toBe('INVALID_API_URL');
    expect(message).toContain(words);
  });

  it('refuses a URL with a password without repeating it', async () => {
    const { code, message } = await failure({ api: 'https://user:hunter2@sentinel.example.com' }, {});
    expect(code).toBe('INVALID_API_URL');
    expect(message).toBe('--api must not contain a user name or password');
  });

  it('refuses a region that is not a region name', async () => {
    expect(await failure({ api: EXECUTE_API, region: 'Ireland' }, {})).toEqual({ code: 'INVALID_REGION', message: '--region "Ireland" is not an AWS region name (e.g. eu-west-1)' });
    expect((await failure({ api: EXECUTE_API }, { SENTINEL_REGION: 'eu west 1' })).message).toContain('SENTINEL_REGION');
  });
});
