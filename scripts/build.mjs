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
 * The AWS SDK code the API client needs (credential chain, SigV4 signer) is a bundle of
 * its own, loaded only by the commands that call the API; every other command,
 * `--version` included, starts without it. src/cli/api/aws.ts is replaced in the CLI
 * bundle by a `require` of it (much faster than `import()` of CommonJS). It holds no
 * Sentinel code, so no class exists twice.
 */
const AWS_BUNDLE = 'sentinel-aws.cjs';
const AWS_ENTRY = [
  "export { fromNodeProviderChain } from '@aws-sdk/credential-providers';",
  "export { SignatureV4 } from '@smithy/signature-v4';",
  "export { Hash } from '@smithy/hash-node';",
].join('\n');
/** Where the bundles of what the SDK imports with `import()` go (see awsBundles). */
const AWS_LAZY_DIR = 'aws';

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

/**
 * commander requires node:child_process when it loads, only to run executable
 * subcommands, which sentinel has none of. Loading child_process costs every command a
 * few milliseconds of start-up (`credentials`, run by every `credential_process` call,
 * never spawns anything), so commander gets a stand-in that loads it on first use.
 */
const lazyChildProcess = {
  name: 'sentinel-lazy-child-process',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'sentinel-lazy' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'sentinel-lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
  },
};

/**
 * The packages only the `policy` commands use (yaml: parsing a policy file, diff: `policy
 * diff`), about 210 kB of the main bundle's 570, each a bundle of its own in
 * dist/cli/vendor/ that the main bundle `require`s where the code imports the package.
 * Those imports sit in modules the main bundle initialises on first use, so every other
 * command starts without reading, hashing or compiling them. They hold no Sentinel code:
 * no class exists twice.
 */
const VENDOR_PACKAGES = ['yaml', 'diff'];
const VENDOR_DIR = 'vendor';

const vendorBundles = {
  name: 'sentinel-vendor',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: new RegExp(`^(${VENDOR_PACKAGES.join('|')})$`) }, (args) => ({ path: `./${VENDOR_DIR}/${args.path}.cjs`, external: true }));
  },
};

/**
 * Both CLI bundles: CommonJS, and not one real `import()` left in them. bin/sentinel
 * compiles them with V8's code cache (vm.Script), which on Node 20 cannot run an
 * `import()` without an experimental flag; esbuild turns each one into a `require`
 * (bundled modules into lazy initialisers, Node built-ins into `require('node:…')`).
 */
const cliCommon = { ...common, format: 'cjs', supported: { 'dynamic-import': false }, metafile: true };

/** Fails the build if an output still loads something with `import()` (see cliCommon). */
function assertNoDynamicImport(metafile) {
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    const dynamic = imports.find((imported) => imported.kind === 'dynamic-import');
    if (dynamic !== undefined) throw new Error(`${output} loads ${dynamic.path} with import(), which bin/sentinel cannot run`);
  }
}

/**
 * The source files of the main bundle, from its metafile, for bin/sentinel's staleness
 * check (dist/cli/inputs.json): it stats these instead of walking the whole of src/.
 */
function inputsFile(metafile) {
  const inputs = Object.keys(metafile.inputs).filter((input) => !input.includes('node_modules/') && !input.includes(':')).sort();
  return { path: path.join(root, 'dist/cli/inputs.json'), contents: Buffer.from(`${JSON.stringify({ inputs })}\n`) };
}

/**
 * dist/cli/sentinel-aws.cjs and, in dist/cli/aws/, one bundle for each module the SDK
 * loads with `import()`: the credential chain's providers (SSO, the shared files,
 * credential_process, web identity, the container and instance metadata endpoints) and
 * the STS, SSO and sign-in clients they call, each loaded on first use.
 *
 * In one bundle esbuild turns those `import()`s into lazy initialisers and gives up
 * tree-shaking inside every module they reach: a static profile's credentials then
 * initialised some 270 modules of the SDK (endpoint rules, protocols, retry
 * strategies…) and made the bundle's code cache 400 kB. Apart, each bundle is
 * tree-shaken and its importer `require`s it where the SDK wrote `import()`. What two
 * of them share is in both: the chain tells the providers' errors apart by a property
 * (`tryNextLink`), not by class, and the rest is helpers, so what differs from one copy
 * of the SDK is that each bundle keeps its own cache of the shared config files it has
 * read (the SDK reads them once per process) and its own warn-once flags.
 *
 * Returns the builds, the main AWS bundle's first.
 */
