// npm "install" script: gets a native addon that loads, trying in order
//   (a) a prebuilt prebuilds/<platform>-<arch>/rnnkit.node, or a build of this checkout made before,
//   (b) cmake-js (CMakeLists.txt; CUDA backend too when found, RNNKIT_CUDA=AUTO|ON|OFF),
//       with oneDNN from DNNL_ROOT, the system, or else fetched into .deps/onednn (fetch-onednn.mjs),
//   (c) node-gyp (binding.gyp, CPU only),
// and ends with one line saying what it built and why. RNNKIT_SKIP_INSTALL=1 skips it all;
// RNNKIT_BUILD_FROM_SOURCE=1 skips (a). In a clone it also compiles dist/. A build wins over the prebuilt in lib/native.ts too.
// Plain JS on purpose: TypeScript is not compiled yet at install time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchOnednn, ONEDNN_PACKAGES, onednnHeader } from './fetch-onednn.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const say = (line) => console.log(`rnnkit: ${line}`);
const jobs = String(availableParallelism());

/** Runs a command in the package root; stdio 'pipe' captures the output, 'inherit' shows it. */
function run(cmd, args, stdio = 'inherit') {
  return spawnSync(cmd, args, { cwd: root, stdio, encoding: 'utf8' });
}

/** Loads the addon in a child process, so a crash or a missing library cannot take us down. */
function loadError(rel) {
  if (!existsSync(path.join(root, rel))) return 'not found';
  const r = run(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, rel))})`], 'pipe');
  if (r.status === 0) return null;
  return (r.stderr.split('\n').find((l) => l.startsWith('Error')) ?? `exit ${r.status}`).trim();
}

/**
 * In a clone (lib/ and devDependencies present), `npm ci` also compiles the TypeScript, so
 * `npx rnnkit train` works right after it. Not an npm `prepare` script: npx prepares a directory
 * package by installing it again, which rebuilt the addon on every first `npx rnnkit` (minutes).
 * Installs from the registry ship dist/ and have no lib/: nothing to do there.
 */
function buildTypeScriptInClone() {
  if (!existsSync(path.join(root, 'lib', 'index.ts')) || !existsSync(path.join(root, 'node_modules', 'typescript'))) return;
  const compiled = path.join(root, 'dist', 'cjs', 'index.js');
  if (existsSync(compiled) && newestIn(path.join(root, 'lib')) <= statSync(compiled).mtimeMs) return;
  if (run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']).status !== 0 ||
      run(process.execPath, [path.join(root, 'scripts', 'build-cjs.mjs')]).status !== 0) {
    console.error('rnnkit: the addon is built, but compiling the TypeScript (npm run build) failed');
    process.exit(1);
  }
  say('compiled the TypeScript into dist/ (a clone: npm run build)');
}

/** The newest modification time of the files under `dir`. */
function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function done(what) {
  say(what);
  buildTypeScriptInClone();
  process.exit(0);
}

if (process.env.RNNKIT_SKIP_INSTALL === '1') {
  say('RNNKIT_SKIP_INSTALL=1: no addon built');
  process.exit(0);
}

// (a) Prebuilt binary.
const prebuilt = `prebuilds/${process.platform}-${process.arch}/rnnkit.node`;
const prebuiltError = process.env.RNNKIT_BUILD_FROM_SOURCE === '1' ? 'skipped' : loadError(prebuilt);
if (prebuiltError === null) done(`using ${prebuilt} (prebuilt, it loads)`);
// A build of this checkout that loads stays (the loader takes it before the prebuilt): npx installs
// the package again on the first `npx rnnkit` of a clone, and that must not rebuild the addon.
if (process.env.RNNKIT_BUILD_FROM_SOURCE !== '1') {
  for (const built of ['build-cmake/Release/rnnkit.node', 'build/Release/rnnkit.node']) {
    if (existsSync(path.join(root, built)) && loadError(built) === null) done(`using ${built} (built before, it loads)`);
  }
}
const noPrebuilt = {
  'not found': 'no prebuilt',
  skipped: 'RNNKIT_BUILD_FROM_SOURCE=1',
}[prebuiltError] ?? `prebuilt does not load (${prebuiltError})`;

// Both builds need oneDNN. DNNL_ROOT, when set, is the only place looked at (the builds then take
// oneDNN from there). Else the system's, else the distribution's packages unpacked into
// .deps/onednn (scripts/fetch-onednn.mjs), which then becomes DNNL_ROOT. What counts is whether
// the header is there, not what dpkg says is installed.
const systemPrefixes = ['/usr', '/usr/local'];
if (!process.env.DNNL_ROOT && !systemPrefixes.some((prefix) => existsSync(onednnHeader(prefix)))) {
  const fetched = fetchOnednn(root, { say });
  if (fetched.cause) {
    console.error(
      [
        `rnnkit: cannot build the native addon (${noPrebuilt}): oneDNN's header oneapi/dnnl/dnnl.hpp is not in ${systemPrefixes.map((p) => `${p}/include`).join(', ')},`,
        `rnnkit: and rnnkit could not fetch it: ${fetched.cause}.`,
        'rnnkit: fixes (any one, then `npm rebuild rnnkit`, or `npm ci` again in a clone):',
        `rnnkit:   - \`sudo apt-get update\` (Debian/Ubuntu), so that apt-get can download ${ONEDNN_PACKAGES[0]} without root`,
        'rnnkit:   - `sudo apt-get install libdnnl-dev ocl-icd-opencl-dev` (Debian/Ubuntu: oneDNN on the system)',
        'rnnkit:   - set DNNL_ROOT to a oneDNN 2 install (the folder with include/ and lib/)',
      ].join('\n'),
    );
    process.exit(1);
  }
  process.env.DNNL_ROOT = fetched.root;
} else if (process.env.DNNL_ROOT && !existsSync(onednnHeader(process.env.DNNL_ROOT))) {
  console.error(
    `rnnkit: cannot build the native addon (${noPrebuilt}): oneDNN's header oneapi/dnnl/dnnl.hpp is not in ${path.join(process.env.DNNL_ROOT, 'include')} (DNNL_ROOT).\n` +
      'rnnkit: fix: set DNNL_ROOT to a oneDNN 2 install (the folder with include/ and lib/), or unset it to use the system\'s (`sudo apt-get install libdnnl-dev`, Debian/Ubuntu) or a fetched one, then `npm rebuild rnnkit`.',
  );
  process.exit(1);
}

