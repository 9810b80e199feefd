/**
 * The provisioning routes (DESIGN.md, Provisioning), admins only. All three are served
 * by one Lambda (functions/provision.ts, dispatching on the route key).
 *
 * The stack validates bodies only; the query strings of the two GET routes are checked
 * here, with the same strictness: an unknown parameter is a 400, never ignored.
 */

import type { z } from 'zod';
import type { IamPolicyDocument, ProvisionRequest } from '../../api/contract.js';
import { describeValidationError, iamPolicyQuerySchema, provisionRequestSchema, provisionStatusQuerySchema } from '../../api/schemas.js';
import { SentinelError } from '../../errors.js';
import type { Caller } from '../../identity/types.js';
import { tableIamPolicy } from '../../provisioning/iamPolicy.js';
import { checkTableName, provisionStatus, provisionTable } from '../../provisioning/provision.js';
import { DEFAULT_TABLE_NAMES, TABLE_KINDS } from '../../provisioning/schemas.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';
import { requireAdmin } from './requireAdmin.js';

/** `POST /v1/provision` (admins): the plan, or the start of creation (202 `CREATING`, poll the status route). */
export function provisionRoute(deps: AppDeps): Route<ProvisionRequest> {
  return {
    name: 'provision',
    body: provisionRequestSchema,
    handle: async ({ body, caller, receivedAt }) => {
      await requireProvisioningAdmin(deps, caller, receivedAt, 'provision tables');
      const response = await provisionTable(body, caller.user, deps.provisioning);
      // 202: CreateTable has started, the table is not usable yet (API Gateway cannot wait for it).
      return { status: response.status === 'CREATING' ? 202 : 200, body: response };
    },
  };
}

/**
 * `GET /v1/provision/{table}?kind=K` (admins): moves creation on (TTL, PITR, registry
 * once ACTIVE) and reports where it stands. `kind` may be left out for a registered
 * table (the registry knows it).
 */
export function provisionStatusRoute(deps: AppDeps): Route {
  return {
    name: 'provisionStatus',
    body: null,
    handle: async ({ path, query, caller, receivedAt }) => {
      await requireProvisioningAdmin(deps, caller, receivedAt, 'provision tables');
      // API Gateway only routes here with a {table} segment; the check names a missing one anyway.
      if (path.table === undefined) throw new SentinelError('INVALID_REQUEST', 'the path must name a table');
      const table = checkTableName(path.table, deps.config.tablePrefix);
      const { kind } = parseQuery(provisionStatusQuerySchema, query);
      // With a kind the registry is not read here: while the config table itself is
      // being created there is no registry yet. A wrong kind cannot register a table:
      // every kind has its own keys or indexes, so the table shows as DRIFT.
      const effective = kind ?? (await deps.provisioning.registry.get(table))?.kind;
      if (effective === undefined) {
        throw new SentinelError('INVALID_REQUEST', `table "${table}" is not registered yet: pass ?kind=${TABLE_KINDS.join('|')} to say what it is`);
      }
      return { status: 200, body: await provisionStatus(table, effective, caller.user, deps.provisioning) };
    },
  };
}

/**
 * `GET /v1/provision/iam-policy?kind=&table=` (admins): the IAM policy document that
 * provisions and operates one table, in this deployment's own account and region.
 * Reads nothing from AWS.
 */
export function iamPolicyRoute(deps: AppDeps): Route {
  return {
    name: 'iamPolicy',
    body: null,
    handle: async ({ query, caller, receivedAt }) => {
      await requireProvisioningAdmin(deps, caller, receivedAt, 'read provisioning IAM policies');
      const parsed = parseQuery(iamPolicyQuerySchema, query);
      const table = checkTableName(parsed.table ?? DEFAULT_TABLE_NAMES[parsed.kind], deps.config.tablePrefix);
      const body: IamPolicyDocument = tableIamPolicy(parsed.kind, table, { accountId: deps.config.accountId, region: deps.config.region });
      return { status: 200, body };
    },
  };
}

/**
 * {@link requireAdmin}, except that a bootstrap admin (`SENTINEL_BOOTSTRAP_ADMINS`) is
 * let through without reading the policy: the policy lives in the config table, and
 * the first thing a new deployment provisions is that table (`sentinel init bootstrap`).
 * Same answer as requireAdmin, which counts bootstrap admins too; it just needs no table.
 */
async function requireProvisioningAdmin(deps: AppDeps, caller: Caller, now: Date, action: string): Promise<void> {
  if (deps.config.bootstrapAdmins.includes(caller.user)) return;
  await requireAdmin(deps, caller, now, action);
}

/** The query string against `schema`; the first problem becomes one INVALID_REQUEST line. */
function parseQuery<T>(schema: z.ZodType<T>, query: Record<string, string>): T {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => `"${key}"`).join(', ');
    throw new SentinelError('INVALID_REQUEST', `unknown query parameter${issue.keys.length > 1 ? 's' : ''} ${names}`);
  }
  const name = issue?.path[0];
  if (typeof name === 'string' && query[name] === undefined) throw new SentinelError('INVALID_REQUEST', `query parameter ${name}: required`);
  throw new SentinelError('INVALID_REQUEST', `query parameter ${describeValidationError(parsed.error)}`);
}
