/**
 * The progress line: a spinner redrawn in place on a terminal, plain lines elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { startProgress } from '../../../../src/cli/init/progress.js';
import type { Ticker } from '../../../../src/cli/init/progress.js';
import { formatElapsed } from '../../../../src/cli/init/render.js';
import { sink } from './fakes.js';

function manualTicker(): { ticker: Ticker; tick: () => void; stopped: () => boolean } {
  let redraw: (() => void) | undefined;
  let stopped = false;
  return {
    ticker: (callback) => {
      redraw = callback;
      return () => (stopped = true);
    },
    tick: () => redraw?.(),
    stopped: () => stopped,
  };
}

describe('progress on a terminal', () => {
  it('redraws one line in place with the next spinner frame and the elapsed time', () => {
    const stream = sink(true);
    let now = 0;
    const { ticker, tick } = manualTicker();
    const progress = startProgress('creating table t', { stream, now: () => now, ticker });
    now = 1_500;
    tick();
    now = 65_000;
    progress.update();
    expect(stream.text()).toBe('\r\u001b[K⠋ creating table t… 0s\r\u001b[K⠙ creating table t… 1s\r\u001b[K⠹ creating table t… 1m 05s');
  });

  it('clears the line and stops the ticker when done, then prints the final line', () => {
    const stream = sink(true);
    const { ticker, stopped } = manualTicker();
    const progress = startProgress('creating table t', { stream, now: () => 0, ticker });
    progress.done('created table t in 0s');
    expect(stopped()).toBe(true);
    expect(stream.text().endsWith('\r\u001b[Kcreated table t in 0s\n')).toBe(true);
  });

  it('only clears the line on stop, so an error message starts on a clean line', () => {
    const stream = sink(true);
    const { ticker, stopped } = manualTicker();
    const progress = startProgress('creating table t', { stream, now: () => 0, ticker });
    progress.stop();
    progress.stop();
    expect(stopped()).toBe(true);
    expect(stream.text()).toBe('\r\u001b[K⠋ creating table t… 0s\r\u001b[K');
  });
});

describe('progress off a terminal', () => {
  it('prints plain lines: at the start, then every 10 s, never a control character', () => {
    const stream = sink(false);
    let now = 0;
    const { ticker } = manualTicker();
    const progress = startProgress('creating table t', { stream, now: () => now, ticker });
    for (now = 1_000; now <= 21_000; now += 1_000) progress.update();
    progress.done('created table t in 21s');
    expect(stream.text()).toBe('creating table t… 0s\ncreating table t… 10s\ncreating table t… 20s\ncreated table t in 21s\n');
  });
});

describe('formatElapsed', () => {
  it('shows seconds under a minute, then minutes and two-digit seconds', () => {
    expect([0, 999, 59_999, 60_000, 65_000, 300_000].map(formatElapsed)).toEqual(['0s', '0s', '59s', '1m 00s', '1m 05s', '5m 00s']);
  });
});
