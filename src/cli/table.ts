/**
 * Aligned text for people: a table of columns (`sentinel profiles`, `sentinel sessions
 * list`) and a list of labelled fields (`sentinel sessions show`).
 *
 * Cells often hold server text (names, reasons), and the server may send any string:
 * each cell is made printable (src/cli/sanitize.ts) before the columns are measured, so
 * an escape sequence shows as `\u001b[…` and the columns still line up. Widths count
 * code points, which is exact for the ASCII the API's names and times are made of.
 */

import { printable } from './sanitize.js';

/** How a table is laid out: which columns (by index) are aligned right, as numbers are. */
export interface TableOptions {
  rightAligned?: readonly number[];
}

/** Columns are separated by two spaces. */
const GAP = '  ';

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return right ? `${fill}${text}` : `${text}${fill}`;
}

/**
 * The header and the rows as lines, each column padded to its widest cell. Lines carry
 * no trailing spaces (the last column is not padded, and empty cells at the end leave none).
 */
export function tableLines(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string[] {
  const right = new Set(options.rightAligned ?? []);
  const cells = [header, ...rows].map((row) => header.map((_title, column) => printable(row[column] ?? '')));
  const widths = header.map((_title, column) => Math.max(...cells.map((row) => width(row[column] ?? ''))));
  const last = header.length - 1;
  return cells.map((row) =>
    row
      .map((cell, column) => (column === last && !right.has(column) ? cell : pad(cell, widths[column] ?? 0, right.has(column))))
      .join(GAP)
      .trimEnd(),
  );
}

/** `label  value` lines, the values lined up after the longest label; values made printable. */
export function fieldLines(fields: ReadonlyArray<readonly [label: string, value: string]>): string[] {
  const labelWidth = Math.max(0, ...fields.map(([label]) => width(label)));
  return fields.map(([label, value]) => `${pad(label, labelWidth, false)}${GAP}${printable(value)}`);
}
