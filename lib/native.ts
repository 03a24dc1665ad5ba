// Loads the native addon, once, when the package is imported. The only module that touches it
// directly; everything else goes through `native` (typed by ./binding.ts).
//
// Where it looks, first that loads wins:
//   $RNNKIT_ADDON (an explicit path; when set, nothing else is tried, so a wrong path is not
//   hidden by another build), prebuilds/<platform>-<arch>/rnnkit.node (shipped binaries),
//   build-cmake/Release/rnnkit.node (cmake-js), build/Release/rnnkit.node (node-gyp).
// When none loads, one BackendError lists every path with its cause and the fixes.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Binding } from './binding.js';
import { BackendError } from './errors.js';

export interface LoadAttempt {
  path: string;
  /** 'not found', or the loader's message (e.g. a shared library that is missing). */
  cause: string;
}

/** The package root: the parent of lib/ (sources, under vitest) or dist/ (the built package). */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.RNNKIT_ADDON) return [path.resolve(env.RNNKIT_ADDON)];
  return [
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'rnnkit.node'),
    path.join(root, 'build-cmake', 'Release', 'rnnkit.node'),
    path.join(root, 'build', 'Release', 'rnnkit.node'),
  ];
}

export function loadErrorMessage(attempts: LoadAttempt[]): string {
  return [
    'rnnkit: could not load the native addon. Tried:',
    ...attempts.map((a) => `  ${a.path}: ${a.cause}`),
    'To fix:',
    '  - build it: `npm rebuild rnnkit` (needs oneDNN: `sudo apt-get install libdnnl-dev`)',
    '  - "libdnnl.so.2: cannot open shared object file": `sudo apt-get install libdnnl2`',
    '  - or set RNNKIT_ADDON to the path of a rnnkit.node built for this machine',
  ].join('\n');
}

function load(): { native: Binding; addonPath: string } {
  const require = createRequire(import.meta.url);
  const attempts: LoadAttempt[] = [];
  for (const candidate of addonCandidates()) {
    if (!existsSync(candidate)) {
      attempts.push({ path: candidate, cause: 'not found' });
      continue;
    }
    try {
      return { native: require(candidate) as Binding, addonPath: candidate };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      attempts.push({ path: candidate, cause: message.split('\n')[0] ?? message });
    }
  }
  throw new BackendError(loadErrorMessage(attempts));
}

const loaded = load();
export const native: Binding = loaded.native;
/** The file the addon was loaded from. */
export const addonPath: string = loaded.addonPath;
