/**
 * programFor: a run that names a top-level command builds only that command, and that
 * program must behave exactly as the whole tree does for it — the same help at every
 * level, the same refusals of bad input — while anything else gets the whole tree.
 */
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram, programFor } from '../../../src/cli/program.js';

/** Every command under `command`, itself included, by its path (`sessions revoke`). */
function tree(command: Command, path: string[] = []): Map<string, Command> {
  const found = new Map<string, Command>([[path.join(' '), command]]);
  for (const subcommand of command.commands) for (const [key, value] of tree(subcommand, [...path, subcommand.name()])) found.set(key, value);
  return found;
}

/** What parsing `args` does: the exit code commander gives up with, and what it wrote. */
async function parseOutcome(program: Command, args: string[]): Promise<{ code: string; exitCode: number; out: string; err: string }> {
  let out = '';
  let err = '';
  for (const command of tree(program).values()) command.configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  try {
    await program.parseAsync(['node', 'sentinel', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { code: error.code, exitCode: error.exitCode, out, err };
  }
  throw new Error(`sentinel ${args.join(' ')} ran an action`);
}

const whole = createProgram();
const names = whole.commands.map((command) => command.name());

describe('programFor', () => {
  it('builds only the command a run names, for every top-level command', () => {
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(programFor(['node', 'sentinel', name]).commands.map((command) => command.name())).toEqual([name]);
      // The program's options taking a value are skipped when looking for the command word.
      expect(programFor(['node', 'sentinel', '--output', 'json', '--api', 'exec', name, '--help']).commands.map((command) => command.name())).toEqual([name]);
    }
  });

  it('gives every command and subcommand the help the whole tree gives it', () => {
    for (const name of names) {
      const alone = tree(programFor(['node', 'sentinel', name]).commands[0] as Command, [name]);
      const inWhole = tree(whole.commands.find((command) => command.name() === name) as Command, [name]);
      expect([...alone.keys()]).toEqual([...inWhole.keys()]);
      for (const [path, command] of alone) expect(command.helpInformation(), path).toBe(inWhole.get(path)?.helpInformation());
    }
  });

  it('refuses bad input to a command as the whole tree does', async () => {
    const runs = [
      ['exec', '--bogus'],
      ['exec'],
      ['exec', '--profile', 'dev', '--server-port', 'seventy'],
      ['credentials', '--profile'],
      ['sessions', 'revok'],
      ['sessions'],
      ['policy', 'eval', '--help'],
      ['init', 'role', '--bogus'],
      ['--output', 'yaml', 'whoami'],
      ['--bogus', 'profiles'],
      ['approve'],
      ['server-revoke', '--help'],
      ['--version', 'exec'],
      ['--output=json', 'exec', '--bogus'],
      ['--output=yaml', 'exec'],
    ];
    for (const args of runs) {
      expect(await parseOutcome(programFor(['node', 'sentinel', ...args]), args), args.join(' ')).toEqual(await parseOutcome(createProgram(), args));
    }
  });

  it('builds the whole tree for a run naming no command, or a word that is none', async () => {
    // An option the program does not take a value for, before the word, makes commander
    // treat the rest as unknown: `sentinel --help exec` is the program's help.
    for (const args of [[], ['--help'], ['help', 'exec'], ['exce'], ['--output', 'json'], ['--', 'exec'], ['--help', 'exec'], ['-h', 'exec'], ['--bogus', 'exec'], ['-V', 'exec']]) {
      expect(programFor(['node', 'sentinel', ...args]).commands.map((command) => command.name()), args.join(' ')).toEqual(names);
    }
    // A typo still gets commander's suggestion, which needs every name.
    expect((await parseOutcome(programFor(['node', 'sentinel', 'exce']), ['exce'])).err).toContain('Did you mean exec?');
    for (const args of [['--help'], ['--help', 'exec'], ['-h', 'credentials']]) {
      expect((await parseOutcome(programFor(['node', 'sentinel', ...args]), args)).out, args.join(' ')).toBe(whole.helpInformation());
    }
  });

  it('answers --version alone without building any command', async () => {
    for (const flag of ['--version', '-V']) {
      const program = programFor(['node', 'sentinel', flag]);
      expect(program.commands).toEqual([]);
      expect(await parseOutcome(program, [flag])).toEqual(await parseOutcome(createProgram(), [flag]));
    }
  });
});
