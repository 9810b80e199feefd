import { describe, expect, it } from 'vitest';
import { isAdmin } from '../../../src/policy/admins.js';
import { parsePolicy } from '../../../src/policy/parse.js';

const withAdmins = (admins: string[]) => parsePolicy(`version: "1"\nrules: []\nadmins: [${admins.join(', ')}]\n`);

describe('isAdmin', () => {
  it("the policy's admins are admins", () => {
    expect(isAdmin('ops-erin', withAdmins(['ops-erin']), [])).toBe(true);
    expect(isAdmin('alice', withAdmins(['ops-erin']), [])).toBe(false);
  });

  it('bootstrap admins are admins while the policy names no admin at all', () => {
    expect(isAdmin('root-admin', withAdmins([]), ['root-admin'])).toBe(true);
  });

  it('bootstrap admins are ordinary users once the policy names an admin', () => {
    expect(isAdmin('root-admin', withAdmins(['ops-erin']), ['root-admin'])).toBe(false);
    expect(isAdmin('ops-erin', withAdmins(['ops-erin']), ['root-admin'])).toBe(true);
  });
});
