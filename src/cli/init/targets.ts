/**
 * The tables `sentinel init` provisions: the command word of each, the table kind the
 * API knows it by, and what to do with the table once it is ready.
 *
 * The `init` command definitions load it at start-up, so it imports only the table
 * names (src/provisioning/schemas.ts imports nothing but types).
 */

import { DEFAULT_TABLE_NAMES } from '../../provisioning/schemas.js';
import type { TableKind } from '../../provisioning/schemas.js';

export type { TableKind };

export interface InitTarget {
  /** The subcommand: `sentinel init <command>`. */
  command: string;
  kind: TableKind;
  /** The kind's default table name (DESIGN.md, Tables). */
  defaultTable: string;
  /** What the table holds, for the help text. */
  holds: string;
}

/** In bootstrap order: the config table first, since the registry of the others lives in it. */
export const INIT_TARGETS: readonly InitTarget[] = [
  { command: 'config', kind: 'config', defaultTable: DEFAULT_TABLE_NAMES.config, holds: 'policy versions, rate-limit counters and the table registry' },
  { command: 'sessions', kind: 'sessions', defaultTable: DEFAULT_TABLE_NAMES.sessions, holds: 'tracked server sessions' },
  { command: 'approvals', kind: 'requests', defaultTable: DEFAULT_TABLE_NAMES.requests, holds: 'access requests and their approvals' },
  { command: 'breakglass', kind: 'breakglass', defaultTable: DEFAULT_TABLE_NAMES.breakglass, holds: 'break-glass invocations' },
];

/** The target of a table kind. */
export function targetOfKind(kind: TableKind): InitTarget {
  const target = INIT_TARGETS.find((candidate) => candidate.kind === kind);
  if (target === undefined) throw new Error(`no init target for table kind ${kind}`);
  return target;
}

/** What to do with a ready table of `kind` named `table`: the lines after "Next steps:". */
export function nextSteps(kind: TableKind, table: string): string[] {
  switch (kind) {
    case 'sessions':
      return [
        `  run tracked server sessions in it:  sentinel exec --server --session-table ${table} --profile <profile> -- <command>`,
        `  or set it for every command:       export SENTINEL_SESSION_TABLE=${table}`,
        `  or name it in a policy rule:       session_table: ${table}`,
      ];
    case 'config':
      return [
        table === DEFAULT_TABLE_NAMES.config
          ? '  the deployment keeps its policy and table registry here (the default SENTINEL_CONFIG_TABLE)'
          : `  point the deployment at it: SENTINEL_CONFIG_TABLE=${table}`,
        '  store a policy:  sentinel policy push policy.yaml',
      ];
    case 'requests':
      return ['  access requests and their approvals are recorded here; approvers are named in the policy section `approvals`'];
    case 'breakglass':
      return ['  break-glass invocations are recorded here; who may invoke it is named in the policy section `breakglass`'];
  }
}
