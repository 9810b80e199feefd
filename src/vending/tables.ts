import { SentinelError } from '../errors.js';

/**
 * Tables outside the deployment's prefix are outside its IAM permissions too: refuse
 * them plainly instead of letting DynamoDB answer AccessDenied.
 */
export function checkSessionTable(table: string, prefix: string): void {
  if (!table.startsWith(prefix)) {
    throw new SentinelError('INVALID_REQUEST', `session table "${table}" is not one of this deployment's tables (names start with "${prefix}")`);
  }
}
