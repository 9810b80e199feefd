/**
 * `sentinel profiles` through runProfiles: the table (one word per mode, the legend of
 * the words used), no profiles, JSON output, and a denial.
 */
import { describe, expect, it } from 'vitest';
import type { ProfileModeOutcome, ProfilesResponse } from '../../../../src/api/contract.js';
import { runProfiles } from '../../../../src/cli/commands/profiles.js';
import { denied, fakeApi, harness, outcome } from './harness.js';

const allow: ProfileModeOutcome = { effect: 'allow', rule: 'dev-engineers', requiresServerMode: false, requiresSessionTracking: false };
const serverOnly: ProfileModeOutcome = { effect: 'deny', rule: 'staging-server-only', requiresServerMode: true, requiresSessionTracking: false };
const serverSession: ProfileModeOutcome = { effect: 'deny', rule: 'prod-tracked', requiresServerMode: true, requiresSessionTracking: true };
const sessionOnly: ProfileModeOutcome = { effect: 'deny', rule: 'prod-tracked', requiresServerMode: false, requiresSessionTracking: true };
const approval: ProfileModeOutcome = { effect: 'require_approval', rule: 'prod-admin-approval', requiresServerMode: false, requiresSessionTracking: false };

const PROFILES: ProfilesResponse = {
  profiles: [
    { name: 'dev', region: 'eu-west-1', maxDurationSeconds: 3600, modes: { cli: allow, server: allow, credential_process: allow } },
    { name: 'staging', region: 'eu-west-1', modes: { cli: serverOnly, server: allow, credential_process: serverOnly } },
    { name: 'prod', modes: { cli: serverSession, server: sessionOnly, credential_process: serverSession } },
    { name: 'prod-admin', region: 'eu-west-1', modes: { cli: approval, server: approval, credential_process: approval } },
  ],
  policyVersion: 7,
};

describe('sentinel profiles', () => {
  it('prints a table with one word per mode, then the legend of the words it used', async () => {
    const h = harness(fakeApi({ profiles: async () => PROFILES }));
    expect(await outcome(h, (context) => runProfiles({}, context))).toEqual({
      code: 0,
      stdout: [
        'NAME        REGION     CLI             SERVER    CREDENTIAL_PROCESS',
        'dev         eu-west-1  allow           allow     allow',
        'staging     eu-west-1  server          allow     server',
        'prod        -          server+session  session   server+session',
        'prod-admin  eu-west-1  approval        approval  approval',
        '',
        'allow: credentials are issued; server: only with sentinel exec --server; server+session: only with sentinel exec --server and a session table; session: needs a session table (--session-table); approval: needs an approved access request (sentinel request)',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('says so, with the policy version, when there is no profile the caller could get', async () => {
    const h = harness(fakeApi({ profiles: async () => ({ profiles: [], policyVersion: 3 }) }));
    expect(await outcome(h, (context) => runProfiles({}, context))).toEqual({ code: 0, stdout: 'no profiles you could get (policy version 3)\n', stderr: '' });
  });

  it('prints the API answer as indented JSON with --output json', async () => {
    const h = harness(fakeApi({ profiles: async () => PROFILES }), { format: 'json' });
    const result = await outcome(h, (context) => runProfiles({}, context));
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(PROFILES, null, 2)}\n`, stderr: '' });
  });

  it('reports a denial with its guidance on stderr and exits 3', async () => {
    const h = harness(fakeApi({ profiles: async () => Promise.reject(denied({ alternatives: ['request', 'breakglass'] })) }));
    expect(await outcome(h, (context) => runProfiles({}, context))).toEqual({
      code: 3,
      stdout: '',
      stderr: [
        'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")',
        'To ask for access: sentinel request --profile prod --justification "…"',
        'In an emergency: sentinel breakglass --profile prod --reason-code <code> --justification "…"',
        '',
      ].join('\n'),
    });
  });

  it('reports a denial as the error document on stdout with --output json', async () => {
    const h = harness(fakeApi({ profiles: async () => Promise.reject(denied()) }), { format: 'json' });
    const result = await outcome(h, (context) => runProfiles({}, context));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'POLICY_DENY', requestId: 'req-4973b874', denial: { rule: 'prod-oncall', profile: 'prod' }, guidance: expect.stringContaining('sentinel request --profile prod') },
    });
  });
});
