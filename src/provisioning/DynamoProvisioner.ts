/**
 * The {@link TableProvisioner} on DynamoDB's control plane: DescribeTable (with
 * DescribeTimeToLive and DescribeContinuousBackups), CreateTable from the schema, and
 * the finishing step (TTL, point-in-time recovery) once the table is ACTIVE.
 *
 * Every SDK fault becomes a SentinelError here; AWS's own text stays in `cause`.
 */

import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { SentinelError, UnavailableError } from '../errors.js';
import { createTableInput, TTL_ATTRIBUTE } from './schemas.js';
import type { TableKind } from './schemas.js';
import type { LiveTable, TableProvisioner } from './types.js';

/** How long to wait before asking again when AWS cannot do something yet or is throttling. */
const RETRY_AFTER_SECONDS = 5;

/** Throttling as the control plane and the SDK report it. */
const THROTTLING = new Set(['ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'ProvisionedThroughputExceededException']);

type KeyElement = LiveTable['keySchema'][number];

export class DynamoProvisioner implements TableProvisioner {
  readonly #dynamodb: DynamoDBClient;

  constructor(dynamodb: DynamoDBClient) {
    this.#dynamodb = dynamodb;
  }

  async describe(table: string): Promise<LiveTable | undefined> {
    let description: TableDescription | undefined;
    try {
      description = (await this.#dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) return undefined;
      throw translate(error, 'DescribeTable', table);
    }
    if (description === undefined) throw new UnavailableError(`DynamoDB described table "${table}" without its details`);
    const status = description.TableStatus ?? 'UNKNOWN';
    // A table being created has neither TTL nor PITR yet (and AWS may refuse to describe them): skip the calls.
    if (status === 'CREATING') return toLiveTable(table, description, { status: 'DISABLED' }, 'DISABLED');
    try {
      const [ttl, pitr] = await Promise.all([this.#ttl(table), this.#pointInTimeRecovery(table)]);
      return toLiveTable(table, description, ttl, pitr);
    } catch (error) {
      // Deleted between the calls: it does not exist.
      if (isNamed(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }

  async create(kind: TableKind, table: string): Promise<boolean> {
    try {
      await this.#dynamodb.send(new CreateTableCommand(createTableInput(kind, table)));
      return true;
    } catch (error) {
      // The table exists or is being created (by a concurrent request, or by hand): not ours to create.
      if (isNamed(error, 'ResourceInUseException')) return false;
      throw translate(error, 'CreateTable', table);
    }
  }

  async finish(table: string): Promise<void> {
    try {
      await this.#dynamodb.send(
        new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
      );
    } catch (error) {
      // DynamoDB refuses to turn on what is already on ("TimeToLive is already enabled"), or to change TTL
      // twice within a short interval (two requests finishing the same new table): fine if it is on `ttl` now.
      if (!(isNamed(error, 'ValidationException') && (/already enabled/i.test(messageOf(error)) || (await this.#ttlIsOn(table))))) {
        throw translate(error, 'UpdateTimeToLive', table);
      }
    }
    try {
      await this.#dynamodb.send(
        new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      );
    } catch (error) {
      // Only DynamoDB Local answers this: it has no point-in-time recovery to turn on.
      if (isNamed(error, 'UnknownOperationException')) return;
      if (isNamed(error, 'ContinuousBackupsUnavailableException')) {
        // AWS enables backups on a new table a little after it turns ACTIVE.
        throw new UnavailableError(`point-in-time recovery cannot be turned on for table "${table}" yet: retry shortly`, {
          cause: error,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      throw translate(error, 'UpdateContinuousBackups', table);
    }
  }

  async #ttlIsOn(table: string): Promise<boolean> {
    const ttl = await this.#ttl(table);
    return (ttl.status === 'ENABLED' || ttl.status === 'ENABLING') && ttl.attribute === TTL_ATTRIBUTE;
  }

  async #ttl(table: string): Promise<LiveTable['ttl']> {
    try {
      const output = await this.#dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }));
      const status = output.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED';
      const attribute = output.TimeToLiveDescription?.AttributeName;
      return attribute === undefined ? { status } : { status, attribute };
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) throw error;
      throw translate(error, 'DescribeTimeToLive', table);
    }
  }

  async #pointInTimeRecovery(table: string): Promise<LiveTable['pointInTimeRecovery']> {
    try {
      const output = await this.#dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table }));
      return output.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED' ? 'ENABLED' : 'DISABLED';
    } catch (error) {
      // Only DynamoDB Local answers this: it has no point-in-time recovery API at all.
      if (isNamed(error, 'UnknownOperationException')) return 'unsupported';
      if (isNamed(error, 'ResourceNotFoundException')) throw error;
      throw translate(error, 'DescribeContinuousBackups', table);
    }
  }
}

function toLiveTable(table: string, description: TableDescription, ttl: LiveTable['ttl'], pitr: LiveTable['pointInTimeRecovery']): LiveTable {
  const types = new Map((description.AttributeDefinitions ?? []).map((definition) => [definition.AttributeName, definition.AttributeType ?? '']));
  const keys = (schema: TableDescription['KeySchema']): KeyElement[] =>
    (schema ?? []).map((key) => ({
      attributeName: key.AttributeName ?? '',
      keyType: key.KeyType ?? 'HASH',
      attributeType: types.get(key.AttributeName) ?? '',
    }));
  const globalIndexes = (description.GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    keySchema: keys(index.KeySchema),
    projection: index.Projection?.ProjectionType ?? 'ALL',
    status: index.IndexStatus ?? 'ACTIVE',
  }));
  // Sentinel's schemas have no local indexes: any there is reported as an extra index. They have no status of their own.
  const localIndexes = (description.LocalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    keySchema: keys(index.KeySchema),
    projection: index.Projection?.ProjectionType ?? 'ALL',
    status: 'ACTIVE',
  }));
  const sse = description.SSEDescription?.Status;
  return {
    name: description.TableName ?? table,
    arn: description.TableArn ?? '',
    status: description.TableStatus ?? 'UNKNOWN',
    keySchema: keys(description.KeySchema),
    indexes: [...globalIndexes, ...localIndexes],
    // Tables created with provisioned capacity (before on-demand existed) carry no BillingModeSummary.
    billingMode: description.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
    // No SSEDescription means encryption with an AWS-owned key: every DynamoDB table is encrypted at rest.
    encrypted: sse === undefined || sse === 'ENABLED' || sse === 'ENABLING' || sse === 'UPDATING',
    ttl,
    pointInTimeRecovery: pitr,
  };
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/**
 * SDK faults → Sentinel errors with messages a person can act on: the account's table
 * limit, throttling, a role missing a permission; anything else is DynamoDB unavailable.
 */
function translate(error: unknown, operation: string, table: string): Error {
  if (error instanceof SentinelError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'LimitExceededException') {
    return new UnavailableError(
      `DynamoDB refused ${operation} on table "${table}": the account has reached its limit of tables (or of tables being created at once) in this region; delete unused tables or ask AWS for a higher quota, then retry`,
      { cause: error, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
  if (THROTTLING.has(name)) {
    return new UnavailableError(`DynamoDB is throttling table operations (${operation} on table "${table}"): retry shortly`, {
      cause: error,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  if (name === 'AccessDeniedException') {
    // Not retryable: the role needs the permission first.
    return new SentinelError(
      'UNAVAILABLE',
      `the provisioning role may not call dynamodb:${operation} on table "${table}" (see GET /v1/provision/iam-policy)`,
      { cause: error },
    );
  }
  return new UnavailableError(`DynamoDB did not complete ${operation} on table "${table}"`, { cause: error });
}
