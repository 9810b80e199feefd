/**
 * The order in which a run with no recorded durations (a fresh clone: CI) starts the
 * test files. vitest then runs the largest files first, which put the e2e files, short
 * in lines and long in time (they spawn the CLI, osls, DynamoDB Local), behind a hundred
 * unit files, and the longest of all (test/e2e/bench.test.ts, every benchmark at smoke
 * size, ~90 s) last, alone on one core. Without durations the e2e files now go first,
 * the bench smoke test before them; with durations (a later run on the same checkout)
 * vitest's own order, longest first, stands.
 */
import { relative } from 'node:path';
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

function rank(file: string): number {
  if (file === 'test/e2e/bench.test.ts') return 0;
  return file.startsWith('test/e2e/') ? 1 : 2;
}

export default class Sequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
    if (sorted.some((spec) => this.ctx.cache.getFileTestResults(key(spec)) !== undefined)) return sorted;
    const file = (spec: TestSpecification) => relative(this.ctx.config.root, spec.moduleId).split('\\').join('/');
    // Projects in the order vitest put them, then by rank; Array.prototype.sort is
    // stable, so within a rank the order vitest chose stands.
    const projects = [...new Set(sorted.map((spec) => spec.project.name))];
    const project = (spec: TestSpecification) => projects.indexOf(spec.project.name);
    return sorted.sort((a, b) => project(a) - project(b) || rank(file(a)) - rank(file(b)));
  }
}
