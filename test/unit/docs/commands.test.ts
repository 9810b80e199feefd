/**
 * Every command the documentation tells people to type exists.
 *
 * The Markdown files in docs/ and README.md are read; every line of a fenced block
 * tagged `sh`, `bash`, `shell` or `console` is a shell line (a leading `$ ` prompt is
 * stripped; in a `console` block that uses prompts, the lines without one are the
 * output of the line before). Each simple command of it (split at `&&`, `||`, `|`, `;`,
 * after any `VAR=value` assignments or `export`) is checked:
 *
 * - `sentinel …`, `./bin/sentinel …`, `bin/sentinel …` against the commander program
 *   the CLI itself runs (src/cli/program.ts, `createProgram`): the subcommand path
 *   exists (a group's default subcommand included), every `--option`/`-o` is defined on
 *   that command or one of its parents (the program's global options), a group is given
 *   a subcommand, and no command gets more arguments than it declares. Values are not
 *   checked, so placeholders (`<role ARN>`, `P`, `…`) are fine.
 * - `npx serverless …`, `serverless …`, `sls …`: the subcommand is one the docs may use,
 *   every `--param="name=value"` names a key of serverless.yml's `params.default`, and a
 *   `--function`/`-f` names one of the deployment's functions (the route table's and the
 *   scheduled ones, from which serverless.yml's `functions` are derived).
 *
 * A failure names the file, the line and the unknown piece.
 */

import { readdirSync, readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FUNCTION_NAMES } from '../../../src/api/routes.js';
import { createProgram } from '../../../src/cli/program.js';
import { SCHEDULED_FUNCTIONS } from '../../../src/compose/lambda.js';

const ROOT = new URL('../../../', import.meta.url);

/** The files the test reads: README.md and every Markdown file in docs/. */
const DOCS = ['README.md', ...readdirSync(new URL('docs/', ROOT)).filter((file) => file.endsWith('.md')).sort().map((file) => `docs/${file}`)];

const SHELL_TAGS = new Set(['sh', 'bash', 'shell', 'console']);
const CLI_NAMES = new Set(['sentinel', './bin/sentinel', 'bin/sentinel']);
const SERVERLESS_NAMES = new Set(['serverless', 'sls']);
/** The osls subcommands an operator of Sentinel runs. */
const SERVERLESS_COMMANDS = new Set(['deploy', 'package', 'info', 'remove', 'logs', 'print']);

/** One command line of a document: where it starts and what it says (continuations joined). */
interface ShellLine {
  line: number;
  text: string;
}

