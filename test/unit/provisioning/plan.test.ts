import { describe, expect, it } from 'vitest';
import { afterFinish, planTable, schemaSummary } from '../../../src/provisioning/plan.js';
import { TABLE_KINDS, TABLE_SCHEMAS } from '../../../src/provisioning/schemas.js';
import type { TableKind } from '../../../src/provisioning/schemas.js';
import type { LiveTable } from '../../../src/provisioning/types.js';

type Key = LiveTable['keySchema'][number];

const hash = (attributeName: string, attributeType = 'S'): Key => ({ attributeName, keyType: 'HASH', attributeType });
const range = (attributeName: string, attributeType = 'S'): Key => ({ attributeName, keyType: 'RANGE', attributeType });

/** A live table exactly as provisioning leaves one of `kind`: ACTIVE, finished. */
function liveTable(kind: TableKind, name = `sentinel-${kind}`): LiveTable {
  const schema = TABLE_SCHEMAS[kind];
  const type = (attribute: string | undefined) => schema.attributeDefinitions.find((definition) => definition.AttributeName === attribute)?.AttributeType ?? 'S';
  const keys = (elements: typeof schema.keySchema): Key[] =>
    elements.map((element) => ({ attributeName: element.AttributeName ?? '', keyType: element.KeyType ?? 'HASH', attributeType: type(element.AttributeName) }));
  return {
    name,
    arn: `arn:aws:dynamodb:eu-west-1:111122223333:table/${name}`,
    status: 'ACTIVE',
    keySchema: keys(schema.keySchema),
    indexes: schema.globalSecondaryIndexes.map((index) => ({ name: index.IndexName ?? '', keySchema: keys(index.KeySchema ?? []), projection: 'ALL', status: 'ACTIVE' })),
    billingMode: 'PAY_PER_REQUEST',
    encrypted: true,
    ttl: { status: 'ENABLED', attribute: 'ttl' },
    pointInTimeRecovery: 'ENABLED',
  };
}

function withoutIndex(live: LiveTable, name: string): LiveTable {
  return { ...live, indexes: live.indexes.filter((index) => index.name !== name) };
}

