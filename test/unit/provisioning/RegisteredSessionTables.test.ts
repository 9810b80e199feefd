import { describe, expect, it } from 'vitest';
import { RegisteredSessionTables } from '../../../src/provisioning/RegisteredSessionTables.js';
import type { RegisteredTable, TableRegistry } from '../../../src/provisioning/types.js';

function registry(entries: RegisteredTable[]): TableRegistry & { reads: number } {
  const fake = {
    reads: 0,
    get: async (table: string) => {
      fake.reads += 1;
      return entries.find((entry) => entry.table === table);
    },
    register: async () => undefined,
  };
  return fake;
}

const entry = (table: string, kind: RegisteredTable['kind']): RegisteredTable => ({ table, kind, arn: `arn:aws:dynamodb:eu-west-1:111122223333:table/${table}`, registeredAt: '2026-11-18T10:00:00.000Z', registeredBy: 'admin' });

describe('RegisteredSessionTables', () => {
  it('accepts registered sessions tables only, not other kinds or unknown tables', async () => {
    const directory = new RegisteredSessionTables(registry([entry('sentinel-team-sessions', 'sessions'), entry('sentinel-config', 'config')]));
    expect(await directory.isSessionsTable('sentinel-team-sessions')).toBe(true);
    expect(await directory.isSessionsTable('sentinel-config')).toBe(false);
    expect(await directory.isSessionsTable('sentinel-nope')).toBe(false);
  });

  it('remembers a provisioned table for a minute, and never remembers an unknown one', async () => {
    let now = 0;
    const fake = registry([entry('sentinel-team-sessions', 'sessions')]);
    const directory = new RegisteredSessionTables(fake, () => now);
    await directory.isSessionsTable('sentinel-team-sessions');
    await directory.isSessionsTable('sentinel-team-sessions');
    expect(fake.reads).toBe(1);
    now = 61_000;
    await directory.isSessionsTable('sentinel-team-sessions');
    expect(fake.reads).toBe(2);
    await directory.isSessionsTable('sentinel-nope');
    await directory.isSessionsTable('sentinel-nope');
    expect(fake.reads).toBe(4);
  });
});
