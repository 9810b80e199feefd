/**
 * The provisioning service (DESIGN.md, Provisioning) behind `POST /v1/provision` and
 * `GET /v1/provision/{table}`.
 *
 * API Gateway gives a request 30 s and a table may take longer to create, so creation
 * is two steps: the POST starts CreateTable and answers `CREATING`; each GET (or a
 * later POST) looks again and, once the table is ACTIVE, finishes it (TTL, PITR),
 * records it in the registry and answers `READY`. Every step is idempotent and safe
 * to run concurrently; a table is recorded only once it is ACTIVE and finished.
 *
 * Provisioning never changes a live table's structure: a table whose keys, indexes or
 * billing differ from the schema is reported as `DRIFT` and left alone. TTL off and
 * PITR off are not structure: every new table lacks them until it is finished, so a
 * table that differs only in those is finished like one just created.
 */

import { isDeploymentTableName, TABLE_NAME, TABLE_NAME_RULE } from '../api/constants.js';
import type { ProvisionRequest, ProvisionResponse } from '../api/contract.js';
import { SentinelError, UnavailableError } from '../errors.js';
import { afterFinish, planTable } from './plan.js';
import { DEFAULT_TABLE_NAMES } from './schemas.js';
import type { TableKind } from './schemas.js';
import type { LiveTable, TablePlan, TableProvisioner, TableRegistry } from './types.js';

/** What the service needs: the control plane, the registry, and the deployment's table prefix. */
export interface ProvisioningDeps {
  provisioner: TableProvisioner;
  registry: TableRegistry;
  /** Every provisioned name must start with it: the functions' IAM permissions cover `table/<prefix>*` only. */
  tablePrefix: string;
  clock: { now(): Date };
}


/**
 * `POST /v1/provision`: with `plan`, the plan alone; otherwise starts creating a missing
 * table (`CREATING`), or moves an existing one on like {@link provisionStatus}
 * (`CREATING`, `READY` or `DRIFT`). `by` is the calling admin, recorded in the registry.
 */
export async function provisionTable(request: ProvisionRequest, by: string, deps: ProvisioningDeps): Promise<ProvisionResponse> {
  const { kind } = request;
  const table = checkTableName(request.table ?? DEFAULT_TABLE_NAMES[kind], deps.tablePrefix);
  const live = await deps.provisioner.describe(table);
  const plan = planTable(kind, table, live);
  if (request.plan === true) return respond('PLAN', plan);
  if (live !== undefined) return advance(kind, table, live, by, deps);

  if (await deps.provisioner.create(kind, table)) return respond('CREATING', plan);
  // Someone else created it since the describe (a concurrent request, or by hand): report theirs.
  const theirs = await deps.provisioner.describe(table);
  if (theirs === undefined) {
    // In use, yet gone a moment later: it was being deleted. A retry will create it.
    throw new UnavailableError(`table "${table}" was being deleted while it was to be created: retry`);
  }
  return advance(kind, table, theirs, by, deps);
}

/**
 * `GET /v1/provision/{table}?kind=`: where creating `table` stands. `CREATING` while
 * DynamoDB builds it; once ACTIVE, turns on TTL and PITR, registers it and answers
 * `READY` with the ARN; `DRIFT` when it differs from the `kind` schema. A missing
 * table is NOT_FOUND.
 */
export async function provisionStatus(table: string, kind: TableKind, by: string, deps: ProvisioningDeps): Promise<ProvisionResponse> {
  const name = checkTableName(table, deps.tablePrefix);
  const live = await deps.provisioner.describe(name);
  if (live === undefined) {
    throw new SentinelError('NOT_FOUND', `table "${name}" does not exist: create it with POST /v1/provision (sentinel init)`);
  }
  return advance(kind, name, live, by, deps);
}

/** Moves an existing table on: drift is reported, a table still being built is reported, an ACTIVE one finished. */
async function advance(kind: TableKind, table: string, live: LiveTable, by: string, deps: ProvisioningDeps): Promise<ProvisionResponse> {
  // DELETING, ARCHIVED, INACCESSIBLE_ENCRYPTION_CREDENTIALS…: whatever its shape, the table is not usable.
  if (!['ACTIVE', 'CREATING', 'UPDATING'].includes(live.status)) {
    throw new SentinelError('CONFLICT', `table "${table}" is ${live.status === 'DELETING' ? 'being deleted' : live.status}, not ACTIVE: Sentinel cannot use it`);
  }
  const plan = planTable(kind, table, live);
  const finished = planTable(kind, table, afterFinish(live));
  // Differences finishing cannot mend: report every difference (TTL and PITR too), change nothing.
  if (finished.differences.length > 0) return respond('DRIFT', plan);
  if (isBeingBuilt(live)) return respond('CREATING', plan);

  if (plan.differences.length > 0) await deps.provisioner.finish(table);
  // Only now, ACTIVE and finished: the registry vouches for the table to credential requests.
  await deps.registry.register({ table, kind, arn: live.arn, registeredAt: deps.clock.now().toISOString(), registeredBy: by });
  return { ...respond('READY', finished), arn: live.arn };
}

/** CREATING, UPDATING, or ACTIVE with an index still being built (backfilled): usable soon, not yet. */
function isBeingBuilt(live: LiveTable): boolean {
  return live.status !== 'ACTIVE' || live.indexes.some((index) => index.status === 'CREATING');
}

function respond(status: ProvisionResponse['status'], plan: TablePlan): ProvisionResponse {
  return {
    status,
    table: plan.table,
    kind: plan.kind,
    plan: { action: plan.action, differences: plan.differences.map(({ kind, message }) => ({ kind, message })), schema: plan.schema },
  };
}

/**
 * A DynamoDB table name carrying the deployment's prefix (the functions' IAM statements
 * cover only `table/<prefix>*`); anything else is refused before DynamoDB is asked.
 */
export function checkTableName(table: string, prefix: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new SentinelError('INVALID_REQUEST', `"${table}" is not a DynamoDB table name (${TABLE_NAME_RULE})`);
  }
  if (!isDeploymentTableName(table, prefix)) {
    throw new SentinelError(
      'INVALID_REQUEST',
      `table "${table}" does not carry this deployment's table prefix "${prefix}": Sentinel's IAM permissions cover only tables whose names start with it (for example "${prefix}sessions")`,
    );
  }
  return table;
}
