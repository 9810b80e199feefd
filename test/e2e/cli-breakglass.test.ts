/**
 * The real `bin/sentinel --aws-profile <identity> breakglass …` against the local stack
 * (examples/policy.yaml: rule prod-admin-oncall lets alice and bob break glass for
 * prod-admin, reason codes incident and security, 1 h, cooldown 30m): alice invokes it,
 * follows the printed `sentinel exec` and gets credentials whose SourceIdentity names
 * the event (`bg-<first 8 hex>`); the one active event; who may list and close; the
 * cooldown after closing; and exec refused again once the event is closed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakglassView } from '../../src/api/contract.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { runCli } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';

let stack: TestStack;
let dir: string;

/** The environment of `identity` with no AWS_PROFILE: only `--aws-profile` says who signs. */
function env(identity: string): NodeJS.ProcessEnv {
  const signing = stack.env(identity);
  delete signing.AWS_PROFILE;
  return signing;
}

/** `bin/sentinel args…` (the global options included), stdin closed, as in CI. */
function sentinel(identity: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: env(identity) });
}

/** The code of the error document a command printed with `--output json`. */
async function errorOf(identity: string, ...args: string[]): Promise<{ exit: number | null; code: string; message: string }> {
  const result = await sentinel(identity, '--aws-profile', identity, '--output', 'json', ...args);
  const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
  return { exit: result.code, code: error.code, message: error.message };
}

/**
 * A child that prints the SourceIdentity its credentials were minted with: the local
 * stack's dev issuer encodes it in the session token (src/local/DevCredentialIssuer.ts).
 */
const PRINT_SOURCE_IDENTITY = [
  'node',
  '-e',
  "const t = process.env.AWS_SESSION_TOKEN; console.log(JSON.parse(Buffer.from(t.slice('sentinel-dev:'.length), 'base64url').toString()).sourceIdentity)",
];

const JUSTIFICATION = 'payments are failing in prod, INC-4711';

