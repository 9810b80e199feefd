/**
 * The provisioning routes (DESIGN.md, Provisioning), admins only (the stack checks).
 * All three are served by one Lambda (functions/provision.ts).
 */

import { DEFAULT_TABLE_NAMES, TABLE_KINDS } from '../../api/constants.js';
import { SentinelError } from '../../errors.js';
import { tableIamPolicy } from '../../provisioning/iamPolicy.js';
import { checkTableName, provisionStatus, provisionTable } from '../../provisioning/provision.js';
import type { ProvisioningDeps } from '../../provisioning/provision.js';
import type { RouteHandler } from '../route.js';

/** `POST /v1/provision`: the plan, or the start of creation (202 `CREATING`, poll the status route). */
export function provisionRoute(deps: ProvisioningDeps): RouteHandler<'provision'> {
  return async ({ body, caller }) => {
    const response = await provisionTable(body, caller.user, deps);
    // 202: CreateTable has started, the table is not usable yet (API Gateway cannot wait for it).
    return { status: response.status === 'CREATING' ? 202 : 200, body: response };
  };
}

/**
 * `GET /v1/provision/{table}?kind=K`: moves creation on (TTL, PITR, registry once
 * ACTIVE) and reports where it stands. `kind` may be left out for a registered table
 * (the registry knows it).
 */
export function provisionStatusRoute(deps: ProvisioningDeps): RouteHandler<'provisionStatus'> {
  return async ({ path, query, caller }) => {
    // API Gateway only routes here with a {table} segment; the check names a missing one anyway.
    if (path.table === undefined) throw new SentinelError('INVALID_REQUEST', 'the path must name a table');
    const table = checkTableName(path.table, deps.tablePrefix);
    // With a kind the registry is not read here: while the config table itself is
    // being created there is no registry yet. A wrong kind cannot register a table:
    // every kind has its own keys or indexes, so the table shows as DRIFT.
    const kind = query.kind ?? (await deps.registry.get(table))?.kind;
    if (kind === undefined) {
      throw new SentinelError('INVALID_REQUEST', `table "${table}" is not registered yet: pass ?kind=${TABLE_KINDS.join('|')} to say what it is`);
    }
    return { status: 200, body: await provisionStatus(table, kind, caller.user, deps) };
  };
}

/**
 * `GET /v1/provision/iam-policy?kind=&table=`: the IAM policy document that provisions
 * and operates one table, in this deployment's own account and region. Reads nothing from AWS.
 */
export function iamPolicyRoute(deps: { tablePrefix: string; accountId: string; region: string }): RouteHandler<'iamPolicy'> {
  return async ({ query }) => {
    const table = checkTableName(query.table ?? DEFAULT_TABLE_NAMES[query.kind], deps.tablePrefix);
    return { status: 200, body: tableIamPolicy(query.kind, table, { accountId: deps.accountId, region: deps.region }) };
  };
}
