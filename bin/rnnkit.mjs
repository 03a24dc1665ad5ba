#!/usr/bin/env node
// The `rnnkit` command. The CLI is TypeScript compiled to dist/ (`npm run build`; in a clone,
// the install script compiles it).

import { existsSync } from 'node:fs';

// OpenMP threads that spin while waiting (the default policy) collapse when the cores are shared:
// on a 2-core machine running other work, a demo training step took 13 s with spinning threads
// and 0.1 s with passive ones. The OpenMP runtime reads this when the addon loads; a value the
// user set is kept.
process.env.OMP_WAIT_POLICY ??= 'passive';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("rnnkit: dist/cli/main.js is missing: run 'npm run build' in the package folder first\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
