import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { VendedCredentials } from '../../../../src/api/contract.js';
import { callerConfigFile, childConfigFile, childEnvironment, createChildAwsFiles } from '../../../../src/cli/exec/environment.js';

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
  AWS_ROLE_SESSION_NAME: 'inherited-session',
  AWS_CREDENTIAL_FILE: '/home/alice/.aws/ec2-credentials',
  AWS_ACCOUNT_ID: '444455556666',
  AWS_CONFIG_FILE: '/home/alice/.aws/config',
  AWS_SHARED_CREDENTIALS_FILE: '/home/alice/.aws/credentials',
  BOTO_CONFIG: '/home/alice/.boto',
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
      'AWS_ROLE_SESSION_NAME',
      'AWS_CREDENTIAL_FILE',
      'AWS_ACCOUNT_ID',
    ]) {
      expect(env, key).not.toHaveProperty(key);
    }
  });

  it("keeps everything else, the caller's AWS files included (environment keys come before them in every chain), and leaves the caller environment alone", () => {
    expect(env).toMatchObject({
      PATH: '/usr/bin:/bin',
      HOME: '/home/alice',
      AWS_CONFIG_FILE: '/home/alice/.aws/config',
      AWS_SHARED_CREDENTIALS_FILE: '/home/alice/.aws/credentials',
      BOTO_CONFIG: '/home/alice/.boto',
      SENTINEL_API_URL: INHERITED['SENTINEL_API_URL'],
    });
    expect(INHERITED['AWS_ACCESS_KEY_ID']).toBe('AKIAINHERITED');
  });
});

