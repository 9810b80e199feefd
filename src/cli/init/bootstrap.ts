/**
 * `sentinel init bootstrap`: all four tables under their default names, in the order
 * config, sessions, requests, breakglass (the registry of the others lives in the
 * config table), then a starter policy when none is stored yet.
 *
 * Everything is planned before anything is created: a drifted table stops the run with
 * nothing changed, and one confirmation covers the whole plan. A stored policy is never
 * overwritten: the push names version 0, so a policy stored by someone else in the
 * meantime makes the API answer `CONFLICT`, which is reported as "left as it is".
 */

import type { IamPolicyDocument, ProvisionResponse } from '../../api/contract.js';
import type { SentinelApi } from '../api/types.js';
import { fetchStoredPolicy } from '../commands/policyDiff.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import type { InitContext } from './context.js';
import { writeDiagnostic, writeInfo, writeJson as writeJsonTo, writeLines } from '../output.js';
import { confirmOrRefuse, waitUntilReady } from './initTable.js';
import { driftMessage, PLAN_MODE_NOTICE, renderPlan } from './render.js';
import { starterPolicy } from './starterPolicy.js';
import { INIT_TARGETS } from './targets.js';
import { CodedError } from '../../errors.js';

export interface BootstrapOptions {
  plan?: boolean;
  yes?: boolean;
  generateIam?: boolean;
}

/** What happened (or, with --plan, would happen) to the policy. */
export interface PolicyOutcome {
  /** `push`: the starter would be pushed (plan); `pushed`: it was; `exists`: a stored policy was left as it is. */
  status: 'push' | 'pushed' | 'exists';
  /** The stored version: the starter's once pushed; 0 before. */
  version: number;
  /** The admin the starter names. */
  admin: string;
}

/** One IAM policy document with the statements of all four tables (each keeps its own Sid). */
export async function bootstrapIamPolicy(api: SentinelApi): Promise<IamPolicyDocument> {
  const documents = await Promise.all(INIT_TARGETS.map((target) => api.iamPolicy(target.kind, target.defaultTable)));
  return { Version: '2012-10-17', Statement: documents.flatMap((document) => document.Statement) };
}

function policyPlanLine(outcome: PolicyOutcome): string {
  return outcome.status === 'exists'
    ? `Policy: version ${outcome.version} is stored; it is left as it is.`
    : `Policy: none stored yet; a starter policy naming ${outcome.admin} as the only admin would be pushed as version 1.`;
}

function question(creates: number, push: boolean): string {
  const parts = [...(creates === 0 ? [] : [creates === 1 ? 'create this table' : `create these ${creates} tables`]), ...(push ? ['push the starter policy'] : [])];
  const text = parts.join(' and ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}? [y/N] `;
}

/** Pushes the starter policy as version 1 unless a policy was stored meanwhile. */
async function pushStarter(api: SentinelApi, user: string, accountId: string): Promise<PolicyOutcome> {
  const stored = await fetchStoredPolicy(api);
  if (stored.version > 0) return { status: 'exists', version: stored.version, admin: user };
  try {
    const pushed = await api.putPolicy({ text: starterPolicy(user, accountId), expectedVersion: 0 });
    return { status: 'pushed', version: pushed.version, admin: user };
  } catch (error) {
    // Someone stored a policy between our read and our push: theirs stays.
    if (error instanceof CodedError && error.code === 'CONFLICT') return { status: 'exists', version: (await fetchStoredPolicy(api)).version, admin: user };
    throw error;
  }
}

/** Runs `sentinel init bootstrap` and returns the exit code; failures are thrown as CliError. */
export async function bootstrap(options: BootstrapOptions, context: InitContext): Promise<number> {
  const { api } = context;
  if (options.generateIam === true) {
    writeJsonTo(context.stdout, await bootstrapIamPolicy(api));
    return EXIT_OK;
  }

  const me = await api.whoami();
  const plans: ProvisionResponse[] = [];
  for (const target of INIT_TARGETS) plans.push(await api.provision({ kind: target.kind, table: target.defaultTable, plan: true }));
  // Without a config table there is nowhere a policy could be stored (and nothing to ask).
  const configMissing = plans[0]?.plan.action === 'create';
  const storedVersion = configMissing ? 0 : (await fetchStoredPolicy(api)).version;
  const policy: PolicyOutcome = { status: storedVersion === 0 ? 'push' : 'exists', version: storedVersion, admin: me.user };
  const drifted = plans.filter((plan) => plan.plan.action === 'drift');

  const planLines = [...plans.flatMap((plan) => [...renderPlan(plan), '']), policyPlanLine(policy)];
  if (options.plan === true || drifted.length > 0) {
    if (context.format === 'json') writeJsonTo(context.stdout, { tables: plans, policy });
    else writeLines(context.stdout, [...planLines, ...(options.plan === true ? ['', PLAN_MODE_NOTICE] : [])]);
    if (context.format !== 'json') for (const plan of drifted) writeDiagnostic(context, driftMessage(plan));
    return drifted.length > 0 ? EXIT_ERROR : EXIT_OK;
  }

  const creates = plans.filter((plan) => plan.plan.action === 'create').length;
  const push = policy.status === 'push';
  if (creates > 0 || push) {
    writeInfo(context, planLines);
    if (options.yes !== true) await confirmOrRefuse(context, question(creates, push), 'sentinel init bootstrap --yes');
    writeInfo(context, ['']);
  }

  const ready: ProvisionResponse[] = [];
  for (const target of INIT_TARGETS) {
    const response = await waitUntilReady(context, await api.provision({ kind: target.kind, table: target.defaultTable }));
    if (response.status === 'DRIFT') {
      // Raced: someone changed the table after the plan. Stop; what is ready stays ready.
      if (context.format === 'json') {
        writeJsonTo(context.stdout, { tables: [...ready, response], policy });
      } else {
        writeLines(context.stdout, renderPlan({ ...response, plan: { ...response.plan, action: 'drift' } }));
        writeDiagnostic(context, driftMessage(response));
      }
      return EXIT_ERROR;
    }
    ready.push(response);
  }
  const outcome = push ? await pushStarter(api, me.user, me.accountId) : policy;

  if (context.format === 'json') {
    writeJsonTo(context.stdout, { tables: ready, policy: outcome });
    return EXIT_OK;
  }
  const sessions = ready.find((response) => response.kind === 'sessions')?.table ?? 'sentinel-sessions';
  writeLines(context.stdout, [
    ...ready.map((response) => `Table ${response.table} is ready: ${response.arn ?? '(ARN not reported)'}`),
    outcome.status === 'pushed'
      ? `Policy: pushed the starter policy as version ${outcome.version}, naming ${outcome.admin} as the only admin; it allows nothing yet.`
      : `Policy: version ${outcome.version} was already stored; left as it is.`,
    '',
    'Next steps:',
    '  sentinel policy pull --file policy.yaml     then add profiles and rules, and',
    '  sentinel policy push policy.yaml',
    `  sentinel exec --server --session-table ${sessions} --profile <profile> -- <command>`,
  ]);
  return EXIT_OK;
}
