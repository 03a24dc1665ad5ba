// `npm run gpu:bundle`: builds gpu-bundle/, everything a GPU machine needs to verify and benchmark
// the CUDA backend in one run, given only its NVIDIA driver and a Python with NVIDIA's cuDNN and
// cuBLAS wheels (and PyTorch, for the benchmark's peer). Nothing is installed or built there.
//
//   npm run gpu:bundle                         # builds build-cuda-check/ (CUDA + native tests) if needed
//   npm run gpu:bundle -- --build DIR          # another CUDA build folder
//   then, on the GPU machine: bash gpu-bundle/run.sh [OUT_DIR]
//
// gpu-bundle/ holds run.sh and summary.py (plain text, so a missing prerequisite is reported
// before anything is unpacked), MANIFEST.json, and payload.tar.xz with:
//   bin/node             this machine's Node.js binary
//   addon/               rnnkit.node, rnnkit_cuda.so and the CPU libraries they need (oneDNN,
//                        libgomp, OpenCL loader), RUNPATH $ORIGIN: as scripts/prebuild.mjs makes them
//   native/              the native CUDA tests (backend_test, rnn_cudnn_test), RUNPATH ../addon
//   checks/              each test/gpu/*.gpu.test.ts compiled with rnnkit's sources and the node:test
//                        shim of vitest (scripts/gpu-bundle/compile.mjs), the PyTorch fixtures,
//                        nvtx-step.mjs (one training step for ncu) and bundle-selftest.mjs
//   bench/               bench/gpu-lstm.mjs and bench/generate.mjs compiled the same way, and their Python peers
//   package.json         names the folder rnnkit's package root (lib/native.ts looks for it)
// The bundle must stay under 60 MiB: the GPU machine receives the working tree, 64 MiB at most.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileForNode } from './gpu-bundle/compile.mjs';
import { prebuild } from './prebuild.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BYTES = 60 * 2 ** 20;
const NATIVE_TESTS = ['backend_test', 'rnn_cudnn_test'];
const started = Date.now();

function fail(message) {
  console.error(`gpu-bundle: FAILED: ${message}`);
  process.exit(1);
}

function step(message) {
  console.log(`gpu-bundle [${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error || r.status !== 0) {
    fail(`${cmd} ${args.join(' ')} ${r.error ? `could not run: ${r.error.message}` : `exited ${r.status}`}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const buildDir = path.resolve(root, option('--build', 'build-cuda-check'));
const out = path.resolve(root, option('--out', 'gpu-bundle'));

// ---- The CUDA build: the addon, the CUDA module and the native tests --------------------------
step(`CUDA build in ${path.relative(root, buildDir)} (incremental)`);
// The folder's cached settings (CUDA architectures) stay; a new folder gets CMakeLists' defaults.
run('npx', ['cmake-js', 'build', '--out', buildDir, '--CDRNNKIT_CUDA=ON', '--CDRNNKIT_CUDA_TESTS=ON', '--parallel', String(os.availableParallelism())], {
  cwd: root,
  stdio: 'inherit',
});
const addon = path.join(buildDir, 'Release', 'rnnkit.node');
const cudaModule = path.join(buildDir, 'Release', 'rnnkit_cuda.so');
for (const file of [addon, cudaModule, ...NATIVE_TESTS.map((t) => path.join(buildDir, t))]) {
  if (!existsSync(file)) fail(`${file} is missing after the build`);
}
// The bundle is for the H200 (sm_90): the build must make sm_90 machine code, not only PTX.
const cache = readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8');
const architectures = (/^CMAKE_CUDA_ARCHITECTURES:\w+=(.*)$/m.exec(cache)?.[1] ?? '').split(/[;\s]+/).filter(Boolean);
if (!architectures.some((a) => a === '90' || a === '90-real')) {
  fail(`${path.relative(root, buildDir)} builds CUDA architectures ${architectures.join(' ') || '(none)'}, without sm_90 machine code (90 or 90-real)`);
}

// ---- The payload ------------------------------------------------------------------------------
const stage = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-gpu-bundle-'));
try {
  step('payload: Node.js, the addon and its libraries, the native tests');
  mkdirSync(path.join(stage, 'bin'));
  copyFileSync(process.execPath, path.join(stage, 'bin', 'node'));
  prebuild(addon, path.join(stage, 'addon'));
  mkdirSync(path.join(stage, 'native'));
  for (const test of NATIVE_TESTS) {
    const dest = path.join(stage, 'native', test);
    copyFileSync(path.join(buildDir, test), dest);
    run('patchelf', ['--set-rpath', '$ORIGIN/../addon', dest]);
  }
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify({ name: 'rnnkit', version: pkg.version, private: true, type: 'module' }, null, 2)}\n`);

  step('payload: the GPU suites, the NVTX step and the benchmark (esbuild)');
  const suites = readdirSync(path.join(root, 'test/gpu')).filter((f) => f.endsWith('.gpu.test.ts')).map((f) => `test/gpu/${f}`);
  await compileForNode([...suites, 'scripts/gpu-bundle/nvtx-step.ts', 'scripts/gpu-bundle/bundle-selftest.ts'], path.join(stage, 'checks'));
  cpSync(path.join(root, 'test/fixtures/rnn.json'), path.join(stage, 'checks/fixtures/rnn.json'));
  await compileForNode(['bench/gpu-lstm.mjs', 'bench/generate.mjs'], path.join(stage, 'bench'));
  mkdirSync(path.join(stage, 'bench/peers'));
  for (const f of readdirSync(path.join(root, 'bench/peers')).filter((f) => f.endsWith('.py'))) {
    copyFileSync(path.join(root, 'bench/peers', f), path.join(stage, 'bench/peers', f));
  }

  step('payload.tar.xz');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const payload = path.join(out, 'payload.tar.xz');
  run('sh', ['-c', `tar -C "${stage}" -cf - . | xz -T0 -3 > "${payload}"`]);
  for (const f of ['run.sh', 'summary.py']) copyFileSync(path.join(root, 'scripts/gpu-bundle', f), path.join(out, f));

  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
  const manifest = {
    commit: dirty ? `${commit}+changes` : commit,
    built: new Date().toISOString(),
    node: process.version,
    cudaArchitectures: architectures,
    suites: suites.map((s) => path.basename(s, '.test.ts')),
  };
  writeFileSync(path.join(out, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const bytes = readdirSync(out).reduce((sum, f) => sum + statSync(path.join(out, f)).size, 0);
  const mib = (bytes / 2 ** 20).toFixed(1);
  if (bytes > MAX_BYTES) fail(`${path.relative(root, out)} is ${mib} MiB, over the ${MAX_BYTES / 2 ** 20} MiB limit`);
  step(`${path.relative(root, out)}: ${mib} MiB (commit ${manifest.commit}, CUDA architectures ${architectures.join(' ')}); run it with: bash ${path.relative(root, out)}/run.sh [OUT_DIR]`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
