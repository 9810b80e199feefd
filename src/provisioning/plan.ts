/**
 * The plan of one table (DESIGN.md, Provisioning): compare a live table with its
 * schema and say what provisioning would do — `create` it, `none`, or `drift` with
 * each difference. Pure: provisioning never changes a live table's structure (keys,
 * indexes, billing cannot be changed in place without risk to its data), it reports.
 */

import { TABLE_SCHEMAS, TTL_ATTRIBUTE } from './schemas.js';
import type { TableKind, TableSchema } from './schemas.js';
import type { Difference, LiveTable, TablePlan } from './types.js';

type LiveKey = LiveTable['keySchema'][number];
type LiveIndex = LiveTable['indexes'][number];

/** What a create makes, in words a person reads in `--plan` output. */
export function schemaSummary(kind: TableKind): TablePlan['schema'] {
  const schema = TABLE_SCHEMAS[kind];
  return {
    billingMode: 'PAY_PER_REQUEST',
    keys: schema.keySchema.map((key) => `${key.AttributeName} (${key.KeyType})`),
    indexes: schema.globalSecondaryIndexes.map((index) => `${index.IndexName} (${(index.KeySchema ?? []).map((key) => key.AttributeName).join(', ')})`),
    ttlAttribute: TTL_ATTRIBUTE,
    pointInTimeRecovery: true,
    encryption: true,
  };
}

/**
 * The plan for table `table` of `kind`: `create` when it does not exist, otherwise
 * `none` or `drift` with every difference from `TABLE_SCHEMAS[kind]`.
 *
 * TTL counts as on when it is ENABLED or ENABLING on `ttl`: AWS may report ENABLING
 * for up to an hour after it was turned on, and nothing would change by waiting. A
 * table that is still CREATING cannot have TTL or PITR yet, so those two are not
 * reported for it.
 */
export function planTable(kind: TableKind, table: string, live: LiveTable | undefined): TablePlan {
  const base = { kind, table, schema: schemaSummary(kind) };
  if (live === undefined) return { ...base, action: 'create', differences: [] };
  const differences = tableDifferences(TABLE_SCHEMAS[kind], live);
  return { ...base, action: differences.length === 0 ? 'none' : 'drift', differences };
}

/**
 * The table as the finishing step leaves it: TTL turned on where it is off, PITR on
 * where it is off. Planning this view tells the differences finishing cannot mend
 * (keys, indexes, billing, TTL on another attribute or being turned off) from the two
 * settings every new table lacks until it is finished.
 */
export function afterFinish(live: LiveTable): LiveTable {
  return {
    ...live,
    ttl: live.ttl.status === 'DISABLED' ? { status: 'ENABLED', attribute: TTL_ATTRIBUTE } : live.ttl,
    pointInTimeRecovery: live.pointInTimeRecovery === 'DISABLED' ? 'ENABLED' : live.pointInTimeRecovery,
  };
}

function tableDifferences(schema: TableSchema, live: LiveTable): Difference[] {
  const differences: Difference[] = [];
  const expectedKey = schemaKeys(schema, schema.keySchema);
  if (!sameKeys(expectedKey, live.keySchema)) {
    differences.push({ kind: 'key', message: `key is ${describeKeys(live.keySchema)}; expected ${describeKeys(expectedKey)}` });
  }

  const liveIndexes = new Map(live.indexes.map((index) => [index.name, index]));
  for (const index of schema.globalSecondaryIndexes) {
    const name = index.IndexName ?? '';
    differences.push(...indexDifferences(name, schemaKeys(schema, index.KeySchema ?? []), index.Projection?.ProjectionType ?? 'ALL', liveIndexes.get(name)));
  }
  const expectedNames = new Set(schema.globalSecondaryIndexes.map((index) => index.IndexName));
  for (const index of [...live.indexes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!expectedNames.has(index.name)) differences.push({ kind: 'extra_index', message: `index "${index.name}" is not in the schema` });
  }

  if (live.billingMode !== 'PAY_PER_REQUEST') {
    differences.push({ kind: 'billing', message: `billing mode is ${live.billingMode} (expected PAY_PER_REQUEST, on-demand)` });
  }
  if (!live.encrypted) differences.push({ kind: 'encryption', message: 'encryption at rest is off' });

  // A table being created gets TTL and PITR once it is ACTIVE (the finishing step).
  if (live.status === 'CREATING') return differences;
  const ttl = ttlDifference(live.ttl);
  if (ttl !== undefined) differences.push(ttl);
  // `unsupported`: DynamoDB Local has no PITR API; nothing to compare there.
  if (live.pointInTimeRecovery === 'DISABLED') differences.push({ kind: 'pitr', message: 'point-in-time recovery is off' });
  return differences;
}

function indexDifferences(name: string, expectedKeys: LiveKey[], projection: string, live: LiveIndex | undefined): Difference[] {
  if (live === undefined) return [{ kind: 'missing_index', message: `index "${name}" is missing` }];
  // An index being deleted is as good as gone: nothing may rely on it.
  if (live.status === 'DELETING') return [{ kind: 'missing_index', message: `index "${name}" is missing (it is being deleted)` }];
  const differences: Difference[] = [];
  if (!sameKeys(expectedKeys, live.keySchema)) {
    differences.push({ kind: 'index_key', message: `index "${name}" has key ${describeKeys(live.keySchema)}; expected ${describeKeys(expectedKeys)}` });
  }
  // Sentinel reads whole items from its indexes: a narrower projection loses attributes.
  if (live.projection !== projection) {
    differences.push({ kind: 'index_projection', message: `index "${name}" projects ${live.projection} (expected ${projection})` });
  }
  return differences;
}

function ttlDifference(ttl: LiveTable['ttl']): Difference | undefined {
  const expected = `expected on attribute "${TTL_ATTRIBUTE}"`;
  switch (ttl.status) {
    case 'DISABLED':
      return { kind: 'ttl', message: `TTL is off (${expected})` };
    case 'DISABLING':
      return { kind: 'ttl', message: `TTL is being turned off (${expected})` };
    case 'ENABLED':
    case 'ENABLING':
      return ttl.attribute === TTL_ATTRIBUTE ? undefined : { kind: 'ttl', message: `TTL is on attribute "${ttl.attribute ?? ''}" (${expected})` };
  }
}

/** The schema's key elements with their attribute types (every key attribute is defined in the schema). */
function schemaKeys(schema: TableSchema, keys: TableSchema['keySchema']): LiveKey[] {
  return keys.map((key) => ({
    attributeName: key.AttributeName ?? '',
    keyType: key.KeyType ?? 'HASH',
    attributeType: schema.attributeDefinitions.find((definition) => definition.AttributeName === key.AttributeName)?.AttributeType ?? 'S',
  }));
}

function sameKeys(expected: LiveKey[], live: LiveKey[]): boolean {
  return describeKeys(expected) === describeKeys(live);
}

/** `"pk" (HASH, S), "sk" (RANGE, S)`: HASH first, as DynamoDB lists them. */
function describeKeys(keys: LiveKey[]): string {
  if (keys.length === 0) return 'none';
  const ordered = [...keys].sort((a, b) => (a.keyType === b.keyType ? 0 : a.keyType === 'HASH' ? -1 : 1));
  return ordered.map((key) => `"${key.attributeName}" (${key.keyType}, ${key.attributeType})`).join(', ');
}
