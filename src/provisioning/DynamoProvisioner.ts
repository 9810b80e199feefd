/**
 * The {@link TableProvisioner} on DynamoDB's control plane: DescribeTable (with
 * DescribeTimeToLive and DescribeContinuousBackups), CreateTable from the schema, and
 * the finishing step (TTL, point-in-time recovery) once the table is ACTIVE.
 *
 * The answers that mean something to provisioning (a table that does not exist or
 * already does, DynamoDB Local's missing PITR API, the account's table limit) are
 * handled here; every other SDK fault goes to the one translator (src/aws/dynamoErrors.ts).
 * AWS's own text stays in `cause`.
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
import { dynamoFailure } from '../aws/dynamoErrors.js';
import { UnavailableError } from '../errors.js';
import { createTableInput, TTL_ATTRIBUTE } from './schemas.js';
import type { TableKind } from './schemas.js';
import type { LiveTable, TableProvisioner } from './types.js';

/**
 * How long to wait before asking again when AWS cannot do something yet (backups on a
 * table minutes old) or refuses another table: table operations take seconds to minutes.
 */
const RETRY_AFTER_SECONDS = 5;

/** How dependency failures name DynamoDB's table operations (src/aws/dynamoErrors.ts). */
const STORE = 'the DynamoDB control plane';

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
      throw dynamoFailure(error, STORE);
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
      throw dynamoFailure(error, STORE);
    }
  }

  async create(kind: TableKind, table: string): Promise<boolean> {
    try {
      await this.#dynamodb.send(new CreateTableCommand(createTableInput(kind, table)));
      return true;
    } catch (error) {
      // The table exists or is being created (by a concurrent request, or by hand): not ours to create.
      if (isNamed(error, 'ResourceInUseException')) return false;
      // On CreateTable this is the account's quota of tables (or of table operations at once): say so, it needs a person.
      if (isNamed(error, 'LimitExceededException')) {
        throw new UnavailableError(
          `DynamoDB refused CreateTable on table "${table}": the account has reached its limit of tables (or of tables being created at once) in this region; delete unused tables or ask AWS for a higher quota, then retry`,
          { cause: error, retryAfterSeconds: RETRY_AFTER_SECONDS },
        );
      }
      throw dynamoFailure(error, STORE);
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
        throw dynamoFailure(error, STORE);
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
      throw dynamoFailure(error, STORE);
    }
  }

  /** Whether TTL is on (or turning on) on `ttl`; any failure to tell is the translator's, a table deleted meanwhile included. */
  async #ttlIsOn(table: string): Promise<boolean> {
    try {
      const ttl = await this.#ttl(table);
      return (ttl.status === 'ENABLED' || ttl.status === 'ENABLING') && ttl.attribute === TTL_ATTRIBUTE;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
  }

  /** The table's TTL setting. SDK errors pass through untranslated: `describe` reads a missing table as none. */
  async #ttl(table: string): Promise<LiveTable['ttl']> {
    const output = await this.#dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    const status = output.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED';
    const attribute = output.TimeToLiveDescription?.AttributeName;
    return attribute === undefined ? { status } : { status, attribute };
  }

  /** The table's PITR setting. Other SDK errors pass through untranslated, as for TTL. */
  async #pointInTimeRecovery(table: string): Promise<LiveTable['pointInTimeRecovery']> {
    try {
      const output = await this.#dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table }));
      return output.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED' ? 'ENABLED' : 'DISABLED';
    } catch (error) {
      // Only DynamoDB Local answers this: it has no point-in-time recovery API at all.
      if (isNamed(error, 'UnknownOperationException')) return 'unsupported';
      throw error;
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
