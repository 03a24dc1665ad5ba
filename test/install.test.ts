// The install script: takes a prebuilt that loads, else builds, and stops naming the package to
// install when oneDNN is not where it looks. Each case runs a copy of the script in a temporary
// package folder, so the repository's own prebuilds/ and build folders play no part.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../lib/native.js';

const scripts = ['install.mjs', 'fetch-onednn.mjs'].map((name) => fileURLToPath(new URL(`../scripts/${name}`, import.meta.url)));
const prebuilt = path.join('prebuilds', `${process.platform}-${process.arch}`, 'rnnkit.node');

/** A package folder with the install script and, when given, a prebuilt made by `make(file)`. */
function packageWith(make?: (file: string) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-install-'));
  mkdirSync(path.join(dir, 'scripts'));
  for (const script of scripts) copyFileSync(script, path.join(dir, 'scripts', path.basename(script)));
  if (make) {
    mkdirSync(path.dirname(path.join(dir, prebuilt)), { recursive: true });
    make(path.join(dir, prebuilt));
  }
  return dir;
}

function install(dir: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['scripts/install.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    // No oneDNN where it looks: a build, when tried, stops at once.
    env: { ...process.env, DNNL_ROOT: '/nonexistent/onednn', RNNKIT_SKIP_INSTALL: '', RNNKIT_BUILD_FROM_SOURCE: '', ...env },
  });
}

const loadingAddon = (file: string) => copyFileSync(addonPath, file);

describe('install script', () => {
  it('without oneDNN, exits 1 and names libdnnl-dev and DNNL_ROOT', () => {
    const r = install(packageWith());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot build the native addon (no prebuilt)');
    expect(r.stderr).toContain('oneapi/dnnl/dnnl.hpp is not in /nonexistent/onednn/include');
    expect(r.stderr).toContain('apt-get install libdnnl-dev');
    expect(r.stderr).toContain('DNNL_ROOT');
  });

  it('takes a prebuilt that loads, and builds nothing', () => {
    const r = install(packageWith(loadingAddon));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`rnnkit: using ${prebuilt} (prebuilt, it loads)\n`);
    expect(r.status).toBe(0);
  });

  it("says why a prebuilt that does not load was passed over (the loader's reason), then builds", () => {
    const r = install(packageWith((file) => writeFileSync(file, 'not a shared object')));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot build the native addon \(prebuilt does not load \(Error: .*(invalid ELF header|file too short)\)\)/);
  });

  it('with RNNKIT_BUILD_FROM_SOURCE=1, builds even where a prebuilt loads', () => {
    const r = install(packageWith(loadingAddon), { RNNKIT_BUILD_FROM_SOURCE: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot build the native addon (RNNKIT_BUILD_FROM_SOURCE=1)');
  });
});
