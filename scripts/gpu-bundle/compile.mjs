// Compiles TypeScript or JavaScript entry points into self-contained ES modules for the GPU
// bundle: rnnkit's own sources (lib/) are bundled in, `rnnkit` resolves to them as in
// vitest.config.ts, and `vitest` resolves to the node:test shim (test/gpu/standalone/vitest.ts), so
// the test suites and benchmarks run on a machine with Node and nothing installed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Bundles each of `entries` (paths) into `outdir`/<name>.mjs; returns the output paths. */
export async function compileForNode(entries, outdir) {
  const entryPoints = Object.fromEntries(
    entries.map((entry) => [path.basename(entry).replace(/\.(test\.)?[cm]?[jt]s$/, ''), path.resolve(root, entry)]),
  );
  await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    alias: {
      rnnkit: path.join(root, 'lib/index.ts'),
      vitest: path.join(root, 'test/gpu/standalone/vitest.ts'),
    },
  });
  return Object.keys(entryPoints).map((name) => path.join(outdir, `${name}.mjs`));
}
