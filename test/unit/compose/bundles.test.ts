/**
 * What each Lambda function loads at a cold start, from the metafile of its bundle built
 * exactly as scripts/build.mjs builds it (scripts/buildOptions.mjs): the entry and the
 * chunks it imports statically. A static import added in the wrong place (the policy
 * parser, a response schema) would make every cold start of a function parse and run
 * it again; docs/performance.md (Cold start) says what is deferred and why.
 */

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without type declarations.
import { functionOptions, initialOutputs } from '../../../scripts/buildOptions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const names = readdirSync(path.join(root, 'functions'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

interface Loaded {
  /** Source files (paths relative to the checkout) in the entry and the chunks it imports statically. */
  atStart: Set<string>;
  /** Source files in any output, the chunks loaded on first use included. */
  inAll: Set<string>;
}

const loaded = new Map<string, Loaded>();

function inputsOf(metafile: Metafile, outputs: string[]): Set<string> {
  return new Set(outputs.flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {})));
}

beforeAll(async () => {
  await Promise.all(
    names.map(async (name) => {
      const outdir = path.join(root, 'dist/functions', name);
      const result = await build({ ...(functionOptions(root) as object), entryPoints: { index: path.join(root, 'functions', `${name}.ts`) }, outdir, write: false, metafile: true });
      const entry = path.relative(root, path.join(outdir, 'index.mjs')).split(path.sep).join('/');
      const start = (initialOutputs as (metafile: Metafile, entry: string) => string[])(result.metafile, entry);
      loaded.set(name, { atStart: inputsOf(result.metafile, start), inAll: inputsOf(result.metafile, Object.keys(result.metafile.outputs)) });
    }),
  );
}, 120_000);

function of(name: string): Loaded {
  const bundle = loaded.get(name);
  if (bundle === undefined) throw new Error(`no bundle for ${name}`);
  return bundle;
}

const YAML = (file: string): boolean => file.startsWith('node_modules/yaml/');

describe('what a function loads at a cold start', () => {
  it('builds a bundle for every function', () => {
    expect(names).toContain('credentials');
    expect([...loaded.keys()].sort()).toEqual(names);
  });

  it('no function but putPolicy loads the policy parser or the YAML library at start; those that read a policy load it on first use', () => {
    for (const name of names) {
      const { atStart, inAll } = of(name);
      const parserAtStart = atStart.has('src/policy/parse.ts') || [...atStart].some(YAML);
      // Validating a pushed text is all putPolicy does: it needs the parser for every request.
      expect(parserAtStart, name).toBe(name === 'putPolicy');
      if (inAll.has('src/policyStore/CachedPolicySource.ts')) expect(inAll.has('src/policy/parse.ts'), name).toBe(true);
    }
  });

  it('no function holds a response schema or the route table with every schema built: those are for the CLI', () => {
    for (const name of names) {
      const { inAll } = of(name);
      expect(inAll.has('src/api/responses.ts'), name).toBe(false);
      expect(inAll.has('src/api/routes.ts'), name).toBe(false);
    }
  });

  it('the credentials function loads the break-glass store only when the policy refuses (the grant lookup)', () => {
    const { atStart, inAll } = of('credentials');
    expect(atStart.has('src/breakglass/DynamoBreakglassStore.ts')).toBe(false);
    expect(inAll.has('src/breakglass/DynamoBreakglassStore.ts')).toBe(true);
  });
});
