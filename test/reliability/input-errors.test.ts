// Bad inputs the API fuzzer found, each once, with the typed error it must give and no tensor
// left behind: these used to throw V8's TypeError / RangeError or leak the tensor being made.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { detached } from '../helpers.js';

function expectNoLeak(fn: () => unknown, Err: new (...args: never[]) => Error, message: RegExp): void {
  const before = rk.memory().tensors;
  expect(fn).toThrow(Err);
  expect(fn).toThrow(message);
  expect(rk.memory().tensors).toBe(before);
}

describe('typed errors for inputs the fuzzer found', () => {
  it('noGrad of a non-function is an ArgumentError', () => {
    expectNoLeak(() => rk.noGrad(3 as never), rk.ArgumentError, /^noGrad: fn must be a function, got 3$/);
  });

  it('transpose and narrow of a non-tensor are ArgumentErrors naming x', () => {
    expectNoLeak(() => rk.transpose(-1 as never, 0, 1), rk.ArgumentError, /^transpose: x must be a Tensor, got -1$/);
    expectNoLeak(() => rk.narrow('x' as never, 0, 0, 1), rk.ArgumentError, /^narrow: x must be a Tensor, got 'x'$/);
  });

  it('a detached typed array is an ArgumentError, whatever the dtype asked', () => {
    expectNoLeak(() => rk.tensor(detached(new Float32Array(4))), rk.ArgumentError, /^tensor: data is a Float32Array whose ArrayBuffer was transferred away/);
    expectNoLeak(() => rk.tensor(detached(new Int32Array(2)), { dtype: 'float32', shape: [0] }), rk.ArgumentError, /detached/);
  });

  it('a SharedArrayBuffer-backed typed array is read like any other', () => {
    const shared = new Float32Array(new SharedArrayBuffer(12));
    shared.set([1.5, -2, 3]);
    const t = rk.tensor(shared);
    expect(Array.from(t.dataSync())).toEqual([1.5, -2, 3]);
    t.dispose();
  });

  it('a bad requiresGrad leaves no tensor behind', () => {
    expectNoLeak(() => rk.tensor([1, 2], { requiresGrad: 'yes' as never }), rk.ArgumentError, /^tensor: options\.requiresGrad must be true or false, got 'yes'$/);
    expectNoLeak(() => rk.tensor(new Int32Array([1]), { requiresGrad: true } as never), rk.DTypeError, /^tensor: only float32 tensors can require gradients, this one is int32$/);
    expectNoLeak(() => rk.full([2], 1, { dtype: 'int32', requiresGrad: true } as never), rk.DTypeError, /^full: only float32 tensors/);
    expectNoLeak(() => rk.zeros([2], { requiresGrad: 1 as never }), rk.ArgumentError, /^full: options\.requiresGrad/);
  });

  it('a layer too large for a JS array is an OutOfMemoryError', () => {
    expectNoLeak(() => new rk.nn.Linear(3, 2 ** 40), rk.OutOfMemoryError, /cannot allocate \d+ float32 values for initial parameters/);
    expectNoLeak(() => new rk.nn.Embedding(3, 2 ** 40), rk.OutOfMemoryError, /cannot allocate/);
  });

  it('a disposed operand beside a number leaks no scalar tensor', () => {
    const x = rk.tensor([1, 2]);
    x.dispose();
    expectNoLeak(() => rk.div(x, 0.5), rk.DisposedError, /^div: a is a disposed tensor/);
    expectNoLeak(() => rk.add(3, x), rk.DisposedError, /^add: b is a disposed tensor/);
  });

  it('mse of int32 tensors is a DTypeError that leaks nothing', () => {
    const a = rk.tensor(new Int32Array([1, 2]));
    const b = rk.tensor(new Int32Array([3, 4]));
    expectNoLeak(() => rk.mse(a as never, b as never), rk.DTypeError, /^mse: prediction must be float32, got int32$/);
    a.dispose();
    b.dispose();
  });

  it('slice with a detached begin array names it instead of failing to print it', () => {
    const x = rk.ones([2, 2]);
    expectNoLeak(() => rk.slice(x, detached(new Int32Array([0])) as never), rk.ArgumentError, /^slice: begin must be an array of at most 2 starts, got a Int32Array$/);
    x.dispose();
  });

  it('crossEntropy with detached lengths is an ArgumentError', () => {
    const logits = rk.ones([1, 2, 3]);
    const targets = rk.tensor(new Int32Array([0, 1]), { shape: [1, 2] });
    expectNoLeak(() => rk.crossEntropy(logits, targets, { lengths: detached(new Int32Array([2])) }), rk.ArgumentError, /^crossEntropy: options\.lengths is an Int32Array whose ArrayBuffer was transferred away/);
    logits.dispose();
    targets.dispose();
  });

  it('detached lengths of a recurrent layer are an ArgumentError naming options.lengths', () => {
    const lstm = new rk.nn.LSTM({ inputSize: 1, hiddenSize: 1 });
    const x = rk.zeros([1, 2, 1]);
    expectNoLeak(() => lstm.forward(x, { lengths: detached(new Int32Array([2])) }), rk.ArgumentError, /^lstm.forward: options.lengths is an Int32Array whose ArrayBuffer was transferred away \(detached\)$/);
    x.dispose();
    for (const p of lstm.parameters()) p.dispose();
  });

  it('a typed array as the params of an optimizer is an ArgumentError, detached or not', () => {
    expectNoLeak(() => new rk.optim.Adam(detached(new Int32Array(2)) as never), rk.ArgumentError, /^Adam: params must be an array \(or iterable\) of parameter tensors/);
    expectNoLeak(() => new rk.optim.SGD(new Float32Array(2) as never, { lr: 0.1 }), rk.ArgumentError, /^SGD: params must be an array/);
  });
});