describe('planTable', () => {
  it('plans a create, with what it makes, when the table does not exist', () => {
    expect(planTable('sessions', 'sentinel-sessions', undefined)).toEqual({
      kind: 'sessions',
      table: 'sentinel-sessions',
      action: 'create',
      differences: [],
      schema: {
        billingMode: 'PAY_PER_REQUEST',
        keys: ['id (HASH)'],
        indexes: ['by-user (user, created_at)', 'by-profile (profile, created_at)', 'by-active (active_user, created_at)'],
        ttlAttribute: 'ttl',
        pointInTimeRecovery: true,
        encryption: true,
      },
    });
  });

  it.each(TABLE_KINDS)('finds nothing to do on a %s table that matches its schema', (kind) => {
    const plan = planTable(kind, `sentinel-${kind}`, liveTable(kind));
    expect(plan.action).toBe('none');
    expect(plan.differences).toEqual([]);
  });

  it('names the config table keys in the summary', () => {
    expect(schemaSummary('config').keys).toEqual(['pk (HASH)', 'sk (RANGE)']);
    expect(schemaSummary('config').indexes).toEqual([]);
  });

  it('reports a different key, naming the live and the expected key', () => {
    const live = { ...liveTable('config'), keySchema: [hash('pk'), range('sk', 'N')] };
    expect(planTable('config', 'sentinel-config', live)).toMatchObject({
      action: 'drift',
      differences: [{ kind: 'key', message: 'key is "pk" (HASH, S), "sk" (RANGE, N); expected "pk" (HASH, S), "sk" (RANGE, S)' }],
    });
  });

  it('reports a key with the wrong attribute or a missing sort key', () => {
    const live = { ...liveTable('config'), keySchema: [hash('id')] };
    expect(planTable('config', 'sentinel-config', live).differences).toEqual([
      { kind: 'key', message: 'key is "id" (HASH, S); expected "pk" (HASH, S), "sk" (RANGE, S)' },
    ]);
  });

  it('reports a missing index', () => {
    const plan = planTable('sessions', 'sentinel-sessions', withoutIndex(liveTable('sessions'), 'by-active'));
    expect(plan.action).toBe('drift');
    expect(plan.differences).toEqual([{ kind: 'missing_index', message: 'index "by-active" is missing' }]);
  });

  it('counts an index being deleted as missing', () => {
    const live = liveTable('requests');
    live.indexes = live.indexes.map((index) => (index.name === 'by-pending' ? { ...index, status: 'DELETING' } : index));
    expect(planTable('requests', 'sentinel-requests', live).differences).toEqual([
      { kind: 'missing_index', message: 'index "by-pending" is missing (it is being deleted)' },
    ]);
  });

  it('reports an index whose key differs from the schema', () => {
    const live = liveTable('breakglass');
    live.indexes = live.indexes.map((index) => (index.name === 'by-invoker' ? { ...index, keySchema: [hash('invoker'), range('expires_at')] } : index));
    expect(planTable('breakglass', 'sentinel-breakglass', live).differences).toEqual([
      { kind: 'index_key', message: 'index "by-invoker" has key "invoker" (HASH, S), "expires_at" (RANGE, S); expected "invoker" (HASH, S), "created_at" (RANGE, S)' },
    ]);
  });

  it('reports an index that does not project whole items', () => {
    const live = liveTable('sessions');
    live.indexes = live.indexes.map((index) => (index.name === 'by-user' ? { ...index, projection: 'KEYS_ONLY' } : index));
    expect(planTable('sessions', 'sentinel-sessions', live).differences).toEqual([
      { kind: 'index_projection', message: 'index "by-user" projects KEYS_ONLY (expected ALL)' },
    ]);
  });

  it('reports indexes that are not in the schema as drift', () => {
    const live = liveTable('config');
    live.indexes = [{ name: 'by-status', keySchema: [hash('status')], projection: 'ALL', status: 'ACTIVE' }];
    expect(planTable('config', 'sentinel-config', live)).toMatchObject({
      action: 'drift',
      differences: [{ kind: 'extra_index', message: 'index "by-status" is not in the schema' }],
    });
  });

  it('reports provisioned billing', () => {
    const live: LiveTable = { ...liveTable('sessions'), billingMode: 'PROVISIONED' };
    expect(planTable('sessions', 'sentinel-sessions', live).differences).toEqual([
      { kind: 'billing', message: 'billing mode is PROVISIONED (expected PAY_PER_REQUEST, on-demand)' },
    ]);
  });

  it('reports encryption at rest turned off', () => {
    const live: LiveTable = { ...liveTable('sessions'), encrypted: false };
    expect(planTable('sessions', 'sentinel-sessions', live).differences).toEqual([{ kind: 'encryption', message: 'encryption at rest is off' }]);
  });

  it.each([
    [{ status: 'DISABLED' } as const, 'TTL is off (expected on attribute "ttl")'],
    [{ status: 'DISABLING', attribute: 'ttl' } as const, 'TTL is being turned off (expected on attribute "ttl")'],
    [{ status: 'ENABLED', attribute: 'expires_at' } as const, 'TTL is on attribute "expires_at" (expected on attribute "ttl")'],
  ])('reports TTL %j', (ttl, message) => {
    const live: LiveTable = { ...liveTable('sessions'), ttl };
    expect(planTable('sessions', 'sentinel-sessions', live).differences).toEqual([{ kind: 'ttl', message }]);
  });

  it('counts TTL being turned on for `ttl` as on (AWS takes up to an hour)', () => {
    const live: LiveTable = { ...liveTable('sessions'), ttl: { status: 'ENABLING', attribute: 'ttl' } };
    expect(planTable('sessions', 'sentinel-sessions', live).action).toBe('none');
  });

  it('reports point-in-time recovery turned off, but not where the endpoint has none (DynamoDB Local)', () => {
    expect(planTable('config', 'sentinel-config', { ...liveTable('config'), pointInTimeRecovery: 'DISABLED' }).differences).toEqual([
      { kind: 'pitr', message: 'point-in-time recovery is off' },
    ]);
    expect(planTable('config', 'sentinel-config', { ...liveTable('config'), pointInTimeRecovery: 'unsupported' }).action).toBe('none');
  });

  it('does not report TTL or PITR on a table still being created, but does report its structure', () => {
    const creating: LiveTable = { ...liveTable('sessions'), status: 'CREATING', ttl: { status: 'DISABLED' }, pointInTimeRecovery: 'DISABLED' };
    expect(planTable('sessions', 'sentinel-sessions', creating).action).toBe('none');
    expect(planTable('sessions', 'sentinel-sessions', withoutIndex(creating, 'by-user')).differences).toEqual([
      { kind: 'missing_index', message: 'index "by-user" is missing' },
    ]);
  });

  it('lists every difference of a table made for another purpose', () => {
    // A breakglass table planned as config: another key, two indexes config does not have.
    const live = { ...liveTable('breakglass'), billingMode: 'PROVISIONED' as const, ttl: { status: 'DISABLED' as const } };
    expect(planTable('config', 'sentinel-breakglass', live).differences.map((difference) => difference.kind)).toEqual([
      'key',
      'extra_index',
      'extra_index',
      'billing',
      'ttl',
    ]);
  });
});

describe('afterFinish', () => {
  it('turns TTL and PITR on where they are off, so only what finishing cannot mend remains', () => {
    const live: LiveTable = { ...liveTable('sessions'), ttl: { status: 'DISABLED' }, pointInTimeRecovery: 'DISABLED' };
    expect(planTable('sessions', 'sentinel-sessions', live).differences.map((difference) => difference.kind)).toEqual(['ttl', 'pitr']);
    expect(planTable('sessions', 'sentinel-sessions', afterFinish(live)).action).toBe('none');
  });

  it('leaves TTL on another attribute, or being turned off, as it is', () => {
    for (const ttl of [{ status: 'ENABLED', attribute: 'expires_at' }, { status: 'DISABLING' }] as const) {
      const live: LiveTable = { ...liveTable('sessions'), ttl };
      expect(planTable('sessions', 'sentinel-sessions', afterFinish(live)).differences.map((difference) => difference.kind)).toEqual(['ttl']);
    }
  });

  it('leaves `unsupported` PITR alone', () => {
    expect(afterFinish({ ...liveTable('config'), pointInTimeRecovery: 'unsupported' }).pointInTimeRecovery).toBe('unsupported');
  });
});
