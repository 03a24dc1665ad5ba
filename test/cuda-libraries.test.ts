// Where the CUDA-enabled addon (build-cuda-check/, as in test/cuda-module.test.ts) finds cuBLAS
// and cuDNN: native.cudaLibrarySearch() runs the loader's own search without loading anything,
// so fake Python environments in a temp folder test it on a machine without a GPU. Each case
// runs in a child process with its own environment (PATH, CUDNN_PATH, ...), so nothing leaks.
// A stand-in driver (libcuda.so.1 linking to libc, which has none of the driver's functions)
// gets the loader past its driver check, so the libraries are really loaded and the CUDA runtime
// then refuses the driver: that shows what the loader maps, and its link-only-copy reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendInfo, CudaLibrarySearch } from '../lib/binding.js';
import { cudaLibraryLines } from '../lib/cli/commands/info.js';
import { native } from '../lib/native.js';

const root = path.resolve(import.meta.dirname, '..');
const buildDir = path.join(root, 'build-cuda-check', 'Release');
const addonFile = path.join(buildDir, 'rnnkit.node');
const built = existsSync(addonFile) && existsSync(path.join(buildDir, 'rnnkit_cuda.so'));
const cli = path.join(root, 'bin', 'rnnkit.mjs');
const cliBuilt = existsSync(path.join(root, 'dist', 'cli', 'main.js'));
// The package's link-only copy (npm run fetch:cuda-deps): real cuBLAS and a real libcudnn.so.9.
const deps = path.join(root, '.deps', 'cuda', 'lib');
const realLibraries = ['libcublasLt.so.13', 'libcublas.so.13', 'libcudnn.so.9'].every((f) => existsSync(path.join(deps, f)));

const CUDNN_PARTS = ['libcudnn_graph.so.9', 'libcudnn_ops.so.9', 'libcudnn_adv.so.9'];

const tmp = mkdtempSync(path.join(tmpdir(), 'rnnkit-cuda-libraries-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface FakeVenv {
  bin: string;
  cudnn: string;
  cublas: string;
}

/**
 * A venv that is not activated: bin/python3 (a symlink elsewhere, as a venv's is) and NVIDIA's
 * wheel folders. `cudnn` and `cublas` name the files to put there: empty files, or with
 * `real`, symlinks to the package's .deps copies for those it has.
 */
function fakeVenv(name: string, files: { cudnn: string[]; cublas: string[] }, real = false): FakeVenv {
  const venv = path.join(tmp, name);
  const site = path.join(venv, 'lib', 'python3.12', 'site-packages');
  const v: FakeVenv = { bin: path.join(venv, 'bin'), cudnn: path.join(site, 'nvidia', 'cudnn', 'lib'), cublas: path.join(site, 'nvidia', 'cu13', 'lib') };
  for (const dir of [v.bin, v.cudnn, v.cublas]) mkdirSync(dir, { recursive: true });
  symlinkSync('/bin/true', path.join(v.bin, 'python3'));
  for (const [dir, names] of [[v.cudnn, files.cudnn], [v.cublas, files.cublas]] as const) {
    for (const file of names) {
      if (real && existsSync(path.join(deps, file))) symlinkSync(path.join(deps, file), path.join(dir, file));
      else writeFileSync(path.join(dir, file), '');
    }
  }
  return v;
}

/** The environment of a child that finds Python only in `bin`: no activated venv, conda or cuDNN root. */
function childEnv(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:/usr/bin:/bin`, ...extra };
  for (const name of ['VIRTUAL_ENV', 'CONDA_PREFIX', 'CUDNN_PATH', 'CUDNN_ROOT']) if (!(name in extra)) delete env[name];
  return env;
}

/** Runs `script` (CommonJS, `addon` bound to the CUDA-enabled addon) in a child; its stdout parsed as JSON. */
function inChild<T>(script: string, env: NodeJS.ProcessEnv): T {
  const run = spawnSync(process.execPath, ['-e', `const addon = require(${JSON.stringify(addonFile)});\n${script}`], { env, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

function searchIn(env: NodeJS.ProcessEnv): CudaLibrarySearch {
  return inChild<CudaLibrarySearch>('process.stdout.write(JSON.stringify(addon.cudaLibrarySearch()))', env);
}

function folderOf(search: CudaLibrarySearch, file: string): string | null {
  const library = search.libraries.find((l) => l.file === file);
  if (library === undefined) throw new Error(`${file} is not in the search's libraries`);
  return library.folder;
}

/** A folder holding libcuda.so.1, a stand-in for the driver: a symlink to the libc this process maps. */
function standInDriver(): string {
  const libc = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).pop() ?? '')
    .find((file) => /\/libc(\.so\.6|-[\d.]+\.so)$/.test(file));
  if (libc === undefined) throw new Error('no libc in /proc/self/maps');
  const dir = path.join(tmp, 'driver');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, 'libcuda.so.1'))) symlinkSync(libc, path.join(dir, 'libcuda.so.1'));
  return dir;
}

