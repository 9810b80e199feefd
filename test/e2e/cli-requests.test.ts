/**
 * Access requests with the real `bin/sentinel --aws-profile <identity> …` against the
 * local stack (examples/policy.yaml): alice asks for prod-admin, bob approves, and
 * alice's `exec` then gets credentials whose SourceIdentity names the request
 * (`apr-<first 8 hex of its id>`); the quorum of billing (min_approvals 2: bob twice
 * does not complete it, bob and admin do); `--wait` ending at the approval with the
 * command that now works; self-approval, strangers, denial and cancellation refused or
 * applied as the policy says; the denial guidance that leads there.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequestView } from '../../src/api/contract.js';
import { decodeDevSessionToken } from '../../src/local/DevCredentialIssuer.js';
import type { TestStack } from '../support/localStack.js';
import { startTestStack } from '../support/localStack.js';
import { BIN, runCli } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';

let stack: TestStack;
let dir: string;

const JUSTIFICATION = 'INC-4711: rotate the leaked deploy key';

/** The environment of `identity` with no AWS_PROFILE: only `--aws-profile` says who signs. */
function env(identity: string): NodeJS.ProcessEnv {
  const signing = stack.env(identity);
  delete signing.AWS_PROFILE;
  return signing;
}

function sentinel(identity: string, ...args: string[]): Promise<CliResult> {
  return runCli(['--aws-profile', identity, ...args], { cwd: dir, env: env(identity) });
}