async function awsBundles() {
  const outdir = path.join(root, 'dist/cli', AWS_LAZY_DIR);
  /** Bundle file name (in outdir) of each module imported with `import()`, by its resolved path. */
  const names = new Map();
  const pending = [];
  const nameOf = (resolved) => {
    if (!names.has(resolved)) {
      const name = `${resolved
        .split(/[\\/]node_modules[\\/]/)
        .pop()
        .replace(/[\\/]dist-es[\\/]/, '/')
        .replace(/(?:[\\/]index)?\.m?js$/, '')
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')}.cjs`;
      if ([...names.values()].includes(name)) throw new Error(`two modules the AWS SDK imports with import() would both be ${AWS_LAZY_DIR}/${name}`);
      names.set(resolved, name);
      pending.push(resolved);
    }
    return names.get(resolved);
  };
  const lazyImports = (fromLazyDir) => ({
    name: 'sentinel-aws-lazy-imports',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
        const resolved = await pluginBuild.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external) return undefined;
        const name = nameOf(resolved.path);
        return { path: fromLazyDir ? `./${name}` : `./${AWS_LAZY_DIR}/${name}`, external: true };
      });
    },
  });
  const awsOptions = {
    ...cliCommon,
    // The packages' ES module builds let esbuild drop what the exports never reach.
    mainFields: ['module', 'main'],
  };
  const builds = [
    await build({
      ...awsOptions,
      stdin: { contents: AWS_ENTRY, resolveDir: root, loader: 'js' },
      outfile: path.join(root, 'dist/cli', AWS_BUNDLE),
      plugins: [lazyImports(false)],
    }),
  ];
  // Each wave (the modules the previous one imports with `import()`) is one build with an
  // entry point per module: esbuild bundles each entry on its own (no splitting), but
  // parses the SDK files they share once, where a build per module parsed them up to 16
  // times (the CLI build took 5.7 s here, 2.7 s of it in one wave of 16; now 2.4 s).
  while (pending.length > 0) {
    const wave = pending.splice(0);
    builds.push(
      await build({
        ...awsOptions,
        entryPoints: wave.map((resolved) => ({ in: resolved, out: names.get(resolved).replace(/\.cjs$/, '') })),
        outdir,
        outExtension: { '.js': '.cjs' },
        plugins: [lazyImports(true)],
      }),
    );
  }
  return builds;
}

/** dist/cli/vendor/<package>.cjs for each of VENDOR_PACKAGES: the package's CommonJS build, bundled. */
function vendorBuilds() {
  return Promise.all(
    VENDOR_PACKAGES.map((name) =>
      build({
        ...cliCommon,
        stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: 'js', sourcefile: `vendor-${name}.cjs` },
        outfile: path.join(root, 'dist/cli', VENDOR_DIR, `${name}.cjs`),
      }),
    ),
  );
}

async function buildCli() {
  const startedAt = new Date();
  const [main, aws, vendor] = await Promise.all([
    build({
      ...cliCommon,
      entryPoints: [path.join(root, 'src/cli/main.ts')],
      outfile: path.join(root, 'dist/cli/sentinel.cjs'),
      // CommonJS loads faster than an ES module graph and lets bin/sentinel load it
      // as a script; dynamic `import()`s of policy modules become lazy initialisers inside the bundle.
      plugins: [awsBundle, vendorBundles, lazyChildProcess],
    }),
    awsBundles(),
    vendorBuilds(),
  ]);
  for (const { metafile } of [main, ...aws, ...vendor]) assertNoDynamicImport(metafile);
  // The input list and the bundles loaded on first use before the one that loads them:
  // a launcher that sees the new main bundle finds them there.
  await writeOutputs([inputsFile(main.metafile)], startedAt);
  for (const { outputFiles } of [...aws].reverse()) await writeOutputs(outputFiles, startedAt);
  for (const { outputFiles } of vendor) await writeOutputs(outputFiles, startedAt);
  await writeOutputs(main.outputFiles, startedAt);
  const lazy = aws.slice(1).flatMap(({ outputFiles }) => outputFiles.filter((file) => file.path.endsWith('.cjs')));
  const lazyKB = lazy.reduce((bytes, file) => bytes + file.contents.byteLength, 0) / 1024;
  process.stdout.write(
    `built dist/cli/sentinel.cjs (${kilobytes(main.outputFiles, '.cjs')}) and dist/cli/${AWS_BUNDLE} (${kilobytes(aws[0].outputFiles, '.cjs')}), ` +
      `with ${lazy.length} bundles in dist/cli/${AWS_LAZY_DIR}/ that it loads on first use (${lazyKB.toFixed(1)} kB), ` +
      `and ${VENDOR_PACKAGES.map((name) => `dist/cli/${VENDOR_DIR}/${name}.cjs (${kilobytes(vendor[VENDOR_PACKAGES.indexOf(name)].outputFiles, '.cjs')})`).join(' and ')} for the policy commands\n`,
  );
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
