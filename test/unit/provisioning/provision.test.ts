import { beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { provisionStatus, provisionTable } from '../../../src/provisioning/provision.js';
import type { ProvisioningDeps } from '../../../src/provisioning/provision.js';
import { TABLE_SCHEMAS } from '../../../src/provisioning/schemas.js';
import type { TableKind } from '../../../src/provisioning/schemas.js';
import type { LiveTable, RegisteredTable, TableProvisioner, TableRegistry } from '../../../src/provisioning/types.js';
import { caught } from '../../support/caught.js';

const NOW = new Date('2026-11-20T09:30:00.000Z');
const arnOf = (table: string) => `arn:aws:dynamodb:eu-west-1:111122223333:table/${table}`;

/** A table as CreateTable makes one of `kind`: matching its schema, TTL and PITR off until finished. */
function madeTable(kind: TableKind, table: string, status = 'CREATING'): LiveTable {
  const schema = TABLE_SCHEMAS[kind];
  const keys = (elements: typeof schema.keySchema) =>
    elements.map((element) => ({ attributeName: element.AttributeName ?? '', keyType: element.KeyType ?? 'HASH', attributeType: 'S' }));
  return {
    name: table,
    arn: arnOf(table),
    status,
    keySchema: keys(schema.keySchema),
    indexes: schema.globalSecondaryIndexes.map((index) => ({ name: index.IndexName ?? '', keySchema: keys(index.KeySchema ?? []), projection: 'ALL', status })),
    billingMode: 'PAY_PER_REQUEST',
    encrypted: true,
    ttl: { status: 'DISABLED' },
    pointInTimeRecovery: 'DISABLED',
  };
}

/** An in-memory control plane: tables appear CREATING and turn ACTIVE when the test says so. */
class FakeProvisioner implements TableProvisioner {
  readonly tables = new Map<string, LiveTable>();
  readonly calls: string[] = [];
  finishError: Error | undefined;
  /** Runs between a describe that found nothing and the create: a concurrent request's move. */
  beforeCreate: (() => void) | undefined;

  async describe(table: string): Promise<LiveTable | undefined> {
    this.calls.push(`describe ${table}`);
    const live = this.tables.get(table);
    return live === undefined ? undefined : structuredClone(live);
  }

  async create(kind: TableKind, table: string): Promise<boolean> {
    this.calls.push(`create ${table}`);
    this.beforeCreate?.();
    if (this.tables.has(table)) return false;
    this.tables.set(table, madeTable(kind, table));
    return true;
  }

  async finish(table: string): Promise<void> {
    this.calls.push(`finish ${table}`);
    if (this.finishError !== undefined) throw this.finishError;
    const live = this.tables.get(table);
    if (live !== undefined) this.tables.set(table, { ...live, ttl: { status: 'ENABLED', attribute: 'ttl' }, pointInTimeRecovery: 'ENABLED' });
  }

  activate(table: string): void {
    const live = this.tables.get(table);
    if (live !== undefined) this.tables.set(table, { ...live, status: 'ACTIVE', indexes: live.indexes.map((index) => ({ ...index, status: 'ACTIVE' })) });
  }
}

class FakeRegistry implements TableRegistry {
  readonly entries = new Map<string, RegisteredTable>();

  async get(table: string): Promise<RegisteredTable | undefined> {
    return this.entries.get(table);
  }

  async register(entry: RegisteredTable): Promise<void> {
    if (!this.entries.has(entry.table)) this.entries.set(entry.table, entry);
  }
}

let provisioner: FakeProvisioner;
let registry: FakeRegistry;
let deps: ProvisioningDeps;

beforeEach(() => {
  provisioner = new FakeProvisioner();
  registry = new FakeRegistry();
  deps = { provisioner, registry, tablePrefix: 'sentinel-', clock: { now: () => NOW } };
});

describe('provisionTable', () => {
  it('answers the plan of a missing table without creating it', async () => {
    const response = await provisionTable({ kind: 'sessions', plan: true }, 'ops-erin', deps);
    expect(response).toMatchObject({ status: 'PLAN', table: 'sentinel-sessions', kind: 'sessions', plan: { action: 'create', differences: [] } });
    expect(response.plan.schema.indexes).toEqual(['by-user (user, created_at)', 'by-profile (profile, created_at)', 'by-active (active_user, created_at)']);
    expect(provisioner.calls).toEqual(['describe sentinel-sessions']);
  });

  it('starts creating a missing table under its default name and answers CREATING, recording nothing yet', async () => {
    const response = await provisionTable({ kind: 'requests' }, 'ops-erin', deps);
    expect(response).toMatchObject({ status: 'CREATING', table: 'sentinel-requests', kind: 'requests', plan: { action: 'create' } });
    expect(response.arn).toBeUndefined();
    expect(provisioner.tables.has('sentinel-requests')).toBe(true);
    expect(registry.entries.size).toBe(0);
  });

  it('creates the named table when one is given', async () => {
    expect((await provisionTable({ kind: 'sessions', table: 'sentinel-team-sessions' }, 'ops-erin', deps)).table).toBe('sentinel-team-sessions');
    expect(provisioner.calls).toEqual(['describe sentinel-team-sessions', 'create sentinel-team-sessions']);
  });

  it('refuses a name without the deployment prefix, naming the prefix, before asking DynamoDB', async () => {
    const error = await caught(provisionTable({ kind: 'sessions', table: 'prod-sessions' }, 'ops-erin', deps));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe(
      `table "prod-sessions" does not carry this deployment's table prefix "sentinel-": Sentinel's IAM permissions cover only tables whose names start with it (for example "sentinel-sessions")`,
    );
    expect(provisioner.calls).toEqual([]);
  });

  it('refuses the bare prefix and names DynamoDB would refuse', async () => {
    for (const table of ['sentinel-', 'sentinel-a b', `sentinel-${'x'.repeat(250)}`]) {
      expect((await caught(provisionTable({ kind: 'config', table }, 'ops-erin', deps))).code).toBe('INVALID_REQUEST');
    }
    expect(provisioner.calls).toEqual([]);
  });

  it('reports a table still being created instead of creating it twice', async () => {
    await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    const again = await provisionTable({ kind: 'sessions' }, 'ops-frank', deps);
    expect(again).toMatchObject({ status: 'CREATING', plan: { action: 'none', differences: [] } });
    expect(provisioner.calls.filter((call) => call.startsWith('create'))).toEqual(['create sentinel-sessions']);
  });

  it('finishes and registers an ACTIVE table it finds unfinished, answering READY with the ARN', async () => {
    await provisionTable({ kind: 'config' }, 'ops-erin', deps);
    provisioner.activate('sentinel-config');
    const response = await provisionTable({ kind: 'config' }, 'ops-frank', deps);
    expect(response).toEqual({
      status: 'READY',
      table: 'sentinel-config',
      kind: 'config',
      arn: arnOf('sentinel-config'),
      plan: { action: 'none', differences: [], schema: expect.objectContaining({ keys: ['pk (HASH)', 'sk (RANGE)'] }) },
    });
    expect(provisioner.calls).toContain('finish sentinel-config');
    expect(registry.entries.get('sentinel-config')).toEqual({
      table: 'sentinel-config',
      kind: 'config',
      arn: arnOf('sentinel-config'),
      registeredAt: '2026-11-20T09:30:00.000Z',
      registeredBy: 'ops-frank',
    });
  });

  it('is idempotent: a ready table answers READY with action none and is not finished again', async () => {
    provisioner.tables.set('sentinel-sessions', { ...madeTable('sessions', 'sentinel-sessions', 'ACTIVE'), ttl: { status: 'ENABLED', attribute: 'ttl' }, pointInTimeRecovery: 'ENABLED' });
    const first = await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    const second = await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ status: 'READY', plan: { action: 'none', differences: [] } });
    expect(provisioner.calls.filter((call) => !call.startsWith('describe'))).toEqual([]);
  });

  it('reports drift and changes nothing when the table differs from its schema', async () => {
    const live = madeTable('sessions', 'sentinel-sessions', 'ACTIVE');
    live.indexes = live.indexes.filter((index) => index.name !== 'by-active');
    provisioner.tables.set('sentinel-sessions', live);
    const response = await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    expect(response.status).toBe('DRIFT');
    expect(response.arn).toBeUndefined();
    // Every difference is shown, TTL and PITR too, though finishing alone would mend those.
    expect(response.plan).toMatchObject({
      action: 'drift',
      differences: [
        { kind: 'missing_index', message: 'index "by-active" is missing' },
        { kind: 'ttl', message: 'TTL is off (expected on attribute "ttl")' },
        { kind: 'pitr', message: 'point-in-time recovery is off' },
      ],
    });
    expect(provisioner.calls).toEqual(['describe sentinel-sessions']);
    expect(registry.entries.size).toBe(0);
  });

  it('answers the plan of an existing table with plan=true, without finishing or registering it', async () => {
    provisioner.tables.set('sentinel-config', madeTable('config', 'sentinel-config', 'ACTIVE'));
    const response = await provisionTable({ kind: 'config', plan: true }, 'ops-erin', deps);
    expect(response).toMatchObject({ status: 'PLAN', plan: { action: 'drift', differences: [{ kind: 'ttl' }, { kind: 'pitr' }] } });
    expect(provisioner.calls).toEqual(['describe sentinel-config']);
    expect(registry.entries.size).toBe(0);
  });

  it('reports a table created concurrently by someone else (ResourceInUse) as CREATING', async () => {
    provisioner.beforeCreate = () => provisioner.tables.set('sentinel-sessions', madeTable('sessions', 'sentinel-sessions'));
    const response = await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    expect(response).toMatchObject({ status: 'CREATING', table: 'sentinel-sessions' });
    expect(provisioner.calls).toEqual(['describe sentinel-sessions', 'create sentinel-sessions', 'describe sentinel-sessions']);
  });

  it('answers READY when the concurrently created table is already ACTIVE', async () => {
    provisioner.beforeCreate = () => provisioner.tables.set('sentinel-sessions', madeTable('sessions', 'sentinel-sessions', 'ACTIVE'));
    expect(await provisionTable({ kind: 'sessions' }, 'ops-erin', deps)).toMatchObject({ status: 'READY', arn: arnOf('sentinel-sessions') });
    expect(registry.entries.has('sentinel-sessions')).toBe(true);
  });

  it('gives both of two simultaneous creates a successful answer, creating one table', async () => {
    const answers = await Promise.all([provisionTable({ kind: 'config' }, 'ops-erin', deps), provisionTable({ kind: 'config' }, 'ops-frank', deps)]);
    expect(answers.map((answer) => answer.status)).toEqual(['CREATING', 'CREATING']);
    expect(provisioner.calls.filter((call) => call.startsWith('create'))).toHaveLength(2);
    expect(provisioner.tables.size).toBe(1);
  });

  it('asks for a retry when the table in use was being deleted and is gone', async () => {
    provisioner.create = async () => false;
    const error = await caught(provisionTable({ kind: 'sessions' }, 'ops-erin', deps));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe('table "sentinel-sessions" was being deleted while it was to be created: retry');
  });

  it('passes on the provisioner errors, recording nothing', async () => {
    const fault = new UnavailableError('DynamoDB is throttling table operations (CreateTable on table "sentinel-sessions"): retry shortly');
    provisioner.create = async () => {
      throw fault;
    };
    expect(await caught(provisionTable({ kind: 'sessions' }, 'ops-erin', deps))).toBe(fault);
    expect(registry.entries.size).toBe(0);
  });
});

