// The composed layers' contracts besides their values: masked positions get exactly zero weight
// and their contents change nothing, the mask forms agree, PyTorch's init and parameter names,
// shapes of the variants, and typed errors naming the argument for bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, settledMemory, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

/** x [B, T, H] with every step at t >= lengths[b] replaced by `fill`. */
function withPadding(x: number[], T: number, H: number, lengths: number[], fill: (i: number) => number): number[] {
  return x.map((v, i) => (Math.floor(i / H) % T >= lengths[Math.floor(i / (T * H))]! ? fill(i) : v));
}

describe('AttentionPooling masking', () => {
  const shape = [3, 5, 4];
  const lengths = [5, 2, 3];
  const x = uniform(60, 1);

  it('gives padded steps exactly zero weight and the same output and gradients whatever they hold', () => {
    rk.seed(1);
    const pool = new rk.nn.AttentionPooling(4, { hiddenSize: 3 });
    const runWith = (values: number[]) =>
      rk.tidy(() => {
        const leaf = rk.tensor(values, { shape, requiresGrad: true });
        const { output, weights } = pool.attend(leaf, { lengths });
        rk.sum(rk.mul(output, rk.tensor(uniform(12, 2), { shape: [3, 4] }))).backward();
        const result = { output: read(output), weights: read(weights), grad: read(leaf.grad!) };
        leaf.grad!.dispose();
        for (const p of pool.parameters()) {
          p.grad?.dispose();
          p.grad = null;
        }
        return result;
      });
    const zerosPadded = runWith(withPadding(x, 5, 4, lengths, () => 0));
    const hugePadded = runWith(withPadding(x, 5, 4, lengths, (i) => 1e4 * (i % 2 ? 1 : -1)));
    expect(hugePadded.output).toEqual(zerosPadded.output);
    expect(hugePadded.weights).toEqual(zerosPadded.weights);
    expect(hugePadded.grad).toEqual(zerosPadded.grad);
    zerosPadded.weights.forEach((w, i) => {
      const [b, t] = [Math.floor(i / 5), i % 5];
      if (t >= lengths[b]!) expect(w).toBe(0);
      else expect(w).toBeGreaterThan(0);
    });
    for (let b = 0; b < 3; b++) expect(zerosPadded.weights.slice(b * 5, b * 5 + 5).reduce((a, c) => a + c, 0)).toBeCloseTo(1, 6);
    // Padded positions get no gradient, valid ones do.
    zerosPadded.grad.forEach((g, i) => {
      if (Math.floor(i / 4) % 5 >= lengths[Math.floor(i / 20)]!) expect(g).toBe(0);
    });
    // Without lengths every step counts: the padding would change the result.
    rk.tidy(() => {
      const all = read(pool.forward(rk.tensor(withPadding(x, 5, 4, lengths, () => 5), { shape })));
      expect(all).not.toEqual(zerosPadded.output);
    });
  });

  it('batchFirst false reads [time, batch, features]', () => {
    rk.seed(2);
    const a = new rk.nn.AttentionPooling(4);
    const b = new rk.nn.AttentionPooling(4, { batchFirst: false });
    b.loadStateDict(a.stateDict());
    expect(a.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['proj.weight:4x4', 'proj.bias:4', 'score.weight:1x4']);
    rk.tidy(() => {
      const xt = rk.tensor(x, { shape });
      expectClose(read(b.forward(xt.transpose(0, 1), { lengths })), read(a.forward(xt, { lengths })), 1e-6);
    });
  });
});

