// Builds the CommonJS copy of the package into dist/cjs/, after tsc has built the ESM one and its
// .d.ts files into dist/ (`npm run build` runs both):
//   - dist/cjs/index.js: one esbuild bundle of lib/index.ts; import.meta.url, which CommonJS does
//     not have, becomes the bundle's own file URL (lib/native.ts finds the package root from it);
//   - dist/cjs/**/*.d.ts: tsc's declarations, copied, so `require` users get types that
//     TypeScript reads as CommonJS (the same files under dist/ are ESM);
//   - dist/cjs/package.json: {"type": "commonjs"}, which makes Node and TypeScript read the
//     folder as CommonJS although the package's type is module.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'cjs');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { warnings } = await build({
  entryPoints: [path.join(root, 'lib/index.ts')],
  outfile: path.join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': '__rnnkitModuleUrl' },
  banner: { js: 'const __rnnkitModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
// A warning here is a bug in the CommonJS build (e.g. an import.meta property other than url,
// which would be undefined there): esbuild has printed it; stop.
if (warnings.length) process.exit(1);
for (const rel of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!rel.endsWith('.d.ts') || rel.startsWith(`cjs${path.sep}`)) continue;
  mkdirSync(path.join(out, path.dirname(rel)), { recursive: true });
  copyFileSync(path.join(dist, rel), path.join(out, rel));
}
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
