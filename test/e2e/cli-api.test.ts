/**
 * The real `bin/sentinel` against the local control plane: `whoami`, `profiles` and
 * `policy pull|diff|push`, signed with the local identities' keys.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { ROOT, runCli, runCliOnTerminal } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { selfSignedCertificate } from '../support/tls.js';

const EXAMPLE = path.join(ROOT, 'examples', 'policy.yaml');
const ACCOUNT = '000000000000';
/** The local stack's people sign in through IAM Identity Center roles (src/local/stack.ts). */
const ENGINEER = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468`;
const ADMIN = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_9e8d7c6b5a4f3e21`;

let stack: TestStack;
let dir: string;
let example: string;

function sentinel(user: string, args: string[], env: NodeJS.ProcessEnv = stack.env(user)): Promise<CliResult> {
  return runCli(args, { cwd: dir, env });
}

function sentinelOnTerminal(user: string, args: string[], prompt: string, answer: () => Promise<string>): Promise<{ code: number | null; output: string }> {
  return runCliOnTerminal(args, { cwd: dir, env: stack.env(user) }, prompt, answer);
}

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-api-'));
  example = await readFile(EXAMPLE, 'utf8');
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await sentinel('alice', ['--version']);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel whoami', () => {
  it('shows the caller, their ARN and account', async () => {
    expect(await sentinel('alice', ['whoami'])).toEqual({ code: 0, stdout: `alice (${ENGINEER}/alice) in account ${ACCOUNT}\n`, stderr: '' });
  });

  it('says so when the caller is an admin', async () => {
    expect(await sentinel('admin', ['whoami'])).toEqual({ code: 0, stdout: `admin (${ADMIN}/admin) in account ${ACCOUNT}\nadmin\n`, stderr: '' });
  });

  it('prints the API body with --output json', async () => {
    const result = await sentinel('admin', ['whoami', '--output', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ user: 'admin', arn: `${ADMIN}/admin`, accountId: ACCOUNT, admin: true });
  });

  it('signs with the profile --aws-profile names, over AWS_PROFILE', async () => {
    const result = await sentinel('alice', ['whoami', '--aws-profile', 'bob']);
    expect(result.stdout).toBe(`bob (${ENGINEER}/bob) in account ${ACCOUNT}\n`);
  });
});

