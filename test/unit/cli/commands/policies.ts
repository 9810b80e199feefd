/**
 * Policy files for the `policy` command tests, written to a scratch directory, and an
 * API that stores one policy the way the policy routes do (versions, NOT_FOUND before
 * the first push, CONFLICT on a stale expectedVersion).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PutPolicyRequest } from '../../../../src/api/contract.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import { ApiError } from '../../../../src/cli/errors.js';
import { fakeApi } from './harness.js';

/** The example policy the docs and the local stack use. */
export const EXAMPLE = fileURLToPath(new URL('../../../../examples/policy.yaml', import.meta.url));

export const SMALL = `version: "1"
profiles:
  dev:
    role_arn: arn:aws:iam::111122223333:role/sentinel-dev
rules:
  - name: dev-engineers
    effect: allow
    conditions:
      profiles: [dev]
      users: [alice]
    reason: Engineers may use dev freely
`;

/** SMALL with bob added: a one-line change. */
export const SMALL_WITH_BOB = SMALL.replace('users: [alice]', 'users: [alice, bob]');

/** Two errors on lines 4 and 10. */
export const BAD = `version: "1"
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

/** Valid, but the second rule can never apply: the first matches everything. */
export const SHADOWED = `version: "1"
rules:
  - name: everyone
    effect: allow
    conditions: {}
  - name: never
    effect: deny
    conditions:
      users: [mallory]
`;

/** Office hours in Paris, weekdays only. */
export const OFFICE_HOURS = `version: "1"
profiles:
  dev:
    role_arn: arn:aws:iam::111122223333:role/sentinel-dev
rules:
  - name: office-hours
    effect: allow
    conditions:
      profiles: [dev]
      time: { days: [monday, tuesday, wednesday, thursday, friday], hours: { start: "09:00", end: "18:00" }, timezone: Europe/Paris }
    reason: Dev access during office hours
`;

/** A scratch directory holding `files` (name → text); `remove` deletes it. */
export async function scratch(files: Record<string, string>): Promise<{ dir: string; file: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sentinel-policy-commands-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return { dir, file: (name) => path.join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

export const UPDATED_AT = '2025-03-13T16:02:11.000Z';

export interface PolicyStore {
  api: SentinelApi;
  /** Every push the API accepted. */
  pushed: PutPolicyRequest[];
  /** Calls in order: `get`, `put <expectedVersion>`. */
  calls: string[];
}

/**
 * An API storing one policy (`stored`, or none yet). `intervening` is stored by
 * "someone else" just before the first push, which then meets a CONFLICT.
 */
export function policyStore(stored?: { text: string; version: number }, intervening?: string): PolicyStore {
  let current = stored;
  let other = intervening;
  const pushed: PutPolicyRequest[] = [];
  const calls: string[] = [];
  const api = fakeApi({
    getPolicy: async () => {
      calls.push('get');
      if (current === undefined) throw new ApiError('NOT_FOUND', 'no policy is stored yet', { status: 404 });
      return { ...current, updatedAt: UPDATED_AT, updatedBy: 'ops-erin' };
    },
    putPolicy: async (body) => {
      calls.push(`put ${body.expectedVersion}`);
      if (other !== undefined) {
        current = { text: other, version: (current?.version ?? 0) + 1 };
        other = undefined;
      }
      if ((current?.version ?? 0) !== body.expectedVersion) throw new ApiError('CONFLICT', 'the policy version changed', { status: 409, requestId: 'req-0c0ffee1' });
      pushed.push(body);
      current = { text: body.text, version: body.expectedVersion + 1 };
      return { version: current.version, updatedAt: '2025-03-14T09:30:00.000Z' };
    },
  });
  return { api, pushed, calls };
}

/** The diff from SMALL (stored as version 4) to SMALL_WITH_BOB, as diff and push show it. */
export const patch = (file: string): string =>
  [
    '--- stored policy (version 4)',
    `+++ ${file}`,
    '@@ -7,5 +7,5 @@',
    '     effect: allow',
    '     conditions:',
    '       profiles: [dev]',
    '-      users: [alice]',
    '+      users: [alice, bob]',
    '     reason: Engineers may use dev freely',
    '',
  ].join('\n');
