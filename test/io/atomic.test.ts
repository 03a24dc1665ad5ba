// Atomic saves under injected file-system failures: the write, the fsync or the rename of the
// temp file fails while an older checkpoint exists. The old file must stay loadable and byte-for-
// byte the same, the temp file must be gone, and the error must be a CheckpointError.

import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as rk from '../../lib/index.js';

type Fault = 'none' | 'write' | 'sync' | 'rename';
const fault = vi.hoisted(() => ({ mode: 'none' as 'none' | 'write' | 'sync' | 'rename', tempSeen: [] as string[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const errno = (code: string, what: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: injected failure, ${what}`), { code });
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const fh = await real.open(...args);
      const path = String(args[0]);
      if (!path.includes('.tmp-')) return fh;
      fault.tempSeen.push(path);
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'writeFile' && fault.mode === 'write') {
            return async (data: Uint8Array) => {
              await target.write(data.subarray(0, data.length >> 1)); // half of it reaches the disk
              throw errno('ENOSPC', 'write');
            };
          }
          if (prop === 'sync' && fault.mode === 'sync') {
            return async () => {
              throw errno('EIO', 'fsync');
            };
          }
          const value: unknown = Reflect.get(target, prop);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    rename: async (...args: Parameters<typeof real.rename>) => {
      if (fault.mode === 'rename') throw errno('EXDEV', 'rename');
      return real.rename(...args);
    },
  };
});

let dir = '';
beforeAll(async () => {
  dir = await realFs.mkdtemp(join(tmpdir(), 'rnnkit-atomic-'));
});
afterAll(async () => {
  await realFs.rm(dir, { recursive: true, force: true });
});

describe('atomic saves under file-system failures', () => {
  it.each<[Fault, string]>([
    ['write', 'ENOSPC'],
    ['sync', 'EIO'],
    ['rename', 'EXDEV'],
  ])('a failing %s leaves the old checkpoint and no temp file', async (mode, code) => {
    const path = join(dir, `ckpt-${mode}.safetensors`);
    rk.seed(21);
    const model = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
    fault.mode = 'none';
    await rk.io.save(path, { model, metadata: { step: 1 } });
    const old = await realFs.readFile(path);
    const values = model.namedParameters().map(([, p]) => Array.from(p.dataSync()));

    // Train a little (change the weights), then the next save fails.
    const changed = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
    fault.mode = mode;
    fault.tempSeen = [];
    const err = await rk.io.save(path, { model: changed, metadata: { step: 2 } }).catch((e: unknown) => e);
    fault.mode = 'none';
    expect(err).toBeInstanceOf(rk.CheckpointError);
    expect((err as Error).message).toMatch(new RegExp(`^io\\.save: cannot write .*ckpt-${mode}\\.safetensors: ${code}: injected failure`));
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe(code);

    expect(fault.tempSeen).toHaveLength(1); // the failure happened after the temp file existed
    expect(fault.tempSeen[0]).toMatch(new RegExp(`/\\.ckpt-${mode}\\.safetensors\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect((await realFs.readdir(dir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(Buffer.compare(await realFs.readFile(path), old)).toBe(0);
    const loaded = await rk.io.load(path, { model: changed });
    expect(loaded.metadata).toEqual({ step: 1 });
    expect(changed.namedParameters().map(([, p]) => Array.from(p.dataSync()))).toEqual(values);
  });
});