describe('sentinel over https', () => {
  it('reaches an API whose certificate it trusts, on the connection it opens before it looks for AWS credentials, and refuses one it does not', async () => {
    // TLS in front of the stack on 127.0.0.1, for the name localhost, with a certificate of its own.
    const { cert, key, certFile } = await selfSignedCertificate(dir);
    let decrypted = 0;
    const front = createTlsServer({ cert, key }, (socket) => {
      const upstream = connect(Number(new URL(stack.stack.url).port), '127.0.0.1');
      socket.on('data', (chunk: Buffer) => (decrypted += chunk.length));
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    front.on('tlsClientError', () => undefined);
    let accepted = 0;
    front.on('connection', () => (accepted += 1));
    front.listen(0, '127.0.0.1');
    await new Promise((resolve) => front.once('listening', resolve));
    const api = `https://localhost:${(front.address() as AddressInfo).port}`;
    try {
      const trusted = await sentinel('alice', ['whoami'], stack.env('alice', { SENTINEL_API_URL: api, NODE_EXTRA_CA_CERTS: certFile }));
      expect(trusted).toEqual({ code: 0, stdout: `alice (${ENGINEER}/alice) in account ${ACCOUNT}\n`, stderr: '' });
      const before = decrypted;
      const env = stack.env('alice', { SENTINEL_API_URL: api });
      delete env['NODE_EXTRA_CA_CERTS'];
      const untrusted = await sentinel('alice', ['whoami'], env);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain(`cannot reach the Sentinel API at ${api}: TLS certificate problem (DEPTH_ZERO_SELF_SIGNED_CERT)`);
      // Nothing was sent over the connections it refused: no signed request reached the front.
      expect(decrypted).toBe(before);

      // The connection opens before the client looks for AWS credentials: with none, one was opened and nothing sent on it.
      const acceptedBefore = accepted;
      const noCredentials = await sentinel('alice', ['whoami', '--aws-profile', 'nobody'], stack.env('alice', { SENTINEL_API_URL: api, NODE_EXTRA_CA_CERTS: certFile }));
      expect(noCredentials.code).toBe(1);
      expect(noCredentials.stderr).toContain('no AWS credentials to sign the request');
      expect(accepted).toBe(acceptedBefore + 1);
      expect(decrypted).toBe(before);
    } finally {
      await new Promise((resolve) => front.close(resolve));
    }
  });
});

describe('sentinel profiles', () => {
  it('shows what each mode meets for each profile bob could get, with a legend', async () => {
    const result = await sentinel('bob', ['profiles']);
    expect(result).toEqual({
      code: 0,
      stdout: [
        'NAME        REGION     CLI             SERVER    CREDENTIAL_PROCESS',
        'billing     eu-west-1  approval        approval  approval',
        'dev         eu-west-1  allow           allow     allow',
        'prod        eu-west-1  server+session  allow     server+session',
        'prod-admin  eu-west-1  approval        approval  approval',
        'staging     eu-west-1  server          allow     server',
        '',
        'allow: credentials are issued; server: only with sentinel exec --server; server+session: only with sentinel exec --server and a session table; approval: needs an approved access request (sentinel request)',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints the API body with --output json', async () => {
    const result = await sentinel('bob', ['--output', 'json', 'profiles']);
    const body = JSON.parse(result.stdout) as { profiles: Array<{ name: string; modes: Record<string, { effect: string }> }>; policyVersion: number };
    expect(body.profiles.map((profile) => profile.name)).toEqual(['billing', 'dev', 'prod', 'prod-admin', 'staging']);
    expect(body.profiles[1]?.modes['cli']?.effect).toBe('allow');
    expect(body.policyVersion).toBe(1);
  });
});

describe('errors before and at the API', () => {
  it('says how to give the API URL when there is none', async () => {
    const env = stack.env('alice');
    delete env['SENTINEL_API_URL'];
    expect(await sentinel('alice', ['whoami'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sentinel: no Sentinel API URL: pass --api <url> or set SENTINEL_API_URL (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com)\n',
    });
  });

  it('reports a wrong secret as a refused signature, without showing the secret', async () => {
    const credentials = await readFile(stack.stack.credentialsFile, 'utf8');
    const section = credentials.split(/^\[/m).find((part) => part.startsWith('alice]')) ?? '';
    const secret = /^aws_secret_access_key\s*=\s*(\S+)/m.exec(section)?.[1] ?? '';
    const wrong = `${secret.slice(0, -4)}${secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const file = path.join(dir, 'bad-credentials');
    await writeFile(file, credentials.replace(secret, wrong), { mode: 0o600 });

    const result = await sentinel('alice', ['whoami'], stack.env('alice', { AWS_SHARED_CREDENTIALS_FILE: file }));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: "sentinel: the API refused the request signature: check that your AWS credentials are valid and that the region (us-east-1) is the API's\n",
    });
    expect(result.stderr).not.toContain(wrong);
  });

  it('reports an API that is not there, naming its URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    expect(await sentinel('alice', ['whoami', '--api', url])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sentinel: cannot reach the Sentinel API at ${url}: connection refused (check --api / SENTINEL_API_URL) (tried 3 times)\n`,
    });
  });
});

describe('sentinel policy pull|diff|push', () => {
  // Runs in order: each push moves the stored version on.
  const edited = (marker: string): string => example.replace('Engineers may use dev freely', `Engineers may use dev freely (${marker})`);

  it('refuses pull to someone who is not an admin', async () => {
    expect(await sentinel('alice', ['policy', 'pull'])).toEqual({ code: 1, stdout: '', stderr: `sentinel: only admins may read the policy; "alice" is not in the policy's admins\n` });
    const json = await sentinel('alice', ['policy', 'pull', '--output', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NOT_ADMIN' } });
  });

  it('pulls the stored policy exactly as it was loaded, the version on stderr', async () => {
    const result = await sentinel('admin', ['policy', 'pull']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(example);
    expect(result.stderr).toMatch(/^policy version 1 \(updated \S+Z by local-stack\)\n$/);

    expect((await sentinel('admin', ['policy', 'pull', '--file', 'pulled.yaml'])).stdout).toBe('');
    expect(await readFile(path.join(dir, 'pulled.yaml'), 'utf8')).toBe(example);
  });

  it('diffs a file against the stored version', async () => {
    expect(await sentinel('admin', ['policy', 'diff', EXAMPLE])).toEqual({ code: 0, stdout: `no changes: ${EXAMPLE} matches policy version 1\n`, stderr: '' });

    await writeFile(path.join(dir, 'v2.yaml'), edited('v2'));
    const result = await sentinel('admin', ['policy', 'diff', 'v2.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- stored policy (version 1)\n+++ v2.yaml\n@@ ');
    expect(result.stdout).toContain('\n-    reason: Engineers may use dev freely\n+    reason: Engineers may use dev freely (v2)\n');
    expect((await sentinel('admin', ['policy', 'diff', '--exit-code', 'v2.yaml'])).code).toBe(1);
  });

  it('refuses to push an invalid file, with file:line:col, before asking the API', async () => {
    await writeFile(path.join(dir, 'invalid.yaml'), example.replace('effect: allow', 'effect: alow'));
    const result = await sentinel('admin', ['policy', 'push', '--yes', 'invalid.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sentinel: invalid\.yaml is invalid, nothing pushed:\ninvalid\.yaml:\d+:\d+: unknown effect "alow"/);
  });

  it('without a terminal and without --yes, shows the diff and pushes nothing', async () => {
    const result = await sentinel('admin', ['policy', 'push', 'v2.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('+    reason: Engineers may use dev freely (v2)');
    expect(result.stderr).toBe(
      'sentinel: nothing pushed: stdin is not a terminal, so no one can confirm; check the diff and run again with --yes to push it as version 2\n',
    );
  });

  it('pushes with --yes as the next version; pull then shows it', async () => {
    const result = await sentinel('admin', ['policy', 'push', '--yes', 'v2.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('+    reason: Engineers may use dev freely (v2)');
    expect(result.stdout.endsWith('pushed v2.yaml as policy version 2\n')).toBe(true);

    const pulled = await sentinel('admin', ['policy', 'pull']);
    expect(pulled.stdout).toBe(edited('v2'));
    expect(pulled.stderr).toMatch(/^policy version 2 \(updated \S+ by admin\)\n$/);
    expect((await sentinel('admin', ['policy', 'push', '--yes', 'v2.yaml'])).stdout).toBe('no changes: v2.yaml matches policy version 2; nothing pushed\n');
  });

  it('asks on a terminal, and a no pushes nothing', async () => {
    await writeFile(path.join(dir, 'v3.yaml'), edited('v3'));
    const { code, output } = await sentinelOnTerminal('admin', ['policy', 'push', 'v3.yaml'], 'Push this policy as version 3? [y/N] ', async () => 'n\n');
    expect(code).toBe(1);
    expect(output).toContain('+    reason: Engineers may use dev freely (v3)');
    expect(output).toContain('sentinel: nothing pushed');
    expect((await sentinel('admin', ['policy', 'pull'])).stderr).toMatch(/^policy version 2 /);
  });

  it('refuses a push when the stored policy changed while the user was deciding', async () => {
    await writeFile(path.join(dir, 'v3-other.yaml'), edited('someone else'));
    const { code, output } = await sentinelOnTerminal('admin', ['policy', 'push', 'v3.yaml'], 'Push this policy as version 3? [y/N] ', async () => {
      // Someone else pushes while the prompt waits.
      const other = await sentinel('admin', ['policy', 'push', '--yes', 'v3-other.yaml']);
      expect(other.stdout).toContain('pushed v3-other.yaml as policy version 3');
      return 'y\n';
    });
    expect(code).toBe(1);
    expect(output).toContain('sentinel: the stored policy changed while you were pushing (now version 3): run sentinel policy diff v3.yaml again\n');
    expect((await sentinel('admin', ['policy', 'pull'])).stdout).toBe(edited('someone else'));
  });

  it('pushes on a terminal after a yes, and prints the result as JSON with --output json', async () => {
    const { code, output } = await sentinelOnTerminal('admin', ['policy', 'push', '--output', 'json', 'v3.yaml'], 'Push this policy as version 4? [y/N] ', async () => 'y\n');
    expect(code).toBe(0);
    const json = output.slice(output.lastIndexOf('{\n'));
    expect(JSON.parse(json)).toEqual({ version: 4, updatedAt: expect.stringMatching(/Z$/) });
  });
});
