/**
 * The yes/no confirmation shared by `policy push` and `init`.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { canAsk, canPrompt, confirm } from '../../../src/cli/prompt.js';

function streams(typed: string): { input: PassThrough; output: Writable; asked: () => string } {
  let asked = '';
  const input = new PassThrough();
  input.end(typed);
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      asked += chunk.toString();
      callback();
    },
  });
  return { input, output, asked: () => asked };
}

describe('confirm', () => {
  it('is yes only for y or yes, in any case, around spaces', async () => {
    const answers = ['y\n', 'Y\n', 'yes\n', ' YeS \n', 'n\n', 'no\n', '\n', 'yep\n', 'y es\n'];
    const results = [];
    for (const typed of answers) results.push(await confirm('Go? [y/N] ', streams(typed)));
    expect(results).toEqual([true, true, true, true, false, false, false, false, false]);
  });

  it('asks on the output stream', async () => {
    const io = streams('y\n');
    await confirm('Create this table? [y/N] ', io);
    expect(io.asked()).toBe('Create this table? [y/N] ');
  });

  it('is no at end of input, ending the prompt line', async () => {
    const io = streams('');
    expect(await confirm('Go? [y/N] ', io)).toBe(false);
    expect(io.asked()).toBe('Go? [y/N] \n');
  });
});

describe('canPrompt', () => {
  it('is true only for a terminal', () => {
    expect([canPrompt({ isTTY: true } as NodeJS.ReadStream), canPrompt({ isTTY: false } as NodeJS.ReadStream), canPrompt({} as NodeJS.ReadStream)]).toEqual([true, false, false]);
  });
});

describe('canAsk', () => {
  it('needs both stdin and the stream the question goes to to be terminals', () => {
    const tty = (isTTY: boolean) => Object.assign(new PassThrough(), { isTTY });
    expect(canAsk({ input: tty(true), output: tty(true) })).toBe(true);
    expect(canAsk({ input: tty(true), output: tty(false) })).toBe(false);
    expect(canAsk({ input: tty(false), output: tty(true) })).toBe(false);
    expect(canAsk({ input: new PassThrough(), output: new PassThrough() })).toBe(false);
  });
});
