/**
 * `sentinel credentials` through runCredentials: stdout holds the credential_process
 * document and nothing else, every refusal goes to stderr (JSON ones too), and the
 * command stops a signing chain that would run itself again.
 */
import { describe, expect, it } from 'vitest';
import type { CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import { CREDENTIALS_REPORT, runCredentials } from '../../../../src/cli/commands/credentials.js';
import type { CredentialsOptions } from '../../../../src/cli/commands/credentials.js';
import { denied, fakeApi, harness, outcome } from './harness.js';
import type { Harness } from './harness.js';

const NEVER_BYPASSED = 'This requirement can never be bypassed by an access request or break-glass.';

const GRANTED: CredentialsResponse = {
  credentials: {
    accessKeyId: 'ASIASENTINELDEV00001',
    secretAccessKey: 'sentinel-dev-secret-1',
    sessionToken: 'sentinel-dev:token-1',
    expiration: '2025-03-14T10:30:00.000Z',
  },
  session: null,
  sourceIdentity: 'sentinel.alice.direct.4973b874',
  profile: 'dev',
  region: 'eu-west-1',
  decision: { effect: 'allow', rule: 'dev-engineers' },
};

/** An API that grants every request and records what it was asked. */
function granting(): { api: ReturnType<typeof fakeApi>; requests: CredentialsRequest[] } {
  const requests: CredentialsRequest[] = [];
  const api = fakeApi({
    credentials: async (body) => {
      requests.push(body);
      return GRANTED;
    },
  });
  return { api, requests };
}

/** The command as its commander action runs it: errors reported with stdout kept for the credentials. */
const credentials = (h: Harness, options: CredentialsOptions) => outcome(h, (context) => runCredentials(options, context), CREDENTIALS_REPORT);

describe('sentinel credentials', () => {
  it('prints the process credential document (Version 1) as one line on stdout', async () => {
    const { api, requests } = granting();
    const h = harness(api);
    const result = await credentials(h, { profile: 'dev' });
    expect(result).toEqual({
      code: 0,
      stdout:
        '{"Version":1,"AccessKeyId":"ASIASENTINELDEV00001","SecretAccessKey":"sentinel-dev-secret-1","SessionToken":"sentinel-dev:token-1","Expiration":"2025-03-14T10:30:00.000Z"}\n',
      stderr: '',
    });
    expect(requests).toEqual([{ profile: 'dev', mode: 'credential_process' }]);
  });

  it('prints the same document with --output json: it is the format the SDK reads', async () => {
    const { api } = granting();
    const text = await credentials(harness(api), { profile: 'dev' });
    const json = await credentials(harness(api, { format: 'json' }), { profile: 'dev' });
    expect(json).toEqual(text);
  });

  it('asks for --duration in seconds', async () => {
    const { api, requests } = granting();
    expect((await credentials(harness(api), { profile: 'dev', duration: '1h30m' })).code).toBe(0);
    expect(requests).toEqual([{ profile: 'dev', mode: 'credential_process', durationSeconds: 5400 }]);
  });

  it('refuses a --duration outside 15m..12h as a usage error, before asking the API', async () => {
    const h = harness(granting().api);
    const result = await credentials(h, { profile: 'dev', duration: '13h' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: option '--duration <duration>' argument '13h' is invalid. Expected a duration such as 15m, 1h or 3600s");
    expect(h.apiRequests()).toBe(0);
  });

  it('marks itself in the environment, so a signing chain that runs it again is stopped', async () => {
    const env: NodeJS.ProcessEnv = {};
    await credentials(harness(granting().api, { env }), { profile: 'dev' });
    expect(env['SENTINEL_CREDENTIAL_PROCESS']).toBe('1');

    const again = harness(granting().api, { env });
    expect(await credentials(again, { profile: 'dev' })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'sentinel: the AWS profile that signs Sentinel API calls gets its credentials from "sentinel credentials" itself: add --aws-profile <a profile with your own credentials> to the credential_process command\n',
    });
    expect(again.apiRequests()).toBe(0);
  });

  it('reports a server-mode denial with the exec command that works, on stderr, exit 3', async () => {
    const api = fakeApi({
      credentials: async () =>
        Promise.reject(denied({ requiresServerMode: true, requiresSessionTracking: true, sessionTable: 'sentinel-sessions', mode: 'credential_process', alternatives: [] }, 'SERVER_SESSION_REQUIRED')),
    });
    expect(await credentials(harness(api), { profile: 'prod' })).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'policy requires server mode with session tracking for profile "prod", and credential_process does not support server mode or session tracking. ' +
        `Use: sentinel exec --server --session-table sentinel-sessions --profile prod -- <cmd>\n${NEVER_BYPASSED}\n`,
    });
  });

  it('keeps stdout empty with --output json: the error document is one line on stderr', async () => {
    const api = fakeApi({ credentials: async () => Promise.reject(denied({ mode: 'credential_process' })) });
    const result = await credentials(harness(api, { format: 'json' }), { profile: 'prod' });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd()).not.toContain('\n');
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'POLICY_DENY',
        message: 'access to profile "prod" is denied',
        requestId: 'req-4973b874',
        denial: {
          effect: 'deny',
          rule: 'prod-oncall',
          reason: 'Production is for the on-call engineer',
          requiresServerMode: false,
          requiresSessionTracking: false,
          sessionTable: null,
          mode: 'credential_process',
          profile: 'prod',
          alternatives: ['request'],
        },
        guidance: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod',
      },
    });
  });
});
