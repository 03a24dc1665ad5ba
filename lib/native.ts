// Loads the native addon, once, when the package is imported. The only module that touches it
// directly; everything else goes through `native` (typed by ./binding.ts).
//
// Where it looks, first that loads wins:
//   $RNNKIT_ADDON (an explicit path; when set, nothing else is tried, so a wrong path is not
//   hidden by another build), build-cmake/Release/rnnkit.node (cmake-js),
//   build/Release/rnnkit.node (node-gyp), prebuilds/<platform>-<arch>/rnnkit.node (shipped).
// Builds come before the prebuilt: a build folder exists only where someone built the addon on
// purpose (the install script builds only when the prebuilt does not load, or when asked to; a
// clone of the repository builds while developing), so a stale prebuilt never hides it.
// When none loads, one BackendError lists every path with its cause and the fixes.
//
// This module is compiled twice, to ESM (dist/) and to CommonJS (dist/cjs/, where the build
// defines import.meta.url from __filename), so nothing here may depend on the folder depth.

import { existsSync, readFileSync } from 'node:fs';
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

/** The nearest folder at or above `dir` whose package.json names rnnkit. */
export function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    const manifest = path.join(d, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'rnnkit') {
      return d;
    }
    if (path.dirname(d) === d) throw new BackendError(`rnnkit: no rnnkit package.json at or above ${dir}`);
  }
}

/** The package root: above lib/ (sources, under vitest), dist/ or dist/cjs/ (the built package). */
const root = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Environment variables, as process.env holds them (a structural type: no @types/node needed). */
export type Environment = Record<string, string | undefined>;

export function addonCandidates(env: Environment = process.env): string[] {
  if (env.RNNKIT_ADDON) return [path.resolve(env.RNNKIT_ADDON)];
  return [
    path.join(root, 'build-cmake', 'Release', 'rnnkit.node'),
    path.join(root, 'build', 'Release', 'rnnkit.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'rnnkit.node'),
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

/**
 * Runs `loadAddon` with OpenMP's wait policy defaulting to passive. libgomp reads
 * OMP_WAIT_POLICY once, when it loads with the addon. Its own default, spinning waiters, is a
 * little faster on an idle machine (2-7% on the small benchmark model, nothing on larger ones)
 * but collapses when other processes share the cores: a 10 s example took 17 min 49 s beside six
 * other jobs on 2 cores. A policy the user set is kept; the variable is removed again afterwards,
 * so child processes see the environment the user gave. No effect if something else in the
 * process loaded libgomp first.
 */
export function withPassiveOpenMp<T>(loadAddon: () => T, env: Environment = process.env): T {
  if (env.OMP_WAIT_POLICY !== undefined) return loadAddon();
  env.OMP_WAIT_POLICY = 'passive';
  try {
    return loadAddon();
  } finally {
    delete env.OMP_WAIT_POLICY;
  }
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

const loaded = withPassiveOpenMp(load);
export const native: Binding = loaded.native;
/** The file the addon was loaded from. */
export const addonPath: string = loaded.addonPath;
