/**
 * The sweep function (not an HTTP route: EventBridge invokes it every 5 minutes):
 * expiry of overdue sessions and the AWS side of revocations (src/sessions/sweep.ts).
 */

import { sweep, type SweepDeps, type SweepReport } from '../sessions/sweep.js';
import { DynamoRequestStore } from '../requests/DynamoRequestStore.js';
import { dynamoClients, sessions, tableRegistry } from './dynamo.js';
import { notifier } from './notify.js';
import { awsSideDeps } from './revocation.js';
import type { Runtime } from './runtime.js';

export function sweepDeps(runtime: Runtime): SweepDeps {
  const registry = tableRegistry(runtime);
  const { defaultSessionTable } = runtime.config;
  return {
    ...awsSideDeps(runtime),
    sessions: sessions(runtime),
    requests: new DynamoRequestStore(dynamoClients(runtime).documents, runtime.config.requestsTable),
    notifier: notifier(runtime),
    sessionTables: async () => {
      const registered = (await registry.list('sessions')).map((entry) => entry.table);
      return [...new Set([...(defaultSessionTable === undefined ? [] : [defaultSessionTable]), ...registered])];
    },
  };
}

/**
 * One run: logs its report, and fails (so the function's Errors metric and its alarm
 * see it) when any step failed; the next scheduled run is the retry.
 */
export function sweepFunction(runtime: Runtime): () => Promise<SweepReport> {
  const deps = sweepDeps(runtime);
  return async () => {
    const report = await sweep(runtime.clock.now(), deps);
    if (report.failures > 0) {
      runtime.logger.error('sweep finished with failures', { report });
      throw new Error(`the sweep had ${report.failures} failed step(s); see the log lines before this one`);
    }
    runtime.logger.info('sweep finished', { report });
    return report;
  };
}
