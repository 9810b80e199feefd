/**
 * The aligned text of src/cli/table.ts: columns padded to their widest cell (right for
 * numbers), no trailing spaces, and server strings escaped before they are measured.
 */
import { describe, expect, it } from 'vitest';
import { fieldLines, tableLines } from '../../../src/cli/table.js';

describe('tableLines', () => {
  it('pads each column to its widest cell, two spaces apart, with nothing after the last', () => {
    expect(tableLines(['NAME', 'N', 'WHAT'], [['dev', '7', 'a'], ['prod-admin', '12', 'bb']], { rightAligned: [1] })).toEqual([
      'NAME         N  WHAT',
      'dev          7  a',
      'prod-admin  12  bb',
    ]);
  });

  it('escapes terminal controls in a cell first, so the escaped text is what lines up', () => {
    const lines = tableLines(['A', 'B'], [['x\u001b[2Jy', 'after'], ['plain', 'after']]);
    expect(lines).toEqual(['A            B', 'x\\u001b[2Jy  after', 'plain        after']);
    expect(lines.join('')).not.toContain('\u001b');
  });

  it('a missing cell is empty, and leaves no trailing spaces', () => {
    expect(tableLines(['A', 'B', 'C'], [['1']])).toEqual(['A  B  C', '1']);
  });
});

describe('fieldLines', () => {
  it('lines the values up after the longest label and escapes them', () => {
    expect(fieldLines([['id', '42'], ['revoked reason', 'incident\u0007 42']])).toEqual(['id              42', 'revoked reason  incident\\u0007 42']);
  });
});
