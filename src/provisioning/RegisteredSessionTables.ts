/**
 * The SessionTableDirectory of the vending pipeline, answered from the provisioning
 * registry (config table) with a short per-instance memory: a credential request that
 * names a table costs one GetItem per table and Lambda instance per minute, not one per
 * request.
 */

import type { SessionTableDirectory } from '../sessions/tables.js';
import type { TableRegistry } from './types.js';

/** A provisioned table stays provisioned; an unknown one may be created any moment. */
const KNOWN_TTL_MS = 60_000;

export class RegisteredSessionTables implements SessionTableDirectory {
  readonly #registry: TableRegistry;
  readonly #known = new Map<string, number>();
  readonly #now: () => number;

  constructor(registry: TableRegistry, now: () => number = Date.now) {
    this.#registry = registry;
    this.#now = now;
  }

  async isSessionsTable(table: string): Promise<boolean> {
    const seen = this.#known.get(table);
    if (seen !== undefined && this.#now() - seen < KNOWN_TTL_MS) return true;
    // A registry failure propagates as the registry translated it (UNAVAILABLE, or INTERNAL for a bug): fail closed, never assume.
    const entry = await this.#registry.get(table);
    if (entry?.kind !== 'sessions') {
      this.#known.delete(table);
      return false;
    }
    this.#known.set(table, this.#now());
    return true;
  }
}
