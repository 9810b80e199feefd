/**
 * `sentinel request --wait`: asks for the request (`GET /v1/requests/{id}`) until it is
 * decided or expired, showing where it stands on stderr (stdout keeps the result).
 *
 * Polls every 2 s at first, a second longer each time, then every 5 s: an approval shows
 * within seconds while a long wait costs a call every 5 s. On a terminal the status is
 * one line redrawn in place (carriage return, erase to the end of the line) with the
 * time waited; anywhere else (CI logs, a pipe) a plain line each time the status
 * changes, so a log shows each approval without a line per poll.
 */

import type { AccessRequestView } from '../../api/contract.js';
import type { SentinelApi } from '../api/types.js';
import { formatElapsed } from '../init/render.js';
import { printable } from '../sanitize.js';
import { statusText } from './render.js';

/** The first wait between two polls… */
export const FIRST_POLL_MS = 2000;
/** …and the longest, reached a second at a time. */
export const MAX_POLL_MS = 5000;
const POLL_STEP_MS = 1000;

/** Carriage return, then erase from the cursor to the end of the line (ANSI EL 0). */
const CLEAR_LINE = '\r\u001b[K';

export interface WaitOptions {
  /** Where the status goes; `isTTY` picks the redrawn line over plain lines. */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Waits between polls; tests pass one that returns at once. */
  sleep: (ms: number) => Promise<void>;
}

/** The request once it is no longer pending: approved, denied, cancelled or expired. */
export async function waitForDecision(api: SentinelApi, first: AccessRequestView, options: WaitOptions): Promise<AccessRequestView> {
  const { stream, now, sleep } = options;
  const started = now();
  const label = `waiting for request ${first.id}`;
  const terminal = stream.isTTY === true;
  let shown = '';
  const show = (request: AccessRequestView): void => {
    // Approver names are server text: printable, on one line.
    const status = printable(statusText(request));
    if (terminal) stream.write(`${CLEAR_LINE}${label}: ${status}… ${formatElapsed(now() - started)}`);
    else if (status !== shown) stream.write(`${label}: ${status}\n`);
    shown = status;
  };
  let request = first;
  let interval = FIRST_POLL_MS;
  try {
    while (request.status === 'pending') {
      show(request);
      await sleep(interval);
      interval = Math.min(MAX_POLL_MS, interval + POLL_STEP_MS);
      request = (await api.showRequest(first.id)).request;
    }
  } finally {
    if (terminal && shown !== '') stream.write(CLEAR_LINE);
  }
  return request;
}
