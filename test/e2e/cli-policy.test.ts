/**
 * Drives the real `bin/sentinel` (launcher + bundle) through the `policy` commands.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { bigPolicy } from '../support/policies.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'sentinel');
const EXAMPLE = path.join(ROOT, 'examples', 'policy.yaml');
const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

function sentinel(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

const BAD_ONE = `version: "1"
rules:
  - name: one
    effect: alow
    conditions:
      profiles: [dev]
  - name: two
    effect: allow
    conditions:
      mode: [serverr]
`;

const BAD_TWO = `version: "1"
rules:
  - name: three
    effect: allow
    conditions:
      time: { days: [funday], timezone: Europe/Paris }
`;

// Valid, but the second rule can never apply: the first matches everything.
const SHADOWED = `version: "1"
rules:
  - name: everyone
    effect: allow
    conditions: {}
  - name: never
    effect: deny
    conditions:
      users: [mallory]
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-policy-'));
  await writeFile(path.join(dir, 'bad-one.yaml'), BAD_ONE);
  await writeFile(path.join(dir, 'bad-two.yaml'), BAD_TWO);
  await writeFile(path.join(dir, 'shadowed.yaml'), SHADOWED);
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await sentinel('--version');
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sentinel --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('sentinel policy validate', () => {
  it('prints "FILE: valid" and exits 0 for a valid policy', async () => {
    expect(await sentinel('policy', 'validate', EXAMPLE)).toEqual({ code: 0, stdout: `${EXAMPLE}: valid\n`, stderr: '' });
  });

  it('reports every error of every file as file:line:col and exits 1', async () => {
    const result = await sentinel('policy', 'validate', 'bad-one.yaml', EXAMPLE, 'bad-two.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${EXAMPLE}: valid\n`);
    const errors = lines(result.stderr);
    expect(errors[0]).toMatch(/^bad-one\.yaml:4:13: unknown effect "alow"/);
    expect(errors[1]).toMatch(/^bad-one\.yaml:10:14: unknown mode "serverr"/);
    expect(errors[2]).toMatch(/^bad-two\.yaml:6:22: .*"funday"/);
    expect(errors).toHaveLength(3);
  });

  it('reports an unreadable file and still checks the others', async () => {
    const result = await sentinel('policy', 'validate', 'missing.yaml', 'bad-two.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)[0]).toBe('missing.yaml: cannot read file: no such file or directory');
    expect(lines(result.stderr)[1]).toMatch(/^bad-two\.yaml:6:22: /);
  });

  it('prints { files: [{ file, valid, errors }] } with --output json', async () => {
    const result = await sentinel('policy', 'validate', '--output', 'json', EXAMPLE, 'bad-one.yaml', 'missing.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout) as { files: { file: string; valid: boolean; errors: unknown[] }[] };
    expect(output.files.map((file) => [file.file, file.valid, file.errors.length])).toEqual([
      [EXAMPLE, true, 0],
      ['bad-one.yaml', false, 2],
      ['missing.yaml', false, 1],
    ]);
    expect(output.files[1]?.errors[0]).toMatchObject({ line: 4, col: 13, path: 'rules[0].effect' });
    expect(output.files[2]?.errors[0]).toEqual({
      line: null,
      col: null,
      path: '',
      message: 'cannot read file: no such file or directory',
    });
  });
});

describe('sentinel policy lint', () => {
  it('prints warnings as file:line:col: warning: and exits 0 without --strict', async () => {
    const result = await sentinel('policy', 'lint', 'shadowed.yaml');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout).length).toBeGreaterThan(0);
    for (const line of lines(result.stdout)) expect(line).toMatch(/^shadowed\.yaml:6:5: warning: /);
    expect(result.stdout).toContain('"never"');
  });

  it('exits 1 with --strict when there are warnings', async () => {
    const result = await sentinel('policy', 'lint', '--strict', 'shadowed.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^shadowed\.yaml:6:5: warning: /);
  });

  it('exits 0 with --strict when there are none', async () => {
    expect(
      await sentinel('policy', 'lint', '--strict', '--default-session-table', 'sentinel-sessions', EXAMPLE),
    ).toEqual({ code: 0, stdout: `${EXAMPLE}: valid, no warnings\n`, stderr: '' });
  });

  it('reports validation errors first and exits 1, without --strict', async () => {
    const result = await sentinel('policy', 'lint', 'bad-one.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toHaveLength(2);
    expect(lines(result.stderr)[0]).toMatch(/^bad-one\.yaml:4:13: unknown effect/);
  });

  it('prints errors and warnings per file with --output json', async () => {
    const result = await sentinel('policy', 'lint', '--output', 'json', 'shadowed.yaml', 'bad-two.yaml');
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as {
      files: { file: string; valid: boolean; errors: unknown[]; warnings: { line: number; col: number }[] }[];
    };
    expect(output.files.map((file) => [file.file, file.valid, file.errors.length])).toEqual([
      ['shadowed.yaml', true, 0],
      ['bad-two.yaml', false, 1],
    ]);
    expect(output.files[0]?.warnings[0]).toMatchObject({ line: 6, col: 5 });
    expect(output.files[1]?.warnings).toEqual([]);
  });
});

describe('sentinel policy eval --output json', () => {
  const evalJson = async (...args: string[]) => {
    const result = await sentinel('policy', 'eval', '--policy', EXAMPLE, '--time', '2025-03-14T09:30:00Z', '--output', 'json', ...args);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const KEYS = [
    'effect',
    'rule',
    'ruleIndex',
    'reason',
    'requiresServerMode',
    'requiresSessionTracking',
    'sessionTable',
    'maxServerDurationSeconds',
  ];

  it('prints an allow with exactly the documented keys, in order', async () => {
    const decision = await evalJson('--user', 'alice', '--profile', 'dev');
    expect(Object.keys(decision)).toEqual(KEYS);
    expect(decision).toEqual({
      effect: 'allow',
      rule: 'dev-engineers',
      ruleIndex: 0,
      reason: 'Engineers may use dev freely',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      maxServerDurationSeconds: null,
    });
  });

  it('prints the default deny with an empty rule and ruleIndex -1', async () => {
    const decision = await evalJson('--user', 'mallory', '--profile', 'dev');
    expect(Object.keys(decision)).toEqual(KEYS);
    expect(decision).toEqual({
      effect: 'deny',
      rule: '',
      ruleIndex: -1,
      reason: 'no matching rule',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      maxServerDurationSeconds: null,
    });
  });

  it('prints require_approval as its own effect', async () => {
    expect(await evalJson('--user', 'bob', '--profile', 'prod-admin')).toEqual({
      effect: 'require_approval',
      rule: 'prod-admin-approval',
      ruleIndex: 3,
      reason: 'Administrative access to production needs a second person',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: null,
      maxServerDurationSeconds: null,
    });
  });

  it('prints require_server_session outside server mode as a deny needing both', async () => {
    const decision = await evalJson('--user', 'alice', '--profile', 'prod');
    expect(Object.keys(decision)).toEqual(KEYS);
    expect(decision).toEqual({
      effect: 'deny',
      rule: 'prod-tracked',
      ruleIndex: 2,
      reason: 'Production needs tracked server sessions',
      requiresServerMode: true,
      requiresSessionTracking: true,
      sessionTable: null,
      maxServerDurationSeconds: 900,
    });
  });

  it('prints require_server_session in server mode with a default table as an allow with that table', async () => {
    expect(
      await evalJson('--user', 'bob', '--profile', 'prod', '--mode', 'server', '--default-session-table', 'sentinel-sessions'),
    ).toEqual({
      effect: 'allow',
      rule: 'prod-tracked',
      ruleIndex: 2,
      reason: 'Production needs tracked server sessions',
      requiresServerMode: false,
      requiresSessionTracking: false,
      sessionTable: 'sentinel-sessions',
      maxServerDurationSeconds: 900,
    });
  });

  it('prefers the request table over the default', async () => {
    const decision = await evalJson(
      '--user', 'bob', '--profile', 'prod', '--mode', 'server',
      '--session-table', 'team-sessions', '--default-session-table', 'sentinel-sessions',
    );
    expect(decision).toMatchObject({ effect: 'allow', sessionTable: 'team-sessions' });
  });

  it('prints require_server outside server mode as a deny needing server mode only', async () => {
    expect(await evalJson('--user', 'alice', '--profile', 'staging', '--mode', 'credential_process')).toEqual({
      effect: 'deny',
      rule: 'staging-server-only',
      ruleIndex: 1,
      reason: 'Staging credentials are only served through sentinel exec --server',
      requiresServerMode: true,
      requiresSessionTracking: false,
      sessionTable: null,
      maxServerDurationSeconds: null,
    });
  });
});

describe('sentinel policy eval (text)', () => {
  const evalText = async (...args: string[]) => {
    const result = await sentinel('policy', 'eval', '--policy', EXAMPLE, '--user', 'alice', ...args);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    return result.stdout;
  };

  it('shows effect, rule and reason for an allow, and no guidance', async () => {
    expect(await evalText('--profile', 'dev')).toBe(
      'effect: allow\nrule: dev-engineers (rules[0])\nreason: Engineers may use dev freely\n',
    );
  });

  it('require_server_session through mode cli: asks for server mode and session tracking', async () => {
    expect(await evalText('--profile', 'prod')).toBe(
      'effect: deny\n' +
        'rule: prod-tracked (rules[2])\n' +
        'reason: Production needs tracked server sessions\n' +
        'max server duration: 900s\n' +
        '\n' +
        'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table <table> --profile prod -- <cmd>\n' +
        `${NEVER_BYPASSED}\n`,
    );
  });

  it('require_server_session through mode cli with a default table: names the table', async () => {
    const stdout = await evalText('--profile', 'prod', '--default-session-table', 'sentinel-sessions');
    expect(stdout).toContain(
      'policy requires server mode with session tracking for profile "prod". Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n',
    );
  });

  it('require_server_session through mode server with no table anywhere: asks for session tracking only', async () => {
    const stdout = await evalText('--profile', 'prod', '--mode', 'server');
    expect(lines(stdout).slice(-2)).toEqual([
      'policy requires session tracking for profile "prod". Add --session-table <table> flag',
      NEVER_BYPASSED,
    ]);
  });

  it('require_server through mode cli: asks for server mode only', async () => {
    expect(await evalText('--profile', 'staging')).toBe(
      'effect: deny\n' +
        'rule: staging-server-only (rules[1])\n' +
        'reason: Staging credentials are only served through sentinel exec --server\n' +
        '\n' +
        'policy requires server mode for profile "staging". Add --server flag\n' +
        `${NEVER_BYPASSED}\n`,
    );
  });

  it('require_server_session through credential_process: the full exec command with a table', async () => {
    const stdout = await evalText('--profile', 'prod', '--mode', 'credential_process');
    expect(lines(stdout).slice(-2)).toEqual([
      'policy requires server mode with session tracking for profile "prod", and credential_process does not support server mode or session tracking. Use: sentinel exec --server --session-table <table> --profile prod -- <cmd>',
      NEVER_BYPASSED,
    ]);
  });

  it('require_server through credential_process: the full exec command without a table', async () => {
    const stdout = await evalText('--profile', 'staging', '--mode', 'credential_process');
    expect(lines(stdout).slice(-2)).toEqual([
      'policy requires server mode for profile "staging", and credential_process does not support server mode or session tracking. Use: sentinel exec --server --profile staging -- <cmd>',
      NEVER_BYPASSED,
    ]);
  });

  it('require_approval for a break-glass user: reason, rule, request and break-glass', async () => {
    expect(await evalText('--profile', 'prod-admin')).toBe(
      'effect: require_approval\n' +
        'rule: prod-admin-approval (rules[3])\n' +
        'reason: Administrative access to production needs a second person\n' +
        '\n' +
        'profile "prod-admin" requires an approved access request: Administrative access to production needs a second person (rule "prod-admin-approval")\n' +
        'To ask for access: sentinel request --profile prod-admin --justification "…"\n' +
        'In an emergency: sentinel breakglass --profile prod-admin --reason-code <code> --justification "…" (code: incident, security)\n',
    );
  });

  it('break-glass with a single reason code: the guidance is the whole command', async () => {
    const file = path.join(dir, 'one-code.yaml');
    await writeFile(
      file,
      (await readFile(EXAMPLE, 'utf8')).replace('reason_codes: [incident, security]', 'reason_codes: [incident]'),
    );
    const text = await sentinel('policy', 'eval', '--policy', file, '--user', 'bob', '--profile', 'prod-admin');
    expect(text.code).toBe(0);
    expect(lines(text.stdout).at(-1)).toBe('In an emergency: sentinel breakglass --profile prod-admin --reason-code incident --justification "…"');
  });

  it('the default deny: no rule, and no request offered when no approvals entry lists the profile', async () => {
    expect(await evalText('--profile', 'analytics')).toBe(
      'effect: deny\n' +
        'rule: (no matching rule)\n' +
        'reason: no matching rule\n' +
        '\n' +
        'access to profile "analytics" is denied: no matching rule\n',
    );
  });

  it('exits 1 on an invalid policy, with its errors on stderr', async () => {
    const result = await sentinel('policy', 'eval', '--policy', 'bad-one.yaml', '--user', 'alice', '--profile', 'dev');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)[0]).toMatch(/^bad-one\.yaml:4:13: /);
  });

  it('exits 1 on a missing policy file', async () => {
    const result = await sentinel('policy', 'eval', '--policy', 'missing.yaml', '--user', 'alice', '--profile', 'dev');
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'missing.yaml: cannot read file: no such file or directory\n' });
  });
});

describe('sentinel policy pull --file, against the local control plane', () => {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('writes the stored policy readable by its owner only (0600), replacing a world-readable file', async () => {
    const file = path.join(dir, 'pulled.yaml');
    await writeFile(file, 'an older copy\n');
    await chmod(file, 0o644);
    const result = await runCli(['policy', 'pull', '--file', 'pulled.yaml'], { cwd: dir, env: stack!.env('admin') });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/^policy version 1 \(updated .* by local-stack\)\n$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(await readFile(EXAMPLE, 'utf8'));
  });

  it('pushes and pulls back a valid 1.1 MB policy of 7,500 rules (text and document stored compressed, never a 503)', async () => {
    const file = path.join(dir, 'big.yaml');
    const big = bigPolicy(7500);
    // Over the 1 MiB the parser admitted before documents were stored.
    expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024);
    await writeFile(file, big);
    const pushed = await runCli(['policy', 'push', '--yes', 'big.yaml'], { cwd: dir, env: stack!.env('admin') });
    expect(pushed.code).toBe(0);
    expect(`${pushed.stdout}${pushed.stderr}`).toContain('version 2');
    const pulled = await runCli(['policy', 'pull'], { cwd: dir, env: stack!.env('admin') });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(big);
  }, 90_000);
});

describe('output to a closed pipe', () => {
  it('stops quietly with the exit code of the command', async () => {
    // `true` exits long before sentinel has started, so every write meets a closed pipe.
    const script = '"$0" policy eval --policy "$1" --user alice --profile prod | true; exit "${PIPESTATUS[0]}"';
    const result = await new Promise<Result>((resolve, reject) => {
      const child = spawn('bash', ['-c', script, BIN, EXAMPLE], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('usage errors exit 2', () => {
  const base = ['policy', 'eval', '--policy', EXAMPLE, '--user', 'alice', '--profile', 'dev'];

  it.each([
    ['an unknown command', ['nonsense']],
    ['an unknown subcommand', ['policy', 'nonsense']],
    ['an unknown option', ['policy', 'validate', '--nonsense', 'x.yaml']],
    ['a missing file argument', ['policy', 'validate']],
    ['a missing required option', ['policy', 'eval', '--policy', EXAMPLE, '--user', 'alice']],
    ['a bad --output', ['--output', 'xml', 'policy', 'validate', EXAMPLE]],
    ['no command at all', []],
    ['a group without its subcommand', ['policy']],
    ['a bad profile name', ['policy', 'eval', '--policy', EXAMPLE, '--user', 'alice', '--profile', 'dev;rm']],
  ])('%s', async (_label, args) => {
    const result = await sentinel(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toBe('');
  });

  it('a bad --mode, listing the allowed values', async () => {
    const result = await sentinel(...base, '--mode', 'lambda');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Allowed choices are cli, server, credential_process.');
  });

  it.each([
    ['a date without a time', '2025-03-14'],
    ['no offset', '2025-03-14T09:30:00'],
    ['an impossible date', '2025-02-30T09:30:00Z'],
    ['not a time at all', 'yesterday'],
  ])('a --time that is %s', async (_label, time) => {
    const result = await sentinel(...base, '--time', time);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('RFC 3339');
  });

  it('--help exits 0', async () => {
    const result = await sentinel('policy', 'eval', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--session-table <table>');
  });
});
