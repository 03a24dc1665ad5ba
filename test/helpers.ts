// Shared test helpers: seeded random data, closeness checks, and a finite-difference gradient
// check that evaluates the function in float32 and accumulates the probe in float64.

import { expect } from 'vitest';
import { memory, mul, noGrad, sum, sync, tensor, tidy, type MemoryInfo, type Tensor } from '../lib/index.js';

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(lo + (hi - lo) * r);
  }
  return out;
}

/**
 * memory() once dropped-but-undisposed tensors of earlier tests are collected and their native
 * finalizers have run, and queued work is done: a baseline no later collection can move.
 */
export async function settledMemory(): Promise<MemoryInfo> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sync();
  return memory();
}

/** A typed array whose buffer was transferred away (length 0, buffer detached). */
export function detached<T extends Float32Array | Int32Array>(array: T): T {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });
  return array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `element ${i}: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
    }
  }
}

export interface GradInput {
  shape: number[];
  values: number[];
}

/**
 * Checks backward() of fn at the given inputs against central finite differences of
 * L = sum(fn(x) * w) for a fixed random w, so every output element's gradient path is probed.
 */
export function gradcheck(
  fn: (...xs: Tensor<'float32'>[]) => Tensor<'float32'>,
  inputs: GradInput[],
  { eps = 1e-2, atol = 1e-3, rtol = 1e-2 } = {},
): void {
  const leaves = inputs.map((x) => tensor(x.values, { shape: x.shape, requiresGrad: true }));
  let w: number[] = [];
  tidy(() => {
    const out = fn(...leaves);
    w = uniform(out.size, 99);
    sum(mul(out, tensor(w, { shape: out.shape as number[] }))).backward();
  });

  const probe = (values: number[][]): number =>
    noGrad(() =>
      tidy(() => {
        const y = fn(...values.map((v, i) => tensor(v, { shape: inputs[i]!.shape }))).dataSync();
        let acc = 0;
        for (let k = 0; k < y.length; k++) acc += y[k]! * w[k]!;
        return acc;
      }),
    );

  inputs.forEach((x, i) => {
    const grad = leaves[i]!.grad;
    expect(grad, `input ${i} got no gradient`).not.toBeNull();
    expect([...grad!.shape]).toEqual(x.shape);
    const analytic = grad!.dataSync();
    const numeric = x.values.map((_, j) => {
      const vals = inputs.map((inp) => inp.values.slice());
      const row = vals[i]!;
      row[j] = x.values[j]! + eps;
      const up = probe(vals);
      row[j] = x.values[j]! - eps;
      const down = probe(vals);
      return (up - down) / (2 * eps);
    });
    expectClose(analytic, numeric, atol, rtol);
  });
  for (const t of leaves) {
    t.grad?.dispose();
    t.dispose();
  }
}

export const input = (shape: number[], seed: number, lo = -1, hi = 1): GradInput => ({
  shape,
  values: uniform(numel(shape), seed, lo, hi),
});
