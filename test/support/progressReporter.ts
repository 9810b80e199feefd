/**
 * The line `npm test` prints as each test file finishes while its two vitest processes
 * run (scripts/test.ts); the full report, failures and all, comes from merging their
 * blob reports once both are done.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class ProgressReporter implements Reporter {
  onTestModuleEnd(module: TestModule): void {
    const tests = [...module.children.allTests()].length;
    const mark = module.state() === 'failed' ? '✗' : '✓';
    const seconds = (module.diagnostic().duration / 1000).toFixed(1);
    process.stdout.write(`${mark} ${module.project.name} ${module.relativeModuleId} (${tests} tests) ${seconds} s\n`);
  }
}