// (b) cmake-js, when cmake is on PATH.
let cmakeFailure = 'cmake not on PATH';
if (!run('cmake', ['--version'], 'pipe').error) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const out = ['--directory', root, '--out', path.join(root, 'build-cmake')];
  // The -D options are passed on every configure, so a changed RNNKIT_CUDA takes effect.
  const defines = ['RNNKIT_CUDA', 'DNNL_ROOT', 'CUDNN_ROOT', 'CUDNN_INCLUDE_DIR', 'CUDNN_LIBRARY']
    .filter((name) => process.env[name])
    .map((name) => `--CD${name}=${process.env[name]}`);
  const configure = run(process.execPath, [cmakeJs, 'configure', ...out, ...defines], 'pipe');
  process.stdout.write(configure.stdout);
  process.stderr.write(configure.stderr);
  const backends = /rnnkit: backends: (.*)/.exec(configure.stdout)?.[1] ?? 'unknown';
  const addon = 'build-cmake/Release/rnnkit.node';
  if (configure.status !== 0) {
    cmakeFailure = 'cmake-js configure failed (see above)';
  } else if (run(process.execPath, [cmakeJs, 'build', ...out, '--parallel', jobs]).status !== 0) {
    cmakeFailure = 'cmake-js build failed (see above)';
  } else {
    const error = loadError(addon);
    if (error === null) done(`built ${addon} with cmake-js (${noPrebuilt}) — backends: ${backends}`);
    cmakeFailure = `the cmake-js build does not load (${error})`;
  }
  say(`${cmakeFailure}; trying node-gyp`);
}

// (c) node-gyp: ours when devDependencies are installed, else the one npm bundles.
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  nodeGyp = process.env.npm_config_node_gyp;
}
// Node's own headers (Debian's nodejs and the official tarballs ship them) spare node-gyp a
// download, which fails offline. npm's nodedir setting, when given, wins.
const nodePrefix = path.resolve(process.execPath, '../..');
const nodedir =
  !process.env.npm_config_nodedir && existsSync(path.join(nodePrefix, 'include/node/node_api.h'))
    ? [`--nodedir=${nodePrefix}`]
    : [];
const addon = 'build/Release/rnnkit.node';
if (nodeGyp && run(process.execPath, [nodeGyp, 'rebuild', '-j', jobs, ...nodedir]).status === 0) {
  const error = loadError(addon);
  if (error === null) {
    done(`built ${addon} with node-gyp (${noPrebuilt}; ${cmakeFailure}) — backends: cpu (oneDNN); cuda: not built (node-gyp builds CPU only)`);
  }
  console.error(`rnnkit: the node-gyp build does not load (${error})`);
}
console.error(
  `rnnkit: could not build the native addon (${noPrebuilt}; ${cmakeFailure}; node-gyp ${nodeGyp ? 'failed' : 'not found'}).`,
);
process.exit(1);