/** The shell lines of one Markdown document, with the line number each starts on. */
function shellLines(markdown: string): ShellLine[] {
  const lines: ShellLine[] = [];
  let fence: { marker: string; tag: string; lines: ShellLine[] } | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (fence === undefined) {
      const opening = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(trimmed);
      if (opening !== null) fence = { marker: opening[1] as string, tag: (opening[2] ?? '').toLowerCase(), lines: [] };
      return;
    }
    if (trimmed.startsWith(fence.marker) && trimmed.replace(/[`~]/g, '') === '') {
      if (SHELL_TAGS.has(fence.tag)) lines.push(...commandsOfBlock(fence.tag, fence.lines));
      fence = undefined;
      return;
    }
    fence.lines.push({ line: index + 1, text: trimmed });
  });
  return lines;
}

/** A block's lines as commands: prompts stripped, continuations joined, a console block's output left out. */
function commandsOfBlock(tag: string, block: readonly ShellLine[]): ShellLine[] {
  const prompted = tag === 'console' && block.some((entry) => entry.text.startsWith('$ '));
  const commands: ShellLine[] = [];
  let current: ShellLine | undefined;
  for (const entry of block) {
    if (current !== undefined) {
      // The previous line ended in a backslash: this one continues it.
      current.text = `${current.text.slice(0, -1)} ${entry.text}`;
    } else if (prompted && !entry.text.startsWith('$ ')) {
      continue;
    } else {
      current = { line: entry.line, text: entry.text.replace(/^\$ /, '') };
    }
    if (current.text.endsWith('\\')) continue;
    commands.push(current);
    current = undefined;
  }
  if (current !== undefined) commands.push(current);
  return commands;
}

/** `<role ARN>`, `<id>`, `<cmd>`: a placeholder is one word, never a redirection. */
const PLACEHOLDER = /<(?=\S)[^<>\n]*(?<=\S)>/g;
const OPERATORS = ['&&', '||', '|', ';', '&'];

/**
 * Splits a shell line into simple commands of words: quotes removed, a comment dropped,
 * redirections (`> file`, `2>&1`, `< file`) left out, a placeholder kept as one word.
 */
function simpleCommands(text: string): string[][] {
  const placeholders: string[] = [];
  const source = text.replace(PLACEHOLDER, (found) => `\uE000${placeholders.push(found) - 1}\uE000`);
  const commands: string[][] = [[]];
  let word: string | undefined;
  const end = (): void => {
    if (word !== undefined) commands[commands.length - 1]?.push(word.replace(/\uE000(\d+)\uE000/g, (_, n: string) => placeholders[Number(n)] ?? ''));
    word = undefined;
  };
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    const operator = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (char === '#' && word === undefined) break;
    if (/\s/.test(char)) end();
    else if (operator !== undefined) {
      end();
      commands.push([]);
      i += operator.length - 1;
    } else if (char === '>' || char === '<') {
      // A redirection: drop it (and a file-descriptor number before it) and its target.
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      end();
      i = skipRedirection(source, i);
    } else if (char === "'") {
      const close = source.indexOf("'", i + 1);
      word = (word ?? '') + source.slice(i + 1, close < 0 ? source.length : close);
      i = close < 0 ? source.length : close;
    } else if (char === '"') {
      i = readDoubleQuoted(source, i, (value) => (word = (word ?? '') + value));
    } else if (char === '\\') {
      word = (word ?? '') + (source[i + 1] ?? '');
      i += 1;
    } else word = (word ?? '') + char;
  }
  end();
  return commands.filter((command) => command.length > 0);
}

/** The index of the last character of a redirection starting at `start` (`>`, `>>`, `>&1`, `< file`). */
function skipRedirection(source: string, start: number): number {
  let i = start + 1;
  while (source[i] === '>' || source[i] === '&') i++;
  while (source[i] === ' ') i++;
  while (i < source.length && !/[\s;&|]/.test(source[i] as string)) i++;
  return i - 1;
}

/** Reads a double-quoted string starting at `start`; hands its value on and returns the closing quote's index. */
function readDoubleQuoted(source: string, start: number, take: (value: string) => void): number {
  let value = '';
  let i = start + 1;
  for (; i < source.length && source[i] !== '"'; i++) {
    if (source[i] === '\\' && /["\\$`]/.test(source[i + 1] ?? '')) i++;
    value += source[i];
  }
  take(value);
  return i;
}

/** The words of the program a simple command runs: assignments and `export` before it dropped. */
function programWords(words: readonly string[]): readonly string[] {
  let start = 0;
  while (start < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start] as string) || words[start] === 'export')) start++;
  return words.slice(start);
}

/** commander keeps a group's default subcommand (`addCommand(…, { isDefault: true })`) in a field with no public getter. */
function defaultSubcommand(command: Command): Command | undefined {
  const name = (command as unknown as { _defaultCommandName?: string | null })._defaultCommandName;
  return name === null || name === undefined ? undefined : command.commands.find((candidate) => candidate.name() === name);
}

function subcommand(command: Command, word: string): Command | undefined {
  return command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
}

/** The option `flag` (`--name` or `-n`) means for `chain` (a command and its parents), if any defines it. */
function optionFor(chain: readonly Command[], flag: string): Option | 'builtin' | undefined {
  if (flag === '--help' || flag === '-h' || flag === '--version' || flag === '-V') return 'builtin';
  for (const command of chain) {
    const option = command.options.find((candidate) => candidate.long === flag || candidate.short === flag);
    if (option !== undefined) return option;
  }
  return undefined;
}

/** Where a walk through the command tree stands. */
interface Walk {
  chain: Command[];
  path: string[];
  args: number;
  problems: string[];
  /** `--help`, `--version` or `help` was given: nothing more is required. */
  informational: boolean;
  /** A word was not a subcommand: the missing subcommand is already reported. */
  lost: boolean;
}

/** The problems of one `sentinel …` command line (its words after the program name). */
function cliProblems(program: Command, words: readonly string[]): string[] {
  const walk: Walk = { chain: [program], path: ['sentinel'], args: 0, problems: [], informational: false, lost: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '--') break;
    if (word.startsWith('-') && word.length > 1) i += optionWord(walk, word, words[i + 1]);
    else positional(walk, word);
  }
  const command = walk.chain[0] as Command;
  if (command.commands.length > 0 && !walk.informational && !walk.lost && defaultSubcommand(command) === undefined) {
    walk.problems.push(`"${walk.path.join(' ')}" needs a subcommand (${names(command)})`);
  }
  return walk.problems;
}

