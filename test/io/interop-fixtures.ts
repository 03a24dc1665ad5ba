// What the two interop tests share: the committed fixtures' paths, base64 float32 tensors in
// their JSON, and a temporary folder per test file.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type * as rk from '../../lib/index.js';

export interface Encoded {
  shape: number[];
  data: string;
}

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export const readFixtureJson = async <T>(name: string): Promise<T> => JSON.parse(await readFile(fixture(name), 'utf8')) as T;

export const decodeF32 = (e: Encoded): Float32Array => {
  const b = Buffer.from(e.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

export const encodeF32 = (t: rk.Tensor): Encoded => ({
  shape: [...t.shape],
  data: Buffer.from((t.dataSync() as Float32Array).buffer).toString('base64'),
});

/** A fresh temporary folder for the test file's lifetime: `dir()` inside tests. */
export function tempDirPerFile(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
