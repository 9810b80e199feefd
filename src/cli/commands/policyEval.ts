/**
 * `sentinel policy eval` — simulates one credential request against a local policy file.
 */

import { Command, InvalidArgumentError, Option } from 'commander';
import { parseProfile } from '../arguments.js';
import type { Decision, Mode } from '../../policy/types.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_ERROR, EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { parseRfc3339 } from '../timestamp.js';

/** Modes in the order the help and the usage error list them. */
const MODE_CHOICES: readonly Mode[] = ['cli', 'server', 'credential_process'];

/** The options of `sentinel policy eval`: the policy file and the request to simulate. */
export interface PolicyEvalOptions {
  policy: string;
  user: string;
  profile: string;
  mode: Mode;
  time?: Date;
  sessionTable?: string;
  defaultSessionTable?: string;
}

function parseTime(value: string): Date {
  const time = parseRfc3339(value);
  if (time === undefined) {
    throw new InvalidArgumentError('Expected an RFC 3339 timestamp with an offset, e.g. 2025-03-14T09:30:00Z or 2025-03-14T10:30:00+01:00.');
  }
  return time;
}

function parseUser(value: string): string {
  if (value === '') throw new InvalidArgumentError('The user must not be empty.');
  return value;
}

/**
 * Evaluates the request against the policy file and prints the decision (and, for a
 * denial, the guidance the user would get). Exit 0 whatever the effect; 1 when the file
 * is unreadable or invalid.
 */
export async function runPolicyEval(options: PolicyEvalOptions, context: CommandContext): Promise<number> {
  const [{ readPolicyFile, isValid, errorLines }, { compilePolicy }, { denialFacts }, { renderDenialGuidance }] = await Promise.all([
    import('../policyFile.js'),
    import('../../policy/compile.js'),
    import('../../policy/denial.js'),
    import('../guidance.js'),
  ]);
  const loaded = await readPolicyFile(options.policy);
  if (!isValid(loaded)) {
    writeLines(context.stderr, errorLines(loaded));
    return EXIT_ERROR;
  }
  const request = {
    user: options.user,
    profile: options.profile,
    mode: options.mode,
    time: options.time ?? new Date(context.now()),
    ...(options.sessionTable === undefined ? {} : { sessionTable: options.sessionTable }),
  };
  const deployment = options.defaultSessionTable === undefined ? {} : { defaultSessionTable: options.defaultSessionTable };
  const decision = compilePolicy(loaded.policy).evaluate(request, deployment);

  if (context.format === 'json') {
    writeJson(context.stdout, decisionJson(decision));
    return EXIT_OK;
  }
  const denial = denialFacts(loaded.policy, request, decision);
  writeLines(context.stdout, [...decisionLines(decision), ...(denial === undefined ? [] : ['', renderDenialGuidance(denial)])]);
  return EXIT_OK;
}

/** The decision for `--output json`; the key order is part of the documented output (docs/cli.md). */
function decisionJson(decision: Decision): Record<string, unknown> {
  return {
    effect: decision.effect,
    rule: decision.rule,
    ruleIndex: decision.ruleIndex,
    reason: decision.reason,
    requiresServerMode: decision.requiresServerMode,
    requiresSessionTracking: decision.requiresSessionTracking,
    sessionTable: decision.sessionTable,
    maxServerDurationSeconds: decision.maxServerDurationSeconds,
  };
}

/** The decision as text: effect, rule, reason, then the session table and server duration when there are any. */
function decisionLines(decision: Decision): string[] {
  const lines = [
    `effect: ${decision.effect}`,
    `rule: ${decision.ruleIndex >= 0 ? `${decision.rule} (rules[${decision.ruleIndex}])` : '(no matching rule)'}`,
    `reason: ${decision.reason}`,
  ];
  if (decision.sessionTable !== null) lines.push(`session table: ${decision.sessionTable}`);
  if (decision.maxServerDurationSeconds !== null) lines.push(`max server duration: ${decision.maxServerDurationSeconds}s`);
  return lines;
}

/** The `eval` subcommand of `sentinel policy`. */
export function policyEvalCommand(): Command {
  return new Command('eval')
    .description('evaluate one credential request against a policy file, without issuing anything')
    .requiredOption('--policy <file>', 'policy file (YAML)')
    .requiredOption('--user <user>', 'the user asking, as the API derives it from the caller ARN', parseUser)
    .requiredOption('--profile <profile>', 'the profile asked for', parseProfile)
    .addOption(new Option('--mode <mode>', 'how the credentials would be used').choices(MODE_CHOICES).default('cli'))
    .addOption(new Option('--time <timestamp>', 'when the request is made, RFC 3339 (default: now)').argParser(parseTime))
    .option('--session-table <table>', 'the session table the request names (--session-table / SENTINEL_SESSION_TABLE)')
    .option('--default-session-table <table>', "the deployment's default session table (SENTINEL_DEFAULT_SESSION_TABLE)")
    .action((options: PolicyEvalOptions, command: Command) => runCommand(command, (context) => runPolicyEval(options, context)));
}
