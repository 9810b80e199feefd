/**
 * fast-check as the mutation run sees it (vitest.mutation.config.ts aliases `fast-check`
 * here): the same library, but every property runs at most {@link MUTATION_NUM_RUNS}
 * cases. A surviving mutant reruns every test that covers it, and the property tests
 * (150 to 1500 cases each) would otherwise cost a minute per survivor on 2 cores. A
 * mutant the properties catch is still caught in the first few cases nearly always;
 * `npm test` runs them at full size.
 */
import fcModule from '../../node_modules/fast-check/lib/fast-check.js';
import type { Parameters, IRawProperty, IAsyncProperty, IProperty } from '../../node_modules/fast-check/lib/fast-check.js';

export * from '../../node_modules/fast-check/lib/fast-check.js';

export const MUTATION_NUM_RUNS = 40;

function capped<T>(params: Parameters<T> | undefined): Parameters<T> {
  return { ...params, numRuns: Math.min(params?.numRuns ?? MUTATION_NUM_RUNS, MUTATION_NUM_RUNS) };
}

function assert<Ts>(property: IAsyncProperty<Ts>, params?: Parameters<Ts>): Promise<void>;
function assert<Ts>(property: IProperty<Ts>, params?: Parameters<Ts>): void;
function assert<Ts>(property: IRawProperty<Ts>, params?: Parameters<Ts>): Promise<void> | void;
function assert<Ts>(property: IRawProperty<Ts>, params?: Parameters<Ts>): Promise<void> | void {
  return fcModule.assert(property, capped(params));
}

export { assert };

const fc: typeof fcModule = { ...fcModule, assert };
export default fc;
