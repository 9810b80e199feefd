/**
 * `sentinel credentials` through runCredentials: stdout holds the credential_process
 * document and nothing else, every refusal goes to stderr (JSON ones too), the
 * command stops a signing chain that would run itself again, and what it issued is
 * reused from its private cache (in a temporary folder here) while it lasts.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialsRequest, CredentialsResponse } from '../../../../src/api/contract.js';
import type { ApiSettings } from '../../../../src/cli/api/types.js';
import { CREDENTIALS_REPORT, runCredentials } from '../../../../src/cli/commands/credentials.js';
import type { CredentialsCacheSetup, CredentialsOptions } from '../../../../src/cli/commands/credentials.js';
import { denied, fakeApi, harness, NOW, outcome } from './harness.js';
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

const SETTINGS: ApiSettings = { apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com', region: 'eu-west-1', awsProfile: 'alice' };

/** A home folder of its own per test: the cache and the (absent) AWS files the signing principal is read from. */
let home: string;
let cacheDir: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'sentinel-credentials-'));
  cacheDir = path.join(home, 'cache', 'sentinel', 'credentials');
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The command as its commander action runs it: errors reported with stdout kept for the credentials, the cache in this test's folder. */
const credentials = (h: Harness, options: CredentialsOptions, settings: ApiSettings = SETTINGS) => {
  h.context.env['HOME'] ??= home;
  const setup: CredentialsCacheSetup = { settings: async () => settings, dir: cacheDir };
  return outcome(h, (context) => runCredentials(options, context, setup), CREDENTIALS_REPORT);
};

/** The credential_process document of `issued`. */
const documentOf = ({ credentials: c }: CredentialsResponse): string =>
  `${JSON.stringify({ Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration })}\n`;

const entries = async (): Promise<string[]> => (await readdir(cacheDir).catch(() => [])).filter((name) => name.endsWith('.json'));

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
        guidance: 'access to profile "prod" is denied: Production is for the on-call engineer (rule "prod-oncall")\nTo ask for access: sentinel request --profile prod --justification "…"',
      },
    });
  });
});

