/**
 * The check `npm run bench -- --json` makes before it prints its JSON
 * (bench/support/contract.ts): what counts as a figure left out.
 */
import { describe, expect, it } from 'vitest';
import { missingFigures, PROMISED_FIGURES } from '../../../bench/support/contract.js';

/** A complete object for the named benchmarks: every promised path set to 1, one function under coldStart. */
function complete(benchmarks: readonly string[]): Record<string, unknown> {
  const figures: Record<string, unknown> = {};
  for (const benchmark of benchmarks) {
    for (const promised of PROMISED_FIGURES[benchmark] ?? []) {
      const keys = promised.split('.').map((key) => (key === '*' ? 'credentials' : key));
      let at = figures;
      for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
      at[keys.at(-1) as string] = 1;
    }
  }
  return figures;
}

const ALL = Object.keys(PROMISED_FIGURES);

describe('missingFigures', () => {
  it('finds nothing missing in an object holding every promised figure, extra figures and sections beside them', () => {
    const figures = { ...complete(ALL), quick: true, lint: { ms: { 10000: 3 }, warnings: { 10000: 0 } } };
    expect(missingFigures(figures, ALL)).toEqual([]);
  });

  it('names each promised figure that is absent, by its path', () => {
    const figures = complete(ALL) as { warm: Record<string, unknown>; delivery: Record<string, unknown> };
    delete figures.warm['ddbCallsPerRefresh'];
    delete figures.delivery['apiCallsPer1000JsReads'];
    expect(missingFigures(figures, ALL)).toEqual(['warm.ddbCallsPerRefresh', 'delivery.apiCallsPer1000JsReads']);
  });

  it('counts a figure that is not a finite number as missing (NaN reaches the JSON as null)', () => {
    for (const value of [null, Number.NaN, Number.POSITIVE_INFINITY, '1.5', { value: 1 }, [1]]) {
      const figures = complete(['cli-startup']) as { cli: Record<string, unknown> };
      figures.cli['ratio'] = value;
      expect(missingFigures(figures, ['cli-startup'])).toEqual(['cli.ratio']);
    }
  });

  it('checks only the benchmarks that ran: a section of one not run is not asked for', () => {
    expect(missingFigures({}, ['sessions'])).toEqual([]);
    expect(missingFigures(complete(['warm']), ['warm'])).toEqual([]);
    expect(missingFigures(complete(['warm']), ['warm', 'credentials'])).toEqual(['endToEnd.issuancesPerSec', 'endToEnd.rawPutsPerSec', 'endToEnd.ratio']);
  });

  it('asks every entry under a `*` for its figures, and at least one entry to be there', () => {
    const figures = complete(['coldstart']) as { coldStart: Record<string, Record<string, unknown>> };
    figures.coldStart['whoami'] = { ...figures.coldStart['credentials'], initMs: null };
    expect(missingFigures(figures, ['coldstart'])).toEqual(['coldStart.whoami.initMs']);
    expect(missingFigures({ coldStart: {} }, ['coldstart'])).toEqual(PROMISED_FIGURES['coldstart']);
    expect(missingFigures({}, ['coldstart'])).toEqual(PROMISED_FIGURES['coldstart']);
  });

  it('finds a whole section missing, or one that is not an object', () => {
    expect(missingFigures({ endToEnd: [1, 2, 3] }, ['credentials'])).toEqual(PROMISED_FIGURES['credentials']);
    expect(missingFigures({ policy: { decisionsPerSec: 5 } }, ['policy'])).toEqual(PROMISED_FIGURES['policy']);
  });
});
