// Optimizer state written before parameter groups existed: a flat `state.<i>.<name>` dict, as
// stateDict() returned it then and as old checkpoints hold it under `optim.state.<i>.<name>`. A
// one-group optimizer takes it (the run resumes exactly); a grouped one refuses it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

function setup() {
  rk.seed(7);
  const a = rk.tensor(uniform(12, 1), { shape: [3, 4], requiresGrad: true });
  const b = rk.tensor(uniform(4, 2), { shape: [4], requiresGrad: true });
  return [a, b];
}

function stepWith(opt: rk.optim.Adam, params: rk.Tensor<'float32'>[], k: number): void {
  opt.zeroGrad();
  rk.tidy(() => rk.sum(rk.mul(rk.add(rk.matmul(rk.reshape(params[1]!, [1, 4]), rk.transpose(params[0]!)), k), params[0]!.shape[0]!)).backward());
  opt.step();
}

/** A stateDict() in the old flat layout (state.<i>.<name> → tensor). */
function flat(state: rk.optim.OptimizerStateDict): Record<string, rk.Tensor> {
  return Object.fromEntries(Object.entries(state.state).map(([k, t]) => [`state.${k}`, t]));
}

describe('optimizer state from before parameter groups', () => {
  it('a one-group optimizer loads the flat dict and continues bit-identically', () => {
    const p = setup();
    const opt = new rk.optim.Adam(p, { lr: 0.01 });
    stepWith(opt, p, 1);
    stepWith(opt, p, 2);
    const q = [rk.tensor(p[0]!.dataSync(), { shape: [3, 4], requiresGrad: true }), rk.tensor(p[1]!.dataSync(), { shape: [4], requiresGrad: true })];
    const restored = new rk.optim.Adam(q, { lr: 0.01 });
    rk.tidy(() => restored.loadStateDict(flat(opt.stateDict()) as unknown as rk.optim.OptimizerStateDict));
    expect(restored.stepCount(0)).toBe(2);
    stepWith(opt, p, 3);
    stepWith(restored, q, 3);
    expect(Array.from(q[0]!.dataSync())).toEqual(Array.from(p[0]!.dataSync()));
    expect(Array.from(q[1]!.dataSync())).toEqual(Array.from(p[1]!.dataSync()));
  });

  it('io.load reads an old checkpoint (optim.state.* tensors, no groups) into a one-group optimizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnkit-legacy-'));
    try {
      const p = setup();
      const opt = new rk.optim.Adam(p, { lr: 0.01 });
      stepWith(opt, p, 1);
      const file = join(dir, 'old.safetensors');
      // The old layout: optimizer tensors under optim.state.<i>.<name>, no paramGroups metadata.
      const tensors = rk.tidy(() => Object.fromEntries(Object.entries(flat(opt.stateDict())).map(([k, t]) => [`optim.${k}`, rk.keep(t)])));
      await rk.io.saveTensors(file, tensors);
      const fresh = new rk.optim.Adam(p, { lr: 0.01 });
      const loaded = await rk.io.load(file, { optimizer: fresh });
      Object.values(loaded.tensors).forEach((t) => t.dispose());
      expect(fresh.stepCount(0)).toBe(1);
      expect(fresh.stepCount(1)).toBe(1);
      const grouped = new rk.optim.Adam([{ params: [p[0]!] }, { params: [p[1]!], lr: 0.1 }], { lr: 0.01 });
      await expect(rk.io.load(file, { optimizer: grouped })).rejects.toThrow(rk.CheckpointError);
      Object.values(tensors).forEach((t) => t.dispose());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
