/**
 * What the CLI's API client (src/cli/api/client.ts) loads, from the metafile of a bundle
 * of it: the route table and the hand-written checks of the hot answers when it loads,
 * the lazily built response schemas only when an answer needs one, and never the modules
 * that build every schema of the API when they load (src/api/routes.ts,
 * src/api/responses.ts, src/api/schemas.ts). `sentinel exec` and `sentinel credentials` load the client for
 * one call; a static import of one of those would make every run build them all again
 * (docs/performance.md).
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('what the API client loads', () => {
  it('the route table and the lazy schemas, none of the modules that build every schema', async () => {
    const result = await build({
      absWorkingDir: root,
      entryPoints: ['src/cli/api/client.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('src/api/routeTable.ts');
    expect(inputs).toContain('src/api/responseSchemas.ts');
    expect(inputs).toContain('src/api/requestSchemas.ts');
    for (const eager of ['src/api/routes.ts', 'src/api/responses.ts', 'src/api/schemas.ts']) expect(inputs, eager).not.toContain(eager);

    // What loading the client runs: its static imports, followed. No response schema:
    // the hot answers have hand-written checks (src/api/answerChecks.ts), and the schemas
    // are imported when an answer needs one. (The route table brings zod and the
    // request schemas' builders, which build nothing until called.)
    const loaded = new Set<string>();
    const follow = (file: string): void => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const { path: imported, kind } of result.metafile.inputs[file]?.imports ?? []) if (kind === 'import-statement') follow(imported);
    };
    follow('src/cli/api/client.ts');
    expect(loaded).toContain('src/api/answerChecks.ts');
    expect(loaded).not.toContain('src/api/responseSchemas.ts');
    const later = (result.metafile.inputs['src/cli/api/client.ts']?.imports ?? []).filter(({ kind }) => kind === 'dynamic-import').map(({ path: imported }) => imported);
    expect(later).toContain('src/api/responseSchemas.ts');
  });
});
