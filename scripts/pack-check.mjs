// Checks the package as users get it: packs it, installs the tarball into new projects in a
// temporary folder, and there
//   - checks the tarball's file list (what users need, nothing of the repository's own),
//   - runs a short training script through `import` (ESM) and through `require` (CommonJS),
//   - type-checks strict TypeScript projects against the installed types (skipLibCheck false),
//     ESM and CommonJS, with the newest TypeScript 5 and the newest TypeScript (npm's latest),
//     with @types/node and without, with a lib that has Symbol.dispose (and `using`) and without,
//   - installs and trains again on a machine without build tools, simulated: PATH holds only
//     node, npm and sh; when this runs as root, a private mount namespace also hides the system's
//     oneDNN, OpenMP and OpenCL libraries and oneDNN's headers (scripts/hide-system.mjs; so only
//     the prebuilt's own copies can load). The install script must take the prebuilt, as it
//     cannot build.
// Every training run also reads /proc/self/maps: oneDNN must come from the package's prebuilds/.
// When the addon was built with the CUDA backend (rnnkit_cuda.so beside it, as in the release
// build), the tarball must carry prebuilds/<platform>/rnnkit_cuda.so, the installed package must
// find it and get as far as the driver check (on a machine without a GPU: the "no NVIDIA driver"
// reason), and the shipped module must link (dlopen RTLD_NOW with cuDNN and cuBLAS on the library
// path: .deps/cuda/lib from `npm run fetch:cuda-deps`, or CUDNN_PATH/lib).
// usage: node scripts/pack-check.mjs [path/to/rnnkit.node]   (default: build-cmake/Release/rnnkit.node)
// The dependencies come from npm's cache when it has them (--prefer-offline), else the registry.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hider, systemLibraries, which, whyCannotHide } from './hide-system.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceAddon = path.resolve(process.argv[2] ?? path.join(root, 'build-cmake/Release/rnnkit.node'));
const work = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-pack-check-'));
const platform = `${process.platform}-${process.arch}`;
const started = Date.now();

