// Runs commands on a simulated machine that lacks some of this one's files: a private mount
// namespace (`unshare -m`, as root) where an overlay over each parent folder deletes them. Only
// the command and its children see them gone; the real files stay as they are, and writes under
// an overlaid folder land in a throwaway tmpfs. Writes anywhere else reach the real machine, so
// a hidden command must never install system packages. Used by scripts/pack-check.mjs (a machine
// without build tools and system libraries) and scripts/fresh-machine.mjs (a machine without
// oneDNN).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The full path of a command on PATH, or undefined. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why this process cannot hide files (not root, no unshare, namespaces refused), or null. */
export function whyCannotHide() {
  if (process.getuid?.() !== 0) return 'not root';
  const unshare = which('unshare');
  if (!unshare) return 'unshare is not on PATH';
  if (spawnSync(unshare, ['-m', 'true']).status !== 0) return 'unshare -m fails (no mount namespaces here)';
  return null;
}

/** The paths ldconfig's cache gives for these library names, and the files they resolve to. */
export function systemLibraries(names) {
  const ldconfig = which('ldconfig') ?? '/sbin/ldconfig';
  const listed = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' }).stdout
    .split('\n')
    .map((line) => /^\s*(\S+) .*=> (\S+)$/.exec(line))
    .filter((m) => m && names.some((name) => m[1].startsWith(name)))
    .map((m) => m[2]);
  return [...new Set(listed.flatMap((f) => [f, realpathSync(f)]))];
}

/**
 * A wrapper that runs `cmd args` with `paths` (files, links or folders) gone, for spawnSync:
 * `spawnSync(...hide(paths)(cmd, args))`. Paths that do not exist are skipped; `hidden` lists
 * the rest. Throws when this process cannot hide (see whyCannotHide).
 */
export function hider(paths) {
  const why = whyCannotHide();
  if (why) throw new Error(`cannot hide files: ${why}`);
  // A path through a symlinked folder (/lib -> usr/lib) is hidden at its real place.
  const hidden = [...new Set(paths.filter((p) => existsSync(p) || isLink(p)).map((p) => path.join(realpathSync(path.dirname(p)), path.basename(p))))];
  const parents = [...new Set(hidden.map((p) => path.dirname(p)))].sort();
  // One overlay per topmost folder: one over /usr/include also serves /usr/include/oneapi/dnnl.
  const overlays = parents.filter((dir) => !parents.some((other) => other !== dir && dir.startsWith(`${other}/`)));
  // The overlays' own folders, on a tmpfs mounted inside the namespace: outside, this stays empty.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-hide-'));
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  // Full paths: the command's own PATH may hold none of these tools.
  const [mount, mkdir, rm] = ['mount', 'mkdir', 'rm'].map((tool) => q(which(tool) ?? `/bin/${tool}`));
  const script = [
    `${mount} -t tmpfs none ${q(scratch)}`,
    ...overlays.map((dir, i) => `${mkdir} ${q(`${scratch}/u${i}`)} ${q(`${scratch}/w${i}`)} && ${mount} -t overlay overlay -o ${q(`lowerdir=${dir},upperdir=${scratch}/u${i},workdir=${scratch}/w${i}`)} ${q(dir)}`),
    ...(hidden.length ? [`${rm} -rf ${hidden.map(q).join(' ')}`] : []),
    'exec "$@"',
  ].join(' && ');
  const wrap = (cmd, args) => [which('unshare'), ['-m', '/bin/sh', '-c', script, 'sh', cmd, ...args]];
  return { wrap, hidden };
}

function isLink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
