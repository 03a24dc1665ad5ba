// The ONNX export tests' reference: onnxruntime-node runs the exported file, and each output is
// compared with what rnnkit computed for the same inputs. The largest difference per test is
// collected, so a run can print them (ONNX_REPORT=1).

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, expect } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

export type Feed = Float32Array | Int32Array;
export interface Feeds {
  [name: string]: { data: Feed; dims: readonly number[] };
}

/** Runs the ONNX file at `path` on `feeds`; each output's data and dims. */
export async function runOnnx(path: string, feeds: Feeds): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(path);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.data instanceof Float32Array ? 'float32' : 'int32', v.data, v.dims)]));
    const result = await session.run(inputs);
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

const largest = new Map<string, number>();
afterAll(() => {
  if (process.env.ONNX_REPORT !== '1') return;
  for (const [name, diff] of largest) console.log(`max |onnxruntime - rnnkit| ${diff.toExponential(2)}  ${name}`);
});

/**
 * Expects onnxruntime's output to equal rnnkit's tensor (shape and values within `atol`); records
 * the largest difference under `label`.
 */
export async function expectSame(label: string, onnx: { data: Float32Array; dims: readonly number[] } | undefined, ours: rk.Tensor<'float32'>, atol = 1e-5): Promise<void> {
  expect(onnx, `${label}: onnxruntime gave no such output`).toBeDefined();
  expect([...onnx!.dims]).toEqual([...ours.shape]);
  const expected = await ours.data();
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(onnx!.data[i]! - expected[i]!));
  largest.set(label, Math.max(largest.get(label) ?? 0, diff));
  expect(diff, `${label}: max |onnxruntime - rnnkit|`).toBeLessThanOrEqual(atol);
}

/** Seeded ids in [2, vocab) (past padding and OOV) of shape [batch, time], zero past each length (padding). */
export function paddedIds(lengths: readonly number[], time: number, vocab: number, seed: number): Int32Array {
  const ids = Int32Array.from(uniform(lengths.length * time, seed, 2, vocab), Math.floor);
  lengths.forEach((n, b) => ids.fill(0, b * time + n, (b + 1) * time));
  return ids;
}

export const onnxFile = (dir: string, name: string): string => join(dir, `${name}.onnx`);
