/**
 * Sentinel against AWS clients nobody here wrote: botocore's own SigV4 signer, and
 * Debian's AWS CLI v2 using `sentinel credentials` as its `credential_process` and
 * `sentinel exec --server`'s container credential endpoint.
 *
 * Server mode also runs with the caller's own ~/.aws files as users really have them
 * (a `[default]` with static keys, a `credential_process`, an SSO profile, AWS_PROFILE
 * naming one of them): the command must still get the vended credentials.
 *
 * Always the system tools by absolute path (/usr/bin/aws, /usr/bin/python3): another
 * `aws` (v1) or a pyenv python without botocore may come first on PATH. .ci/run
 * installs them; outside CI a test whose tool is missing is skipped with the reason.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSharedCredentialsFile } from '../../src/local/identities.js';
import type { TestStack } from '../support/localStack.js';
import { AWS_CLI, awsCliMissing, botocoreMissing, PYTHON, requireTool } from '../support/realClients.js';
import { startTestStack } from '../support/localStack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const SIGN = path.join(import.meta.dirname, 'fixtures', 'botocore_sign.py');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A credential_process document with the secrets replaced by what they look like, so a
 * failed assertion shows the shape and never a key.
 */
function credentialShape(text: string): Record<string, unknown> {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsable: `${text.length} characters of output` };
  }
  const looks = (value: unknown, pattern: RegExp, label: string): string => (typeof value === 'string' && pattern.test(value) ? label : typeof value);
  return {
    ...document,
    AccessKeyId: looks(document.AccessKeyId, /^ASIASENTINELDEV[A-Z2-7]{5}$/, 'ASIASENTINELDEV…'),
    SecretAccessKey: looks(document.SecretAccessKey, /^sentinel-dev-/, 'sentinel-dev-…'),
    SessionToken: looks(document.SessionToken, /^sentinel-dev:/, 'sentinel-dev:…'),
    Expiration: looks(document.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/, 'ISO 8601'),
  };
}

const DEV_CREDENTIALS = {
  Version: 1,
  AccessKeyId: 'ASIASENTINELDEV…',
  SecretAccessKey: 'sentinel-dev-…',
  SessionToken: 'sentinel-dev:…',
  Expiration: 'ISO 8601',
};

let test: TestStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-real-clients-'));
  test = await startTestStack();
  // The first run of the launcher may rebuild a stale bundle; not inside a test's time.
  await run(BIN, ['--version'], test.env());
}, 90_000);

