/**
 * bin/sentinel and scripts/build.mjs in a scratch copy of the checkout, so the tests
 * can delete, age and break the bundle without disturbing the real dist/.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let copy: string;
let bundle: string;
let version: string;

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: copy, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const sentinel = (...args: string[]) => run(path.join(copy, 'bin', 'sentinel'), args);
const build = (...args: string[]) => run(process.execPath, [path.join(copy, 'scripts', 'build.mjs'), ...args]);
const bundleTime = async () => (await stat(bundle)).mtimeMs;

beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), 'sentinel-launcher-'));
  for (const entry of ['bin', 'scripts', 'src', 'package.json']) {
    await cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true, preserveTimestamps: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  await mkdir(path.join(copy, 'functions'));
  bundle = path.join(copy, 'dist', 'cli', 'sentinel.cjs');
  ({ version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string });
});

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

describe('bin/sentinel', () => {
  it('builds the missing bundle quietly, then runs the command', async () => {
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await stat(bundle)).isFile()).toBe(true);
    expect((await stat(`${bundle}.map`)).isFile()).toBe(true);
  });

  it('does not rebuild an up-to-date bundle', async () => {
    const before = await bundleTime();
    expect(sentinel('--version').code).toBe(0);
    expect(await bundleTime()).toBe(before);
  });

  it('rebuilds when a source file is newer than the bundle', async () => {
    const before = await bundleTime();
    const later = new Date(before + 5_000);
    await utimes(path.join(copy, 'src', 'cli', 'guidance.ts'), later, later);
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await bundleTime()).toBeGreaterThan(before);
  });

  it('reports a failed build on stderr and exits 1', async () => {
    const file = path.join(copy, 'src', 'cli', 'exitCodes.ts');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}\nexport const = ;\n`);
    try {
      const result = sentinel('--version');
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('exitCodes.ts');
      expect(result.stderr).toContain('sentinel: could not build the CLI');
    } finally {
      await writeFile(file, original);
    }
    expect(sentinel('--version').code).toBe(0);
  });

  it('trusts the bundle when there is no src/ next to it (installed from a package)', async () => {
    await rm(path.join(copy, 'src'), { recursive: true });
    const old = new Date(0);
    await utimes(bundle, old, old);
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await bundleTime()).toBe(0);
    await cp(path.join(ROOT, 'src'), path.join(copy, 'src'), { recursive: true });
  });
});

describe('scripts/build.mjs', () => {
  it('says so when there are no functions to build', () => {
    const result = build();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no functions/*.ts: built no function bundles');
  });

  it('bundles each function as an ES module that can load CommonJS dependencies', async () => {
    // commander is CommonJS and requires node builtins: without the createRequire
    // banner the ESM bundle would throw "Dynamic require ... is not supported".
    await writeFile(
      path.join(copy, 'functions', 'probe.ts'),
      "import { Command } from 'commander';\nexport const handler = async () => new Command('probe').name();\n",
    );
    const result = build();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('built dist/functions/probe/index.mjs');
    const output = path.join(copy, 'dist', 'functions', 'probe', 'index.mjs');
    const probe = run(process.execPath, [
      '--input-type=module',
      '-e',
      `const { handler } = await import(${JSON.stringify(output)}); console.log(await handler());`,
    ]);
    expect(probe).toEqual({ code: 0, stdout: 'probe\n', stderr: '' });
  });

  it('removes the bundle of a function that no longer exists', async () => {
    await rm(path.join(copy, 'functions', 'probe.ts'));
    expect(build().code).toBe(0);
    await expect(stat(path.join(copy, 'dist', 'functions', 'probe'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects an unknown argument with exit 2', () => {
    expect(build('--cli-onyl')).toMatchObject({ code: 2, stdout: '' });
  });

  it('builds the CLI alone: the main bundle and the AWS bundle the API commands load', async () => {
    await rm(path.join(copy, 'dist', 'cli'), { recursive: true, force: true });
    const result = build('--cli-only');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^built dist\/cli\/sentinel\.cjs \([\d.]+ kB\) and dist\/cli\/sentinel-aws\.cjs \([\d.]+ kB\)\n$/);
    expect((await stat(path.join(copy, 'dist', 'cli', 'sentinel-aws.cjs'))).isFile()).toBe(true);
  });
});
