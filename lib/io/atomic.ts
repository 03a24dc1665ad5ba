// Atomic file writes for checkpoints: a temp file in the same folder, fsync, rename over the
// target, fsync the folder. A reader (or a process started after a crash) sees either the old
// file or the new one, never a partial one. A failed write leaves the old file as it was and no
// temp file behind; temp files of a process killed mid-write (SIGKILL, power loss) are removed by
// the next successful write to the same path.

import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors.js';

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const tempPrefix = (path: string): string => `.${basename(path)}.tmp-`;

/**
 * Writes bytes to path atomically: a temp file `.<name>.tmp-<pid>-<random>` in the same folder,
 * fsync, rename over path, fsync the folder. On failure the temp file is removed and whatever was
 * at path before is untouched.
 */
export async function writeAtomic(op: string, path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}-${randomBytes(6).toString('hex')}`);
  let created = false;
  try {
    const fh = await open(tmp, 'wx');
    created = true;
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw new CheckpointError(`${op}: cannot write ${path}: ${errorText(err)}`, { cause: err });
  }
  // The rename is only durable once the folder is synced. Some platforms cannot open or sync a
  // folder (Windows); there the rename is as durable as the platform makes it.
  let dh;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(code ?? '')) {
      throw new CheckpointError(`${op}: wrote ${path}, but syncing its folder failed: ${errorText(err)}`, { cause: err });
    }
  } finally {
    await dh?.close();
  }
  await removeStaleTemps(dir, path);
}

/** True while a process with this id exists (EPERM: it exists, owned by another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files of path whose writer process is gone. A live writer's (another process
 * saving to the same path right now, or this one) are left alone. Best effort: a file that cannot
 * be listed or removed stays, and the next write tries again.
 */
async function removeStaleTemps(dir: string, path: string): Promise<void> {
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]{12}$/.exec(name.slice(prefix.length)) : null;
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
}
