/**
 * `sentinel breakglass --profile P --reason-code C --justification "…" [--duration D]`
 * — emergency access a `breakglass` rule of the policy allows you: an event, audited
 * and alerted, under which `sentinel exec --profile P` works until it expires or is
 * closed. And its subcommands `list` and `close` (src/cli/commands/breakglassList.ts,
 * breakglassClose.ts).
 *
 * Invoking is the group's DEFAULT subcommand (`invoke`), not an action of the group
 * itself: a group with its own options would read them after a subcommand's name too
 * (the program hands the group everything it does not know), so `sentinel breakglass
 * list --profile P` would lose `--profile` to the invocation, and commander checks a
 * group's required options for every subcommand. With a default subcommand, the group
 * has no options: `sentinel breakglass --profile P …` runs `invoke`, `… list --profile P`
 * runs `list` with it.
 */

import { Command, Option } from 'commander';
import type { InvokeBreakglassRequest } from '../../api/contract.js';
import { parseProfile } from '../arguments.js';
import type { GlobalWords } from '../breakglass/render.js';
import type { CommandContext } from '../context.js';
import { runCommand } from '../context.js';
import { EXIT_OK } from '../exitCodes.js';
import { writeJson, writeLines } from '../output.js';
import { breakglassCloseCommand } from './breakglassClose.js';
import { breakglassListCommand } from './breakglassList.js';

/** The options of `sentinel breakglass` (invoke). */
export interface BreakglassInvokeOptions {
  profile: string;
  reasonCode: string;
  justification: string;
  /** Seconds; default the rule's `max_duration` (or 1 h). */
  duration?: number;
  /** The global options the printed commands repeat. */
  globals?: GlobalWords;
}

/**
 * The request, checked with the API's own schema (src/api/schemas.ts), so a bad reason
 * code or justification is refused here exactly when the API would refuse it.
 */
async function checkedRequest(options: BreakglassInvokeOptions, context: CommandContext): Promise<InvokeBreakglassRequest> {
  const request: InvokeBreakglassRequest = {
    profile: options.profile,
    reasonCode: options.reasonCode,
    justification: options.justification,
    ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
  };
  const { invokeBreakglassRequestSchema } = await import('../../api/schemas.js');
  const checked = invokeBreakglassRequestSchema.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const option = issue?.path[0] === 'reasonCode' ? '--reason-code <code>' : issue?.path[0] === 'justification' ? '--justification <text>' : '--duration <duration>';
    context.usageError(`error: option '${option}' is invalid: ${issue?.message ?? 'not accepted'}`);
  }
  return request;
}

/**
 * Invokes break-glass and prints the event, the `sentinel exec` that now works and the
 * command that closes it (JSON: the API's `{ event }`).
 *
 * @throws ApiError `POLICY_DENY` (no rule names you and the profile), `INVALID_REQUEST`
 *   (a reason code the rule does not list: the message names the ones it does; a
 *   duration over the rule's), `CONFLICT` (you have an active event for the profile),
 *   `RATE_LIMITED` (cooldown or quota; the message says when).
 */
export async function runBreakglassInvoke(options: BreakglassInvokeOptions, context: CommandContext): Promise<number> {
  const request = await checkedRequest(options, context);
  const answer = await (await context.api()).invokeBreakglass(request);
  if (context.format === 'json') writeJson(context.stdout, answer);
  else {
    const { invokedLines } = await import('../breakglass/render.js');
    writeLines(context.stdout, invokedLines(answer.event, options.globals ?? {}));
  }
  return EXIT_OK;
}

/** The global options given on the command line that say where the API is and who signs. */
function globalWords(command: Command): GlobalWords {
  const globals = command.optsWithGlobals<{ api?: string; region?: string; awsProfile?: string }>();
  return {
    ...(globals.api === undefined ? {} : { api: globals.api }),
    ...(globals.region === undefined ? {} : { region: globals.region }),
    ...(globals.awsProfile === undefined ? {} : { awsProfile: globals.awsProfile }),
  };
}

/**
 * `sentinel breakglass invoke …`, the group's default: `sentinel breakglass --profile P …`
 * runs it, since no subcommand is named.
 */
function breakglassInvokeCommand(): Command {
  return new Command('invoke')
    .description('invoke break-glass for a profile (the default: sentinel breakglass --profile … is the same)')
    .addOption(new Option('--profile <profile>', 'the profile to break glass for').argParser(parseProfile))
    .option('--reason-code <code>', 'one of the rule\'s reason codes, e.g. incident')
    .option('--justification <text>', 'what is happening and why you need access (10 to 500 characters; kept as evidence)')
    .option('--duration <duration>', 'how long the event lasts: 15m, 1h, … (default: the rule\'s max_duration, or 1h)')
    // A word that is not a subcommand lands here (the default): say so, rather than "too many arguments for 'invoke'".
    .allowExcessArguments()
    .action((options: Partial<Omit<BreakglassInvokeOptions, 'duration' | 'globals'>> & { duration?: string }, command: Command) =>
      runCommand(command, async (context) => {
        const [word] = command.args;
        if (word !== undefined) context.usageError(`error: unknown command 'breakglass ${word}': use list, close, or invoke with --profile <profile>`);
        const { duration: text, ...given } = options;
        const rest = required(given, context);
        const duration = text === undefined ? {} : { duration: await durationOf(text, context) };
        return runBreakglassInvoke({ ...rest, ...duration, globals: globalWords(command) }, context);
      }),
    );
}

/** The `breakglass` command: invoke (the default subcommand), `list` and `close`. */
export function breakglassCommand(): Command {
  return new Command('breakglass')
    .description('emergency access a break-glass rule allows you: invoke it (audited and alerted), list events, close one')
    .usage('--profile <profile> --reason-code <code> --justification <text> [--duration <duration>]\n       sentinel breakglass list|close …')
    .addHelpText('after', '\nThe options of an invocation: sentinel breakglass invoke --help')
    .addCommand(breakglassInvokeCommand(), { isDefault: true })
    .addCommand(breakglassListCommand())
    .addCommand(breakglassCloseCommand());
}

/**
 * The options an invocation needs, refused in commander's own words. Checked here rather
 * than as commander's mandatory options so that a mistyped subcommand (`sentinel
 * breakglass lsit`, which lands in the default) is told so instead of asked for `--profile`.
 */
function required(options: Partial<Omit<BreakglassInvokeOptions, 'duration' | 'globals'>>, context: CommandContext): Omit<BreakglassInvokeOptions, 'duration' | 'globals'> {
  const { profile, reasonCode, justification } = options;
  if (profile === undefined) context.usageError("error: required option '--profile <profile>' not specified");
  if (reasonCode === undefined) context.usageError("error: required option '--reason-code <code>' not specified");
  if (justification === undefined) context.usageError("error: required option '--justification <text>' not specified");
  return { profile, reasonCode, justification };
}

/**
 * `--duration` (15m to 12h, as `sentinel exec --duration` takes it), parsed when the
 * command runs: the parser lives with exec's and is loaded lazily. A bad one is a usage error.
 */
async function durationOf(value: string, context: CommandContext): Promise<number> {
  const { DURATION_HINT, parseRequestDuration } = await import('../exec/duration.js');
  const seconds = parseRequestDuration(value);
  if (seconds === undefined) context.usageError(`error: option '--duration <duration>' argument '${value}' is invalid. ${DURATION_HINT}`);
  return seconds;
}
