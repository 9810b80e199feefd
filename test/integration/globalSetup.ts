/**
 * Starts one DynamoDB Local (in memory, 127.0.0.1, free port) for the whole integration
 * run and hands its endpoint to the tests (`inject('dynamodbEndpoint')`, see
 * test/integration/dynamodb.ts). The first run downloads the emulator into the cache
 * (see DEVELOPERS.md); later runs start from the cache.
 */

import type { TestProject } from 'vitest/node';
import { ensureDynamoDbLocal, startDynamoDbLocal } from '../../src/local/dynamodbLocal.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the DynamoDB Local shared by the integration tests. */
    dynamodbEndpoint: string;
  }
}

/** Vitest global setup: start DynamoDB Local; the returned teardown stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Install progress is worth seeing (the first run downloads ~55 MB); Java's start-up
  // banner is not, and a failed start puts it in the error anyway.
  await ensureDynamoDbLocal({ log: (line) => console.error(`[dynamodb-local] ${line}`) });
  const dynamodb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return () => dynamodb.stop();
}
