// Fills prebuilds/<platform>-<arch>/ from a built addon, so that `npm pack` ships a binary that
// loads on a machine with no compiler, cmake or oneDNN (the release flow: build, prebuild, pack):
//   - rnnkit.node (N-API 8, so one binary serves every Node.js version the package supports);
//   - rnnkit_cuda.so when the build made one (the CUDA module the addon loads on demand; the
//     CUDA libraries it needs are found at run time, never shipped);
//   - rnnkit_gloo.so when the build made one (the Gloo module, loaded on first use of a process
//     group): libgloo and its closure (hiredis, ibverbs and its dlopen()ed providers) are not
//     shipped, so it works where the system has libgloo and says how to get it where not;
//   - every shared library the addon needs that a bare Linux with Node.js lacks (oneDNN, its
//     OpenMP runtime and OpenCL loader), found with ldd, plus their Debian copyright files;
//   - RUNPATH $ORIGIN on each of them (patchelf), so the dynamic loader looks beside the addon
//     before the system's folders, and no path of the build machine stays in a shipped binary.
// usage: node scripts/prebuild.mjs [path/to/rnnkit.node]   (default: build-cmake/Release/rnnkit.node)
// scripts/gpu-bundle.mjs makes the GPU bundle's addon folder with the same function (prebuild).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// What glibc-based Linux with Node.js always has (Node itself links libstdc++ and libgcc_s).
const SYSTEM_LIBRARIES = /^(linux-vdso|ld-linux[^ ]*|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s)\.so/;

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) fail(`${cmd} could not run (${r.error.message})${cmd === 'patchelf' ? ': apt-get install patchelf' : ''}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** The shared libraries `file` needs that the system does not provide, as soname -> path. */
function bundledDependencies(file) {
  const needed = new Map();
  for (const line of run('ldd', [file]).split('\n')) {
    const m = /^\s*(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (!m || SYSTEM_LIBRARIES.test(m[1])) continue;
    if (m[2] === 'not found') fail(`${file} needs ${m[1]}, which is not found`);
    needed.set(m[1], m[2]);
  }
  return needed;
}

/** The Debian copyright file of the package that owns `library`, when dpkg knows it. */
function copyrightFile(library) {
  const owner = spawnSync('dpkg', ['-S', realpathSync(library)], { encoding: 'utf8' });
  const pkg = owner.status === 0 ? owner.stdout.split(':')[0] : undefined;
  const file = pkg && `/usr/share/doc/${pkg}/copyright`;
  return file && existsSync(file) ? { pkg, file } : undefined;
}

/**
 * Fills `out` (emptied first) with the addon, the CUDA module beside it if any, and the shared
 * libraries they need, each with RUNPATH $ORIGIN; checks that the copy loads. Returns the files.
 */
export function prebuild(addon, out) {
  if (!existsSync(addon)) fail(`${addon} not found: build the addon first (npm run build:native)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'licenses'), { recursive: true });

  const shipped = [path.join(out, 'rnnkit.node')];
  copyFileSync(addon, shipped[0]);
  for (const module of ['rnnkit_cuda.so', 'rnnkit_gloo.so']) {
    const built = path.join(path.dirname(addon), module);
    if (!existsSync(built)) continue;
    shipped.push(path.join(out, module));
    copyFileSync(built, shipped.at(-1));
  }
  // ldd lists the whole closure (oneDNN's own OpenCL loader too), so one pass over the addon is enough.
  for (const [soname, library] of bundledDependencies(addon)) {
    const dest = path.join(out, soname);
    copyFileSync(library, dest); // copyFileSync follows the soname's symlink to the real file
    shipped.push(dest);
    const copyright = copyrightFile(library);
    if (copyright) copyFileSync(copyright.file, path.join(out, 'licenses', `${copyright.pkg}.copyright`));
  }
  for (const file of shipped) run('patchelf', ['--set-rpath', '$ORIGIN', file]);

  // The copy must load on its own: in a child process, so a crash cannot hide as success.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(shipped[0])})`], { encoding: 'utf8' });
  if (check.status !== 0) fail(`${shipped[0]} does not load:\n${check.stderr}`);
  return shipped;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const addon = path.resolve(process.argv[2] ?? path.join(root, 'build-cmake/Release/rnnkit.node'));
  const out = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const shipped = prebuild(addon, out);
  console.log(`prebuild: ${path.relative(root, out)}: ${shipped.map((f) => path.basename(f)).join(', ')}`);
}
