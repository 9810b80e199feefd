import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../src/local/dynamodbLocal.js';
import { createTestTable, dynamodbEndpoint, testClients } from './dynamodb.js';

/** Resolves when a TCP connection to host:port is accepted (then closes it); rejects with the socket error. */
function connect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5_000, () => socket.destroy(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function nonLoopbackIpv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** Waits (bounded) until nothing accepts connections on 127.0.0.1:port. */
async function waitUntilRefused(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await connect('127.0.0.1', port);
    } catch {
      return;
    }
    await sleep(200);
  }
  throw new Error(`127.0.0.1:${port} still accepts connections`);
}

describe('the shared DynamoDB Local', () => {
  it('serves DynamoDB requests on 127.0.0.1', async () => {
    expect(dynamodbEndpoint()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await testClients().dynamodb.send(new ListTablesCommand({}));
    expect(response.TableNames).toBeInstanceOf(Array);
  });

  it("refuses connections on the machine's network address: it is not reachable from other hosts", async (context) => {
    const address = nonLoopbackIpv4();
    if (address === undefined) return context.skip('this machine has no non-loopback IPv4 address to try the port on');
    const port = Number(new URL(dynamodbEndpoint()).port);
    await expect(connect(address, port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('creates test tables with the keys and indexes of the provisioning schema', async () => {
    const table = await createTestTable('sessions');
    expect(table).toMatch(/^sentinel-test-sessions-[0-9a-f]+$/);

    const { Table } = await testClients().dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['by-active', 'by-profile', 'by-user']);

    // by-active is sparse: only items carrying active_user are in it.
    const { documents } = testClients();
    const base = { user: 'alice', profile: 'prod', created_at: '2025-01-01T00:00:00Z' };
    await documents.send(new PutCommand({ TableName: table, Item: { id: 's-active', ...base, active_user: 'alice' } }));
    await documents.send(new PutCommand({ TableName: table, Item: { id: 's-ended', ...base, active_user: undefined } }));
    const active = await documents.send(
      new QueryCommand({ TableName: table, IndexName: 'by-active', KeyConditionExpression: 'active_user = :user', ExpressionAttributeValues: { ':user': 'alice' } }),
    );
    expect(active.Items?.map((item) => item['id'])).toEqual(['s-active']);
    const byUser = await documents.send(
      new QueryCommand({ TableName: table, IndexName: 'by-user', KeyConditionExpression: '#user = :user', ExpressionAttributeNames: { '#user': 'user' }, ExpressionAttributeValues: { ':user': 'alice' } }),
    );
    expect(byUser.Items?.map((item) => item['id']).sort()).toEqual(['s-active', 's-ended']);
  });

  it('enables TTL on ttl and keeps the epoch-seconds attribute as a number', async () => {
    const table = await createTestTable('config');
    const { dynamodb, documents } = testClients();
    const { TimeToLiveDescription } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });

    const ttl = Math.floor(Date.now() / 1000) + 3600;
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'ratelimit#alice', sk: '1700000000', hits: 1, ttl } }));
    const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'ratelimit#alice', sk: '1700000000' } }));
    expect(Item).toEqual({ pk: 'ratelimit#alice', sk: '1700000000', hits: 1, ttl });
  });

  it('cancels a whole transaction when one condition fails, and applies it when all hold', async () => {
    const table = await createTestTable('config');
    const { documents } = testClients();
    const writeVersion = (condition: string) =>
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: 'policy', sk: 'v1', text: 'version: "1"', version: 1 } } },
            // The current pointer may only be written over itself: here it must not exist yet (or must, to fail on purpose).
            { Put: { TableName: table, Item: { pk: 'policy', sk: 'current', version: 1 }, ConditionExpression: condition } },
          ],
        }),
      );

    const failure = await writeVersion('attribute_exists(pk)').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect((failure as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const afterFailure = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'policy', sk: 'v1' } }));
    expect(afterFailure.Item).toBeUndefined();

    await writeVersion('attribute_not_exists(pk)');
    const afterSuccess = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'policy', sk: 'current' } }));
    expect(afterSuccess.Item).toEqual({ pk: 'policy', sk: 'current', version: 1 });
  });
});

describe('startDynamoDbLocal', () => {
  it('stops the emulator and frees its port; stopping twice is harmless', { timeout: 90_000 }, async () => {
    const dynamodb = await startDynamoDbLocal();
    await connect('127.0.0.1', dynamodb.port);

    await dynamodb.stop();
    await dynamodb.stop();

    await expect(connect('127.0.0.1', dynamodb.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(() => process.kill(dynamodb.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('does not outlive a Node process that is killed with SIGKILL', { timeout: 90_000 }, async () => {
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../src/local/dynamodbLocal.ts', import.meta.url))).href;
    const script = `import { startDynamoDbLocal } from ${JSON.stringify(moduleUrl)};
const dynamodb = await startDynamoDbLocal();
console.log(JSON.stringify({ port: dynamodb.port }));
setInterval(() => {}, 60_000);`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await new Promise<{ port: number }>((resolve, reject) => {
      let output = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line !== undefined) resolve(JSON.parse(line) as { port: number });
      });
      parent.once('exit', (code) => reject(new Error(`the Node parent exited (${code}) before DynamoDB Local started`)));
    });
    await connect('127.0.0.1', started.port);

    parent.kill('SIGKILL');

    // The launcher sees its stdin close and exits; nothing is left listening.
    await waitUntilRefused(started.port);
  });
});