describe('provisionStatus', () => {
  it('is NOT_FOUND for a table that does not exist', async () => {
    const error = await caught(provisionStatus('sentinel-sessions', 'sessions', 'ops-erin', deps));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('table "sentinel-sessions" does not exist: create it with POST /v1/provision (sentinel init)');
  });

  it('answers CREATING while DynamoDB builds the table, touching nothing', async () => {
    await provisionTable({ kind: 'breakglass' }, 'ops-erin', deps);
    const response = await provisionStatus('sentinel-breakglass', 'breakglass', 'ops-erin', deps);
    expect(response).toMatchObject({ status: 'CREATING', plan: { action: 'none' } });
    expect(provisioner.calls).not.toContain('finish sentinel-breakglass');
    expect(registry.entries.size).toBe(0);
  });

  it('answers CREATING while an index of an ACTIVE table is still being built', async () => {
    const live = madeTable('sessions', 'sentinel-sessions', 'ACTIVE');
    live.indexes = live.indexes.map((index) => (index.name === 'by-active' ? { ...index, status: 'CREATING' } : index));
    provisioner.tables.set('sentinel-sessions', live);
    expect((await provisionStatus('sentinel-sessions', 'sessions', 'ops-erin', deps)).status).toBe('CREATING');
    expect(registry.entries.size).toBe(0);
  });

  it('finishes, registers and answers READY once ACTIVE; the next poll is READY too', async () => {
    await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    provisioner.activate('sentinel-sessions');
    const ready = await provisionStatus('sentinel-sessions', 'sessions', 'ops-erin', deps);
    expect(ready).toMatchObject({ status: 'READY', arn: arnOf('sentinel-sessions'), plan: { action: 'none', differences: [] } });
    expect(provisioner.tables.get('sentinel-sessions')).toMatchObject({ ttl: { status: 'ENABLED', attribute: 'ttl' }, pointInTimeRecovery: 'ENABLED' });
    expect(registry.entries.get('sentinel-sessions')).toMatchObject({ kind: 'sessions', registeredBy: 'ops-erin' });
    expect(await provisionStatus('sentinel-sessions', 'sessions', 'ops-frank', deps)).toEqual(ready);
    expect(registry.entries.get('sentinel-sessions')?.registeredBy).toBe('ops-erin');
  });

  it('does not register a table when finishing it fails', async () => {
    await provisionTable({ kind: 'sessions' }, 'ops-erin', deps);
    provisioner.activate('sentinel-sessions');
    provisioner.finishError = new UnavailableError('point-in-time recovery cannot be turned on for table "sentinel-sessions" yet: retry shortly');
    expect((await caught(provisionStatus('sentinel-sessions', 'sessions', 'ops-erin', deps))).code).toBe('UNAVAILABLE');
    expect(registry.entries.size).toBe(0);
  });

  it('reports drift against the kind asked for', async () => {
    provisioner.tables.set('sentinel-sessions', madeTable('sessions', 'sentinel-sessions', 'ACTIVE'));
    const response = await provisionStatus('sentinel-sessions', 'config', 'ops-erin', deps);
    expect(response.status).toBe('DRIFT');
    expect(response.plan.differences.map((difference) => difference.kind)).toEqual(['key', 'extra_index', 'extra_index', 'extra_index', 'ttl', 'pitr']);
    expect(registry.entries.size).toBe(0);
  });

  it('refuses a table that is being deleted, with a CONFLICT', async () => {
    provisioner.tables.set('sentinel-sessions', madeTable('sessions', 'sentinel-sessions', 'DELETING'));
    const error = await caught(provisionStatus('sentinel-sessions', 'sessions', 'ops-erin', deps));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('table "sentinel-sessions" is being deleted, not ACTIVE: Sentinel cannot use it');
  });

  it('refuses a table name without the prefix', async () => {
    expect((await caught(provisionStatus('other-sessions', 'sessions', 'ops-erin', deps))).code).toBe('INVALID_REQUEST');
    expect(provisioner.calls).toEqual([]);
  });
});
