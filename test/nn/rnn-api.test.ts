// The recurrent layers' API beyond the PyTorch fixtures: parameters and state dicts, defaults,
// lengths semantics, dropout, modes, and every bad input as a typed error.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose, gradcheck, input, uniform } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

describe('parameters and state dicts', () => {
  it('names, shapes and order follow PyTorch, with bias and projection', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2 });
    const shapes = Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(Object.keys(shapes)).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_hr_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse', 'weight_hr_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1', 'weight_hr_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse', 'weight_hr_l1_reverse',
    ]);
    expect(shapes.weight_ih_l0).toEqual([16, 3]);
    expect(shapes.weight_hh_l0).toEqual([16, 2]);
    expect(shapes.weight_hr_l0).toEqual([2, 4]);
    expect(shapes.weight_ih_l1).toEqual([16, 4]); // 2 directions x projSize 2
    const gru = new rk.nn.GRU({ inputSize: 5, hiddenSize: 6, bias: false });
    expect(gru.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['weight_ih_l0:18x5', 'weight_hh_l0:18x6']);
    expect(new rk.nn.RNN({ inputSize: 2, hiddenSize: 3 }).parameters().length).toBe(4);
  });

  it('initialises every parameter uniformly in ±1/sqrt(hiddenSize), like PyTorch', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 20, hiddenSize: 25 });
    const all = lstm.parameters().flatMap((p) => read(p));
    const k = 1 / 5;
    expect(Math.max(...all)).toBeLessThanOrEqual(k);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-k);
    expect(Math.max(...all)).toBeGreaterThan(0.9 * k);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
  });

  it('seed makes initialisation repeatable', () => {
    rk.seed(42);
    const a = read(new rk.nn.GRU({ inputSize: 3, hiddenSize: 4 }).parameters()[0]!);
    rk.seed(42);
    const b = read(new rk.nn.GRU({ inputSize: 3, hiddenSize: 4 }).parameters()[0]!);
    expect(a).toEqual(b);
  });

  it('loadStateDict copies values in; stateDict reads them back', () => {
    const a = new rk.nn.RNN({ inputSize: 2, hiddenSize: 3 });
    const b = new rk.nn.RNN({ inputSize: 2, hiddenSize: 3 });
    b.loadStateDict(a.stateDict());
    for (const [name, p] of b.namedParameters()) expect(read(p)).toEqual(read(a.stateDict()[name]!));
  });

  it('loadStateDict names what is missing, unexpected or misshaped, and changes nothing then', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3 });
    const before = read(lstm.parameters()[0]!);
    const good = () => Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, rk.zeros(p.shape)]));
    const missing = good();
    delete missing.bias_hh_l0;
    expect(() => lstm.loadStateDict(missing)).toThrow(rk.CheckpointError);
    expect(() => lstm.loadStateDict(missing)).toThrow(/missing bias_hh_l0/);
    expect(() => lstm.loadStateDict({ ...good(), weight_ih_l9: rk.zeros([1]) })).toThrow(/unexpected weight_ih_l9/);
    expect(() => lstm.loadStateDict({ ...good(), bias_ih_l0: rk.zeros([11]) })).toThrow(rk.ShapeError);
    expect(() => lstm.loadStateDict({ ...good(), bias_ih_l0: rk.zeros([11]) })).toThrow(/state\['bias_ih_l0'\] has shape \[11\], the parameter has \[12\]/);
    expect(() => lstm.loadStateDict({ ...good(), bias_ih_l0: rk.zeros([12], { dtype: 'int32' }) as unknown as rk.Tensor<'float32'> })).toThrow(rk.DTypeError);
    expect(read(lstm.parameters()[0]!)).toEqual(before);
    lstm.loadStateDict({ bias_ih_l0: rk.ones([12]) }, { strict: false });
    expect(read(lstm.stateDict().bias_ih_l0!)).toEqual(new Array(12).fill(1));
  });
});