/** Whether the dynamic linker's cache lists a libcudnn.so.9 (a system cuDNN the loader would fall back to). */
function systemHasCudnn(): boolean {
  const run = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  return run.status === 0 && run.stdout.includes('libcudnn.so.9 ');
}

describe('cudaLibrarySearch() in the addon this process loaded', () => {
  it('is null exactly in a build without the CUDA module', () => {
    const noCudaBuild = native.backends().some((b: BackendInfo) => b.detail.startsWith('this build of rnnkit has no CUDA backend'));
    const search = native.cudaLibrarySearch();
    if (noCudaBuild) expect(search).toBeNull();
    else expect(search?.libraries.map((l) => l.file)).toEqual(['libcublasLt.so.13', 'libcublas.so.13', 'libcudnn.so.9', ...CUDNN_PARTS]);
  });
});

describe.skipIf(!built)(`where the CUDA-enabled addon (${addonFile}) finds cuBLAS and cuDNN`, () => {
  const complete = fakeVenv('venv', { cudnn: ['libcudnn.so.9', ...CUDNN_PARTS], cublas: ['libcublasLt.so.13', 'libcublas.so.13'] });

  it('finds the wheels of a venv whose python3 is on PATH, not activated', () => {
    const search = searchIn(childEnv(complete.bin));
    // The venv's own folders (not the prefix of /bin/true, where the python3 symlink points).
    expect(search.folders.slice(0, 2)).toEqual([complete.cudnn, complete.cublas]);
    expect(search.libraries).toEqual([
      { file: 'libcublasLt.so.13', folder: complete.cublas, loadedBy: 'rnnkit', passedOver: [] },
      { file: 'libcublas.so.13', folder: complete.cublas, loadedBy: 'rnnkit', passedOver: [] },
      { file: 'libcudnn.so.9', folder: complete.cudnn, loadedBy: 'rnnkit', passedOver: [] },
      ...CUDNN_PARTS.map((file) => ({ file, folder: complete.cudnn, loadedBy: 'cudnn', passedOver: [] })),
    ]);
  });

  it('ignores relative PATH entries: libraries never come from wherever the process runs', () => {
    const search = searchIn(childEnv(path.relative(process.cwd(), complete.bin)));
    expect(search.folders.filter((f) => f.includes(path.basename(tmp)))).toEqual([]);
  });

  it('puts CUDNN_PATH first, then VIRTUAL_ENV and CONDA_PREFIX, then the pythons on PATH', () => {
    const cudnnRoot = path.join(tmp, 'cudnn-root');
    mkdirSync(path.join(cudnnRoot, 'lib'), { recursive: true });
    for (const file of ['libcudnn.so.9', ...CUDNN_PARTS]) writeFileSync(path.join(cudnnRoot, 'lib', file), '');
    const active = fakeVenv('active', { cudnn: ['libcudnn.so.9', ...CUDNN_PARTS], cublas: [] });
    const conda = fakeVenv('conda', { cudnn: [], cublas: ['libcublas.so.13'] });
    const search = searchIn(
      childEnv(complete.bin, { CUDNN_PATH: cudnnRoot, VIRTUAL_ENV: path.dirname(active.bin), CONDA_PREFIX: path.dirname(conda.bin) }),
    );
    expect(search.folders.slice(0, 6)).toEqual([path.join(cudnnRoot, 'lib'), active.cudnn, active.cublas, conda.cudnn, conda.cublas, complete.cudnn]);
    expect(folderOf(search, 'libcudnn.so.9')).toBe(path.join(cudnnRoot, 'lib'));
    expect(folderOf(search, 'libcudnn_adv.so.9')).toBe(path.join(cudnnRoot, 'lib'));
    expect(folderOf(search, 'libcublas.so.13')).toBe(conda.cublas);
    expect(folderOf(search, 'libcublasLt.so.13')).toBe(complete.cublas);
  });

  it('passes over a link-only copy of cuDNN (no libcudnn_adv.so.9 beside libcudnn.so.9), naming the folder', () => {
    const linkOnly = fakeVenv('link-only', { cudnn: ['libcudnn.so.9', 'libcudnn_graph.so.9', 'libcudnn_ops.so.9'], cublas: [] });
    const search = searchIn(childEnv(`${linkOnly.bin}:${complete.bin}`));
    const cudnn = search.libraries.find((l) => l.file === 'libcudnn.so.9')!;
    expect(cudnn.folder).toBe(complete.cudnn);
    expect(cudnn.passedOver).toEqual([{ folder: linkOnly.cudnn, missing: ['libcudnn_adv.so.9'] }]);
    expect(folderOf(search, 'libcudnn_adv.so.9')).toBe(complete.cudnn);
  });

  const infoTitle = 'rnnkit info prints where each library comes from';
  it.skipIf(!cliBuilt)(cliBuilt ? infoTitle : `${infoTitle}: SKIPPED, dist/cli/main.js is not built (npm run build)`, () => {
    const env = { ...childEnv(complete.bin), RNNKIT_ADDON: addonFile };
    const run = spawnSync(process.execPath, [cli, 'info'], { env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = cudaLibraryLines(searchIn(env));
    expect(lines[0]).toMatch(/^cuda libraries \(searched: /);
    expect(lines).toContain(`  libcudnn_adv.so.9    ${complete.cudnn} (cuDNN loads it when first needed)`);
    expect(run.stdout).toContain(`${lines.join('\n')}\n`);
  });

  const loaderTitle = 'with a stand-in driver, the loader itself';
  describe.skipIf(!realLibraries)(realLibraries ? loaderTitle : `${loaderTitle}: SKIPPED, ${deps} lacks cuBLAS or libcudnn.so.9 (npm run fetch:cuda-deps)`, () => {
    const driver = realLibraries ? standInDriver() : '';

    /** backends()' reason, and the cuBLAS/cuDNN files the child then maps. */
    function loadIn(env: NodeJS.ProcessEnv): { reason: string; mapped: string[] } {
      return inChild(
        `const cuda = addon.backends().find((b) => b.name === 'cuda');
        const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/).pop());
        process.stdout.write(JSON.stringify({ reason: cuda.detail, mapped: [...new Set(maps.filter((f) => /libcu(blas|dnn)/.test(f)))] }));`,
        { ...env, LD_LIBRARY_PATH: driver },
      );
    }

    it("loads cuBLASLt, cuBLAS and libcudnn.so.9, and none of cuDNN's sub-libraries", () => {
      const venv = fakeVenv('real', { cudnn: ['libcudnn.so.9', ...CUDNN_PARTS], cublas: ['libcublasLt.so.13', 'libcublas.so.13'] }, true);
      const env = childEnv(venv.bin);
      expect(folderOf(searchIn(env), 'libcudnn.so.9')).toBe(venv.cudnn);
      const { reason, mapped } = loadIn(env);
      // The module loaded (so did the libraries it links), and the runtime refused the stand-in.
      expect(reason).toContain('cudaErrorInsufficientDriver');
      expect(mapped.map((f) => path.basename(f)).sort()).toEqual(['libcublas.so.13', 'libcublasLt.so.13', 'libcudnn.so.9']);
    });

    const linkOnly = fakeVenv('real-link-only', { cudnn: ['libcudnn.so.9', 'libcudnn_graph.so.9', 'libcudnn_ops.so.9'], cublas: ['libcublasLt.so.13', 'libcublas.so.13'] }, true);
    // Where the package's .deps or the system has a complete cuDNN, the loader rightly uses it.
    const completeElsewhere = built && realLibraries && (folderOf(searchIn(childEnv(linkOnly.bin)), 'libcudnn.so.9') !== null || systemHasCudnn());

    const linkOnlyTitle = 'reports a link-only copy with its folder instead of loading the module';
    it.skipIf(completeElsewhere)(completeElsewhere ? `${linkOnlyTitle}: SKIPPED, a complete cuDNN is in .deps or the system's` : linkOnlyTitle, () => {
      const { reason, mapped } = loadIn(childEnv(linkOnly.bin));
      expect(reason).toMatch(/^no usable libcudnn\.so\.9 was found \(looked in: /);
      expect(reason).toContain(
        `; ${linkOnly.cudnn} has a link-only copy of cuDNN: libcudnn.so.9 without the sub-library the RNN needs beside it (libcudnn_adv.so.9 missing)`,
      );
      expect(reason).toContain('; to fix: `pip install nvidia-cublas nvidia-cudnn-cu13`');
      expect(mapped.map((f) => path.basename(f))).not.toContain('libcudnn.so.9');
    });
  });
});
