/**
 * The provisioned-table registry in the config table (DESIGN.md, Tables: config):
 * one item per table Sentinel provisioned and finished, `pk=table`, `sk=<name>`, with
 * `kind`, `arn`, `registered_at`, `registered_by`. Credential requests that name a
 * session table are checked against it.
 */

import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoFailure, isConditionFailure } from '../aws/dynamoErrors.js';
import { UnavailableError } from '../errors.js';
import { TABLE_KINDS } from './schemas.js';
import type { TableKind } from './schemas.js';
import type { RegisteredTable, TableRegistry } from './types.js';

const PARTITION = 'table';

/** How dependency failures name the registry (src/aws/dynamoErrors.ts); a missing config table is one of them. */
const STORE = 'the table registry';

/** A {@link TableRegistry} on the config table (`TABLE_SCHEMAS.config`: pk/sk strings). */
export class DynamoTableRegistry implements TableRegistry {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documents: DynamoDBDocumentClient, configTable: string) {
    this.#documents = documents;
    this.#table = configTable;
  }

  async get(table: string): Promise<RegisteredTable | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      // Strongly consistent: a table registered a moment ago must be usable at once.
      item = (await this.#documents.send(new GetCommand({ TableName: this.#table, Key: { pk: PARTITION, sk: table }, ConsistentRead: true }))).Item;
    } catch (error) {
      throw dynamoFailure(error, STORE);
    }
    return item === undefined ? undefined : readEntry(item, table);
  }

  /** Every registered table of `kind` (the sweep's list of sessions tables), read to the end. */
  async list(kind: TableKind): Promise<RegisteredTable[]> {
    const tables: RegisteredTable[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let output;
      try {
        output = await this.#documents.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': PARTITION },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
      } catch (error) {
        throw dynamoFailure(error, STORE);
      }
      for (const item of output.Items ?? []) {
        const entry = readEntry(item, String(item.sk));
        if (entry.kind === kind) tables.push(entry);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return tables;
  }

  /** Idempotent: keeps the first registration (who and when) of a table registered before as the same kind. */
  async register(entry: RegisteredTable): Promise<void> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: PARTITION, sk: entry.table, kind: entry.kind, arn: entry.arn, registered_at: entry.registeredAt, registered_by: entry.registeredBy },
          // Write unless the same table is registered already as the same kind and ARN: re-provisioning keeps
          // the original who and when, while a table deleted and re-made as another kind is recorded anew.
          ConditionExpression: 'attribute_not_exists(pk) OR #kind <> :kind OR #arn <> :arn',
          ExpressionAttributeNames: { '#kind': 'kind', '#arn': 'arn' },
          ExpressionAttributeValues: { ':kind': entry.kind, ':arn': entry.arn },
        }),
      );
    } catch (error) {
      // The identical entry is there: nothing to do.
      if (isConditionFailure(error)) return;
      throw dynamoFailure(error, STORE);
    }
  }
}

function readEntry(item: Record<string, unknown>, table: string): RegisteredTable {
  const { kind, arn, registered_at: registeredAt, registered_by: registeredBy } = item;
  if (!isKind(kind) || typeof arn !== 'string' || typeof registeredAt !== 'string' || typeof registeredBy !== 'string') {
    // Fail closed: a damaged entry must not vouch for a table.
    throw new UnavailableError(`the table registry entry of "${table}" is unreadable`);
  }
  return { table, kind, arn, registeredAt, registeredBy };
}

function isKind(value: unknown): value is TableKind {
  return typeof value === 'string' && (TABLE_KINDS as readonly string[]).includes(value);
}
