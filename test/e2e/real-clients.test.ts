/**
 * Sentinel against AWS clients nobody here wrote: botocore's own SigV4 signer, and
 * Debian's AWS CLI v2 using `sentinel credentials` as its `credential_process` and
 * `sentinel exec --server`'s container credential endpoint.
 *
 * Always the system tools by absolute path (/usr/bin/aws, /usr/bin/python3): another
 * `aws` (v1) or a pyenv python without botocore may come first on PATH. .ci/run
 * installs them; outside CI a test whose tool is missing is skipped with the reason.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { readSharedCredentialsFile } from '../../src/local/identities.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const SIGN = path.join(import.meta.dirname, 'fixtures', 'botocore_sign.py');

const awsCliMissing = existsSync(AWS_CLI) ? undefined : `${AWS_CLI} is missing (Debian package awscli)`;
const botocoreMissing =
  spawnSync(PYTHON, ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0 ? undefined : `${PYTHON} cannot import botocore (Debian package python3-boto3)`;

/** Skips the test when a real client is missing on a developer's machine; in CI it must be there. */
function requireTool(context: TestContext, missing: string | undefined): void {
  if (missing === undefined) return;
  if (process.env.CI === 'true') expect.fail(`${missing}: .ci/run installs it`);
  context.skip(`${missing}; install it to run this test`);
}

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
    expect(JSON.parse(sent.body)).toEqual({ user: 'alice', arn: expect.stringMatching(/^arn:aws:iam::\d{12}:user\/alice$/), accountId: expect.any(String), admin: false });
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
  it('gets credentials from the container endpoint, which re-asks the API on every call', async (context) => {
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
    // Fresh keys each time: the endpoint asked the API again rather than replaying the first answer.
    const keyOf = (text: string): unknown => (JSON.parse(text) as { AccessKeyId?: unknown }).AccessKeyId;
    expect(keyOf(first) === keyOf(second)).toBe(false);

    const dynamodb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: test.stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    try {
      const { Item } = await dynamodb.send(new GetCommand({ TableName: 'sentinel-sessions', Key: { id: sessionId } }));
      // 1 for the issuance before the child starts, then 2 per AWS CLI process: botocore
      // fetches, then at first use refreshes at once, because server-mode credentials
      // (15 minutes, the default max_server_duration) are already inside its 15-minute
      // advisory refresh window. Each of those fetches is one API call.
      expect(Item).toMatchObject({ user: 'alice', profile: 'dev', mode: 'server', request_count: 5 });
    } finally {
      dynamodb.destroy();
    }
  });
});
