// esbuild options shared by scripts/build.mjs and the benchmarks, so a baseline bundle
// measured beside the functions is built exactly as they are.

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

/** A Lambda function's bundle (an ES module); `root` is the checkout. */
export function functionOptions(root) {
  return {
    ...common,
    absWorkingDir: root,
    format: 'esm',
    // The packages' ES module builds let esbuild drop what a function never reaches
    // (the AWS SDK ships both; its CommonJS build cannot be tree-shaken).
    mainFields: ['module', 'main'],
    // Bundled CommonJS dependencies call `require`, which an ES module lacks.
    banner: {
      js: "import { createRequire as __sentinelCreateRequire } from 'node:module'; const require = __sentinelCreateRequire(import.meta.url);",
    },
  };
}
