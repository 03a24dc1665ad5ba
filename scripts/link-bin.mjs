// The `prepare` step of `npm ci` / `npm install` in a clone: links this package's own CLI into
// node_modules/.bin, so `npx rnnkit` runs the checkout's CLI at once. Without the link, npx
// installs a copy of the package into its cache, and that copy's install script builds the addon
// all over again (minutes). Installs from the registry never run `prepare`, so users' projects
// are untouched.
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';

const root = new URL('../', import.meta.url);
if (existsSync(new URL('node_modules/', root))) {
  const binDir = new URL('node_modules/.bin/', root);
  mkdirSync(binDir, { recursive: true });
  const link = new URL('rnnkit', binDir);
  rmSync(link, { force: true });
  symlinkSync('../../bin/rnnkit.mjs', link);
}
