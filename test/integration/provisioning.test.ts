import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DescribeTimeToLiveCommand, paginateListTables, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionResponse } from '../../src/api/contract.js';
import { createDynamoClients } from '../../src/aws/dynamodb.js';
import { DynamoProvisioner } from '../../src/provisioning/DynamoProvisioner.js';
import { DynamoTableRegistry } from '../../src/provisioning/DynamoTableRegistry.js';
import { provisionStatus, provisionTable } from '../../src/provisioning/provision.js';
import type { ProvisioningDeps } from '../../src/provisioning/provision.js';
import { createTableInput } from '../../src/provisioning/schemas.js';
import type { TableKind } from '../../src/provisioning/schemas.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';

// The adapters run on the application's own clients (src/aws/dynamodb.ts); the test inspects tables with the shared ones.
const app = createDynamoClients({
  region: 'us-east-1',
  endpoint: dynamodbEndpoint(),
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const { dynamodb } = testClients();
const NOW = new Date('2026-11-20T09:30:00.000Z');

function uniqueName(): string {
  return `sentinel-test-prov-${randomBytes(4).toString('hex')}`;
}

/** The emulator's ARNs: region `ddblocal`, account `000000000000`. */
function localArn(table: string): string {
  return `arn:aws:dynamodb:ddblocal:000000000000:table/${table}`;
}

let deps: ProvisioningDeps;
let registry: DynamoTableRegistry;

beforeAll(async () => {
  registry = new DynamoTableRegistry(app.documents, await createTestTable('config'));
  deps = { provisioner: new DynamoProvisioner(app.dynamodb), registry, tablePrefix: 'sentinel-', clock: { now: () => NOW } };
});

/** Polls the status route's service as the CLI does, until the table is no longer CREATING (bounded). */
async function untilSettled(table: string, kind: TableKind): Promise<ProvisionResponse> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const response = await provisionStatus(table, kind, 'ops-erin', deps);
    if (response.status !== 'CREATING') return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${table} was still CREATING after 50 polls`);
}

async function ttlOf(table: string): Promise<unknown> {
  return (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
}

describe('provisioning on DynamoDB Local', () => {
  it('creates a table, finishes and registers it once ACTIVE, and a second run changes nothing', async () => {
    const table = uniqueName();
    expect(await provisionTable({ kind: 'sessions', table, plan: true }, 'ops-erin', deps)).toMatchObject({ status: 'PLAN', plan: { action: 'create' } });

    const started = await provisionTable({ kind: 'sessions', table }, 'ops-erin', deps);
    expect(started).toMatchObject({ status: 'CREATING', table, kind: 'sessions', plan: { action: 'create' } });

    const ready = await untilSettled(table, 'sessions');
    expect(ready).toMatchObject({ status: 'READY', table, arn: localArn(table), plan: { action: 'none', differences: [] } });
    expect(await ttlOf(table)).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    expect(await registry.get(table)).toEqual({ table, kind: 'sessions', arn: localArn(table), registeredAt: NOW.toISOString(), registeredBy: 'ops-erin' });

    const again = await provisionTable({ kind: 'sessions', table }, 'ops-frank', deps);
    expect(again).toEqual(ready);
    // The first registration stands.
    expect((await registry.get(table))?.registeredBy).toBe('ops-erin');
  });

  it('reports drift, and changes nothing, after an index of a table made by hand was deleted', async () => {
    const table = await createTestTable('sessions', uniqueName());
    await dynamodb.send(new UpdateTableCommand({ TableName: table, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-active' } }] }));

    const plan = await provisionTable({ kind: 'sessions', table, plan: true }, 'ops-erin', deps);
    expect(plan.status).toBe('PLAN');
    expect(plan.plan.action).toBe('drift');
    expect(plan.plan.differences).toHaveLength(1);
    expect(plan.plan.differences[0]).toMatchObject({ kind: 'missing_index', message: expect.stringMatching(/^index "by-active" is missing/) });

    const run = await provisionTable({ kind: 'sessions', table }, 'ops-erin', deps);
    expect(run).toMatchObject({ status: 'DRIFT', plan: { action: 'drift' } });
    expect(run.arn).toBeUndefined();
    expect(await registry.get(table)).toBeUndefined();
  });

  it('reports TTL off on a table made by hand without it; a run then finishes it like a new table', async () => {
    const table = uniqueName();
    await dynamodb.send(new CreateTableCommand(createTableInput('requests', table)));

    const plan = await provisionTable({ kind: 'requests', table, plan: true }, 'ops-erin', deps);
    expect(plan).toMatchObject({ status: 'PLAN', plan: { action: 'drift', differences: [{ kind: 'ttl', message: 'TTL is off (expected on attribute "ttl")' }] } });
    expect(await ttlOf(table)).toEqual({ TimeToLiveStatus: 'DISABLED' });

    expect(await provisionTable({ kind: 'requests', table }, 'ops-erin', deps)).toMatchObject({ status: 'READY', arn: localArn(table) });
    expect(await ttlOf(table)).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });

  it('gives two simultaneous creates of one new table one table and two successful answers', async () => {
    const table = uniqueName();
    const provisioner = new DynamoProvisioner(app.dynamodb);
    const created: boolean[] = [];
    // Records which of the two requests' CreateTable calls DynamoDB accepted.
    const counting: ProvisioningDeps = {
      ...deps,
      provisioner: {
        describe: (name) => provisioner.describe(name),
        finish: (name) => provisioner.finish(name),
        create: async (kind, name) => {
          const result = await provisioner.create(kind, name);
          created.push(result);
          return result;
        },
      },
    };

    const answers = await Promise.all([
      provisionTable({ kind: 'breakglass', table }, 'ops-erin', counting),
      provisionTable({ kind: 'breakglass', table }, 'ops-frank', counting),
    ]);
    for (const answer of answers) expect(['CREATING', 'READY']).toContain(answer.status);
    expect(created.filter(Boolean)).toEqual([true]);

    const tables: string[] = [];
    for await (const page of paginateListTables({ client: dynamodb }, {})) tables.push(...(page.TableNames ?? []));
    expect(tables.filter((name) => name === table)).toEqual([table]);
    expect(await untilSettled(table, 'breakglass')).toMatchObject({ status: 'READY', arn: localArn(table) });
  });
});