afterAll(async () => {
  await test?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('botocore SigV4Auth', () => {
  interface Sent {
    status: number;
    body: string;
    signedHeaders: string[];
    url: string;
  }

  async function botocore(method: string, route: string, body?: unknown, tamper = false): Promise<Sent> {
    const alice = (await readSharedCredentialsFile(test.stack.credentialsFile))?.find((identity) => identity.name === 'alice');
    if (alice === undefined) throw new Error(`no alice in ${test.stack.credentialsFile}`);
    const args = [SIGN, method, new URL(route, test.stack.url).href, test.stack.region];
    if (body !== undefined) args.push(JSON.stringify(body));
    if (tamper) args.push('--tamper');
    // The keys go through the environment, never argv (which `ps` shows).
    const env = test.env('alice', { AWS_ACCESS_KEY_ID: alice.accessKeyId, AWS_SECRET_ACCESS_KEY: alice.secretAccessKey });
    const result = await run(PYTHON, args, env);
    if (result.code !== 0) throw new Error(`botocore_sign.py exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Sent;
  }

  it('signs POST /v1/credentials and gets dev credentials', async (context) => {
    requireTool(context, botocoreMissing);
    const sent = await botocore('POST', '/v1/credentials', { profile: 'dev', mode: 'cli' });
    expect(sent.signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date']));
    expect(sent.status).toBe(200);
    const answer = JSON.parse(sent.body) as { profile: string; credentials: { accessKeyId: string }; decision: unknown };
    expect(answer.profile).toBe('dev');
    expect(answer.credentials.accessKeyId).toMatch(/^ASIASENTINELDEV/);
    expect(answer.decision).toMatchObject({ effect: 'allow' });
  });

  it('signs GET /v1/whoami with a query string that needs encoding', async (context) => {
    requireTool(context, botocoreMissing);
    const sent = await botocore('GET', '/v1/whoami?note=two words&star=a*b&tilde=~x&empty=');
    // botocore sent the query form-encoded ("+" for a space) and signed its RFC 3986 form.
    expect(sent.url).toContain('note=two+words');
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toEqual({ user: 'alice', arn: expect.stringMatching(/^arn:aws:sts::\d{12}:assumed-role\/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468\/alice$/), accountId: expect.any(String), admin: false });
  });

  it('is refused with 403 {"message":"Forbidden"} when the signature is tampered with', async (context) => {
    requireTool(context, botocoreMissing);
    const sent = await botocore('POST', '/v1/credentials', { profile: 'dev', mode: 'cli' }, true);
    expect({ status: sent.status, body: JSON.parse(sent.body) as unknown }).toEqual({ status: 403, body: { message: 'Forbidden' } });
  });
});

describe('AWS CLI v2 with sentinel credentials as credential_process', () => {
  it('exports the credentials sentinel vended for the profile', async (context) => {
    requireTool(context, awsCliMissing);
    const config = path.join(dir, 'credential-process-config');
    // --aws-profile names the identity that signs the API call; the AWS CLI's own
    // --profile (sentinel-dev) only selects this section.
    await writeFile(config, `[profile sentinel-dev]\ncredential_process = ${BIN} --aws-profile alice credentials --profile dev\n`);
    const env = test.env('alice', { AWS_CONFIG_FILE: config });
    // Nothing but --aws-profile tells the child who signs: the AWS CLI passes its environment on.
    delete env.AWS_PROFILE;
    const result = await run(AWS_CLI, ['configure', 'export-credentials', '--profile', 'sentinel-dev', '--format', 'process'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(credentialShape(result.stdout)).toEqual(DEV_CREDENTIALS);
  });
});

describe('AWS CLI v2 under sentinel exec --server', () => {
  it('gets credentials from the container endpoint, which answers from what it holds', async (context) => {
    requireTool(context, awsCliMissing);
    const exportCredentials = `${AWS_CLI} configure export-credentials --format process`;
    // Two AWS CLI processes in one child: the AWS CLI keeps container credentials in
    // memory only, so the second one asks the endpoint again.
    const script = `echo "$SENTINEL_SESSION_ID"; echo ---; ${exportCredentials}; echo ---; ${exportCredentials}`;
    const result = await run(BIN, ['exec', '--server', '--profile', 'dev', '--', 'sh', '-c', script], test.env('alice'));
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });

    // The AWS CLI pretty-prints the JSON over several lines.
    const [sessionId = '', first = '', second = ''] = result.stdout.split('\n---\n').map((part) => part.trim());
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(credentialShape(first)).toEqual(DEV_CREDENTIALS);
    expect(credentialShape(second)).toEqual(DEV_CREDENTIALS);
    // The same keys both times: the endpoint serves the credentials it holds, it does not ask the API per read.
    const keyOf = (text: string): unknown => (JSON.parse(text) as { AccessKeyId?: unknown }).AccessKeyId;
    expect(keyOf(first)).toBe(keyOf(second));

    const dynamodb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: test.stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    try {
      const { Item } = await dynamodb.send(new GetCommand({ TableName: 'sentinel-sessions', Key: { id: sessionId } }));
      // The one issuance before the child starts; the AWS CLI's fetches (two per process,
      // as 15-minute credentials are inside botocore's advisory window) are answered from memory.
      expect(Item).toMatchObject({ user: 'alice', profile: 'dev', mode: 'server', request_count: 1 });
    } finally {
      dynamodb.destroy();
    }
  });
});

describe("real clients under sentinel exec --server with the caller's own AWS files", () => {
  // The AWS documentation's example keys: obviously not real, and easy to recognise.
  const STATIC_KEY = 'AKIAIOSFODNN7EXAMPLE';
  const PROCESS_KEY = 'AKIAI44QH8DHBEXAMPLE';

  interface Caller {
    /** Sections appended to ~/.aws/credentials, after the local stack's identities (alice signs). */
    credentials?: string;
    /** ~/.aws/config; `PROCESS` stands for the path of a credential_process that prints PROCESS_KEY. */
    config?: string;
    /** The two files live elsewhere, named by AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE. */
    named?: boolean;
    env?: Record<string, string>;
    /** What follows `bin/sentinel --aws-profile alice`, up to `--`. */
    args: string[];
    region: string;
    /** What `aws configure get output` and `… s3.addressing_style` print in the command. */
    settings?: string[];
  }

  const callers: Array<[string, Caller]> = [
    [
      'a [default] with static keys in ~/.aws/credentials',
      {
        credentials: `[default]\naws_access_key_id = ${STATIC_KEY}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`,
        args: ['exec', '--server', '--profile', 'prod'],
        // The profile's region, from the API's answer.
        region: 'eu-west-1',
      },
    ],
    [
      'a [default] with credential_process in ~/.aws/config (and --lazy: no region from the API)',
      {
        config: '[default]\ncredential_process = PROCESS\nregion = ap-southeast-2\noutput = json\ncli_pager =\ns3 =\n  addressing_style = path\n',
        args: ['exec', '--server', '--lazy', '--profile', 'staging'],
        // No answer before the child starts: the region of the caller's [default] reaches it.
        region: 'ap-southeast-2',
        settings: ['json', 'path'],
      },
    ],
    [
      'AWS_PROFILE and AWS_DEFAULT_PROFILE naming a credential_process profile, over a [default] with static keys',
      {
        credentials: `[default]\naws_access_key_id = ${STATIC_KEY}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`,
        config: '[profile caller]\ncredential_process = PROCESS\nregion = ap-northeast-1\n',
        env: { AWS_PROFILE: 'caller', AWS_DEFAULT_PROFILE: 'caller' },
        args: ['exec', '--server', '--profile', 'prod'],
        region: 'eu-west-1',
      },
    ],
    [
      'a [default] SSO profile with no cached token',
      {
        config:
          '[default]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = us-west-2\n\n' +
          '[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n',
        args: ['exec', '--server', '--profile', 'prod'],
        region: 'eu-west-1',
      },
    ],
    [
      'AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE naming the files, AWS_PROFILE a credential_process profile (and --lazy)',
      {
        named: true,
        credentials: `[default]\naws_access_key_id = ${STATIC_KEY}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`,
        config: '[default]\nregion = us-east-2\n\n[profile caller]\ncredential_process = PROCESS\nregion = ca-central-1\noutput = text\n',
        env: { AWS_PROFILE: 'caller' },
        args: ['exec', '--server', '--lazy', '--profile', 'staging'],
        // The settings of the profile AWS_PROFILE selected, not [default]'s.
        region: 'ca-central-1',
        settings: ['text'],
      },
    ],
  ];

  /** Prints one line per client: its name, the first 15 characters of the access key id it resolved, its region. */
  const CLIENTS = [
    'k=$(/usr/bin/aws configure export-credentials --format env-no-export | sed -n "s/^AWS_ACCESS_KEY_ID=\\(.\\{0,15\\}\\).*/\\1/p")',
    'r=$(/usr/bin/aws configure list | sed -n "s/^ *region  *\\([^ ]*\\).*/\\1/p")',
    'echo "aws ${k:-none} ${r:-none}"',
    'echo "settings $(/usr/bin/aws configure get output) $(/usr/bin/aws configure get s3.addressing_style)"',
    `${PYTHON} -c '${[
      'import botocore.session',
      's = botocore.session.get_session()',
      'try:\n  c = s.get_credentials()\n  k = c.get_frozen_credentials().access_key[:15] if c else "none"\nexcept Exception as e:\n  k = "error:" + type(e).__name__',
      'print("botocore", k, s.get_config_variable("region"))',
    ].join('\n')}'`,
    `${process.execPath} -e '${[
      "const { fromNodeProviderChain } = require('@aws-sdk/credential-providers');",
      "const { STSClient } = require('@aws-sdk/client-sts');",
      '(async () => {',
      "  const key = await fromNodeProviderChain()().then((c) => c.accessKeyId.slice(0, 15), (e) => 'error:' + e.name);",
      "  const region = await new STSClient({}).config.region().catch((e) => 'error:' + e.name);",
      "  console.log('js', key, region);",
      '})();',
    ]
      .join('\n')
      .replaceAll("'", "'\\''")}'`,
    // Where the command's config file is, and the modes of it and of its directory.
    'echo "files $AWS_CONFIG_FILE $(stat -c %a "${AWS_CONFIG_FILE%/*}") $(stat -c %a "$AWS_CONFIG_FILE") $(stat -c %a "$AWS_SHARED_CREDENTIALS_FILE")"',
  ].join('\n');

  it.for(callers)('%s: every client gets the vended credentials and the region', { timeout: 60_000 }, async ([name, caller], context) => {
    requireTool(context, awsCliMissing);
    requireTool(context, botocoreMissing);
    const home = await mkdtemp(path.join(dir, 'home-'));
    const files = path.join(home, caller.named === true ? 'elsewhere' : '.aws');
    await mkdir(files, { mode: 0o700 });
    // A credential_process that says when it runs: it must never run, in the command or in sentinel.
    const ran = path.join(home, 'credential-process-ran');
    const process_ = path.join(home, 'credential-process');
    await writeFile(process_, `#!/bin/sh\ntouch '${ran}'\necho '{"Version": 1, "AccessKeyId": "${PROCESS_KEY}", "SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}'\n`, { mode: 0o700 });
    const identities = await readFile(test.stack.credentialsFile, 'utf8');
    await writeFile(path.join(files, 'credentials'), `${identities}\n${caller.credentials ?? ''}`, { mode: 0o600 });
    if (caller.config !== undefined) await writeFile(path.join(files, 'config'), caller.config.replaceAll('PROCESS', process_), { mode: 0o600 });

    // The caller's files where the SDKs look by default (or where the variables say), and no AWS_PROFILE unless given.
    const env = test.env('alice', { HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...caller.env });
    if (caller.named === true) {
      env.AWS_SHARED_CREDENTIALS_FILE = path.join(files, 'credentials');
      env.AWS_CONFIG_FILE = path.join(files, 'config');
    } else {
      delete env.AWS_SHARED_CREDENTIALS_FILE;
      delete env.AWS_CONFIG_FILE;
    }
    if (caller.env?.AWS_PROFILE === undefined) delete env.AWS_PROFILE;
    const result = await run(BIN, ['--aws-profile', 'alice', ...caller.args, '--', 'sh', '-c', CLIENTS], env);

    const lines = new Map(result.stdout.trim().split('\n').map((line) => [line.split(' ')[0], line.split(' ').slice(1)]));
    const vended = ['ASIASENTINELDEV', caller.region];
    expect({
      name,
      code: result.code,
      stderr: result.stderr,
      aws: lines.get('aws'),
      botocore: lines.get('botocore'),
      js: lines.get('js'),
      settings: lines.get('settings')?.filter((word) => word !== ''),
    }).toEqual({
      name,
      code: 0,
      stderr: '',
      aws: vended,
      botocore: vended,
      js: vended,
      // The caller's non-credential settings still reach the AWS CLI.
      settings: caller.settings ?? [],
    });
    expect(existsSync(ran), 'the caller credential_process ran').toBe(false);
    // The command's config file was private (0600 in a 0700 directory) and is gone now.
    const [configFile = '', dirMode, configMode, credentialsMode] = lines.get('files') ?? [];
    expect([dirMode, configMode, credentialsMode]).toEqual(['700', '600', '600']);
    expect(configFile.startsWith(home)).toBe(false);
    expect(existsSync(path.dirname(configFile))).toBe(false);
  });
});
