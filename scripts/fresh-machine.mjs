// The README's two commands on a fresh machine, simulated: a clean `git clone` of this checkout,
// where a private mount namespace (scripts/hide-system.mjs) hides every file of the system's
// oneDNN and OpenCL packages (headers, libraries, CMake config; dpkg still lists them as
// installed, so the set-up must look at files). There the first two command lines of the README's
// "Two commands" section run verbatim, one after the other, and each must exit 0. Then:
//   - the set-up fetched oneDNN into the clone's .deps/onednn, and the built addon loads it
//     from there (read from /proc/self/maps, with the system's copies still hidden);
//   - the main job saved its checkpoint.
// Needs root (mount namespaces), git, and what a newcomer's machine has: Node.js, npm, g++, cmake,
// and apt-get with the distribution's package lists (or root to read them).
// usage: node scripts/fresh-machine.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ONEDNN_PACKAGES } from './fetch-onednn.mjs';
import { hider, whyCannotHide } from './hide-system.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(0);
const say = (line) => console.log(`fresh-machine [${seconds(started)} s] ${line}`);

function fail(message) {
  console.error(`fresh-machine: FAILED: ${message}`);
  process.exit(1);
}

const cannotHide = whyCannotHide();
if (cannotHide) fail(`cannot simulate a machine without oneDNN: ${cannotHide} (run it as root, as CI does)`);

// The README's commands, as a newcomer copies them.
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const block = /^## Two commands\n[\s\S]*?```sh\n([\s\S]*?)```/m.exec(readme)?.[1];
const commands = block?.split('\n').filter((line) => line.trim() !== '').slice(0, 2) ?? [];
if (commands.length !== 2) fail('the README has no "## Two commands" section with a ```sh block of two command lines');

// Every file the system's oneDNN and OpenCL packages installed (folders stay, empty of them).
const listed = spawnSync('dpkg', ['-L', ...ONEDNN_PACKAGES], { encoding: 'utf8' }).stdout ?? '';
const { wrap, hidden } = hider(listed.split('\n').filter((f) => f.startsWith('/') && lstatSync(f, { throwIfNoEntry: false })?.isDirectory() === false));
say(`hiding ${hidden.length} files of ${ONEDNN_PACKAGES.join(', ')}`);

const work = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-fresh-'));
const clone = path.join(work, 'rnnkit');
run('git', ['clone', '--quiet', root, clone]);
say(`git clone of this checkout in ${clone}`);

const probe = (code, ...args) => run(...wrap(process.execPath, ['-e', code, ...args]), { cwd: clone, stdio: 'pipe' });
probe("const seen = JSON.parse(process.argv[1]).filter((f) => require('node:fs').existsSync(f)); if (seen.length) throw new Error('still visible: ' + seen);", JSON.stringify(hidden));

const times = commands.map((command) => {
  say(`$ ${command}`);
  const since = Date.now();
  run(...wrap('/bin/bash', ['-c', command]), { cwd: clone, stdio: 'inherit' });
  say(`exit 0 after ${seconds(since)} s`);
  return seconds(since);
});

if (!existsSync(path.join(clone, '.deps/onednn/usr/include/oneapi/dnnl/dnnl.hpp'))) fail('the set-up did not fetch oneDNN into .deps/onednn');
const maps = probe(`require('./build-cmake/Release/rnnkit.node'); console.log(require('node:fs').readFileSync('/proc/self/maps', 'utf8'))`).stdout;
const onednn = /\S*libdnnl\.so\S*/.exec(maps)?.[0];
if (!onednn?.startsWith(path.join(clone, '.deps/onednn/'))) fail(`the addon loaded oneDNN from ${onednn ?? 'nowhere'}, not from .deps/onednn`);
if (!existsSync(path.join(clone, 'rnnkit-run/model.safetensors'))) fail('the main job saved no rnnkit-run/model.safetensors');
rmSync(work, { recursive: true, force: true });
say(`passed: ${commands.map((c, i) => `\`${c.replace(/\s+#.*$/, '')}\` ${times[i]} s`).join(', ')}; oneDNN from .deps/onednn (${onednn.slice(clone.length + 1)})`);

/** Runs a command; fails, showing what it printed when captured, unless it exits 0. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error || r.status !== 0) {
    fail(`${cmd} ${args.join(' ')} ${r.error ? `could not run: ${r.error.message}` : `exited ${r.status}`}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r;
}