function step(message) {
  console.log(`pack-check [${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

function fail(message) {
  console.error(`pack-check: FAILED: ${message}\n(files kept in ${work})`);
  process.exit(1);
}

/** Runs a command; fails the check, showing its output, unless it exits 0. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error || r.status !== 0) {
    fail(`${cmd} ${args.join(' ')} ${r.error ? `could not run: ${r.error.message}` : `exited ${r.status}`}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

// ---- The tarball ----------------------------------------------------------------------------
run(process.execPath, [path.join(root, 'scripts/prebuild.mjs'), sourceAddon], { stdio: 'inherit' });
step('npm run build, then npm pack');
run('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root }));
const tarball = path.join(work, packed.filename);
const files = packed.files.map((f) => f.path);
const required = [
  'package.json', 'README.md', 'LICENSE', 'CMakeLists.txt', 'binding.gyp', 'native/sources.json',
  'scripts/install.mjs', 'scripts/fetch-onednn.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts',
  'dist/cjs/package.json', `prebuilds/${platform}/rnnkit.node`, `prebuilds/${platform}/libdnnl.so.2`,
];
const withCuda = existsSync(path.join(path.dirname(sourceAddon), 'rnnkit_cuda.so'));
if (withCuda) required.push(`prebuilds/${platform}/rnnkit_cuda.so`);
const missing = required.filter((f) => !files.includes(f));
if (missing.length) fail(`the tarball lacks ${missing.join(', ')}`);
const allowed = /^(package\.json|README\.md|LICENSE|CMakeLists\.txt|binding\.gyp|bin\/|dist\/|native\/|prebuilds\/|scripts\/(install\.mjs|fetch-onednn\.mjs|fetch-cuda-deps\.sh)$)/;
const stray = files.filter((f) => !allowed.test(f) || /\.map$|(^|\/)tests?\/|\.test\.[jt]s$/.test(f));
if (stray.length) fail(`the tarball holds files users do not need: ${stray.join(', ')}`);
// A build from source needs every file the builds list (all but the native tests) and every
// header the shipped sources include.
const lists = JSON.parse(readFileSync(path.join(root, 'native/sources.json'), 'utf8'));
const includes = files
  .filter((f) => f.startsWith('native/'))
  .flatMap((f) =>
    [...readFileSync(path.join(root, f), 'utf8').matchAll(/^#include "([^"]+)"/gm)]
      .map(([, header]) => [path.posix.join('native', header), path.posix.join(path.posix.dirname(f), header)])
      .map((places) => places.find((p) => files.includes(p)) ?? places.find((p) => existsSync(path.join(root, p))))
      .filter((header) => header !== undefined), // undefined: not ours (oneDNN's, CUDA's)
  );
const sources = Object.entries(lists).flatMap(([key, list]) => (Array.isArray(list) && !key.startsWith('cudaTest') ? list : []));
const unshipped = [...new Set([...sources, ...includes])].filter((f) => !files.includes(f));
if (unshipped.length) fail(`a build from the tarball would miss ${unshipped.join(', ')}`);
step(`${packed.filename}: ${files.length} files, ${(packed.size / 2 ** 20).toFixed(1)} MiB packed, ${(packed.unpackedSize / 2 ** 20).toFixed(1)} MiB unpacked`);
if (withCuda) {
  const shippedModule = path.join(root, 'prebuilds', platform, 'rnnkit_cuda.so');
  const cudaLibs = [process.env.CUDNN_PATH && path.join(process.env.CUDNN_PATH, 'lib'), path.join(root, '.deps/cuda/lib')].find((d) => d && existsSync(path.join(d, 'libcudnn.so.9')));
  if (!cudaLibs) fail('cannot check that rnnkit_cuda.so links: no libcudnn.so.9 in CUDNN_PATH/lib or .deps/cuda/lib (npm run fetch:cuda-deps)');
  // Python's ctypes: a plain dlopen (RTLD_NOW resolves every symbol, as the addon's loader does).
  run('python3', ['-c', 'import ctypes, os, sys; ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)', shippedModule], {
    env: { ...process.env, LD_LIBRARY_PATH: cudaLibs },
  });
  step(`prebuilds/${platform}/rnnkit_cuda.so: ${(statSync(shippedModule).size / 2 ** 20).toFixed(1)} MiB, links against cuDNN and cuBLAS (${cudaLibs})`);
}

// ---- What a user writes ---------------------------------------------------------------------
// One training script, run once through import and once through require.
const training = `
rk.seed(0);
const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 8 });
const head = new rk.nn.Linear(8, 1);
const optimizer = new rk.optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.05 });
const x = rk.tensor([0, 1, 2, 3].map((b) => [0, 1, 2, 3, 4].map((t) => [Math.sin(b + t), Math.cos(b * t), b / 4])));
const y = rk.tensor([[0.5], [-0.25], [0.75], [-0.5]]);
const losses = [];
for (let step = 0; step < 30; step++) {
  const loss = rk.tidy(() => rk.mse(head.forward(rk.reshape(lstm.forward(x).state.h, [4, 8])), y));
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  losses.push(loss.dataSync()[0]);
  loss.dispose();
}
if (!(losses[29] < losses[0] / 4)) throw new Error('the loss did not go down: ' + losses.join(', '));
console.log('loss ' + losses[0].toFixed(4) + ' -> ' + losses[29].toFixed(4));
`;
const whereIsOnednn = `
const onednn = process.getBuiltinModule('node:fs').readFileSync('/proc/self/maps', 'utf8').match(/\\S*libdnnl\\.so\\S*/);
console.log('oneDNN from ' + (onednn ? onednn[0] : 'nowhere'));
const cudaEntry = rk.backends().find((b) => b.name === 'cuda');
console.log('CUDA: ' + (cudaEntry ? (cudaEntry.available ? 'available' : cudaEntry.detail) : 'none'));
`;
// One TypeScript file, checked once as ESM and once as CommonJS; @ts-expect-error fails the
// check when a wrong call stops being an error.
const typed = `
const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 8, numLayers: 2, bidirectional: true });
const x: rk.Tensor<'float32'> = rk.zeros([2, 5, 3]);
const { output, state } = lstm.forward(x, { lengths: [5, 3] });
const h: rk.Tensor<'float32'> = state.h;
const optimizer = new rk.optim.Adam(lstm.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
const values: Promise<Float32Array> = output.data();
// @ts-expect-error: hiddenSize is required
new rk.nn.LSTM({ inputSize: 3 });
// @ts-expect-error: there is no option hidden_size
new rk.nn.LSTM({ inputSize: 3, hiddenSize: 8, hidden_size: 8 });
// @ts-expect-error: lr is a number
new rk.optim.Adam(lstm.parameters(), { lr: '0.1' });
// A file: URL is anything with href and protocol (a URL object is one): no DOM lib needed.
const loaded: Promise<unknown> = rk.io.loadTensors({ href: 'file:///tmp/t.safetensors', protocol: 'file:' });
const exported: Promise<rk.io.OnnxExportInfo> = rk.io.exportOnnx(new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 }), 'gru.onnx', { opset: 18 });
export { h, optimizer, values, loaded, exported };
`;
// Where the consumer's lib has Symbol.dispose: `using` frees a tensor and an optimizer.
const typedUsing = `
export function sumOfTwo(): number {
  using t = rk.ones([2]);
  using optimizer = new rk.optim.SGD([t], { lr: 0.1 });
  return t.dataSync().reduce((a, b) => a + b, 0) + optimizer.stepCount(0);
}
`;
// The consumers' configurations: each is checked as ESM (.mts) and CommonJS (.cts) files.
const strict = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false };
const consumers = {
  // target es2022's default lib (with the DOM); Symbol.dispose comes from @types/node.
  node: { compilerOptions: { ...strict, types: ['node'] }, files: ['types.mts', 'types.cts'] },
  'node-esnext': { compilerOptions: { ...strict, lib: ['esnext'], types: ['node'] }, files: ['types.mts', 'types.cts', 'using.mts', 'using.cts'] },
  // No @types/node installed at all: neither its types nor the DOM's, nor esnext.disposable.
  'bare-es2023': { compilerOptions: { ...strict, lib: ['es2023'], types: [] }, files: ['types.mts', 'types.cts'] },
  'bare-esnext': { compilerOptions: { ...strict, lib: ['esnext'], types: [] }, files: ['types.mts', 'types.cts', 'using.mts', 'using.cts'] },
};
// The TypeScript versions, installed side by side under npm aliases.
const typescripts = { 'typescript-5': 'typescript@5', 'typescript-latest': 'typescript@latest' };
const typescriptAliases = Object.entries(typescripts).map(([alias, spec]) => `${alias}@npm:${spec}`);

/** A new project that depends on the tarball, with the user's files. */
function project(name, manifest = {}) {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `rnnkit-${name}`, private: true, ...manifest }));
  writeFileSync(path.join(dir, 'train.mjs'), `import * as rk from 'rnnkit';\n${training}${whereIsOnednn}`);
  writeFileSync(path.join(dir, 'train.cjs'), `const rk = require('rnnkit');\n${training}${whereIsOnednn}`);
  for (const [file, body] of [['types.mts', typed], ['using.mts', typedUsing]]) {
    writeFileSync(path.join(dir, file), `import * as rk from 'rnnkit';\n${body}`);
    writeFileSync(path.join(dir, file.replace('.mts', '.cts')), `import rk = require('rnnkit');\n${body}`);
  }
  for (const [name, config] of Object.entries(consumers)) writeFileSync(path.join(dir, `tsconfig.${name}.json`), JSON.stringify(config));
  return dir;
}

/** Type-checks the consumer configurations `names` in `dir` with every TypeScript installed there. */
function typeCheck(dir, names) {
  for (const alias of Object.keys(typescripts)) {
    const { version } = JSON.parse(readFileSync(path.join(dir, 'node_modules', alias, 'package.json'), 'utf8'));
    for (const name of names) run(process.execPath, [path.join(dir, 'node_modules', alias, 'bin/tsc'), '-p', path.join(dir, `tsconfig.${name}.json`)]);
    step(`TypeScript ${version}: ${names.join(', ')} type-check (ESM and CommonJS, strict, skipLibCheck false)`);
  }
}

const npmInstall = ['install', tarball, '--prefer-offline', '--foreground-scripts', '--no-audit', '--no-fund'];

/** Runs both training scripts in `dir` (through `wrap`, when given); oneDNN must be the package's own. */
function train(dir, wrap = (cmd, args) => [cmd, args], env = process.env) {
  const prebuilds = realpathSync(path.join(dir, 'node_modules/rnnkit/prebuilds', platform));
  for (const script of ['train.mjs', 'train.cjs']) {
    const out = run(...wrap(process.execPath, [script]), { cwd: dir, env });
    const from = /oneDNN from (.*)/.exec(out)?.[1];
    if (!from || path.dirname(realpathSync(from)) !== prebuilds) fail(`${script}: oneDNN came from ${from}, not ${prebuilds}`);
    const cuda = /CUDA: (.*)/.exec(out)?.[1] ?? '';
    // With the CUDA module shipped, the loader finds it and stops at the driver (no GPU here), or runs.
    if (withCuda && !(cuda === 'available' || cuda.includes('libcuda.so.1'))) fail(`${script}: the shipped CUDA module was not reached: ${cuda}`);
    step(`${script}: ${out.split('\n')[0]}, oneDNN from the package's prebuilds/${withCuda ? `; CUDA: ${cuda.split(';')[0]}` : ''}`);
  }
}

// ---- With the build tools at hand -----------------------------------------------------------
// With --ignore-scripts (as pnpm and npm's allowScripts may do): the loader must find the
// prebuilt without the install script.
// This project also has @types/node and the TypeScript versions, as a Node.js project does.
const usual = project('usual');
step(`npm install --ignore-scripts <tarball> @types/node ${Object.values(typescripts).join(' ')} into a new project`);
run('npm', [...npmInstall, '@types/node@20', ...typescriptAliases, '--ignore-scripts'], { cwd: usual });
train(usual);
typeCheck(usual, ['node', 'node-esnext']);

// ---- Types without @types/node --------------------------------------------------------------
const typesOnly = project('types-only');
step(`npm install --ignore-scripts <tarball> ${Object.values(typescripts).join(' ')} into a new project (no @types/node)`);
run('npm', [...npmInstall, ...typescriptAliases, '--ignore-scripts'], { cwd: typesOnly });
// onnx-proto's protobufjs 6 depends on @types/node, so npm hoists it into node_modules/@types here;
// a pnpm project (no hoisting) sees none. Removed, as there: rnnkit's types must not need it.
rmSync(path.join(typesOnly, 'node_modules/@types/node'), { recursive: true, force: true });
typeCheck(typesOnly, ['bare-es2023', 'bare-esnext']);

// ---- Without build tools --------------------------------------------------------------------
// Here the install script runs (allowScripts approves it for npm versions that ask).
const bare = project('bare', { allowScripts: { rnnkit: true } });
const bin = path.join(work, 'bin');
mkdirSync(bin);
symlinkSync(process.execPath, path.join(bin, 'node'));
symlinkSync('/bin/sh', path.join(bin, 'sh'));
const npmCli = process.env.npm_execpath ?? realpathSync(which('npm') ?? fail('npm is not on PATH'));
writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
const bareEnv = { HOME: os.homedir(), PATH: bin, npm_config_cache: run('npm', ['config', 'get', 'cache']).trim() };

// As root: a private mount namespace without the system's copies of the bundled libraries and
// without oneDNN's headers.
const cannotHide = whyCannotHide();
let wrap = (cmd, args) => [cmd, args];
if (!cannotHide) {
  const bundled = readdirSync(path.join(root, 'prebuilds', platform)).filter((f) => /^lib.*\.so/.test(f));
  const hiding = hider([...systemLibraries(bundled), '/usr/include/oneapi', '/usr/local/include/oneapi']);
  wrap = hiding.wrap;
  // The simulation holds only if the addon built against the system's oneDNN cannot load there.
  const unbundled = spawnSync(...wrap(process.execPath, ['-e', `require(${JSON.stringify(sourceAddon)})`]), { encoding: 'utf8' });
  if (unbundled.status === 0) fail(`${sourceAddon} still loads with the system's libraries hidden`);
  step(`without build tools: PATH=${bin}; hidden: ${hiding.hidden.join(', ')}`);
} else {
  step(`without build tools: PATH holds only node, npm and sh (${cannotHide}: the system libraries stay visible)`);
}
const installed = run(...wrap(path.join(bin, 'npm'), npmInstall), { cwd: bare, env: bareEnv });
if (!installed.includes(`rnnkit: using prebuilds/${platform}/rnnkit.node`)) {
  fail(`the install script did not take the prebuilt:\n${installed}`);
}
step('npm install took the prebuilt');
train(bare, wrap, bareEnv);

rmSync(work, { recursive: true, force: true });
step('passed');