describe('forward semantics', () => {
  it('batchFirst false gives the same result with time and batch swapped', () => {
    rk.seed(1);
    const a = new rk.nn.GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const b = new rk.nn.GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: false });
    b.loadStateDict(a.stateDict());
    rk.tidy(() => {
      const x = rk.tensor(uniform(2 * 5 * 3, 3), { shape: [2, 5, 3] });
      const lengths = [5, 2];
      const ya = a.forward(x, { lengths });
      const yb = b.forward(x.transpose(0, 1), { lengths });
      expectClose(read(ya.output), read(yb.output.transpose(0, 1).contiguous()), 1e-6);
      expectClose(read(ya.state.h), read(yb.state.h), 1e-6);
    });
  });

  it('a padded sequence gives the same outputs and state as the sequence alone', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true });
    rk.tidy(() => {
      const seq = uniform(4 * 2, 9);
      const alone = lstm.forward(rk.tensor(seq, { shape: [1, 4, 2] }));
      const padded = lstm.forward(rk.tensor([...seq, 7, 7, 7, 7], { shape: [1, 6, 2] }), { lengths: [4] });
      const out = read(padded.output);
      expectClose(out.slice(0, 4 * 6), read(alone.output), 1e-6);
      expect(out.slice(4 * 6)).toEqual(new Array(2 * 6).fill(0));
      expectClose(read(padded.state.h), read(alone.state.h), 1e-6);
      expectClose(read(padded.state.c!), read(alone.state.c!), 1e-6);
    });
  });

  it('dropout acts only in training mode and is repeatable under seed', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5 });
    rk.tidy(() => {
      const x = rk.tensor(uniform(2 * 4 * 3, 5), { shape: [2, 4, 3] });
      rk.seed(3);
      const t1 = read(lstm.forward(x).output);
      rk.seed(3);
      const t2 = read(lstm.forward(x).output);
      const t3 = read(lstm.forward(x).output);
      lstm.eval();
      const e1 = read(lstm.forward(x).output);
      const e2 = read(lstm.forward(x).output);
      lstm.train();
      expect(t1).toEqual(t2);
      expect(t3).not.toEqual(t1);
      expect(e1).toEqual(e2);
      expect(t1).not.toEqual(e1);
    });
  });

  it('gradients through dropout match finite differences (same mask per evaluation)', () => {
    const gru = new rk.nn.GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, dropout: 0.4 });
    gradcheck((x) => {
      rk.seed(11);
      return gru.forward(x).output;
    }, [input([2, 3, 2], 12)]);
  });

  it('gradients in eval mode and under noGrad', () => {
    const rnn = new rk.nn.RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'relu' }).eval();
    gradcheck((x, h) => rnn.forward(x, { lengths: [3, 1], state: { h } }).state.h, [input([2, 3, 2], 13), input([1, 2, 3], 14)]);
    const out = rk.noGrad(() => rnn.forward(rk.ones([1, 2, 2], { requiresGrad: true })).output);
    expect(out.requiresGrad).toBe(false);
    out.dispose();
  });
});

describe('bad input', () => {
  const lstm = new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
  const x = rk.ones([2, 5, 3]);

  it('rejects bad options', () => {
    expect(() => new rk.nn.LSTM({ inputSize: 0, hiddenSize: 4 })).toThrow(/options.inputSize must be a positive integer, got 0/);
    expect(() => new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, projSize: 4 })).toThrow(/projSize must be 0 \(none\) or in 1..3/);
    expect(() => new rk.nn.GRU({ inputSize: 3, hiddenSize: 4, dropout: 1 })).toThrow(/dropout must be a number in \[0, 1\)/);
    expect(() => new rk.nn.GRU({ inputSize: 3, hiddenSize: 4, projSize: 2 } as rk.nn.GRUOptions)).toThrow(/unknown option 'projSize'/);
    expect(() => new rk.nn.RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'gelu' as 'tanh' })).toThrow(rk.ArgumentError);
    expect(() => new rk.nn.RNN(undefined as unknown as rk.nn.RNNOptions)).toThrow(rk.ArgumentError);
  });

  it('rejects a mismatched input size, rank or dtype', () => {
    expect(() => lstm.forward(rk.ones([2, 5, 4]))).toThrow(rk.ShapeError);
    expect(() => lstm.forward(rk.ones([2, 5, 4]))).toThrow(/inputSize|3/);
    expect(() => lstm.forward(rk.ones([5, 3]))).toThrow(rk.ShapeError);
    expect(() => lstm.forward(rk.ones([2, 5, 3], { dtype: 'int32' }) as unknown as rk.Tensor<'float32'>)).toThrow(rk.DTypeError);
    expect(() => lstm.forward('x' as unknown as rk.Tensor<'float32'>)).toThrow(rk.ArgumentError);
  });

  it('rejects lengths out of range or of the wrong count', () => {
    expect(() => lstm.forward(x, { lengths: [5, 0] })).toThrow(/lengths\[1\] = 0 is out of range 1..5/);
    expect(() => lstm.forward(x, { lengths: [6, 1] })).toThrow(/lengths\[0\] = 6 is out of range 1..5/);
    expect(() => lstm.forward(x, { lengths: [5] })).toThrow(/lengths has 1 entries, expected the batch size 2/);
    expect(() => lstm.forward(x, { lengths: [5, 1.5] })).toThrow(rk.ArgumentError);
  });

  it('rejects wrong state shapes and incomplete LSTM states', () => {
    const h = rk.zeros([2, 2, 4]);
    const c = rk.zeros([2, 2, 4]);
    expect(() => lstm.forward(x, { state: { h } })).toThrow(/state.c is missing/);
    expect(() => lstm.forward(x, { state: { h: rk.zeros([1, 2, 4]), c } })).toThrow(rk.ShapeError);
    expect(() => lstm.forward(x, { state: { h, c: rk.zeros([2, 3, 4]) } })).toThrow(rk.ShapeError);
    expect(() => new rk.nn.GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 }).forward(x, { state: { h, c } })).toThrow(/only for an LSTM/);
    expect(() => lstm.forward(x, { lenghts: [5, 5] } as unknown as rk.nn.RecurrentForwardOptions)).toThrow(/unknown option 'lenghts'/);
  });
});
