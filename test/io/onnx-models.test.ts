// io.exportOnnx of whole models, run in onnxruntime and compared with rnnkit's own outputs
// (<= 1e-5): nn.SequenceClassifier with every pooling (LSTM and GRU, one or both directions, on
// unequal unsorted lengths and on a batch of 1), nn.LanguageModel (logits and next state, with
// tied weights, and stepped token by token from its own h_n / c_n fed back as h0 / c0), and
// nn.Sequential stacks of the exportable layers.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';
import { tempDirPerFile } from './interop-fixtures.js';
import { expectSame, onnxFile, paddedIds, runOnnx } from './onnx-runtime.js';

const dir = tempDirPerFile('rnnkit-onnx-models-');
const VOCAB = 20;
const TIME = 6;
const BATCHES = [[4, 6, 1, 3], [5]];

const idsFeed = (lengths: number[], seed: number) => ({
  ids: { data: paddedIds(lengths, TIME, VOCAB, seed), dims: [lengths.length, TIME] },
  lengths: { data: Int32Array.from(lengths), dims: [lengths.length] },
});

describe('io.exportOnnx of nn.SequenceClassifier, run in onnxruntime', () => {
  const cases = (['last', 'mean', 'max', 'attention'] as const).flatMap((pooling) =>
    (['lstm', 'gru'] as const).flatMap((cell) => [false, true].map((bidirectional) => ({ pooling, cell, bidirectional }))),
  );
  cases.forEach(({ pooling, cell, bidirectional }, i) => {
    const label = `classifier ${cell}${bidirectional ? ' bidirectional' : ''} pooling ${pooling}`;
    it(`${label}: unequal lengths and batch 1`, async () => {
      rk.seed(200 + i);
      const model = new rk.nn.SequenceClassifier({ vocabSize: VOCAB, numClasses: 3, embeddingDim: 5, hiddenSize: 4, numLayers: 2, bidirectional, cell, pooling, dropout: 0.3 });
      // Exported in training mode on purpose: the graph is the evaluation mode's (dropout off).
      const file = onnxFile(dir(), label.replaceAll(' ', '_'));
      const info = await rk.io.exportOnnx(model, file);
      expect(info.inputs).toEqual([
        { name: 'ids', dtype: 'int32', dims: ['batch', 'time'] },
        { name: 'lengths', dtype: 'int32', dims: ['batch'] },
      ]);
      expect(info.outputs).toEqual([{ name: 'logits', dtype: 'float32', dims: ['batch', 3] }]);
      for (const [k, lengths] of BATCHES.entries()) {
        const feeds = idsFeed(lengths, 40 + i + k);
        const onnx = await runOnnx(file, feeds);
        const ours = model.predict(rk.tensor(feeds.ids.data, { shape: feeds.ids.dims }), { lengths: feeds.lengths.data });
        await expectSame(label, onnx.logits, ours);
        ours.dispose();
      }
    });
  });

  it('max pooling at opsets 18 and 21 (ReduceMax takes its axes as an input from opset 18)', async () => {
    rk.seed(3);
    const model = new rk.nn.SequenceClassifier({ vocabSize: VOCAB, numClasses: 2, embeddingDim: 4, hiddenSize: 3, pooling: 'max' });
    const feeds = idsFeed(BATCHES[0]!, 5);
    const ours = model.predict(rk.tensor(feeds.ids.data, { shape: feeds.ids.dims }), { lengths: feeds.lengths.data });
    for (const opset of [18, 21]) {
      const file = onnxFile(dir(), `max_opset${opset}`);
      expect((await rk.io.exportOnnx(model, file, { opset })).opset).toBe(opset);
      await expectSame(`classifier lstm bidirectional pooling max, opset ${opset}`, (await runOnnx(file, feeds)).logits, ours);
    }
    ours.dispose();
  });
});

