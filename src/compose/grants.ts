/**
 * The grant source of issuance and the re-check (src/vending/ports.ts, GrantSource):
 * approved access requests and active break-glass events of the caller for the
 * profile, read only when the policy refuses. Both reads run at once.
 *
 * A grants table that does not exist (a deployment that never ran `sentinel init
 * approvals` or `breakglass`) holds no grants: the refusal stands as the policy made it,
 * with its guidance. Any other failure fails the request (503): whether a grant exists
 * is unknown, and nothing is issued.
 *
 * The two stores (src/compose/grantReaders.ts) are loaded with a dynamic `import()` on
 * the first refusal, not at cold start: an instance whose callers the policy allows
 * never loads them. A load that fails is not kept: the request that asked fails (no
 * grant is assumed, nothing is issued) and the next refusal loads again.
 */

import type { Grant } from '../vending/plan.js';
import type { GrantSource } from '../vending/ports.js';
import type { GrantReaders } from './grantReaders.js';
import { dynamoClients } from './dynamo.js';
import { perRuntime } from './runtime.js';

/** The translated error of a table that does not exist (src/aws/dynamoErrors.ts keeps DynamoDB's error as the cause). */
function isMissingTable(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { name?: unknown } | undefined) : undefined;
  return cause?.name === 'ResourceNotFoundException';
}

export const grantSource = /* @__PURE__ */ perRuntime((runtime): GrantSource => {
  const { requestsTable, breakglassTable, configTable } = runtime.config;
  let loading: Promise<GrantReaders> | undefined;
  const readers = (): Promise<GrantReaders> =>
    (loading ??= import('./grantReaders.js').then(
      (module) => module.grantReaders(dynamoClients(runtime).documents, { requestsTable, breakglassTable, configTable }),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
  const orNone = async (read: Promise<Grant[]>, table: string): Promise<Grant[]> => {
    try {
      return await read;
    } catch (error) {
      if (!isMissingTable(error)) throw error;
      runtime.logger.warn('a grants table does not exist: no grant is read from it', { table });
      return [];
    }
  };
  return {
    grantsFor: async (request) => {
      const { approved, active } = await readers();
      const [fromRequests, fromBreakglass] = await Promise.all([orNone(approved(request), requestsTable), orNone(active(request), breakglassTable)]);
      return [...fromRequests, ...fromBreakglass];
    },
  };
});
