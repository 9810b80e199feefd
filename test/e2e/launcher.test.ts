/**
 * bin/sentinel and scripts/build.mjs in a scratch copy of the checkout, so the tests
 * can delete, age and break the bundle without disturbing the real dist/.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';

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

describe('bin/sentinel: V8 code cache', () => {
  /** The cache of the main bundle for `command` ('' is `main`). */
  const cacheFile = (command = '') => `${bundle}.${command === '' ? 'main' : command}.v8cache`;
  /** The cache file's header (what it was made for), or undefined when there is none. */
  const cacheHeader = async (command = ''): Promise<{ key: string } | undefined> => {
    const contents = await readFile(cacheFile(command)).catch(() => undefined);
    if (contents === undefined) return undefined;
    return JSON.parse(contents.subarray(0, contents.indexOf(10)).toString('utf8')) as { key: string };
  };
  const cacheTime = async (command = '') => (await stat(cacheFile(command))).mtimeMs;
  /** The main bundle's caches, by file name. */
  const caches = async () => (await readdir(path.dirname(bundle))).filter((name) => name.startsWith('sentinel.cjs.') && name.endsWith('.v8cache')).sort();
  const removeCaches = async () => {
    for (const name of await caches()) await rm(path.join(path.dirname(bundle), name));
  };

  it('writes the cache beside the bundle on the first run and uses it on the next, with the same output', async () => {
    await removeCaches();
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await caches()).toEqual(['sentinel.cjs.main.v8cache']);
    expect((await cacheHeader())?.key).toContain(process.version);
    const written = await cacheTime();
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await cacheTime()).toBe(written);
  });

  it("keeps one cache per command, each written once by that command's first run", async () => {
    const main = await cacheTime();
    const help = sentinel('exec', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('run a command with short-lived AWS credentials');
    expect(await caches()).toEqual(['sentinel.cjs.exec.v8cache', 'sentinel.cjs.main.v8cache']);
    // Another command's run neither reads nor rewrites the cache of --version.
    expect(await cacheTime()).toBe(main);
    const written = await cacheTime('exec');
    expect(sentinel('exec', '--help')).toEqual(help);
    expect(await cacheTime('exec')).toBe(written);
    // What exec compiled is in its own cache, not in the one --version loads.
    expect((await stat(cacheFile('exec'))).size).toBeGreaterThan((await stat(cacheFile())).size);
  });

  it('knows the command after the global options and their values: `--output json exec` is exec, not json', async () => {
    await removeCaches();
    for (const args of [
      ['--output', 'json', 'exec', '--help'],
      ['--api', 'http://127.0.0.1:1', '--region', 'eu-west-1', '--aws-profile', 'alice', 'exec', '--help'],
      ['--output=json', 'exec', '--help'],
    ]) {
      const result = sentinel(...args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('run a command with short-lived AWS credentials');
    }
    expect(await caches()).toEqual(['sentinel.cjs.exec.v8cache']);
  });

  it('skips the values of exactly the program options that take one', async () => {
    const launcher = await readFile(path.join(ROOT, 'bin', 'sentinel'), 'utf8');
    const listed = /const VALUE_OPTIONS = new Set\(\[([^\]]*)\]\)/.exec(launcher)?.[1];
    const skipped = (listed ?? '').split(',').map((word) => word.trim().replace(/^'|'$/g, '')).sort();
    const taking = createProgram().options.filter((option) => option.required || option.optional).map((option) => option.long ?? '').sort();
    expect(taking.length).toBeGreaterThan(0);
    expect(skipped).toEqual(taking);
  });

  it('ignores a cache that is not for this bundle, or that V8 rejects, and writes a good one', async () => {
    await writeFile(cacheFile(), '{"key":"another build"}\nnot a code cache');
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const header = await cacheHeader();
    expect(header?.key).not.toBe('another build');
    // The right key but data V8 cannot use (another Node would leave such a file): V8 rejects it.
    await writeFile(cacheFile(), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), Buffer.alloc(4096, 7)]));
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await readFile(cacheFile())).length).toBeGreaterThan(10_000);
    await writeFile(cacheFile(), 'garbage without a header');
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await cacheHeader())?.key).toBe(header?.key);
  });

  it('starts afresh after a rebuild: the old cache is for the old bundle', async () => {
    const before = await cacheHeader();
    const later = new Date((await bundleTime()) + 5_000);
    await utimes(path.join(copy, 'src', 'cli', 'exitCodes.ts'), later, later);
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const after = await cacheHeader();
    expect(after?.key).toBeDefined();
    expect(after?.key).not.toBe(before?.key);
  });

  it('removes the single cache of earlier builds when it writes one', async () => {
    await removeCaches();
    await writeFile(`${bundle}.v8cache`, '{"key":"an earlier build","commands":["","exec"]}\nold code');
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await caches()).toEqual(['sentinel.cjs.main.v8cache']);
    await expect(stat(`${bundle}.v8cache`)).rejects.toThrow(/ENOENT/);
  });

  it('adds no cache once the bundle has 32, so that a stream of typos cannot fill the folder', async () => {
    await removeCaches();
    // Command words are lowercase letters and hyphens (anything else runs on the `main` cache).
    const typo = (n: number) => `typo${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(97 + Math.floor(n / 26))}`;
    for (let n = 0; n < 32; n++) await writeFile(path.join(path.dirname(bundle), `sentinel.cjs.${typo(n)}.v8cache`), '{"key":"k"}\n');
    const result = sentinel('exec', '--help');
    expect(result.code).toBe(0);
    expect(await caches()).not.toContain('sentinel.cjs.exec.v8cache');
    // One that exists but no longer fits is still rewritten.
    expect(sentinel(typo(3)).stderr).toContain(`unknown command '${typo(3)}'`);
    expect((await cacheHeader(typo(3)))?.key).toContain(process.version);
    await removeCaches();
  });

  it('loads the bundle with plain require under --enable-source-maps, writing no cache', async () => {
    await removeCaches();
    expect(run(process.execPath, ['--enable-source-maps', path.join(copy, 'bin', 'sentinel'), '--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await caches()).toEqual([]);
  });
});

describe('bin/sentinel: what counts as a source of the bundle', () => {
  it('rebuilds for a file the bundle is built from, not for another file under src/', async () => {
    expect(sentinel('--version').code).toBe(0);
    const inputs = (JSON.parse(await readFile(path.join(copy, 'dist', 'cli', 'inputs.json'), 'utf8')) as { inputs: string[] }).inputs;
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs).toContain('package.json');
    const unrelated = path.join(copy, 'src', 'unrelated-probe.ts');
    await writeFile(unrelated, 'export const probe = 1;\n');
    try {
      const before = await bundleTime();
      const later = new Date(before + 5_000);
      await utimes(unrelated, later, later);
      expect(sentinel('--version').code).toBe(0);
      expect(await bundleTime()).toBe(before);
      // Without the list (a bundle built before it existed) every file under src/ counts.
      await rm(path.join(copy, 'dist', 'cli', 'inputs.json'));
      expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
      expect(await bundleTime()).toBeGreaterThan(before);
    } finally {
      await rm(unrelated, { force: true });
    }
  });

  it('rebuilds when scripts/buildOptions.mjs, which holds the build options, is newer', async () => {
    const before = await bundleTime();
    const later = new Date(before + 5_000);
    await utimes(path.join(copy, 'scripts', 'buildOptions.mjs'), later, later);
    expect(sentinel('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await bundleTime()).toBeGreaterThan(before);
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

  it('builds the CLI alone: the main bundle, the AWS bundles the API commands load and the packages the policy commands load', async () => {
    await rm(path.join(copy, 'dist', 'cli'), { recursive: true, force: true });
    const result = build('--cli-only');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^built dist\/cli\/sentinel\.cjs \([\d.]+ kB\) and dist\/cli\/sentinel-aws\.cjs \([\d.]+ kB\), with \d+ bundles in dist\/cli\/aws\/ that it loads on first use \([\d.]+ kB\), and dist\/cli\/vendor\/yaml\.cjs \([\d.]+ kB\) and dist\/cli\/vendor\/diff\.cjs \([\d.]+ kB\) for the policy commands\n$/,
    );
    expect((await stat(path.join(copy, 'dist', 'cli', 'sentinel-aws.cjs'))).isFile()).toBe(true);
    expect((await stat(path.join(copy, 'dist', 'cli', 'inputs.json'))).isFile()).toBe(true);
    // The credential chain's providers, each loaded by the AWS bundle the first time the chain needs it.
    const lazy = await readdir(path.join(copy, 'dist', 'cli', 'aws'));
    expect(lazy).toContain('aws-sdk-credential-provider-ini.cjs');
    expect(lazy).toContain('aws-sdk-credential-provider-sso.cjs');
    expect(await readFile(path.join(copy, 'dist', 'cli', 'sentinel-aws.cjs'), 'utf8')).toContain('require("./aws/aws-sdk-credential-provider-node.cjs")');
    // yaml and diff are not in the main bundle, which requires them where the policy code imports them.
    const main = await readFile(path.join(copy, 'dist', 'cli', 'sentinel.cjs'), 'utf8');
    for (const name of ['yaml', 'diff']) {
      expect(main).toContain(`require("./vendor/${name}.cjs")`);
      expect((await stat(path.join(copy, 'dist', 'cli', 'vendor', `${name}.cjs`))).isFile()).toBe(true);
    }
    expect(main).not.toContain('YAMLParseError');
  });
});
