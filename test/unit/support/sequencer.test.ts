/**
 * test/support/sequencer.ts: the order a run starts its files in, given what vitest's
 * cache knows (nothing in a fresh clone, the durations of the last run otherwise).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import Sequencer from '../../support/sequencer.js';

const ROOT = '/checkout';

function spec(project: string, file: string): TestSpecification {
  return { project: { name: project, config: { sequence: { groupOrder: 0 }, isolate: true } }, moduleId: path.join(ROOT, file) } as unknown as TestSpecification;
}

/** A vitest context whose cache knows `durations` (ms by `<project>:<file>`) and no file sizes. */
function context(durations: Record<string, number>): Vitest {
  return {
    config: { root: ROOT, shard: undefined },
    cache: {
      getFileTestResults: (key: string) => (durations[key] === undefined ? undefined : { duration: durations[key], failed: false }),
      getFileStats: () => undefined,
    },
  } as unknown as Vitest;
}

const FILES = [
  spec('default', 'test/unit/policy/parse.test.ts'),
  spec('default', 'test/e2e/launcher.test.ts'),
  spec('integration', 'test/integration/sessions.test.ts'),
  spec('default', 'test/unit/cli/table.test.ts'),
  spec('default', 'test/e2e/bench.test.ts'),
  spec('default', 'test/e2e/package.test.ts'),
];
const names = (specs: TestSpecification[]) => specs.map((s) => `${s.project.name}:${path.relative(ROOT, s.moduleId)}`);

describe('the test sequencer', () => {
  it('with no recorded durations starts the bench smoke test, then the other e2e files, then the rest, each project apart', async () => {
    const sorted = names(await new Sequencer(context({})).sort(FILES));
    expect(sorted.filter((name) => name.startsWith('default:'))).toEqual([
      'default:test/e2e/bench.test.ts',
      'default:test/e2e/launcher.test.ts',
      'default:test/e2e/package.test.ts',
      'default:test/unit/policy/parse.test.ts',
      'default:test/unit/cli/table.test.ts',
    ]);
    // Projects stay together, in vitest's order of them.
    const projects = sorted.map((name) => name.split(':')[0]);
    expect(projects).toEqual([...projects].sort((a, b) => projects.indexOf(a) - projects.indexOf(b)));
  });

  it("keeps vitest's order, longest first, once it knows the durations", async () => {
    const durations = Object.fromEntries(names(FILES).map((name, index) => [name, (index + 1) * 1000]));
    const sequencer = new Sequencer(context(durations));
    const sorted = names(await sequencer.sort(FILES));
    const defaults = sorted.filter((name) => name.startsWith('default:'));
    expect(defaults).toEqual([...defaults].sort((a, b) => (durations[b] ?? 0) - (durations[a] ?? 0)));
    expect(defaults[0]).toBe('default:test/e2e/package.test.ts');
  });
});
