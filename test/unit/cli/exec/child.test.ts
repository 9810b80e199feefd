import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChild, signalExitCode, startFailureExitCode } from '../../../../src/cli/exec/child.js';
import { CliError } from '../../../../src/cli/errors.js';

const NODE = process.execPath;

describe('runChild', () => {
  it('passes the exit code on', async () => {
    await expect(runChild([NODE, '-e', 'process.exit(7)'], process.env)).resolves.toEqual({ code: 7 });
  });

  it('reports death by a signal', async () => {
    await expect(runChild([NODE, '-e', "process.kill(process.pid, 'SIGTERM')"], process.env)).resolves.toEqual({ signal: 'SIGTERM' });
  });

  it('passes arguments as they are, with no shell in between', async () => {
    const args = ['two words', "it's", '"quoted"', '$HOME', '*', '; exit 3', ''];
    const script = `process.exit(JSON.stringify(process.argv.slice(1)) === ${JSON.stringify(JSON.stringify(args))} ? 0 : 9)`;
    await expect(runChild([NODE, '-e', script, ...args], process.env)).resolves.toEqual({ code: 0 });
  });

  it('gives the child exactly the environment it is handed', async () => {
    const script = "process.exit(process.env.ONLY_THIS === 'yes' && process.env.HOME === undefined ? 0 : 9)";
    await expect(runChild([NODE, '-e', script], { ONLY_THIS: 'yes' })).resolves.toEqual({ code: 0 });
  });

  it('says plainly when the command does not exist', async () => {
    const failure = runChild(['sentinel-no-such-command-x'], process.env);
    await expect(failure).rejects.toThrow(new CliError('COMMAND_NOT_FOUND', 'cannot run "sentinel-no-such-command-x": command not found'));
    const error = await failure.catch((caught: unknown) => caught);
    expect(startFailureExitCode(error as CliError)).toBe(127);
  });

  it('forwards SIGTERM sent to sentinel while the child runs, and stops listening after', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sentinel-child-'));
    const ready = path.join(dir, 'ready');
    // The child says it is ready (its handler is in place) by creating a file, then waits.
    const script = `process.on('SIGTERM', () => process.exit(42)); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`;
    const before = process.listeners('SIGTERM');
    const running = runChild([NODE, '-e', script], process.env);
    const ours = process.listeners('SIGTERM').filter((listener) => !before.includes(listener));
    expect(ours).toHaveLength(1);
    while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 20));
    // What Node does when SIGTERM arrives, without really signalling the test runner.
    (ours[0] as (signal: NodeJS.Signals) => void)('SIGTERM');
    await expect(running).resolves.toEqual({ code: 42 });
    expect(process.listeners('SIGTERM')).toEqual(before);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('signalExitCode', () => {
  it('is 128 + the signal number, as shells report it', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGHUP')).toBe(129);
  });
});
