// Type tests of the public API, compiled by `tsc -p test/types` (typecheck.test.ts runs it) and
// never executed. expectTypeOf pins the types a call returns; every @ts-expect-error line must be a
// compile error, so when a wrong option name or type starts to compile, tsc reports the unused
// directive and the test fails.
import { expectTypeOf } from 'vitest';
import * as rk from '../../lib/index.js';

// ---- tensor: the dtype follows the data, or options.dtype ------------------------------------
expectTypeOf(rk.tensor([[1, 2], [3, 4]])).toEqualTypeOf<rk.Tensor<'float32'>>();
expectTypeOf(rk.tensor(new Int32Array([1, 2]))).toEqualTypeOf<rk.Tensor<'int32'>>();
expectTypeOf(rk.tensor([1, 2], { dtype: 'int32' })).toEqualTypeOf<rk.Tensor<'int32'>>();
expectTypeOf(rk.zeros([2, 3])).toEqualTypeOf<rk.Tensor<'float32'>>();
expectTypeOf(rk.tensor([1]).dataSync()).toEqualTypeOf<Float32Array>();
expectTypeOf(rk.tensor(new Int32Array([1])).data()).toEqualTypeOf<Promise<Int32Array>>();
expectTypeOf(rk.tensor([1]).shape).toEqualTypeOf<readonly number[]>();
// @ts-expect-error: there is no float64 dtype
rk.tensor([1], { dtype: 'float64' });
// @ts-expect-error: requiresGrad is a boolean
rk.tensor([1], { requiresGrad: 1 });
// @ts-expect-error: the option is requiresGrad
rk.tensor([1], { requireGrad: true });
// @ts-expect-error: strings are not tensor data
rk.tensor(['1', '2']);
// @ts-expect-error: a shape is an array of numbers
rk.zeros(3);

// ---- nn.LSTM, nn.GRU, nn.RNN -----------------------------------------------------------------
const lstm = new rk.nn.LSTM({
  inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true, dropout: 0.1, bias: true, batchFirst: true,
  projSize: 4, cellClip: 3,
});
const x = rk.zeros([2, 5, 4]);
const run = lstm.forward(x, { lengths: new Int32Array([5, 3]) });
expectTypeOf(run).toEqualTypeOf<rk.nn.RecurrentOutput>();
expectTypeOf(run.output).toEqualTypeOf<rk.Tensor<'float32'>>();
expectTypeOf(run.state.c).toEqualTypeOf<rk.Tensor<'float32'> | undefined>();
lstm.forward(x, { lengths: [5, 3], state: run.state });
expectTypeOf(lstm.parameters()).toEqualTypeOf<rk.nn.Parameter[]>();
new rk.nn.GRU({ inputSize: 4, hiddenSize: 8 });
new rk.nn.RNN({ inputSize: 4, hiddenSize: 8, nonlinearity: 'relu' });
// @ts-expect-error: hiddenSize is required
new rk.nn.LSTM({ inputSize: 4 });
// @ts-expect-error: options are camelCase (PyTorch's num_layers is numLayers)
new rk.nn.LSTM({ inputSize: 4, hiddenSize: 8, num_layers: 2 });
// @ts-expect-error: bidirectional is a boolean
new rk.nn.LSTM({ inputSize: 4, hiddenSize: 8, bidirectional: 'yes' });
// @ts-expect-error: nonlinearity belongs to nn.RNN
new rk.nn.LSTM({ inputSize: 4, hiddenSize: 8, nonlinearity: 'relu' });
// @ts-expect-error: nonlinearity is 'tanh' or 'relu'
new rk.nn.RNN({ inputSize: 4, hiddenSize: 8, nonlinearity: 'sigmoid' });
// @ts-expect-error: projSize belongs to nn.LSTM
new rk.nn.GRU({ inputSize: 4, hiddenSize: 8, projSize: 2 });
// @ts-expect-error: lengths are numbers
lstm.forward(x, { lengths: ['5', '3'] });
// @ts-expect-error: the option is lengths
lstm.forward(x, { seqLengths: [5, 3] });

// ---- optimizers ----------------------------------------------------------------------------
const params = lstm.parameters();
new rk.optim.Adam(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false });
new rk.optim.AdamW(params, { weightDecay: 1e-2 });
new rk.optim.SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true });
// @ts-expect-error: the option is lr
new rk.optim.Adam(params, { learningRate: 1e-3 });
// @ts-expect-error: betas is a pair
new rk.optim.Adam(params, { betas: [0.9] });
// @ts-expect-error: lr is a number
new rk.optim.Adam(params, { lr: '1e-3' });
// @ts-expect-error: SGD needs lr
new rk.optim.SGD(params, { momentum: 0.9 });
// @ts-expect-error: the parameters come first
new rk.optim.Adam({ lr: 1e-3 });

// ---- train.fit -----------------------------------------------------------------------------
const model = new rk.nn.SequenceClassifier({ vocabSize: 100, numClasses: 4, hiddenSize: 16 });
const optimizer = new rk.optim.Adam(model.parameters());
declare const data: rk.train.DataSource;
const loss: rk.train.LossFn = (logits, batch) => rk.crossEntropy(logits, batch.targets);
expectTypeOf(rk.train.fit(model, { data, epochs: 2, optimizer, loss, progress: 'off' })).toEqualTypeOf<
  Promise<rk.train.History>
>();
// @ts-expect-error: epochs is required
rk.train.fit(model, { data, optimizer, loss });
// @ts-expect-error: the option is epochs
rk.train.fit(model, { data, epochs: 2, optimizer, loss, epoch: 2 });
// @ts-expect-error: progress is 'auto', 'bar', 'lines' or 'off'
rk.train.fit(model, { data, epochs: 2, optimizer, loss, progress: 'verbose' });
// @ts-expect-error: the loss takes the logits and the batch
rk.train.fit(model, { data, epochs: 2, optimizer, loss: (logits: string) => logits });

// ---- io.save / io.load ---------------------------------------------------------------------
expectTypeOf(rk.io.save('model.safetensors', { model, optimizer, metadata: { epoch: 1 } })).toEqualTypeOf<Promise<void>>();
expectTypeOf(rk.io.load(new URL('file:///tmp/model.safetensors'), { model, optimizer, strict: false })).toEqualTypeOf<
  Promise<rk.io.Loaded>
>();
// @ts-expect-error: the option is model
rk.io.save('model.safetensors', { modle: model });
// @ts-expect-error: a path is a string or a URL
rk.io.save(42, { model });
// @ts-expect-error: strict is a boolean
rk.io.load('model.safetensors', { model, strict: 'no' });