describe('MultiheadAttention masks', () => {
  const [B, L, S, E] = [2, 3, 4, 4];
  const lengths = [4, 2];
  const q = uniform(B * L * E, 3);
  const kv = uniform(B * S * E, 4);

  it('lengths, an int32 key padding mask and a float -Infinity mask agree; masked keys get zero weight and change nothing', () => {
    rk.seed(3);
    const mha = new rk.nn.MultiheadAttention(E, 2);
    rk.tidy(() => {
      const query = rk.tensor(q, { shape: [B, L, E] });
      const key = rk.tensor(kv, { shape: [B, S, E] });
      const byLengths = mha.forward(query, key, key, { lengths });
      const bool = Int32Array.from({ length: B * S }, (_, i) => Number(i % S >= lengths[Math.floor(i / S)]!));
      const byMask = mha.forward(query, key, key, { keyPaddingMask: rk.tensor(bool, { shape: [B, S] }) });
      const float = Float32Array.from(bool, (m) => (m ? -Infinity : 0));
      const byFloat = mha.forward(query, key, key, { keyPaddingMask: rk.tensor(float, { shape: [B, S] }) });
      expect(read(byMask.output)).toEqual(read(byLengths.output));
      expect(read(byFloat.output)).toEqual(read(byLengths.output));
      const w = read(byLengths.weights!);
      expect(byLengths.weights!.shape).toEqual([B, L, S]);
      w.forEach((v, i) => {
        if (i % S >= lengths[Math.floor(i / (L * S))]!) expect(v).toBe(0);
      });
      const otherPadding = rk.tensor(withPadding(kv, S, E, lengths, (i) => 100 + i), { shape: [B, S, E] });
      expect(read(mha.forward(query, otherPadding, otherPadding, { lengths }).output)).toEqual(read(byLengths.output));
      // needWeights false: the same output, no weights.
      const noWeights = mha.forward(query, key, key, { lengths, needWeights: false });
      expect(noWeights.weights).toBeNull();
      expect(read(noWeights.output)).toEqual(read(byLengths.output));
    });
  });

  it('unbatched inputs give the batch-of-one results without the batch axis', () => {
    rk.seed(4);
    const mha = new rk.nn.MultiheadAttention(E, 4, { batchFirst: false });
    rk.tidy(() => {
      const query = rk.tensor(q.slice(0, L * E), { shape: [L, E] });
      const key = rk.tensor(kv.slice(0, S * E), { shape: [S, E] });
      const one = mha.forward(query, key, key, { averageAttnWeights: false });
      const batched = mha.forward(query.reshape([L, 1, E]), key.reshape([S, 1, E]), key.reshape([S, 1, E]), { averageAttnWeights: false });
      expect(one.output.shape).toEqual([L, E]);
      expect(one.weights!.shape).toEqual([4, L, S]);
      expectClose(read(one.output), read(batched.output), 1e-6);
      expectClose(read(one.weights!), read(batched.weights!), 1e-6);
    });
  });

  it("has PyTorch's names, shapes and init: xavier-uniform projections, zero biases", () => {
    rk.seed(5);
    const mha = new rk.nn.MultiheadAttention(16, 4);
    expect(mha.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'in_proj_weight:48x16', 'in_proj_bias:48', 'out_proj.weight:16x16', 'out_proj.bias:16',
    ]);
    const inProj = read(mha.inProjWeight!);
    const bound = Math.sqrt(6 / (48 + 16));
    expect(Math.max(...inProj.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...inProj.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(read(mha.inProjBias!).every((v) => v === 0)).toBe(true);
    expect(read(mha.outProj.bias!).every((v) => v === 0)).toBe(true);
    const separate = new rk.nn.MultiheadAttention(6, 2, { kdim: 3, vdim: 5, bias: false });
    expect(separate.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'q_proj_weight:6x6', 'k_proj_weight:6x3', 'v_proj_weight:6x5', 'out_proj.weight:6x6',
    ]);
  });

  it('applies dropout to the weights in training mode only', () => {
    rk.seed(6);
    const mha = new rk.nn.MultiheadAttention(E, 2, { dropout: 0.5 });
    rk.tidy(() => {
      const query = rk.tensor(q, { shape: [B, L, E] });
      const w = read(mha.forward(query, query, query).weights!);
      const zeroed = w.filter((v) => v === 0).length;
      expect(zeroed).toBeGreaterThan(0);
      mha.eval();
      const evalWeights = read(mha.forward(query, query, query).weights!);
      expect(evalWeights.filter((v) => v === 0).length).toBe(0);
    });
  });
});