describe('sentinel credentials: the cache', () => {
  const RENEWED: CredentialsResponse = {
    ...GRANTED,
    credentials: { ...GRANTED.credentials, accessKeyId: 'ASIASENTINELDEV00002', expiration: '2025-03-14T11:15:00.000Z' },
  };

  it('prints cached credentials on the next run without asking the API (nor building its client)', async () => {
    const { api, requests } = granting();
    expect((await credentials(harness(api), { profile: 'dev' })).code).toBe(0);
    const again = harness(api);
    expect(await credentials(again, { profile: 'dev' })).toEqual({ code: 0, stdout: documentOf(GRANTED), stderr: '' });
    expect(again.apiRequests()).toBe(0);
    expect(requests).toHaveLength(1);
    expect(await entries()).toHaveLength(1);
  });

  it('asks again once 15 minutes or less are left, and keeps the new credentials', async () => {
    await credentials(harness(granting().api), { profile: 'dev' });
    const renewing = fakeApi({ credentials: async () => RENEWED });
    const at = (time: number) => {
      const h = harness(renewing);
      h.context.now = () => time;
      return h;
    };
    const fifteenLeft = at(Date.parse(GRANTED.credentials.expiration) - 15 * 60_000);
    expect(await credentials(fifteenLeft, { profile: 'dev' })).toEqual({ code: 0, stdout: documentOf(RENEWED), stderr: '' });
    expect(fifteenLeft.apiRequests()).toBe(1);
    const next = at(Date.parse(GRANTED.credentials.expiration) - 15 * 60_000);
    expect(await credentials(next, { profile: 'dev' })).toEqual({ code: 0, stdout: documentOf(RENEWED), stderr: '' });
    expect(next.apiRequests()).toBe(0);
    expect(await entries()).toHaveLength(1);
  });

  it('keeps one entry per API, signing profile, profile and duration', async () => {
    const { api, requests } = granting();
    await credentials(harness(api), { profile: 'dev' });
    await credentials(harness(api), { profile: 'dev', duration: '2h' });
    await credentials(harness(api), { profile: 'test' });
    await credentials(harness(api), { profile: 'dev' }, { ...SETTINGS, apiUrl: 'https://def456.execute-api.eu-west-1.amazonaws.com' });
    await credentials(harness(api), { profile: 'dev' }, { ...SETTINGS, awsProfile: 'bob' });
    expect(requests).toHaveLength(5);
    expect(await entries()).toHaveLength(5);
    // `--duration 2h` and `--duration 7200s` are the same request.
    await credentials(harness(api), { profile: 'dev', duration: '7200s' });
    expect(requests).toHaveLength(5);
  });

  it('never caches a denial: the next run asks the API again', async () => {
    const denying = fakeApi({ credentials: async () => Promise.reject(denied({ mode: 'credential_process' })) });
    expect((await credentials(harness(denying), { profile: 'dev' })).code).toBe(3);
    expect(await entries()).toEqual([]);
    const { api, requests } = granting();
    expect((await credentials(harness(api), { profile: 'dev' })).code).toBe(0);
    expect(requests).toHaveLength(1);
  });

  it('--no-cache neither reads nor writes the cache', async () => {
    const { api, requests } = granting();
    expect(await credentials(harness(api), { profile: 'dev', cache: false })).toEqual({ code: 0, stdout: documentOf(GRANTED), stderr: '' });
    await expect(stat(cacheDir)).rejects.toMatchObject({ code: 'ENOENT' });

    await credentials(harness(api), { profile: 'dev' });
    const [entry] = await entries();
    const before = await readFile(path.join(cacheDir, entry as string), 'utf8');
    const renewing = fakeApi({ credentials: async () => RENEWED });
    const h = harness(renewing);
    expect(await credentials(h, { profile: 'dev', cache: false })).toEqual({ code: 0, stdout: documentOf(RENEWED), stderr: '' });
    expect(h.apiRequests()).toBe(1);
    expect(await readFile(path.join(cacheDir, entry as string), 'utf8')).toBe(before);
    expect(requests).toHaveLength(2);
  });

  it('ignores a cached file others can read, says so once on stderr, and replaces it', async () => {
    await credentials(harness(granting().api), { profile: 'dev' });
    const file = path.join(cacheDir, (await entries())[0] as string);
    await chmod(file, 0o644);
    const h = harness(fakeApi({ credentials: async () => RENEWED }));
    expect(await credentials(h, { profile: 'dev' })).toEqual({
      code: 0,
      stdout: documentOf(RENEWED),
      stderr: `sentinel: warning: ignored the cached credentials in ${file}: it is readable or writable by other users (mode 0644); they will be replaced\n`,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('still prints the credentials when the cache cannot be written, and reports it once on stderr', async () => {
    await mkdir(path.dirname(cacheDir), { recursive: true });
    await writeFile(cacheDir, 'not a folder');
    for (const format of ['text', 'json'] as const) {
      expect(await credentials(harness(granting().api, { format }), { profile: 'dev' })).toEqual({
        code: 0,
        stdout: documentOf(GRANTED),
        stderr: `sentinel: warning: not using the credentials cache ${cacheDir}: it is not a directory\n`,
      });
    }
  });

  it('does not cache credentials the signing principal changed under (a new credentials file meanwhile)', async () => {
    const api = fakeApi({
      credentials: async () => {
        await mkdir(path.join(home, '.aws'), { recursive: true });
        await writeFile(path.join(home, '.aws', 'credentials'), '[alice]\naws_access_key_id = AKIAMALLORY000000001\n');
        return GRANTED;
      },
    });
    expect((await credentials(harness(api), { profile: 'dev' })).code).toBe(0);
    expect(await entries()).toEqual([]);
  });

  it('caches nothing for credentials that last 15 minutes or less', async () => {
    const short = fakeApi({ credentials: async () => ({ ...GRANTED, credentials: { ...GRANTED.credentials, expiration: new Date(NOW + 15 * 60_000).toISOString() } }) });
    expect((await credentials(harness(short), { profile: 'dev', duration: '15m' })).code).toBe(0);
    expect(await entries()).toEqual([]);
  });
});
