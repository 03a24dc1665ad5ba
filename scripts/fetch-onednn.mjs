// oneDNN for a build on a machine that lacks it (the install script calls this when no prebuilt
// loads and oneDNN's header is in none of the system's folders): the distribution's own packages,
// fetched with `apt-get download` and unpacked with `dpkg-deb -x` into .deps/onednn, a private
// prefix the build takes as DNNL_ROOT. Nothing is installed on the system, and what dpkg records
// as installed plays no part: the install script looks for the files. Only when apt has no
// package lists (a new container) does it run `apt-get update` first, as root or with
// passwordless sudo, and it says so. Plain JS: it runs at install time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** oneDNN and the OpenCL headers and loader that Debian's oneDNN CMake config asks for. */
export const ONEDNN_PACKAGES = ['libdnnl-dev', 'libdnnl2', 'ocl-icd-opencl-dev', 'ocl-icd-libopencl1', 'opencl-c-headers', 'opencl-clhpp-headers'];

/** oneDNN's main header below a prefix (DNNL_ROOT or /usr). */
export const onednnHeader = (prefix) => path.join(prefix, 'include', 'oneapi', 'dnnl', 'dnnl.hpp');

/** The version in a oneDNN prefix's dnnl_version.h, e.g. { major: 2, text: '2.6.3' }. */
export function onednnVersion(prefix) {
  const header = readFileSync(path.join(prefix, 'include', 'oneapi', 'dnnl', 'dnnl_version.h'), 'utf8');
  const [major, minor, patch] = ['MAJOR', 'MINOR', 'PATCH'].map((part) => new RegExp(`#define DNNL_VERSION_${part} (\\d+)`).exec(header)?.[1]);
  return { major: Number(major), text: `${major}.${minor}.${patch}` };
}

const lastLine = (r) => (r.error?.message ?? `${r.stderr}${r.stdout}`.trim().split('\n').filter((l) => !l.startsWith('W:')).at(-1) ?? `exit ${r.status}`).trim();

/**
 * Makes <packageRoot>/.deps/onednn/usr a oneDNN prefix (kept when there from an earlier run).
 * Returns { root, version } (root: the DNNL_ROOT to build with), or { cause } saying why not.
 * `say` reports each step; `env` and `isRoot` are the process's, or a test's.
 */
export function fetchOnednn(packageRoot, { say = () => {}, env = process.env, isRoot = process.getuid?.() === 0 } = {}) {
  const prefix = path.join(packageRoot, '.deps', 'onednn');
  const root = path.join(prefix, 'usr');
  if (existsSync(onednnHeader(root))) return { root, version: onednnVersion(root).text };
  const run = (cmd, args, cwd) => spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  if (run('apt-get', ['--version']).error) return { cause: 'apt-get is not on PATH (not Debian or Ubuntu), so rnnkit cannot fetch oneDNN itself' };
  mkdirSync(path.dirname(prefix), { recursive: true });
  const downloads = mkdtempSync(`${prefix}.download-`);
  try {
    const download = () => run('apt-get', ['download', ...ONEDNN_PACKAGES], downloads);
    say(`oneDNN is not installed: fetching ${ONEDNN_PACKAGES.join(' ')} with apt-get download into .deps/onednn (nothing is installed on the system)`);
    let got = download();
    if (got.status !== 0) {
      // Most often apt has no package lists yet; reading them needs root.
      const sudo = isRoot ? [] : run('sudo', ['-n', 'true']).status === 0 ? ['sudo', '-n'] : null;
      if (sudo === null) return { cause: `apt-get download failed (${lastLine(got)}), and apt-get update, which may fix it, needs root or passwordless sudo` };
      const update = [...sudo, 'apt-get', 'update', '-qq'];
      say(`apt-get download failed (${lastLine(got)}); reading the package lists first: ${update.join(' ')} (${isRoot ? 'as root' : 'with passwordless sudo'})`);
      const updated = run(update[0], update.slice(1));
      if (updated.status !== 0) return { cause: `${update.join(' ')} failed (${lastLine(updated)})` };
      got = download();
      if (got.status !== 0) return { cause: `apt-get download failed, after apt-get update too (${lastLine(got)})` };
    }
    const staging = path.join(downloads, 'prefix');
    for (const deb of readdirSync(downloads).filter((f) => f.endsWith('.deb'))) {
      const unpacked = run('dpkg-deb', ['-x', deb, staging], downloads);
      if (unpacked.status !== 0) return { cause: `dpkg-deb -x ${deb} failed (${lastLine(unpacked)})` };
    }
    if (!existsSync(onednnHeader(path.join(staging, 'usr')))) return { cause: `the downloaded packages hold no ${onednnHeader('usr')}` };
    const version = onednnVersion(path.join(staging, 'usr'));
    if (version.major !== 2) return { cause: `the distribution's oneDNN is ${version.text}, and rnnkit's CPU backend is written for oneDNN 2's API` };
    rmSync(prefix, { recursive: true, force: true }); // a broken earlier attempt
    renameSync(staging, prefix);
    say(`oneDNN ${version.text} is in .deps/onednn (from ${ONEDNN_PACKAGES[0]}); the build takes it as DNNL_ROOT`);
    return { root, version: version.text };
  } finally {
    rmSync(downloads, { recursive: true, force: true });
  }
}
