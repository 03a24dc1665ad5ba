#!/usr/bin/env node
// The `rnnkit` command. The CLI is TypeScript compiled to dist/ (`npm run build`; in a clone,
// the install script compiles it).

import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("rnnkit: dist/cli/main.js is missing: run 'npm run build' in the package folder first\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