describe('io.exportOnnx of nn.LanguageModel, run in onnxruntime', () => {
  const cases = [
    { cell: 'lstm' as const, numLayers: 2, tieWeights: false },
    { cell: 'gru' as const, numLayers: 2, tieWeights: false },
    { cell: 'lstm' as const, numLayers: 1, tieWeights: true },
  ];
  cases.forEach((c, i) => {
    const label = `language model ${c.cell} ${c.numLayers} layer${c.numLayers > 1 ? 's' : ''}${c.tieWeights ? ' tied' : ''}`;
    it(`${label}: logits and the next state; stepped token by token from its own state`, async () => {
      rk.seed(300 + i);
      const model = new rk.nn.LanguageModel({ vocabSize: VOCAB, embeddingDim: 6, hiddenSize: 6, embeddingDropout: 0.2, outputDropout: 0.2, ...c });
      model.eval();
      const isLstm = c.cell === 'lstm';
      const plain = onnxFile(dir(), `${label.replaceAll(' ', '_')}`);
      const info = await rk.io.exportOnnx(model, plain);
      expect(info.outputs.map((o) => o.name)).toEqual(['logits', 'h_n', ...(isLstm ? ['c_n'] : [])]);
      for (const [k, lengths] of BATCHES.entries()) {
        const feeds = idsFeed(lengths, 60 + i + k);
        const onnx = await runOnnx(plain, feeds);
        const ours = rk.noGrad(() => model.run(rk.tensor(feeds.ids.data, { shape: feeds.ids.dims }), { lengths: feeds.lengths.data }));
        await expectSame(`${label} logits`, onnx.logits, ours.logits);
        await expectSame(`${label} h_n`, onnx.h_n, ours.state.h);
        if (isLstm) await expectSame(`${label} c_n`, onnx.c_n, ours.state.c!);
        for (const t of [ours.logits, ours.state.h, ours.state.c]) t?.dispose();
      }

      // A decoder: one token per run, each run's h_n / c_n fed back as h0 / c0, equals rnnkit over the whole text.
      const stepping = onnxFile(dir(), `${label.replaceAll(' ', '_')}_state`);
      await rk.io.exportOnnx(model, stepping, { stateInputs: true });
      const text = paddedIds([TIME], TIME, VOCAB, 70 + i);
      const stateDims = [c.numLayers, 1, 6];
      let h: Float32Array = new Float32Array(c.numLayers * 6);
      let cell: Float32Array = new Float32Array(c.numLayers * 6);
      const whole = rk.noGrad(() => model.run(rk.tensor(text, { shape: [1, TIME] })));
      const stepped = new Float32Array(TIME * VOCAB);
      for (let t = 0; t < TIME; t++) {
        const out = await runOnnx(stepping, {
          ids: { data: text.subarray(t, t + 1), dims: [1, 1] },
          lengths: { data: Int32Array.of(1), dims: [1] },
          h0: { data: h, dims: stateDims },
          ...(isLstm ? { c0: { data: cell, dims: stateDims } } : {}),
        });
        stepped.set(out.logits!.data, t * VOCAB);
        h = out.h_n!.data;
        if (isLstm) cell = out.c_n!.data;
      }
      await expectSame(`${label} stepped logits`, { data: stepped, dims: [1, TIME, VOCAB] }, whole.logits);
      await expectSame(`${label} stepped h_n`, { data: h, dims: stateDims }, whole.state.h);
      if (isLstm) await expectSame(`${label} stepped c_n`, { data: cell, dims: stateDims }, whole.state.c!);
      for (const t of [whole.logits, whole.state.h, whole.state.c]) t?.dispose();
    });
  });
});

describe('io.exportOnnx of nn.Sequential, run in onnxruntime', () => {
  it('Embedding → Dropout → BiLSTM → LayerNorm → BiGRU → AttentionPooling → Linear', async () => {
    rk.seed(400);
    const model = new rk.nn.Sequential(
      new rk.nn.Embedding(VOCAB, 5, { paddingIdx: 0 }),
      new rk.nn.Dropout(0.5),
      new rk.nn.LSTM({ inputSize: 5, hiddenSize: 4, bidirectional: true }),
      new rk.nn.LayerNorm(8),
      new rk.nn.Sequential(new rk.nn.GRU({ inputSize: 8, hiddenSize: 3, bidirectional: true, numLayers: 2 }), new rk.nn.AttentionPooling(6, { hiddenSize: 5 })),
      new rk.nn.Linear(6, 2),
    );
    model.eval();
    const file = onnxFile(dir(), 'sequential_ids');
    const info = await rk.io.exportOnnx(model, file);
    expect(info.outputs).toEqual([{ name: 'output', dtype: 'float32', dims: ['batch', 2] }]);
    for (const [k, lengths] of BATCHES.entries()) {
      const feeds = idsFeed(lengths, 80 + k);
      const onnx = await runOnnx(file, feeds);
      const ours = rk.noGrad(() => model.forward(rk.tensor(feeds.ids.data, { shape: feeds.ids.dims }), { lengths: feeds.lengths.data }));
      await expectSame('sequential embedding-lstm-layernorm-gru-attention-linear', onnx.output, ours);
      ours.dispose();
    }
  });

  it('time-major float input: Linear → RNN (time-major) → LayerNorm without affine → Linear without bias', async () => {
    rk.seed(401);
    const model = new rk.nn.Sequential(
      new rk.nn.Linear(3, 4),
      new rk.nn.RNN({ inputSize: 4, hiddenSize: 4, batchFirst: false, nonlinearity: 'relu', numLayers: 2 }),
      new rk.nn.LayerNorm(4, { elementwiseAffine: false }),
      new rk.nn.Linear(4, 2, { bias: false }),
    );
    const file = onnxFile(dir(), 'sequential_x');
    const info = await rk.io.exportOnnx(model, file, { dynamicAxes: { time: 'steps' } });
    expect(info.inputs[0]).toEqual({ name: 'x', dtype: 'float32', dims: ['steps', 'batch', 3] });
    const lengths = [2, 6, 4];
    const x = Float32Array.from(uniform(TIME * 3 * 3, 9));
    const onnx = await runOnnx(file, { x: { data: x, dims: [TIME, 3, 3] }, lengths: { data: Int32Array.from(lengths), dims: [3] } });
    const ours = rk.noGrad(() => model.forward(rk.tensor(x, { shape: [TIME, 3, 3] }), { lengths }));
    await expectSame('sequential time-major linear-rnn-layernorm-linear', onnx.output, ours);
    ours.dispose();
  });
});
