/**
 * Provisioning contracts (DESIGN.md, Provisioning): what a live table looks like, how
 * it differs from its schema, the ports that describe/create tables and remember them.
 */

import type { TableKind } from './schemas.js';

/** The live state of a table, as DescribeTable, DescribeTimeToLive and DescribeContinuousBackups report it. */
export interface LiveTable {
  name: string;
  arn: string;
  /** CREATING | ACTIVE | UPDATING | DELETING | … */
  status: string;
  keySchema: Array<{ attributeName: string; keyType: 'HASH' | 'RANGE'; attributeType: string }>;
  indexes: Array<{ name: string; keySchema: Array<{ attributeName: string; keyType: 'HASH' | 'RANGE'; attributeType: string }>; projection: string; status: string }>;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Server-side encryption at rest reported as enabled (AWS-owned keys report no SSEDescription: that counts as enabled). */
  encrypted: boolean;
  ttl: { status: 'ENABLED' | 'ENABLING' | 'DISABLED' | 'DISABLING'; attribute?: string };
  /** `unsupported` where the endpoint has no PITR API (DynamoDB Local). */
  pointInTimeRecovery: 'ENABLED' | 'DISABLED' | 'unsupported';
}

/** One way a live table differs from its schema. `kind` is stable; `message` is for people. */
export interface Difference {
  kind: 'key' | 'missing_index' | 'index_key' | 'index_projection' | 'extra_index' | 'billing' | 'ttl' | 'pitr' | 'encryption';
  message: string;
}

export type PlanAction = 'create' | 'none' | 'drift';

/** What provisioning would do to a table: create it, nothing, or report drift (never "fixes" a live table). */
export interface TablePlan {
  kind: TableKind;
  table: string;
  action: PlanAction;
  differences: Difference[];
  /** What a create makes: for --plan output. */
  schema: { billingMode: 'PAY_PER_REQUEST'; keys: string[]; indexes: string[]; ttlAttribute: string; pointInTimeRecovery: true; encryption: true };
}

/** Describes and creates tables; the DynamoDB adapter translates SDK errors (see each method). */
export interface TableProvisioner {
  /** The table's live state, or undefined when it does not exist. */
  describe(table: string): Promise<LiveTable | undefined>;
  /** Starts CreateTable from the schema; `false` when the table already exists (ResourceInUseException). */
  create(kind: TableKind, table: string): Promise<boolean>;
  /** Once ACTIVE: enables TTL on `ttl` and point-in-time recovery where supported; idempotent. */
  finish(table: string): Promise<void>;
}

export interface RegisteredTable {
  table: string;
  kind: TableKind;
  arn: string;
  registeredAt: string;
  registeredBy: string;
}

/** The provisioned-table registry in the config table: pk `table`, sk `<name>`. */
export interface TableRegistry {
  get(table: string): Promise<RegisteredTable | undefined>;
  /** Idempotent put; never throws for an existing identical entry. */
  register(entry: RegisteredTable): Promise<void>;
}
