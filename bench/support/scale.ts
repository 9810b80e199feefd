/**
 * `npm run bench -- --quick` sets SENTINEL_BENCH_QUICK=1 for every benchmark it runs:
 * each then runs every measurement it has at a size that only proves it still works and
 * still reports its figures (test/e2e/bench.test.ts runs it so), in seconds rather than
 * minutes. Its figures are not measurements: the JSON says `"quick": true`.
 */
export const QUICK = process.env.SENTINEL_BENCH_QUICK === '1';

/** `full`, or `quick` in a quick run. */
export const sized = (full: number, quick: number): number => (QUICK ? quick : full);
