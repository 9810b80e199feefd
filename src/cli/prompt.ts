/**
 * Yes/no confirmation on the terminal, shared by the commands that change shared state
 * (`policy push`, `init`).
 *
 * The question goes to stderr so stdout keeps only results. Nobody can answer when
 * stdin is not a terminal (CI, a pipe, `< /dev/null`), so callers check
 * {@link canPrompt} first and refuse with a hint to use `--yes` instead of waiting.
 */

/** Where the question is asked and the answer read; the process's stdin and stderr by default. */
export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

function processStreams(): PromptStreams {
  return { input: process.stdin, output: process.stderr };
}

/** Whether someone can answer a question: stdin is a terminal. */
export function canPrompt(input: PromptStreams['input'] = process.stdin): boolean {
  return input.isTTY === true;
}

/**
 * Whether a question can be both answered and seen: stdin is a terminal and so is the
 * stream it is asked on (with stderr redirected to a file, no one would see it). For
 * the commands that act on other people's sessions (`sessions revoke`).
 */
export function canAsk(streams: { input: PromptStreams['input']; output: NodeJS.WritableStream & { isTTY?: boolean } }): boolean {
  return canPrompt(streams.input) && streams.output.isTTY === true;
}

/**
 * Asks `question` and resolves `true` only for `y` or `yes` (any case); anything else,
 * end of input or Ctrl-C is a no.
 */
export async function confirm(question: string, streams: PromptStreams = processStreams()): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: streams.input, output: streams.output });
  return new Promise((resolve) => {
    let answered = false;
    rl.on('close', () => {
      if (answered) return;
      // End of input or Ctrl-C: end the prompt's line before whatever is printed next.
      streams.output.write('\n');
      resolve(false);
    });
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(/^y(?:es)?$/i.test(answer.trim()));
    });
  });
}
