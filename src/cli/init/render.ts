/**
 * The words of `sentinel init`: a table's plan (what a create makes, or how a live
 * table differs), and what a ready table is and how to use it. Pure: lines in, lines out.
 */

import type { ProvisionResponse } from '../../api/contract.js';
import { nextSteps } from './targets.js';

/** The last line of every `--plan` run. */
export const PLAN_MODE_NOTICE = 'No changes made (--plan mode)';

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

/** What a create would make, one property a line (the schema the API answers with). */
function schemaLines(response: ProvisionResponse): string[] {
  const { schema } = response.plan;
  return [
    `  billing      on-demand (${schema.billingMode})`,
    `  key          ${list(schema.keys)}`,
    `  indexes      ${list(schema.indexes)}`,
    `  TTL          on, attribute "${schema.ttlAttribute}"`,
    `  PITR         ${schema.pointInTimeRecovery ? 'point-in-time recovery on' : 'off'}`,
    `  encryption   ${schema.encryption ? 'server-side encryption at rest' : 'off'}`,
    `  tags         app=sentinel, sentinel:kind=${response.kind}`,
  ];
}

/** The differences of a drifted table, one a line. */
export function differenceLines(response: ProvisionResponse): string[] {
  return response.plan.differences.map((difference) => `  - ${difference.message}`);
}

/** The plan of one table: what would be created, that nothing is to do, or the drift. */
export function renderPlan(response: ProvisionResponse): string[] {
  const name = `${response.table} (${response.kind})`;
  switch (response.plan.action) {
    case 'create':
      return [`Table ${name} does not exist. It would be created with:`, ...schemaLines(response)];
    case 'none':
      return [`Table ${name} exists and matches its schema: nothing to create.`];
    case 'drift':
      return [`Table ${name} exists but differs from its schema:`, ...differenceLines(response)];
  }
}

/** The stderr line of a drifted table: why the command exits 1. */
export function driftMessage(response: ProvisionResponse): string {
  return `${response.table} differs from the ${response.kind} schema (see above); nothing changed: fix the table by hand or provision a new one under another name`;
}

/** A ready table: its ARN and what to do next. `existed`: it was there before this run. */
export function renderReady(response: ProvisionResponse, existed: boolean): string[] {
  return [
    existed ? `Table ${response.table} already exists and is ready.` : `Table ${response.table} is ready.`,
    `ARN: ${response.arn ?? '(not reported)'}`,
    '',
    'Next steps:',
    ...nextSteps(response.kind, response.table),
  ];
}

/** Elapsed time for progress lines: `7s`, `1m 05s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}
