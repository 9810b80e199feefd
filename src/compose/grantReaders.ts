/**
 * The two readers behind issuance's grant source (src/compose/grants.ts): approved access
 * requests and active break-glass events. A module of its own so that grants.ts can load
 * it with `import()` on the first refusal (scripts/buildOptions.mjs, code splitting): the
 * two stores are most of a function's own code, and an issuance the policy allows never
 * reads them.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { breakglassGrants } from '../breakglass/manage.js';
import { DynamoBreakglassStore } from '../breakglass/DynamoBreakglassStore.js';
import { DynamoRequestStore } from '../requests/DynamoRequestStore.js';
import type { Grant } from '../vending/plan.js';

export interface GrantReaders {
  approved(request: { user: string; profile: string; now: Date }): Promise<Grant[]>;
  active(request: { user: string; profile: string; now: Date }): Promise<Grant[]>;
}

export function grantReaders(documents: DynamoDBDocumentClient, tables: { requestsTable: string; breakglassTable: string; configTable: string }): GrantReaders {
  const requests = new DynamoRequestStore(documents, tables.requestsTable);
  const breakglass = breakglassGrants(new DynamoBreakglassStore(documents, { breakglass: tables.breakglassTable, config: tables.configTable }));
  return {
    approved: (request) => requests.approvedGrants(request),
    active: (request) => breakglass.activeGrants(request),
  };
}