async function json<T>(identity: string, ...args: string[]): Promise<T> {
  const result = await sentinel(identity, '--output', 'json', ...args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** `sentinel request` as `identity`; the new request. */
async function ask(identity: string, profile: string): Promise<AccessRequestView> {
  return (await json<{ request: AccessRequestView }>(identity, 'request', '--profile', profile, '--justification', JUSTIFICATION)).request;
}

/** What the child of `exec` sees: the SourceIdentity its (dev) credentials were minted with. */
const PRINT_SOURCE_IDENTITY = ['node', '-e', 'process.stdout.write(process.env.AWS_SESSION_TOKEN ?? "")'];

function sourceIdentityOf(result: CliResult): string | undefined {
  return decodeDevSessionToken(result.stdout.trim())?.sourceIdentity;
}

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(path.join(tmpdir(), 'sentinel-requests-e2e-'));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('alice asks, bob approves, alice gets credentials', () => {
  it('from the denial guidance to an exec under the approved request', async () => {
    // Refused first, with the exact request to make.
    const before = await sentinel('alice', 'exec', '--profile', 'prod-admin', '--', ...PRINT_SOURCE_IDENTITY);
    expect(before.code).toBe(3);
    expect(before.stderr).toContain('To ask for access: sentinel request --profile prod-admin --justification "…"');

    const made = await sentinel('alice', 'request', '--profile', 'prod-admin', '--justification', JUSTIFICATION);
    expect(made.code, made.stderr).toBe(0);
    const id = /request ([0-9a-f]{32}) is pending/.exec(made.stdout)?.[1];
    expect(id).toBeDefined();
    expect(made.stdout).toBe(
      [
        `requested profile prod-admin for 1h: request ${id} is pending, it needs 1 approval (it expires at ${/expires at (\S+)\)/.exec(made.stdout)?.[1]})`,
        `An approver runs: sentinel approve ${id}`,
        'Follow it with: sentinel requests --mine (or ask again with --wait)',
        '',
      ].join('\n'),
    );

    // bob sees it waiting for him; alice does not (it is hers), and may not approve it.
    const pending = await sentinel('bob', 'requests', '--pending');
    expect(pending.stdout).toMatch(new RegExp(`^${id}  alice +prod-admin  pending  0/1 .*${JUSTIFICATION}$`, 'm'));
    expect((await json<{ requests: AccessRequestView[] }>('alice', 'requests', '--pending')).requests).toEqual([]);
    const own = await sentinel('alice', 'approve', id!);
    expect(own).toEqual({ code: 1, stdout: '', stderr: `sentinel: "alice" may not approve their own request ${id}\n` });

    const approved = await sentinel('bob', 'approve', id!, '--comment', 'ok, go');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^approved request ${id}: alice may use profile prod-admin until \\S+\\nalice runs: sentinel exec --profile prod-admin -- <cmd>\\n$`));
    expect(await sentinel('bob', 'approve', id!)).toMatchObject({ code: 1, stderr: expect.stringContaining(`sentinel: request ${id} is already approved (by bob)`) });

    // The approved request opens prod-admin to alice: SourceIdentity names it.
    const after = await sentinel('alice', 'exec', '--profile', 'prod-admin', '--', ...PRINT_SOURCE_IDENTITY);
    expect(after.code, after.stderr).toBe(0);
    expect(sourceIdentityOf(after)).toMatch(new RegExp(`^sentinel\\.alice\\.apr-${id!.slice(0, 8)}\\.[0-9a-f]{8,}$`));
    // Only alice's: bob asking for prod-admin has no approved request.
    expect((await sentinel('bob', 'exec', '--profile', 'prod-admin', '--', 'true')).code).toBe(3);
    // sentinel profiles says what opens prod-admin to alice, and until when; not to bob.
    expect((await sentinel('alice', 'profiles')).stdout).toMatch(new RegExp(`^prod-admin: open to you until \\S+Z by approved request ${id} \\(apr-${id!.slice(0, 8)}\\)$`, 'm'));
    expect((await sentinel('bob', 'profiles')).stdout).not.toContain('open to you');
  });
});

describe('min_approvals 2 (billing: two of bob, admin, iam:erin)', () => {
  it('one approver twice does not complete it; a second approver does', async () => {
    const request = await ask('alice', 'billing');
    expect(request).toMatchObject({ status: 'pending', minApprovals: 2 });
    const first = await sentinel('bob', 'approve', request.id);
    expect(first).toEqual({ code: 0, stdout: `approved request ${request.id} of alice for profile billing: 1 of 2 approvals (bob); it needs 1 more approval from another approver\n`, stderr: '' });
    expect(await sentinel('bob', 'approve', request.id)).toEqual({ code: 1, stdout: '', stderr: `sentinel: "bob" has already approved request ${request.id} (1 of 2 approvals)\n` });
    expect((await sentinel('alice', 'exec', '--profile', 'billing', '--', 'true')).code).toBe(3);

    const second = await json<{ request: AccessRequestView }>('admin', 'approve', request.id);
    expect(second.request).toMatchObject({ status: 'approved', approvals: [{ approver: 'bob' }, { approver: 'admin' }] });
    const after = await sentinel('alice', 'exec', '--profile', 'billing', '--', ...PRINT_SOURCE_IDENTITY);
    expect(after.code, after.stderr).toBe(0);
    expect(sourceIdentityOf(after)).toContain(`.apr-${request.id.slice(0, 8)}.`);
  });

  it('an admin lists every request of the profile; alice may not', async () => {
    const listed = await json<{ requests: AccessRequestView[] }>('admin', 'requests', '--all', '--profile', 'billing');
    expect(listed.requests.length).toBeGreaterThan(0);
    expect(listed.requests.every((request) => request.profile === 'billing')).toBe(true);
    const refused = await sentinel('alice', 'requests', '--all', '--profile', 'billing');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('only admins may list every request');
  });
});

describe('request --wait', () => {
  it('waits in a log until bob approves, then prints the exec that now works', async () => {
    const child = spawn(BIN, ['--aws-profile', 'alice', 'request', '--profile', 'prod-admin', '--justification', JUSTIFICATION, '--wait'], { cwd: dir, env: env('alice'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const found = /request ([0-9a-f]{32}) is pending/.exec(stdout)?.[1];
        if (found !== undefined) resolve(found);
      });
      child.on('close', () => reject(new Error(`request --wait ended before making its request: ${stderr}`)));
    });
    expect((await sentinel('bob', 'approve', id)).code).toBe(0);
    expect(await exited).toBe(0);
    expect(stderr).toBe(`waiting for request ${id}: pending, 0 of 1 approval\n`);
    expect(stdout).toMatch(
      new RegExp(`\\nrequest ${id} for profile prod-admin was approved by bob: the window is open until \\S+\\nNow: sentinel --aws-profile alice exec --profile prod-admin -- <cmd>\\n$`),
    );
  }, 30_000);
});

describe('refusals and the other decisions', () => {
  it('nobody approves their own request; someone the policy does not name may not approve', async () => {
    const bobs = await ask('bob', 'billing');
    expect(await sentinel('bob', 'approve', bobs.id)).toEqual({ code: 1, stdout: '', stderr: `sentinel: "bob" may not approve their own request ${bobs.id}\n` });
    expect(await sentinel('ci-42', 'approve', bobs.id)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sentinel: "role:deploy/ci-42" may not approve requests for profile "billing": only the approvers its approval rules name may\n',
    });
  });

  it('a request for a profile no approval rule covers, which alice can already get, names the command that works', async () => {
    const dev = await sentinel('alice', 'request', '--profile', 'dev', '--justification', JUSTIFICATION);
    expect(dev).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sentinel: you can already get profile "dev" (rule "dev-engineers" allows it): no request is needed; use: sentinel exec --profile dev -- <cmd>\n',
    });
  });

  it('deny: one approver ends it, and alice is told by whom; cancel: only alice, only while pending', async () => {
    const denied = await ask('alice', 'prod-admin');
    expect(await sentinel('bob', 'deny', denied.id, '--comment', 'use the read-only role')).toEqual({ code: 0, stdout: `denied request ${denied.id} of alice for profile prod-admin\n`, stderr: '' });
    const mine = await json<{ requests: AccessRequestView[] }>('alice', 'requests', '--status', 'denied');
    expect(mine.requests.find((request) => request.id === denied.id)).toMatchObject({ deniedBy: 'bob', denyComment: 'use the read-only role' });

    const cancelled = await ask('alice', 'prod-admin');
    expect(await sentinel('bob', 'cancel', cancelled.id)).toEqual({ code: 1, stdout: '', stderr: `sentinel: request ${cancelled.id} is not yours: only its requester may cancel it\n` });
    expect(await sentinel('alice', 'cancel', cancelled.id)).toEqual({ code: 0, stdout: `cancelled request ${cancelled.id} for profile prod-admin\n`, stderr: '' });
    expect((await sentinel('bob', 'approve', cancelled.id)).stderr).toMatch(new RegExp(`^sentinel: request ${cancelled.id} was cancelled by its requester at \\S+\\n$`));
  });
});
