/**
 * `GET /v1/profiles` with grants (src/http/routes/profiles.ts): a refused profile that an
 * approved request or break-glass opens says so, until when; grants are read only for
 * profiles a grant could open.
 */

import { describe, expect, it } from 'vitest';
import { profilesRoute } from '../../../src/http/routes/profiles.js';
import type { Grant } from '../../../src/vending/plan.js';
import { person } from '../../support/callers.js';
import { loaded } from '../vending/fakes.js';

const NOW = new Date('2026-11-18T10:00:00Z');
const REQUEST_ID = 'abcdef0123456789abcdef0123456789';

async function profilesWith(grants: (profile: string) => Grant[]) {
  const asked: string[] = [];
  const route = profilesRoute({
    policies: { current: async () => loaded() },
    defaultSessionTable: 'sentinel-sessions',
    grants: {
      grantsFor: async ({ profile }) => {
        asked.push(profile);
        return grants(profile);
      },
    },
  });
  const result = await route({ body: {}, query: {}, path: {}, caller: person('alice'), requestId: 'r', receivedAt: NOW });
  return { body: result.body, asked: asked.sort() };
}

describe('GET /v1/profiles with grants', () => {
  it('names the open grant of a refused profile; reads grants only where one could open it', async () => {
    const { body, asked } = await profilesWith((profile) =>
      profile === 'prod-admin'
        ? [
            { kind: 'approval', id: REQUEST_ID, endsAt: new Date('2026-11-18T10:45:00Z') },
            { kind: 'breakglass', id: '0badc0de0123456789abcdef01234567', endsAt: new Date('2026-11-18T09:59:00Z') },
          ]
        : [],
    );
    const prodAdmin = body.profiles.find((entry) => entry.name === 'prod-admin');
    expect(prodAdmin?.openedBy).toEqual({ kind: 'approval', id: REQUEST_ID, via: 'apr-abcdef01', until: '2026-11-18T10:45:00.000Z' });
    // dev is allowed and staging/prod only need server mode: no grant could change them, so none was read.
    expect(asked).not.toContain('dev');
    expect(asked).not.toContain('staging');
    expect(asked).not.toContain('prod');
    expect(asked).toContain('prod-admin');
    expect(body.profiles.filter((entry) => entry.openedBy !== undefined).map((entry) => entry.name)).toEqual(['prod-admin']);
  });
});
