/**
 * The table schemas of DESIGN.md (Tables), in one place: the provisioning function
 * creates and diffs tables from them, the local stack and the integration tests
 * create theirs from them.
 *
 * Every index partitions on a high-cardinality value (a user, a profile); the
 * "active"/"pending" indexes are sparse: their key attribute exists only while the
 * item is in that state, so the index holds just those items.
 */

import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

// Defined with the contract's other constants; re-exported for the provisioning modules.
export { DEFAULT_TABLE_NAMES, TABLE_KINDS } from '../api/constants.js';
export type { TableKind } from '../api/constants.js';
import type { TableKind } from '../api/constants.js';

/** The attribute every table's TTL is set on (end of life plus the audit retention). */
export const TTL_ATTRIBUTE = 'ttl';

/** Sparse index attribute of the sessions table: the user, set only while the session is active. */
export const SESSION_ACTIVE_ATTRIBUTE = 'active_user';
/** Sparse index attribute of the requests table: the profile, set only while the request is pending. */
export const REQUEST_PENDING_ATTRIBUTE = 'pending_profile';

export interface TableSchema {
  kind: TableKind;
  keySchema: NonNullable<CreateTableCommandInput['KeySchema']>;
  attributeDefinitions: NonNullable<CreateTableCommandInput['AttributeDefinitions']>;
  globalSecondaryIndexes: GlobalSecondaryIndex[];
}

function index(name: string, hash: string, range: string): GlobalSecondaryIndex {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' },
      { AttributeName: range, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

function strings(...names: string[]): TableSchema['attributeDefinitions'] {
  return names.map((name) => ({ AttributeName: name, AttributeType: 'S' }));
}

export const TABLE_SCHEMAS: Record<TableKind, TableSchema> = {
  sessions: {
    kind: 'sessions',
    keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    attributeDefinitions: strings('id', 'user', 'profile', 'created_at', SESSION_ACTIVE_ATTRIBUTE),
    globalSecondaryIndexes: [
      index('by-user', 'user', 'created_at'),
      index('by-profile', 'profile', 'created_at'),
      index('by-active', SESSION_ACTIVE_ATTRIBUTE, 'created_at'),
    ],
  },
  requests: {
    kind: 'requests',
    keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    attributeDefinitions: strings('id', 'requester', 'profile', 'created_at', REQUEST_PENDING_ATTRIBUTE),
    globalSecondaryIndexes: [
      index('by-requester', 'requester', 'created_at'),
      index('by-profile', 'profile', 'created_at'),
      index('by-pending', REQUEST_PENDING_ATTRIBUTE, 'created_at'),
    ],
  },
  breakglass: {
    kind: 'breakglass',
    keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    attributeDefinitions: strings('id', 'invoker', 'profile', 'created_at'),
    globalSecondaryIndexes: [index('by-invoker', 'invoker', 'created_at'), index('by-profile', 'profile', 'created_at')],
  },
  config: {
    kind: 'config',
    // pk/sk: `policy`/`v<n>` (text), `policy`/`v<n>#document` and `policy`/`current`; `ratelimit#<user>`/`<window start>`; `table`/`<name>`.
    keySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    attributeDefinitions: strings('pk', 'sk'),
    globalSecondaryIndexes: [],
  },
};

/** The CreateTable request for a table of `kind`: on-demand billing, encryption at rest, tags. */
export function createTableInput(kind: TableKind, tableName: string): CreateTableCommandInput {
  const schema = TABLE_SCHEMAS[kind];
  return {
    TableName: tableName,
    KeySchema: schema.keySchema,
    AttributeDefinitions: schema.attributeDefinitions,
    ...(schema.globalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes: schema.globalSecondaryIndexes } : {}),
    BillingMode: 'PAY_PER_REQUEST',
    SSESpecification: { Enabled: true },
    Tags: [
      { Key: 'app', Value: 'sentinel' },
      { Key: 'sentinel:kind', Value: kind },
    ],
  };
}
