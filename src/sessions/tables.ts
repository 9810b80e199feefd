import { SentinelError } from '../errors.js';

/** Which client-named tables are provisioned sessions tables (the provisioning registry). */
export interface SessionTableDirectory {
  isSessionsTable(table: string): Promise<boolean>;
}

/**
 * Tables outside the deployment's prefix are outside its IAM permissions too: refuse
 * them plainly instead of letting DynamoDB answer AccessDenied.
 */
export function checkSessionTable(table: string, prefix: string): void {
  const refusal = foreignTable(table, prefix);
  if (refusal !== undefined) throw refusal;
}

/** The refusal of a table outside the deployment's prefix, or undefined for one of its own. */
export function foreignTable(table: string, prefix: string): SentinelError | undefined {
  if (table.startsWith(prefix)) return undefined;
  return new SentinelError('INVALID_REQUEST', `session table "${table}" is not one of this deployment's tables (names start with "${prefix}")`);
}

/**
 * A table the client names (`--session-table`, `SENTINEL_SESSION_TABLE`, or a session's
 * table sent back on refresh and end) must be the deployment default or a sessions
 * table provisioned through Sentinel (`sentinel init sessions`): a caller cannot make
 * Sentinel write audit records into just any table of the deployment.
 */
export async function checkClientSessionTable(
  table: string,
  settings: { tablePrefix: string; defaultSessionTable?: string },
  directory: SessionTableDirectory,
): Promise<void> {
  checkSessionTable(table, settings.tablePrefix);
  if (table === settings.defaultSessionTable) return;
  if (!(await directory.isSessionsTable(table))) {
    throw new SentinelError('INVALID_REQUEST', `session table "${table}" is not a provisioned sessions table: an admin creates it with sentinel init sessions --table ${table}`);
  }
}
