/**
 * `sentinel init <table>`: plan a table through the API, confirm, create it, wait until
 * it is READY, and say how to use it (docs/cli.md, `sentinel init`).
 *
 * The API decides everything (admins only, the deployment's table prefix, the schema);
 * this side only asks, shows and waits. A create is never asked for without a plan
 * shown first, and a drifted table is never touched: its differences are listed and
 * the command exits 1.
 */

import type { ProvisionResponse } from '../../api/contract.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { canPrompt, confirm } from '../prompt.js';
import type { InitContext } from './context.js';
import { writeDiagnostic, writeInfo, writeJson as writeJsonTo, writeLines } from '../output.js';
import { startProgress } from './progress.js';
import { driftMessage, formatElapsed, PLAN_MODE_NOTICE, renderPlan, renderReady } from './render.js';
import type { TableKind } from './targets.js';
import { targetOfKind } from './targets.js';
import { CliError } from '../errors.js';

export interface InitTableOptions {
  kind: TableKind;
  /** Default the kind's default name. */
  table?: string;
  /** Only show the plan. */
  plan?: boolean;
  /** Create without asking. */
  yes?: boolean;
  /** Only print the IAM policy document for the table. */
  generateIam?: boolean;
}

/**
 * Asks `question` on the terminal, or refuses when nobody can answer.
 *
 * @throws CliError `CONFIRMATION_REQUIRED` when stdin is not a terminal (with the
 *   hint to use `--yes`), `NOT_CONFIRMED` when the answer is not yes.
 */
export async function confirmOrRefuse(context: InitContext, question: string, rerun: string): Promise<void> {
  if (!canPrompt(context.stdin)) {
    throw new CliError('CONFIRMATION_REQUIRED', `nothing created: stdin is not a terminal, so no one can confirm; check the plan and run again with --yes: ${rerun}`);
  }
  if (!(await confirm(question, { input: context.stdin, output: context.stderr }))) throw new CliError('NOT_CONFIRMED', 'nothing created');
}

/**
 * Polls the table's status until it is no longer CREATING, with a progress line on
 * stderr, and returns the last answer (READY or DRIFT).
 *
 * @throws CliError `PROVISION_TIMEOUT` after `context.timeoutMs` (the table keeps
 *   being created; running the command again picks up where this left off), or
 *   `API_BAD_RESPONSE` for a status that cannot follow a create.
 */
export async function waitUntilReady(context: InitContext, first: ProvisionResponse): Promise<ProvisionResponse> {
  let response = first;
  if (response.status === 'CREATING') {
    const started = context.now();
    const progress = startProgress(`creating table ${response.table}`, {
      stream: context.stderr,
      now: context.now,
      ...(context.ticker === undefined ? {} : { ticker: context.ticker }),
    });
    try {
      while (response.status === 'CREATING') {
        if (context.now() - started >= context.timeoutMs) {
          throw new CliError(
            'PROVISION_TIMEOUT',
            `${response.table} is still being created after ${formatElapsed(context.timeoutMs)}; stopped waiting (the table is not affected): run the same command again to wait for it and finish it`,
          );
        }
        await context.sleep(context.pollIntervalMs);
        response = await context.api.provisionStatus(response.table, response.kind);
        progress.update();
      }
    } catch (error) {
      progress.stop();
      throw error;
    }
    progress.done(`created table ${response.table} in ${formatElapsed(context.now() - started)}`);
  }
  if (response.status !== 'READY' && response.status !== 'DRIFT') {
    throw new CliError('API_BAD_RESPONSE', `the API answered status ${JSON.stringify(response.status)} for ${response.table} where READY, CREATING or DRIFT was expected`);
  }
  return response;
}

/** Shows a drifted table and returns exit code 1 (JSON mode: the API's answer on stdout). */
export function reportDrift(context: InitContext, response: ProvisionResponse): number {
  if (context.format === 'json') {
    writeJsonTo(context.stdout, response);
  } else {
    writeLines(context.stdout, renderPlan({ ...response, plan: { ...response.plan, action: 'drift' } }));
    writeDiagnostic(context, driftMessage(response));
  }
  return EXIT_ERROR;
}

/** Runs `sentinel init <table>` and returns the exit code; failures are thrown as CliError. */
export async function initTable(options: InitTableOptions, context: InitContext): Promise<number> {
  const { api } = context;
  const target = targetOfKind(options.kind);
  const table = options.table ?? target.defaultTable;

  if (options.generateIam === true) {
    // Only the document, whatever --output says: it is JSON already and meant for a pipe.
    writeJsonTo(context.stdout, await api.iamPolicy(options.kind, table));
    return EXIT_OK;
  }

  const planned = await api.provision({ kind: options.kind, table, plan: true });
  if (options.plan === true) {
    if (context.format === 'json') writeJsonTo(context.stdout, planned);
    else writeLines(context.stdout, [...renderPlan(planned), '', PLAN_MODE_NOTICE]);
    if (planned.plan.action === 'drift' && context.format !== 'json') writeDiagnostic(context, driftMessage(planned));
    return planned.plan.action === 'drift' ? EXIT_ERROR : EXIT_OK;
  }
  if (planned.plan.action === 'drift') return reportDrift(context, planned);

  if (planned.plan.action === 'create') {
    writeInfo(context, renderPlan(planned));
    if (options.yes !== true) {
      const rerun = `sentinel init ${target.command}${options.table === undefined ? '' : ` --table ${table}`} --yes`;
      await confirmOrRefuse(context, 'Create this table? [y/N] ', rerun);
    }
  }

  // Also for a table that exists and matches: the API finishes it (TTL, PITR) and
  // registers it, so a table made by hand or left half-done by an earlier run is usable.
  const ready = await waitUntilReady(context, await api.provision({ kind: options.kind, table }));
  if (ready.status === 'DRIFT') return reportDrift(context, ready);
  if (context.format === 'json') writeJsonTo(context.stdout, ready);
  else writeLines(context.stdout, [...(planned.plan.action === 'create' ? [''] : []), ...renderReady(ready, planned.plan.action === 'none')]);
  return EXIT_OK;
}
