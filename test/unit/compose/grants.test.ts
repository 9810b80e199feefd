/**
 * The grant source of issuance and the re-check (src/compose/grants.ts): approved
 * requests and active break-glass events, read only when the policy refuses, from stores
 * loaded on the first refusal. DynamoDB is aws-sdk-client-mock.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantSource } from '../../../src/vending/ports.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-18T10:00:00Z');
const REQUEST = { user: 'alice', profile: 'prod', now: NOW };

/** A fresh module graph (so src/compose/grantReaders.js is not loaded yet) and the grant source of a new runtime. */
async function freshGrantSource(): Promise<{ grants: GrantSource; warnings: unknown[] }> {
  vi.resetModules();
  const { grantSource } = await import('../../../src/compose/grants.js');
  const { createRuntime } = await import('../../../src/compose/runtime.js');
  const { loadConfig } = await import('../../../src/config.js');
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const warnings: unknown[] = [];
  vi.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
  const runtime = createRuntime(loadConfig({ AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: '111122223333' }), { logger });
  const grants = grantSource(runtime);
  expect(grantSource(runtime)).toBe(grants);
  return { grants, warnings };
}

/** Counts the loads of the stores' module; the first `failing` loads fail, as a chunk missing from the package would. */
function countLoads(failing = 0): { loads: () => number } {
  let loads = 0;
  vi.doMock('../../../src/compose/grantReaders.js', async (importOriginal) => {
    loads += 1;
    if (loads <= failing) throw new Error('chunk missing');
    return importOriginal();
  });
  return { loads: () => loads };
}

function queriedTables(): Array<string | undefined> {
  return dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input.TableName);
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
});

afterEach(() => {
  vi.doUnmock('../../../src/compose/grantReaders.js');
  vi.resetModules();
});

describe('grantSource', () => {
  it('loads the stores on the first refusal, once for concurrent ones, and reads both grant tables each time', async () => {
    const counted = countLoads();
    const { grants } = await freshGrantSource();
    expect(counted.loads()).toBe(0);
    expect(await Promise.all([grants.grantsFor(REQUEST), grants.grantsFor(REQUEST)])).toEqual([[], []]);
    expect(await grants.grantsFor(REQUEST)).toEqual([]);
    expect(counted.loads()).toBe(1);
    expect(queriedTables().sort()).toEqual(['sentinel-breakglass', 'sentinel-breakglass', 'sentinel-breakglass', 'sentinel-requests', 'sentinel-requests', 'sentinel-requests']);
  });

  it('fails the lookup when the stores cannot be loaded (no grant is assumed), and loads them again on the next one', async () => {
    const counted = countLoads(1);
    const { grants } = await freshGrantSource();
    await expect(grants.grantsFor(REQUEST)).rejects.toThrow();
    expect(queriedTables()).toEqual([]);
    expect(await grants.grantsFor(REQUEST)).toEqual([]);
    expect(counted.loads()).toBe(2);
  });

  it('reads no grant from a grants table that does not exist, and says so in the log', async () => {
    dynamo.on(QueryCommand, { TableName: 'sentinel-requests' }).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const { grants, warnings } = await freshGrantSource();
    expect(await grants.grantsFor(REQUEST)).toEqual([]);
    expect(warnings).toEqual([['a grants table does not exist: no grant is read from it', { table: 'sentinel-requests' }]]);
  });
});
