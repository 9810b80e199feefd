/**
 * The progress line while a table is being created, on stderr (stdout keeps results).
 *
 * On a terminal: one line redrawn in place (carriage return, erase to end of line)
 * with a spinner and the elapsed time. No spinner package is installed in this project,
 * and the line needs nothing one would bring (colours, cursor hiding, Windows consoles).
 * Anywhere else (CI logs, a pipe): plain lines, one at the start and one each time
 * another {@link PLAIN_LINE_EVERY_MS} has passed, so a log shows the wait without a
 * line per poll.
 */

import { formatElapsed } from './render.js';

/** The stream the line is drawn on; `isTTY` decides between a spinner and plain lines. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Calls `redraw` every so often until the returned function is called. */
export type Ticker = (redraw: () => void) => () => void;

export interface ProgressOptions {
  stream: ProgressStream;
  /** Milliseconds since some origin (Date.now). */
  now: () => number;
  /** Spinner redraws on a terminal; default every 100 ms, not keeping the process alive. */
  ticker?: Ticker;
}

export interface Progress {
  /** Called after each status poll: redraws the terminal line, or prints a plain line when due. */
  update(): void;
  /** Clears the terminal line and prints `line` (plain output: just prints it). */
  done(line: string): void;
  /** Clears the terminal line, printing nothing: an error message follows. */
  stop(): void;
}

/** A plain (non-terminal) progress line at most this often. */
export const PLAIN_LINE_EVERY_MS = 10_000;

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Carriage return, then erase from the cursor to the end of the line (ANSI EL 0). */
const CLEAR_LINE = '\r\u001b[K';

const everyTenthOfASecond: Ticker = (redraw) => {
  const timer = setInterval(redraw, 100);
  // The poll loop keeps the process alive while there is something to wait for.
  timer.unref();
  return () => clearInterval(timer);
};

/** Starts showing that `label` is in progress (e.g. `creating table sentinel-sessions`). */
export function startProgress(label: string, options: ProgressOptions): Progress {
  const { stream, now } = options;
  const started = now();
  const elapsed = (): string => formatElapsed(now() - started);

  if (stream.isTTY === true) {
    let frame = 0;
    const draw = (): void => {
      stream.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${label}… ${elapsed()}`);
      frame += 1;
    };
    draw();
    const stopTicking = (options.ticker ?? everyTenthOfASecond)(draw);
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      stopTicking();
      stream.write(CLEAR_LINE);
    };
    return {
      update: draw,
      done: (line) => {
        stop();
        stream.write(`${line}\n`);
      },
      stop,
    };
  }

  let lastLine = started;
  stream.write(`${label}… ${elapsed()}\n`);
  return {
    update: () => {
      if (now() - lastLine < PLAIN_LINE_EVERY_MS) return;
      lastLine = now();
      stream.write(`${label}… ${elapsed()}\n`);
    },
    done: (line) => stream.write(`${line}\n`),
    stop: () => undefined,
  };
}
