import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addonCandidates, addonPath, loadErrorMessage, native, packageRoot } from '../lib/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('native loader', () => {
  it('loads the built addon, whose version is the package version', () => {
    expect(addonPath).toMatch(/rnnkit\.node$/);
    expect(native.version).toBe(pkg.version);
  });

  it('tries RNNKIT_ADDON alone when set, else the cmake-js and node-gyp builds, then the prebuilt', () => {
    expect(addonCandidates({ RNNKIT_ADDON: 'some/rnnkit.node' })).toEqual([path.resolve('some/rnnkit.node')]);
    expect(addonCandidates({})).toEqual([
      path.join(root, 'build-cmake', 'Release', 'rnnkit.node'),
      path.join(root, 'build', 'Release', 'rnnkit.node'),
      path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'rnnkit.node'),
    ]);
  });

  it("finds the package root from lib/, dist/ or dist/cjs/ (which has a package.json of its own)", () => {
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-root-'));
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'rnnkit', type: 'module' }));
    mkdirSync(path.join(pkg, 'dist', 'cjs'), { recursive: true });
    writeFileSync(path.join(pkg, 'dist', 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    expect(packageRoot(path.join(pkg, 'dist', 'cjs'))).toBe(pkg);
    expect(packageRoot(path.join(pkg, 'dist'))).toBe(pkg);
    expect(packageRoot(path.join(root, 'lib'))).toBe(path.resolve(root));
    expect(() => packageRoot(os.tmpdir())).toThrow(/no rnnkit package\.json at or above/);
  });

  it('lists every path tried with its cause, then the fixes', () => {
    const message = loadErrorMessage([
      { path: '/pkg/prebuilds/linux-x64/rnnkit.node', cause: 'not found' },
      {
        path: '/pkg/build-cmake/Release/rnnkit.node',
        cause: 'libdnnl.so.2: cannot open shared object file: No such file or directory',
      },
    ]);
    expect(message.split('\n').slice(0, 3)).toEqual([
      'rnnkit: could not load the native addon. Tried:',
      '  /pkg/prebuilds/linux-x64/rnnkit.node: not found',
      '  /pkg/build-cmake/Release/rnnkit.node: libdnnl.so.2: cannot open shared object file: No such file or directory',
    ]);
    for (const fix of ['npm rebuild rnnkit', 'apt-get install libdnnl-dev', 'apt-get install libdnnl2', 'RNNKIT_ADDON']) {
      expect(message).toContain(fix);
    }
  });

  describe('with RNNKIT_ADDON pointing at a bad file, importing the loader throws one BackendError', () => {
    // A fresh copy of the module runs its loading again; the addon already loaded stays as it is.
    async function importFresh(addon: string): Promise<unknown> {
      vi.stubEnv('RNNKIT_ADDON', addon);
      vi.resetModules();
      return import('../lib/native.js');
    }
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });

    it('names a missing file "not found"', async () => {
      const missing = path.join(os.tmpdir(), 'rnnkit-no-such-dir', 'rnnkit.node');
      await expect(importFresh(missing)).rejects.toMatchObject({
        name: 'BackendError',
        message: expect.stringContaining(`  ${missing}: not found\n`),
      });
    });

    it("gives the dynamic loader's reason for a file that is not an addon", async () => {
      const junk = path.join(mkdtempSync(path.join(os.tmpdir(), 'rnnkit-loader-')), 'rnnkit.node');
      writeFileSync(junk, 'not a shared object');
      const error = await importFresh(junk).then(
        () => expect.unreachable('the import should fail'),
        (err: unknown) => err as Error,
      );
      expect(error.name).toBe('BackendError');
      expect(error.message).toMatch(new RegExp(`  ${junk}: .*(invalid ELF header|file too short)`));
      expect(error.message).toContain('npm rebuild rnnkit');
    });
  });
});