/** Checks one option word; returns how many following words it consumed as its value. */
function optionWord(walk: Walk, word: string, next: string | undefined): number {
  const [flag, inline] = word.startsWith('--') ? splitInline(word) : [word.slice(0, 2), word.length > 2 ? word.slice(2) : undefined];
  let option = optionFor(walk.chain, flag);
  const command = walk.chain[0] as Command;
  const fallback = defaultSubcommand(command);
  if (option === undefined && fallback !== undefined) {
    // commander hands a group's unknown options to its default subcommand.
    enter(walk, fallback);
    option = optionFor(walk.chain, flag);
  }
  if (option === 'builtin') {
    walk.informational = true;
    return 0;
  }
  if (option === undefined) {
    walk.problems.push(`unknown option "${flag}" for "${walk.path.join(' ')}"`);
    // Whether it takes a value is unknown: a plain word after it is taken as one, not reported again.
    return inline === undefined && next !== undefined && !next.startsWith('-') ? 1 : 0;
  }
  if (inline !== undefined || !(option.required || option.optional)) return 0;
  return option.required || (next !== undefined && !next.startsWith('-')) ? 1 : 0;
}

function splitInline(word: string): [string, string | undefined] {
  const equals = word.indexOf('=');
  return equals < 0 ? [word, undefined] : [word.slice(0, equals), word.slice(equals + 1)];
}

/** A word that is not an option: a subcommand while the command has any, else an argument. */
function positional(walk: Walk, word: string): void {
  const command = walk.chain[0] as Command;
  if (command.commands.length > 0 && walk.args === 0) {
    const found = subcommand(command, word);
    if (found !== undefined) return enter(walk, found);
    if (word === 'help') {
      walk.informational = true;
      return;
    }
    const fallback = defaultSubcommand(command);
    if (fallback === undefined) {
      walk.problems.push(`unknown command "${word}" for "${walk.path.join(' ')}" (${names(command)})`);
      walk.lost = true;
      walk.args += 1;
      return;
    }
    enter(walk, fallback);
  }
  accept(walk, word);
}

function accept(walk: Walk, word: string): void {
  const command = walk.chain[0] as Command;
  const declared = command.registeredArguments;
  const variadic = declared.at(-1)?.variadic === true;
  walk.args += 1;
  if (!walk.informational && !variadic && walk.args > declared.length) {
    walk.problems.push(`unexpected argument "${word}" for "${walk.path.join(' ')}" (it takes ${declared.length === 0 ? 'none' : declared.map((argument) => argument.name()).join(', ')})`);
  }
}

function enter(walk: Walk, command: Command): void {
  walk.chain.unshift(command);
  walk.path.push(command.name());
  walk.args = 0;
}

function names(command: Command): string {
  return command.commands.map((candidate) => candidate.name()).join(', ');
}

/** What the deployment offers the command line: serverless.yml's parameters and the functions. */
interface Template {
  params: ReadonlySet<string>;
  functions: ReadonlySet<string>;
}

function readTemplate(): Template {
  // Only key names matter; CloudFormation short-form tags (!Sub …), were any used, would merely warn.
  const document = parse(readFileSync(new URL('serverless.yml', ROOT), 'utf8'), { logLevel: 'error' }) as { params?: { default?: Record<string, unknown> } };
  return { params: new Set(Object.keys(document.params?.default ?? {})), functions: new Set<string>([...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS]) };
}

/** The problems of one `serverless …` command line (its words after `serverless`). */
function serverlessProblems(template: Template, words: readonly string[]): string[] {
  const problems: string[] = [];
  const command = words.find((word) => !word.startsWith('-'));
  if (command === undefined || !SERVERLESS_COMMANDS.has(command)) {
    problems.push(`serverless subcommand "${command ?? ''}" is not one of ${[...SERVERLESS_COMMANDS].join(', ')}`);
  }
  words.forEach((word, i) => {
    const value = word.startsWith('--param=') ? word.slice('--param='.length) : word === '--param' ? words[i + 1] : undefined;
    if (value !== undefined) {
      const name = value.split('=')[0] ?? '';
      if (!template.params.has(name)) problems.push(`unknown parameter "${name}" (serverless.yml params.default has ${[...template.params].join(', ')})`);
    }
    const fn = word.startsWith('--function=') ? word.slice('--function='.length) : word === '--function' || word === '-f' ? words[i + 1] : undefined;
    if (fn !== undefined && !template.functions.has(fn)) problems.push(`unknown function "${fn}" (the functions: ${[...template.functions].join(', ')})`);
  });
  return problems;
}