let event: BreakglassView;
let invoked: CliResult;

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-cli-breakglass-'));
  // The first run may rebuild a stale bundle; do it once here rather than inside a timed test.
  await runCli(['--version'], { cwd: dir, env: env('alice') });
  invoked = await sentinel('alice', '--aws-profile', 'alice', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'incident', '--justification', JUSTIFICATION);
  const listed = await sentinel('alice', '--aws-profile', 'alice', '--output', 'json', 'breakglass', 'list');
  event = (JSON.parse(listed.stdout) as { events: BreakglassView[] }).events[0] as BreakglassView;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('sentinel breakglass', () => {
  it('alice invokes break-glass for prod-admin: the event, and the exact sentinel exec that now works', () => {
    expect(invoked.stderr).toBe('');
    expect(invoked.code).toBe(0);
    expect(event).toMatchObject({ invoker: 'alice', profile: 'prod-admin', reasonCode: 'incident', justification: JUSTIFICATION, durationSeconds: 3600, status: 'active', rule: 'prod-admin-oncall' });
    const lines = invoked.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`break-glass event ${event.id} is active for profile prod-admin until ${event.expiresAt} (every use is logged and alerted)`);
    expect(lines).toContain('Now: sentinel --aws-profile alice exec --profile prod-admin -- <cmd>');
    expect(lines).toContain(`When done: sentinel --aws-profile alice breakglass close ${event.id} --reason "…"`);
  });

  it('the printed exec works: credentials for prod-admin whose SourceIdentity names the event (bg-<first 8 hex>)', async () => {
    const printed = /^Now: sentinel (.*) -- <cmd>$/m.exec(invoked.stdout)?.[1]?.split(' ') ?? [];
    expect(printed).toEqual(['--aws-profile', 'alice', 'exec', '--profile', 'prod-admin']);
    const result = await sentinel('alice', ...printed, '--', ...PRINT_SOURCE_IDENTITY);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(new RegExp(`^sentinel\\.alice\\.bg-${event.id.slice(0, 8)}\\.[0-9a-f]{8,}$`));
  });

  it('one active event per caller and profile: a second invocation is refused while it runs', async () => {
    const second = await errorOf('alice', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'security', '--justification', JUSTIFICATION);
    expect(second).toEqual({
      exit: 1,
      code: 'CONFLICT',
      message: `break-glass refused: an active break-glass exists for you and profile "prod-admin" until ${event.expiresAt} (event ${event.id}): use it, or close it before invoking another; ` +
        `break-glass for profile "prod-admin" has a cooldown of 30m (rule "prod-admin-oncall"): your last one started at ${event.createdAt}, the next may start at ${new Date(Date.parse(event.createdAt) + 1_800_000).toISOString()}`,
    });
  });

  it('nobody else may break glass for prod-admin: not erin, and not with a reason code the rule does not list', async () => {
    expect(await errorOf('erin', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'incident', '--justification', JUSTIFICATION)).toMatchObject({ exit: 1, code: 'POLICY_DENY' });
    expect(await errorOf('bob', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'boredom', '--justification', JUSTIFICATION)).toEqual({
      exit: 1,
      code: 'INVALID_REQUEST',
      message: 'reason code "boredom" is not one of break-glass rule "prod-admin-oncall"\'s: use one of "incident", "security"',
    });
  });

  it('listing: bob sees none of alice\'s; the admin lists prod-admin\'s with --all --profile; bob may not', async () => {
    const bobs = await sentinel('bob', '--aws-profile', 'bob', 'breakglass', 'list');
    expect(bobs).toEqual({ code: 0, stdout: 'no break-glass events\n', stderr: '' });
    const all = await sentinel('admin', '--aws-profile', 'admin', 'breakglass', 'list', '--all', '--profile', 'prod-admin');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^ID {32}INVOKER {2}PROFILE {5}REASON {4}STATUS {2}STARTED {12}EXPIRES {12}CLOSED BY$/);
    expect(all.stdout).toContain(`${event.id}  alice    prod-admin  incident  active`);
    expect(await errorOf('bob', 'breakglass', 'list', '--all', '--profile', 'prod-admin')).toMatchObject({ exit: 1, code: 'NOT_ADMIN' });
  });

  it('bob may not close alice\'s event; alice closes it; then exec is refused again, and the cooldown holds', async () => {
    expect(await errorOf('bob', 'breakglass', 'close', event.id, '--reason', 'not mine')).toMatchObject({ exit: 1, code: 'NOT_OWNER' });
    const closed = await sentinel('alice', '--aws-profile', 'alice', 'breakglass', 'close', event.id, '--reason', 'payments recovered');
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(0);
    expect(closed.stdout.split('\n').slice(0, 2)).toEqual([`closed break-glass event ${event.id} (invoker alice, profile prod-admin)`, expect.stringMatching(/^closed by alice at \S+: payments recovered$/)]);

    // Closed: issuance falls back to the policy (require_approval), whose guidance offers break-glass again.
    const refused = await sentinel('alice', '--aws-profile', 'alice', 'exec', '--profile', 'prod-admin', '--', ...PRINT_SOURCE_IDENTITY);
    expect(refused.code).toBe(3);
    // The rule accepts two reason codes: the guidance names both, and the caller picks the one that says why.
    expect(refused.stderr).toContain('In an emergency: sentinel breakglass --profile prod-admin --reason-code <code> --justification "…" (code: incident, security)\n');

    // Closing freed the one-active guard, but the 30m cooldown counts from the start of the last event.
    const again = await errorOf('alice', 'breakglass', '--profile', 'prod-admin', '--reason-code', 'incident', '--justification', JUSTIFICATION);
    expect(again).toMatchObject({ exit: 1, code: 'RATE_LIMITED', message: expect.stringContaining('has a cooldown of 30m (rule "prod-admin-oncall")') });
    expect(again.message).not.toContain('an active break-glass exists');

    const listed = await sentinel('alice', '--aws-profile', 'alice', '--output', 'json', 'breakglass', 'list', '--status', 'closed');
    expect((JSON.parse(listed.stdout) as { events: BreakglassView[] }).events).toEqual([expect.objectContaining({ id: event.id, status: 'closed', closedBy: 'alice', closedReason: 'payments recovered' })]);
  });
});
