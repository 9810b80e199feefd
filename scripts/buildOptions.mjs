// esbuild options shared by scripts/build.mjs and the benchmarks, so a baseline bundle
// measured beside the functions is built exactly as they are. serverless.yml
// (custom.esbuild) repeats them for the deployed bundles.

/** Every bundle: one file for Node 20 (Lambda nodejs22.x runs it too), whitespace and syntax minified. */
export const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  // Error classes name themselves after `new.target.name`; bundling may rename them.
  keepNames: true,
  write: false,
  logLevel: 'warning',
};

/**
 * A Lambda function's bundle (an ES module and its chunks, written under `outdir`);
 * `root` is the checkout.
 *
 * Code splitting: what the code reaches only through a dynamic `import()` (the SDK's
 * SSO, INI-file, process, web-identity and instance-metadata credential providers, which
 * Lambda's environment credentials never need; the IAM client of the identity-role
 * lookup, src/compose/iam.ts) goes into chunks of its own, loaded on first use, so a
 * cold start neither parses nor runs it. Without splitting esbuild inlines those modules
 * as lazy initialisers and gives up tree-shaking inside them (the whole IAM client, every
 * command, lands in the bundle). Shared code the entry needs at once is in chunks the
 * entry imports statically: every file of the output belongs to the function.
 */
export function functionOptions(root) {
  return {
    ...common,
    absWorkingDir: root,
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // The packages' ES module builds let esbuild drop what a function never reaches
    // (the AWS SDK ships both; its CommonJS build cannot be tree-shaken).
    mainFields: ['module', 'main'],
    // Bundled CommonJS dependencies call `require`, which an ES module lacks (each chunk gets its own).
    banner: {
      js: "import { createRequire as __sentinelCreateRequire } from 'node:module'; const require = __sentinelCreateRequire(import.meta.url);",
    },
  };
}

/**
 * The output files a bundle's entry loads: itself and, transitively, the chunks it
 * imports statically (`import-statement`), from esbuild's metafile. Chunks reached only
 * through `import()` are left out: they load on first use. Paths as the metafile has
 * them (relative to the working directory).
 */
export function initialOutputs(metafile, entryOutput) {
  const loaded = new Set();
  const pending = [entryOutput];
  while (pending.length > 0) {
    const output = pending.pop();
    if (loaded.has(output) || metafile.outputs[output] === undefined) continue;
    loaded.add(output);
    for (const imported of metafile.outputs[output].imports) {
      if (!imported.external && imported.kind === 'import-statement') pending.push(imported.path);
    }
  }
  return [...loaded];
}

/** Kilobytes of the JavaScript a bundle loads at start (`init`) and of all its JavaScript (`total`, every chunk), from its metafile. */
export function bundleSizes(metafile, entryOutput) {
  const javascript = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs') || file.endsWith('.js'));
  const bytes = (files) => files.reduce((sum, file) => sum + (metafile.outputs[file]?.bytes ?? 0), 0);
  return { initKB: bytes(initialOutputs(metafile, entryOutput)) / 1024, totalKB: bytes(javascript.map(([file]) => file)) / 1024 };
}