describe('LayerNorm and Conv1d shapes and init', () => {
  it("LayerNorm starts as PyTorch's (weight ones, bias zeros) and normalizes each row", () => {
    const ln = new rk.nn.LayerNorm([2, 3]);
    expect(ln.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['weight:2x3', 'bias:2x3']);
    expect(read(ln.weight!)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(read(ln.bias!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new rk.nn.LayerNorm(3, { elementwiseAffine: false }).namedParameters()).toEqual([]);
    expect(new rk.nn.LayerNorm(3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    rk.tidy(() => {
      // A large offset and a small spread: mean and variance by hand, in float64.
      const row = [1000.5, 1000.25, 999.75, 1000, 1001, 999.5];
      const y = read(ln.forward(rk.tensor(row, { shape: [1, 2, 3] })));
      const m = row.reduce((a, b) => a + b, 0) / 6;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      expectClose(y, row.map((r) => (r - m) / Math.sqrt(v + 1e-5)), 1e-4);
    });
  });

  it("Conv1d has PyTorch's init bound 1/sqrt(Cin/groups * K); 'same' keeps the length; unbatched works", () => {
    rk.seed(7);
    const conv = new rk.nn.Conv1d(8, 6, 4, { groups: 2, padding: 'same', dilation: 2 });
    expect(conv.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['weight:6x4x4', 'bias:6']);
    const all = conv.parameters().flatMap(read);
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...read(conv.weight).map(Math.abs))).toBeGreaterThan(0.2);
    expect(conv.outputLength(11)).toBe(11);
    rk.tidy(() => {
      const x = rk.tensor(uniform(8 * 11, 8), { shape: [8, 11] });
      const y = conv.forward(x);
      expect(y.shape).toEqual([6, 11]);
      expectClose(read(y), read(conv.forward(x.reshape([1, 8, 11]))), 1e-6);
      expect(new rk.nn.Conv1d(2, 2, 3, { stride: 2 }).forward(rk.ones([1, 2, 8])).shape).toEqual([1, 2, 3]);
    });
  });
});

describe('bad input gets typed errors naming the argument', () => {
  it('LayerNorm', () => {
    expect(() => new rk.nn.LayerNorm([])).toThrow(rk.ArgumentError);
    expect(() => new rk.nn.LayerNorm([3, 0])).toThrow(/normalizedShape must hold positive sizes/);
    expect(() => new rk.nn.LayerNorm('3' as unknown as number)).toThrow(/normalizedShape must be/);
    expect(() => new rk.nn.LayerNorm(3, { eps: 0 })).toThrow(/options.eps must be > 0/);
    // More elements than a JS array holds: an OutOfMemoryError naming the count, not V8's RangeError.
    expect(() => new rk.nn.LayerNorm([2 ** 40, 3])).toThrow(rk.OutOfMemoryError);
    expect(() => new rk.nn.LayerNorm([2 ** 40, 3])).toThrow(/^cannot allocate 3298534883328 float32 values for initial parameters/);
    expect(() => new rk.nn.LayerNorm(3, { affine: true } as rk.nn.LayerNormOptions)).toThrow(/unknown option 'affine'/);
    const ln = new rk.nn.LayerNorm([2, 3]);
    expect(() => ln.forward(rk.ones([3, 2]))).toThrow(rk.ShapeError);
    expect(() => ln.forward(rk.ones([3]))).toThrow(/x has shape \[3\], expected \[\.\.\., 2, 3\]/);
    expect(() => ln.forward(rk.tensor(new Int32Array(6), { shape: [2, 3] }) as unknown as rk.Tensor<'float32'>)).toThrow(rk.DTypeError);
    expect(() => ln.forward([1, 2] as unknown as rk.Tensor<'float32'>)).toThrow(/x must be a Tensor/);
  });

  it('Conv1d', () => {
    expect(() => new rk.nn.Conv1d(0, 2, 3)).toThrow(/inChannels must be a positive integer/);
    expect(() => new rk.nn.Conv1d(2, 2, 1.5)).toThrow(/kernelSize must be a finite integer/);
    expect(() => new rk.nn.Conv1d(3, 4, 3, { groups: 2 })).toThrow(/options.groups \(2\) must divide inChannels \(3\)/);
    expect(() => new rk.nn.Conv1d(2, 2, 3, { padding: 'same', stride: 2 })).toThrow(/padding 'same' needs options.stride 1/);
    expect(() => new rk.nn.Conv1d(2, 2, 3, { padding: -1 })).toThrow(/options.padding must be >= 0/);
    expect(() => new rk.nn.Conv1d(2, 2, 3, { padding: 'full' as 'same' })).toThrow(/options.padding must be a number >= 0, 'same' or 'valid'/);
    expect(() => new rk.nn.Conv1d(2, 2, 3, { stride: 0 })).toThrow(/options.stride must be a positive integer/);
    expect(() => new rk.nn.Conv1d(2, 2, 3, { padding_mode: 'zeros' } as rk.nn.Conv1dOptions)).toThrow(/unknown option 'padding_mode'/);
    const conv = new rk.nn.Conv1d(2, 2, 3, { dilation: 2 });
    expect(() => conv.forward(rk.ones([1, 3, 8]))).toThrow(/expected 2 channels on axis 1/);
    expect(() => conv.forward(rk.ones([2]))).toThrow(rk.ShapeError);
    expect(() => conv.forward(rk.ones([1, 2, 4]))).toThrow(/length 4 is too short for kernelSize 3, dilation 2/);
  });

  it('MultiheadAttention', () => {
    expect(() => new rk.nn.MultiheadAttention(6, 4)).toThrow(/embedDim \(6\) must be divisible by numHeads \(4\)/);
    expect(() => new rk.nn.MultiheadAttention(4, 0)).toThrow(/numHeads must be a positive integer/);
    expect(() => new rk.nn.MultiheadAttention(4, 2, { dropout: 1 })).toThrow(/options.dropout must be a probability/);
    expect(() => new rk.nn.MultiheadAttention(4, 2, { batch_first: true } as rk.nn.MultiheadAttentionOptions)).toThrow(/unknown option 'batch_first'/);
    const mha = new rk.nn.MultiheadAttention(4, 2, { kdim: 3 });
    const q = rk.ones([2, 3, 4]);
    const k = rk.ones([2, 5, 3]);
    const v = rk.ones([2, 5, 4]);
    expect(() => mha.forward(q, v, v)).toThrow(/key has shape \[2, 5, 4\], expected 3 features/);
    expect(() => mha.forward(q, k, rk.ones([2, 4, 4]))).toThrow(/key and value must have the same sequence length/);
    expect(() => mha.forward(q, rk.ones([1, 5, 3]), rk.ones([1, 5, 4]))).toThrow(/same batch size/);
    expect(() => mha.forward(q, rk.ones([5, 3]), v)).toThrow(/key must be .*rank 3, as query/);
    expect(() => mha.forward(q, k, v, { lengths: [5, 0] })).toThrow(/options.lengths\[1\] must be in 1..5/);
    expect(() => mha.forward(q, k, v, { lengths: [5] })).toThrow(/options.lengths has 1 entries, expected one per sequence \(2\)/);
    expect(() => mha.forward(q, k, v, { lengths: [5, 5], keyPaddingMask: rk.zeros([2, 5]) })).toThrow(/keyPaddingMask or options.lengths, not both/);
    expect(() => mha.forward(q, k, v, { keyPaddingMask: rk.zeros([2, 4]) })).toThrow(/options.keyPaddingMask has shape \[2, 4\], expected \[2, 5\]/);
    expect(() => mha.forward(q, k, v, { keyPaddingMask: rk.tensor(new Int32Array(10).fill(2), { shape: [2, 5] }) })).toThrow(/holds 0 \(attend\) or 1 \(masked\), got 2/);
    expect(() => mha.forward(q, k, v, { attnMask: rk.zeros([3, 4]) })).toThrow(/options.attnMask has shape \[3, 4\], expected \[3, 5\] or \[4, 3, 5\]/);
    expect(() => mha.forward(q, k, v, { needWeights: 1 as unknown as boolean })).toThrow(/options.needWeights must be true or false/);
    expect(() => mha.forward(q, k, v, { mask: q } as rk.nn.MultiheadAttentionForwardOptions)).toThrow(/unknown option 'mask'/);
    expect(() => mha.forward(rk.ones([2, 3, 5]), k, v)).toThrow(rk.ShapeError);
  });

  it('AttentionPooling', () => {
    expect(() => new rk.nn.AttentionPooling(0)).toThrow(/inputSize must be a positive integer/);
    expect(() => new rk.nn.AttentionPooling(4, { hiddenSize: -1 })).toThrow(/options.hiddenSize must be a positive integer/);
    expect(() => new rk.nn.AttentionPooling(4, { heads: 2 } as rk.nn.AttentionPoolingOptions)).toThrow(/unknown option 'heads'/);
    const pool = new rk.nn.AttentionPooling(4);
    expect(() => pool.forward(rk.ones([2, 3, 5]))).toThrow(/x has shape \[2, 3, 5\], expected \[batch, time, 4\]/);
    expect(() => pool.forward(rk.ones([2, 4]))).toThrow(rk.ShapeError);
    expect(() => pool.forward(rk.ones([2, 3, 4]), { lengths: [3, 4] })).toThrow(/options.lengths\[1\] must be in 1..3/);
    expect(() => pool.forward(rk.ones([2, 3, 4]), { lengths: 'all' as unknown as number[] })).toThrow(/options.lengths must be an Int32Array or an array of integers/);
    expect(() => pool.forward(rk.ones([2, 3, 4]), { lengths: [1.5, 2] })).toThrow(/options.lengths\[0\] must be a finite integer/);
  });
});

describe('memory', () => {
  it('forward and backward of every layer, and a rejected mask, leave nothing behind but gradients', async () => {
    rk.seed(8);
    const layers = {
      ln: new rk.nn.LayerNorm(4),
      conv: new rk.nn.Conv1d(5, 4, 3, { stride: 2, padding: 1 }),
      mha: new rk.nn.MultiheadAttention(4, 2, { dropout: 0.1 }),
      pool: new rk.nn.AttentionPooling(4),
    };
    const x = rk.tensor(uniform(2 * 5 * 4, 9), { shape: [2, 5, 4], requiresGrad: true });
    const clear = () => {
      for (const t of [x, ...Object.values(layers).flatMap((m) => m.parameters())]) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    const step = () =>
      rk.tidy(() => {
        const mask = rk.tensor(new Int32Array([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]), { shape: [2, 5] });
        const parts = [
          layers.ln.forward(x),
          layers.conv.forward(x),
          layers.mha.forward(x, x, x, { keyPaddingMask: mask, attnMask: rk.zeros([5, 5]) }).output,
          layers.pool.forward(x, { lengths: [5, 3] }),
        ];
        rk.sum(rk.concat(parts.map((p) => p.reshape([-1])))).backward();
      });
    step();
    clear();
    const before = await settledMemory();
    step();
    clear();
    expect(() => rk.tidy(() => layers.mha.forward(x, x, x, { keyPaddingMask: rk.tensor(new Int32Array(10).fill(3), { shape: [2, 5] }) }))).toThrow(rk.ArgumentError);
    const after = await settledMemory();
    expect({ tensors: after.tensors, bytes: after.bytes }).toEqual({ tensors: before.tensors, bytes: before.bytes });
  });
});
