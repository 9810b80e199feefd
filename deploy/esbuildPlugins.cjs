/**
 * esbuild plugins of the deployed bundles (serverless.yml, custom.esbuild.plugins).
 *
 * serverless-esbuild builds every function into one directory (functions/) and zips
 * into each function's package every file there except the other functions' bundles,
 * which it recognises by name: `functions/<other>.mjs` and anything starting with
 * `functions/<other>.`. With code splitting (scripts/buildOptions.mjs says why) the
 * chunks would otherwise all be `functions/chunks/…`, shared by name and shipped in
 * every package. Naming each function's chunks `functions/<name>.chunks/…` puts them
 * in its own package only, beside its entry `functions/<name>.mjs`.
 */
'use strict';

const path = require('node:path');

/** Each build (one per function) names its chunks after its one entry point. */
const functionChunks = {
  name: 'sentinel-function-chunks',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    if (!Array.isArray(entries) || entries.length !== 1 || typeof entries[0] !== 'string') {
      throw new Error('sentinel-function-chunks: expected one entry point per build (serverless-esbuild builds each function alone)');
    }
    const name = path.basename(entries[0], path.extname(entries[0]));
    // Read by esbuild when the build starts, after every plugin's setup.
    build.initialOptions.chunkNames = `${name}.chunks/[name]-[hash]`;
  },
};

module.exports = [functionChunks];
