/**
 * `sentinel profiles` — the profiles the caller could get, and what each mode meets.
 */

import { Command } from 'commander';
import type { ProfileModeOutcome, ProfilesResponse } from '../../api/contract.js';
import type { Mode } from '../../policy/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { tableLines } from '../table.js';

/** Columns in the order people use the modes most. */
const MODE_COLUMNS: ReadonlyArray<[Mode, string]> = [
  ['cli', 'CLI'],
  ['server', 'SERVER'],
  ['credential_process', 'CREDENTIAL_PROCESS'],
];

/** What a cell means, in the order the legend lists it. */
const LEGEND: ReadonlyArray<[string, string]> = [
  ['allow', 'credentials are issued'],
  ['server', 'only with sentinel exec --server'],
  ['server+session', 'only with sentinel exec --server and a session table'],
  ['session', 'needs a session table (--session-table)'],
  ['approval', 'needs an approved access request (sentinel request)'],
  ['deny', 'refused'],
];

/** The word for what one mode meets: the effect, or for a server-mode denial what is missing. */
function modeCell(outcome: ProfileModeOutcome): string {
  if (outcome.effect === 'allow') return 'allow';
  if (outcome.effect === 'require_approval') return 'approval';
  if (outcome.requiresServerMode && outcome.requiresSessionTracking) return 'server+session';
  if (outcome.requiresServerMode) return 'server';
  if (outcome.requiresSessionTracking) return 'session';
  return 'deny';
}

/** The table as text lines: header, one row per profile, then the legend of the words used. */
function profilesTable(body: ProfilesResponse): string[] {
  if (body.profiles.length === 0) return [`no profiles you could get (policy version ${body.policyVersion})`];
  const header = ['NAME', 'REGION', ...MODE_COLUMNS.map(([, title]) => title)];
  const rows = body.profiles.map((profile) => [profile.name, profile.region ?? '-', ...MODE_COLUMNS.map(([mode]) => modeCell(profile.modes[mode]))]);
  const used = new Set(rows.flatMap((row) => row.slice(2)));
  const legend = LEGEND.filter(([word]) => used.has(word)).map(([word, meaning]) => `${word}: ${meaning}`);
  // A refused profile an approved request or break-glass opens now: said under the table, with until when (writeLines escapes).
  const opened = body.profiles.flatMap((profile) =>
    profile.openedBy === undefined
      ? []
      : [`${profile.name}: open to you until ${profile.openedBy.until} by ${profile.openedBy.kind === 'approval' ? 'approved request' : 'break-glass'} ${profile.openedBy.id} (${profile.openedBy.via})`],
  );
  return [...tableLines(header, rows), '', legend.join('; '), ...(opened.length === 0 ? [] : ['', ...opened])];
}

/** `profiles` takes no options of its own. */
export type ProfilesOptions = Record<string, never>;

/** Asks the API which profiles the caller could get and prints them as a table (or the answer as JSON). */
export async function runProfiles(_options: ProfilesOptions, context: CommandContext): Promise<number> {
  const body = await (await context.api()).profiles();
  if (context.format === 'json') writeJson(context.stdout, body);
  else writeLines(context.stdout, profilesTable(body));
  return EXIT_OK;
}

/** The `profiles` command. */
export function profilesCommand(): Command {
  return new Command('profiles')
    .description('list the profiles you could get and what each mode (cli, server, credential_process) would meet')
    .action((_options: unknown, command: Command) => runCommand(command, (context) => runProfiles({}, context)));
}