/** What is wrong with the commands of one document, as `file:line: command: problem`; and how many commands were checked. */
function documentProblems(file: string, markdown: string, program: Command, template: Template): { checked: number; problems: string[] } {
  const problems: string[] = [];
  let checked = 0;
  for (const { line, text } of shellLines(markdown)) {
    for (const command of simpleCommands(text)) {
      const words = programWords(command);
      const [first, second] = words;
      const run = CLI_NAMES.has(first ?? '')
        ? cliProblems(program, words.slice(1))
        : first === 'npx' && SERVERLESS_NAMES.has(second ?? '')
          ? serverlessProblems(template, words.slice(2))
          : SERVERLESS_NAMES.has(first ?? '')
            ? serverlessProblems(template, words.slice(1))
            : undefined;
      if (run === undefined) continue;
      checked += 1;
      for (const problem of run) problems.push(`${file}:${line}: ${words.join(' ')}: ${problem}`);
    }
  }
  return { checked, problems };
}

const template = readTemplate();

describe('the commands in the documentation', () => {
  it.each(DOCS)('%s: every sentinel and serverless command exists as written', (file) => {
    const { problems } = documentProblems(file, readFileSync(new URL(file, ROOT), 'utf8'), createProgram(), template);
    expect(problems).toEqual([]);
  });

  it('finds the commands: the README and docs/cli.md show dozens, docs/operations.md the deployment and CLI commands an operator runs', () => {
    const checked = (file: string): number => documentProblems(file, readFileSync(new URL(file, ROOT), 'utf8'), createProgram(), template).checked;
    expect(checked('README.md')).toBeGreaterThanOrEqual(15);
    expect(checked('docs/cli.md')).toBeGreaterThanOrEqual(30);
    expect(checked('docs/operations.md')).toBeGreaterThanOrEqual(8);
  });
});

describe('the checker', () => {
  const check = (markdown: string): string[] => documentProblems('doc.md', markdown, createProgram(), template).problems;
  const block = (tag: string, ...lines: string[]): string => ['intro', `\`\`\`${tag}`, ...lines, '```', ''].join('\n');

  it('accepts what the CLI accepts: global options anywhere, the default subcommand, aliases, assignments, prompts, continuations, pipes', () => {
    expect(
      check(
        block(
          'sh',
          'AWS_PROFILE=admin ./bin/sentinel sessions revoke --user alice --reason "offboarding" --yes   # a comment --nope',
          'sentinel --output json breakglass --profile prod-admin --reason-code incident --justification "db down"',
          'sentinel breakglass list --all --profile prod-admin && sentinel server-sessions --all',
          'bin/sentinel exec --server --profile prod -- aws s3 ls --no-such-aws-flag | jq . > out.json 2>&1',
          'export SENTINEL_API_URL=http://127.0.0.1:4280',
          'sentinel approve <request id> --comment "ok"',
          'sentinel policy eval --policy examples/policy.yaml --user alice --profile prod \\',
          '  --mode server --output=json',
          'sentinel credentials --profile dev --no-cache',
          'sentinel init sessions --table sentinel-team-sessions -y --help',
        ),
      ),
    ).toEqual([]);
    expect(check(block('console', '$ sentinel whoami', 'sentinel this-is-output --not-checked'))).toEqual([]);
    // Untagged and other blocks are not shell: usage lines with [optional] parts are fine there.
    expect(check(block('', 'sentinel exec --profile P [--server]') + block('ini', 'credential_process = sentinel --bad credentials'))).toEqual([]);
  });

  it('names the file, the line and the unknown option, command, argument or parameter', () => {
    const markdown = block(
      'bash',
      'sentinel exec --profile dev --servr -- env',
      'sentinel sessions lst',
      'sentinel whoami now',
      '$ sentinel policy',
      'npx serverless deploy --stage prod --param="noSuchParam=1" --param="tablePrefix=sentinel-"',
      'serverless invoke -f credentials',
      'npx serverless logs -f noSuchFunction',
    );
    expect(check(markdown)).toEqual([
      'doc.md:3: sentinel exec --profile dev --servr -- env: unknown option "--servr" for "sentinel exec"',
      'doc.md:4: sentinel sessions lst: unknown command "lst" for "sentinel sessions" (list, show, revoke, end)',
      'doc.md:5: sentinel whoami now: unexpected argument "now" for "sentinel whoami" (it takes none)',
      `doc.md:6: sentinel policy: "sentinel policy" needs a subcommand (${names(subcommand(createProgram(), 'policy') as Command)})`,
      `doc.md:7: npx serverless deploy --stage prod --param=noSuchParam=1 --param=tablePrefix=sentinel-: unknown parameter "noSuchParam" (serverless.yml params.default has ${[...template.params].join(', ')})`,
      'doc.md:8: serverless invoke -f credentials: serverless subcommand "invoke" is not one of deploy, package, info, remove, logs, print',
      `doc.md:9: npx serverless logs -f noSuchFunction: unknown function "noSuchFunction" (the functions: ${[...template.functions].join(', ')})`,
    ]);
  });
});
