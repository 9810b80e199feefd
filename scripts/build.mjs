// Builds the deployable artefacts with esbuild.
//
//   node scripts/build.mjs             the CLI bundle and one bundle per Lambda function
//   node scripts/build.mjs --cli-only  just the CLI bundle (the `prepare` script and bin/sentinel)
//
// Outputs are written to a temporary name and renamed into place, so a process that
// loads a bundle (bin/sentinel, possibly several at once) never sees half a file.

import { mkdir, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleSizes, common as commonOptions, functionOptions } from './buildOptions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--cli-only');
if (unknown.length > 0) {
  process.stderr.write(`build: unknown argument ${unknown[0]} (usage: node scripts/build.mjs [--cli-only])\n`);
  process.exit(2);
}
const cliOnly = args.includes('--cli-only');
const common = { ...commonOptions, absWorkingDir: root };

/** Writes esbuild's in-memory outputs atomically, stamped with the build's start time. */
async function writeOutputs(outputFiles, startedAt) {
  for (const file of outputFiles) {
    await mkdir(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    // A source edited while we were building is newer than the bundle, so
    // bin/sentinel rebuilds on its next run instead of serving stale code.
    await utimes(temporary, startedAt, startedAt);
    await rename(temporary, file.path);
  }
}

function kilobytes(outputFiles, extension) {
  const file = outputFiles.find((output) => output.path.endsWith(extension));
  return file === undefined ? '?' : `${(file.contents.byteLength / 1024).toFixed(1)} kB`;
}

/**
 * The AWS SDK code the API client needs (credential chain, SigV4 signer: about 700 kB)
 * is a bundle of its own, loaded only by the commands that call the API; every other
 * command, `--version` included, starts without parsing it. src/cli/api/aws.ts is
 * replaced in the CLI bundle by a `require` of it (much faster than `import()` of
 * CommonJS). It holds no Sentinel code, so no class exists twice.
 */
const AWS_BUNDLE = 'sentinel-aws.cjs';
const AWS_ENTRY = [
  "export { fromNodeProviderChain } from '@aws-sdk/credential-providers';",
  "export { SignatureV4 } from '@smithy/signature-v4';",
  "export { Hash } from '@smithy/hash-node';",
].join('\n');

const awsBundle = {
  name: 'sentinel-aws',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\/aws\.js$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'cli', 'api', 'client.ts')) ? { path: 'sentinel-aws-loader', namespace: 'sentinel-aws' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'sentinel-aws' }, () => ({
      contents: `exports.loadAws = () => Promise.resolve(require('./${AWS_BUNDLE}'));`,
      loader: 'js',
    }));
    pluginBuild.onResolve({ filter: new RegExp(`^\\./${AWS_BUNDLE.replace('.', '\\.')}$`) }, () => ({ path: `./${AWS_BUNDLE}`, external: true }));
  },
};

async function buildCli() {
  const startedAt = new Date();
  const [main, aws] = await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(root, 'src/cli/main.ts')],
      outfile: path.join(root, 'dist/cli/sentinel.cjs'),
      // CommonJS loads faster than an ES module graph and lets bin/sentinel `require` it;
      // dynamic `import()`s of policy modules become lazy initialisers inside the bundle.
      format: 'cjs',
      plugins: [awsBundle],
    }),
    build({
      ...common,
      stdin: { contents: AWS_ENTRY, resolveDir: root, loader: 'js' },
      outfile: path.join(root, 'dist/cli', AWS_BUNDLE),
      format: 'cjs',
      // The packages' ES module builds let esbuild drop what the three exports never
      // reach (a third less code to run at load).
      mainFields: ['module', 'main'],
    }),
  ]);
  // The AWS bundle first: a launcher that sees the new main bundle finds it there.
  await writeOutputs(aws.outputFiles, startedAt);
  await writeOutputs(main.outputFiles, startedAt);
  process.stdout.write(`built dist/cli/sentinel.cjs (${kilobytes(main.outputFiles, '.cjs')}) and dist/cli/${AWS_BUNDLE} (${kilobytes(aws.outputFiles, '.cjs')})\n`);
}

async function buildFunctions() {
  const startedAt = new Date();
  const directory = path.join(root, 'functions');
  let entries = [];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const names = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => entry.name.slice(0, -'.ts'.length))
    .sort();
  // Bundles of functions that no longer exist must not be deployed.
  await rm(path.join(root, 'dist/functions'), { recursive: true, force: true });
  if (names.length === 0) {
    process.stdout.write('no functions/*.ts: built no function bundles\n');
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const outdir = path.join(root, 'dist/functions', name);
      const result = await build({
        ...functionOptions(root),
        entryPoints: { index: path.join(directory, `${name}.ts`) },
        outdir,
        metafile: true,
      });
      // The entry last: a process that loads the new entry finds the chunks it imports.
      const entry = path.join(outdir, 'index.mjs');
      await writeOutputs([...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry)), startedAt);
      // What the bundle holds, for esbuild's analyser and bench/coldstart.bench.ts.
      await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
      const { initKB, totalKB } = bundleSizes(result.metafile, path.relative(root, entry).split(path.sep).join('/'));
      process.stdout.write(`built dist/functions/${name}/index.mjs (${initKB.toFixed(1)} kB loaded at start, ${totalKB.toFixed(1)} kB with the chunks loaded on first use)\n`);
    }),
  );
}

try {
  await buildCli();
  if (!cliOnly) await buildFunctions();
} catch (error) {
  // esbuild has already printed its diagnostics (logLevel: 'warning').
  if (!Array.isArray(error?.errors)) process.stderr.write(`build: ${error?.stack ?? error}\n`);
  process.exit(1);
}
