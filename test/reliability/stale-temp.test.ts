// Temp files of a save killed mid-write (SIGKILL) must not pile up: the next successful save to
// the same path removes those whose writer process is gone, and leaves a live writer's alone.

import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-stale-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stale temp files of killed saves', () => {
  it('the next save removes dead writers\' temp files only', async () => {
    const path = join(dir, 'ckpt.safetensors');
    // A process id that has just exited: its writer is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const stale = [`.ckpt.safetensors.tmp-${dead}-0123456789ab`, `.ckpt.safetensors.tmp-${dead}-ba9876543210`];
    const live = `.ckpt.safetensors.tmp-${process.ppid}-00112233aabb`;
    const unrelated = ['.other.safetensors.tmp-' + dead + '-0123456789ab', '.ckpt.safetensors.tmp-notapid', 'ckpt.safetensors.bak'];
    for (const name of [...stale, live, ...unrelated]) await writeFile(join(dir, name), 'partial');

    const t = rk.tensor([1, 2, 3]);
    await rk.io.saveTensors(path, { t });
    t.dispose();
    const left = (await readdir(dir)).sort();
    expect(left).toEqual(['ckpt.safetensors', live, ...unrelated].sort());
    const { tensors } = await rk.io.loadTensors(path);
    expect(Array.from(tensors.t!.dataSync())).toEqual([1, 2, 3]);
    tensors.t!.dispose();
  });
});
