/**
 * The grant source of issuance and the re-check (src/vending/ports.ts, GrantSource):
 * approved access requests and active break-glass events of the caller for the
 * profile, read only when the policy refuses. Both reads run at once.
 *
 * A grants table that does not exist (a deployment that never ran `sentinel init
 * approvals` or `breakglass`) holds no grants: the refusal stands as the policy made it,
 * with its guidance. Any other failure fails the request (503): whether a grant exists
 * is unknown, and nothing is issued.
 */

import { breakglassGrants } from '../breakglass/manage.js';
import { DynamoBreakglassStore } from '../breakglass/DynamoBreakglassStore.js';
import { DynamoRequestStore } from '../requests/DynamoRequestStore.js';
import type { Grant } from '../vending/plan.js';
import type { GrantSource } from '../vending/ports.js';
import { dynamoClients } from './dynamo.js';
import { perRuntime } from './runtime.js';

/** The translated error of a table that does not exist (src/aws/dynamoErrors.ts keeps DynamoDB's error as the cause). */
function isMissingTable(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { name?: unknown } | undefined) : undefined;
  return cause?.name === 'ResourceNotFoundException';
}

export const grantSource = /* @__PURE__ */ perRuntime((runtime): GrantSource => {
  const { documents } = dynamoClients(runtime);
  const { requestsTable, breakglassTable, configTable } = runtime.config;
  const requests = new DynamoRequestStore(documents, requestsTable);
  const breakglass = breakglassGrants(new DynamoBreakglassStore(documents, { breakglass: breakglassTable, config: configTable }));
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
      const [approved, active] = await Promise.all([orNone(requests.approvedGrants(request), requestsTable), orNone(breakglass.activeGrants(request), breakglassTable)]);
      return [...approved, ...active];
    },
  };
});