describe('childEnvironment in server mode', () => {
  const files = { configFile: '/tmp/sentinel-exec-x/config', credentialsFile: '/tmp/sentinel-exec-x/credentials' };
  const env = childEnvironment(INHERITED, {
    profile: 'prod',
    credentials: { kind: 'endpoint', url: 'http://127.0.0.1:40123/credentials', token: 'a-token', files },
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

  it("reads the child's own AWS files, never the caller's, whose [default] would come before the endpoint", () => {
    expect(env).toMatchObject({
      AWS_CONFIG_FILE: files.configFile,
      AWS_SHARED_CREDENTIALS_FILE: files.credentialsFile,
      // boto2's files, which botocore reads for keys before the endpoint.
      BOTO_CONFIG: files.credentialsFile,
    });
    for (const key of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_ROLE_SESSION_NAME', 'AWS_CREDENTIAL_FILE', 'AWS_ACCOUNT_ID']) {
      expect(env, key).not.toHaveProperty(key);
    }
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

/** A caller's config file as people write them: every kind of credential setting, and settings worth keeping. */
const CALLER_CONFIG = [
  '# my AWS setup',
  '[default]',
  'region = eu-central-1',
  'output = table',
  'cli_pager =',
  'credential_process = /usr/local/bin/get-keys --profile default',
  'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
  'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'aws_session_token = caller-token',
  '',
  '[profile work]',
  'Region = us-west-2',
  '; how S3 transfers behave',
  's3 =',
  '  addressing_style = path',
  '  max_concurrent_requests = 20',
  'retry_mode = adaptive',
  'max_attempts = 7',
  'ca_bundle = /etc/ssl/corp.pem',
  'role_arn = arn:aws:iam::111122223333:role/admin',
  'source_profile = default',
  'mfa_serial = arn:aws:iam::111122223333:mfa/alice',
  'duration_seconds = 3600',
  'credential_source = Environment',
  'web_identity_token_file = /var/run/token',
  'sso_session = corp',
  'sso_account_id = 111122223333',
  'sso_role_name = Admin',
  'login_session = arn:aws:iam::111122223333:user/alice',
  'aws_account_id = 111122223333',
  'some_future_setting = x',
  'services = local-endpoints',
  '',
  '[sso-session corp]',
  'sso_start_url = https://example.awsapps.com/start',
  'sso_region = us-east-1',
  '',
  '[services local-endpoints]',
  'dynamodb =',
  '  endpoint_url = http://localhost:8000',
  '',
  '[plugins]',
  'cli_legacy_plugin_path = /opt/plugins',
  'login = awscli_login',
  '',
].join('\r\n');

const HEADER = (profile: string, source: string): string[] => [
  '# Written by sentinel exec --server for one command, and removed when it exits: its',
  "# credentials come from sentinel's endpoint, so only the non-credential settings of",
  `# profile ${JSON.stringify(profile)} in ${JSON.stringify(source)} are here.`,
  '[default]',
];

describe('childConfigFile', () => {
  it("keeps only the non-credential settings of the caller's [default]", () => {
    expect(childConfigFile(CALLER_CONFIG, 'default', '/home/alice/.aws/config').split('\n')).toEqual([
      ...HEADER('default', '/home/alice/.aws/config'),
      'region = eu-central-1',
      'output = table',
      'cli_pager =',
      '',
    ]);
  });

  it('copies a selected profile under [default]: nested s3 settings and its services section come along, every credential setting, sso-session and plugins stay behind', () => {
    expect(childConfigFile(CALLER_CONFIG, 'work', '/c').split('\n')).toEqual([
      ...HEADER('work', '/c'),
      'region = us-west-2',
      's3 =',
      '  addressing_style = path',
      '  max_concurrent_requests = 20',
      'retry_mode = adaptive',
      'max_attempts = 7',
      'ca_bundle = /etc/ssl/corp.pem',
      'services = local-endpoints',
      '',
      '[services local-endpoints]',
      'dynamodb =',
      '  endpoint_url = http://localhost:8000',
      '',
    ]);
  });

  it('is an empty [default] when the caller has no config file, or not the profile selected', () => {
    const empty = [...HEADER('default', '/none'), ''];
    expect(childConfigFile(undefined, 'default', '/none').split('\n')).toEqual(empty);
    expect(childConfigFile(CALLER_CONFIG, 'missing', '/none').split('\n')).toEqual([...HEADER('missing', '/none'), '']);
  });

  it('reads [profile default] as [default], the later value winning, and drops the nested lines of a dropped setting', () => {
    const text = '[default]\nregion = eu-west-1\n[profile default]\nregion = eu-west-2\nrole_arn =\n  region = us-east-1\n  aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n';
    expect(childConfigFile(text, 'default', '/c').split('\n').slice(4)).toEqual(['region = eu-west-2', '']);
  });

  it('cannot be steered into other sections by a profile name, the source or a services value', () => {
    const name = 'x"]\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE';
    // Both stay inside one comment line.
    const named = childConfigFile('[default]\nregion = eu-west-1\n', name, '/c\n[evil]');
    expect(named.split('\n').filter((line) => !line.startsWith('#'))).toEqual(['[default]', '']);
    // A value that cannot be a section name copies no section.
    const services = childConfigFile('[services a]\ns3 =\n  endpoint_url = http://x\n[profile p]\nservices = a]\n', 'p', '/c');
    expect(services.split('\n').filter((line) => line.startsWith('['))).toEqual(['[default]']);
  });
});

describe('callerConfigFile', () => {
  it('is AWS_CONFIG_FILE (with ~ for the home), else ~/.aws/config', () => {
    expect(callerConfigFile({ HOME: '/home/alice' })).toBe('/home/alice/.aws/config');
    expect(callerConfigFile({ HOME: '/home/alice', AWS_CONFIG_FILE: '' })).toBe('/home/alice/.aws/config');
    expect(callerConfigFile({ HOME: '/home/alice', AWS_CONFIG_FILE: '~/work/aws-config' })).toBe('/home/alice/work/aws-config');
    expect(callerConfigFile({ HOME: '/home/alice', AWS_CONFIG_FILE: '/etc/aws/config' })).toBe('/etc/aws/config');
  });
});

describe('createChildAwsFiles', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'sentinel-environment-unit-'));
    await mkdir(path.join(home, '.aws'));
    await writeFile(path.join(home, '.aws', 'config'), CALLER_CONFIG);
    await writeFile(path.join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('writes a private directory (0700) with the copied config and an empty credentials file (0600), and removes it', async () => {
    const files = await createChildAwsFiles({ HOME: home, AWS_PROFILE: 'work', AWS_DEFAULT_PROFILE: 'default' });
    try {
      const dir = path.dirname(files.configFile);
      expect(path.dirname(files.credentialsFile)).toBe(dir);
      expect(dir.startsWith(home)).toBe(false);
      expect(((await stat(dir)).mode & 0o777).toString(8)).toBe('700');
      expect(((await stat(files.configFile)).mode & 0o777).toString(8)).toBe('600');
      expect(((await stat(files.credentialsFile)).mode & 0o777).toString(8)).toBe('600');
      // AWS_PROFILE selects the profile, as it does for the AWS CLI and the JavaScript SDK.
      expect(await readFile(files.configFile, 'utf8')).toBe(childConfigFile(CALLER_CONFIG, 'work', path.join(home, '.aws', 'config')));
      expect(await readFile(files.credentialsFile, 'utf8')).toBe('');
    } finally {
      await files.remove();
    }
    await expect(stat(path.dirname(files.configFile))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes AWS_DEFAULT_PROFILE when AWS_PROFILE is unset, and AWS_CONFIG_FILE over ~/.aws/config', async () => {
    const other = path.join(home, 'other-config');
    await writeFile(other, '[profile team]\nregion = sa-east-1\ncredential_process = /bin/false\n');
    const files = await createChildAwsFiles({ HOME: home, AWS_DEFAULT_PROFILE: 'team', AWS_CONFIG_FILE: other });
    try {
      expect(await readFile(files.configFile, 'utf8')).toBe(`${[...HEADER('team', other), 'region = sa-east-1'].join('\n')}\n`);
    } finally {
      await files.remove();
    }
  });

  it('writes an empty [default] when the caller has no config file', async () => {
    const missing = path.join(home, 'no-such-dir', 'config');
    const files = await createChildAwsFiles({ HOME: home, AWS_CONFIG_FILE: missing });
    try {
      expect(await readFile(files.configFile, 'utf8')).toBe(`${HEADER('default', missing).join('\n')}\n`);
    } finally {
      await files.remove();
    }
  });

  it('refuses with CANNOT_READ_FILE when the config file exists but cannot be read', async () => {
    await expect(createChildAwsFiles({ HOME: home, AWS_CONFIG_FILE: path.join(home, '.aws') })).rejects.toMatchObject({
      code: 'CANNOT_READ_FILE',
      message: `cannot read the AWS config file ${path.join(home, '.aws')} to pass its settings to the command: EISDIR`,
    });
  });

  it('refuses with CANNOT_WRITE_FILE when the temporary directory cannot be written', async () => {
    const missing = path.join(home, 'no-such-tmp');
    vi.stubEnv('TMPDIR', missing);
    await expect(createChildAwsFiles({ HOME: home })).rejects.toMatchObject({
      code: 'CANNOT_WRITE_FILE',
      message: `cannot write the AWS config file of the command under ${missing}: ENOENT`,
    });
  });
});
