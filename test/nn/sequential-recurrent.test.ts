// nn.Sequential with recurrent layers and lengths, trained by fit(); SequenceClassifier's
// 'attention' pooling; a Conv1d text classifier trained by fit().

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose } from '../helpers.js';

const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

/** Ids 2..9 of length 3..12; class 1 when the sequence contains id 1 somewhere (once), else 0. */
function containsOne(n: number, seed: number): rk.train.Example[] {
  let s = seed >>> 0;
  const random = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + Math.floor(random() * 10);
    const input = Array.from({ length: len }, () => 2 + Math.floor(random() * 8));
    const target = i % 2;
    if (target === 1) input[Math.floor(random() * len)] = 1;
    return { input, target };
  });
}

const fitOptions = (epochs: number) => ({
  data: new rk.train.SequenceDataset(containsOne(512, 1), { batchSize: 32, seed: 2 }),
  validationData: new rk.train.SequenceDataset(containsOne(200, 3), { batchSize: 100, shuffle: false }),
  epochs,
  loss: (logits: rk.Tensor<'float32'>, batch: rk.train.Batch) => rk.crossEntropy(logits, batch.targets),
  metrics: [new rk.train.Accuracy()],
  progress: 'off' as const,
});

describe('nn.Sequential with recurrent layers', () => {
  it('passes lengths to the LSTM and the attention pooling and the LSTM output on: the same as the parts by hand', () => {
    rk.seed(1);
    const embedding = new rk.nn.Embedding(10, 4);
    const lstm = new rk.nn.LSTM({ inputSize: 4, hiddenSize: 3, bidirectional: true });
    const pool = new rk.nn.AttentionPooling(6);
    const head = new rk.nn.Linear(6, 2);
    const model = new rk.nn.Sequential(embedding, lstm, pool, head);
    expect(model.namedParameters().map(([n]) => n.split('.')[0])).toEqual(['0', '1', '1', '1', '1', '1', '1', '1', '1', '2', '2', '2', '3', '3']);
    const ids = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 6, 0, 0, 7, 0, 0, 0]), { shape: [3, 4] });
    const lengths = Int32Array.from([4, 2, 1]);
    rk.tidy(() => {
      const byHand = head.forward(pool.forward(lstm.forward(embedding.forward(ids), { lengths }).output, { lengths }));
      expectClose(read(model.forward(ids, { lengths })), read(byHand), 0);
      // Without lengths every step counts, and the padding changes the result.
      const unmasked = read(model.forward(ids));
      expectClose(unmasked, read(head.forward(pool.forward(lstm.forward(embedding.forward(ids)).output))), 0);
      expect(unmasked).not.toEqual(read(byHand));
      // A nested Sequential takes lengths too.
      const nested = new rk.nn.Sequential(new rk.nn.Sequential(embedding, lstm), pool, head);
      expectClose(read(nested.forward(ids, { lengths })), read(byHand), 0);
    });
  });

  it('trains with fit() (Embedding → LSTM → AttentionPooling → Linear) and keeps no tensors of its steps', async () => {
    rk.seed(2);
    const model = new rk.nn.Sequential(
      new rk.nn.Embedding(10, 8),
      new rk.nn.LSTM({ inputSize: 8, hiddenSize: 8, bidirectional: true }),
      new rk.nn.AttentionPooling(16),
      new rk.nn.Linear(16, 2),
    );
    const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.02 });
    const before = rk.memory().tensors;
    const history = await rk.train.fit(model, { ...fitOptions(8), optimizer });
    expect(history.epochs.at(-1)!.valMetrics!.accuracy).toBeGreaterThanOrEqual(0.95);
    optimizer.zeroGrad();
    // Adam's two moments per parameter are what stays.
    expect(rk.memory().tensors - before).toBeLessThanOrEqual(2 * model.parameters().length + 4);
  });

  it('rejects bad layers and options with typed errors', () => {
    expect(() => new rk.nn.Sequential()).toThrow(/needs at least one layer/);
    expect(() => new rk.nn.Sequential(new rk.nn.Linear(2, 2), 3 as unknown as rk.nn.TensorModule)).toThrow(/layers\[1\] must be a module/);
    const model = new rk.nn.Sequential(new rk.nn.Embedding(5, 2), new rk.nn.GRU({ inputSize: 2, hiddenSize: 2 }));
    const ids = rk.tensor(new Int32Array([1, 2]), { shape: [1, 2] });
    expect(() => model.forward(ids, { length: [2] } as rk.nn.SequenceOptions)).toThrow(/unknown option 'length'/);
    expect(() => model.forward(ids, { lengths: [3] })).toThrow(rk.ArgumentError);
  });
});

describe("SequenceClassifier pooling 'attention'", () => {
  it('pools the recurrent outputs with an AttentionPooling head; other poolings keep their names', () => {
    rk.seed(3);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 8, numClasses: 3, embeddingDim: 4, hiddenSize: 3, pooling: 'attention' });
    const names = model.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.startsWith('attention.'))).toEqual(['attention.proj.weight', 'attention.proj.bias', 'attention.score.weight']);
    const plain = new rk.nn.SequenceClassifier({ vocabSize: 8, numClasses: 3, embeddingDim: 4, hiddenSize: 3, pooling: 'mean' });
    expect(names.filter((n) => !n.startsWith('attention.'))).toEqual(plain.namedParameters().map(([n]) => n));
    expect(plain.attention).toBeNull();
    const ids = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 0, 6, 0, 0]), { shape: [3, 3] });
    const lengths = Int32Array.from([3, 2, 1]);
    rk.tidy(() => {
      const { output } = model.rnn.forward(model.embedding.forward(ids), { lengths });
      const byHand = model.head.forward(model.attention!.forward(output, { lengths }));
      const logits = model.forward(ids, { lengths });
      expectClose(read(logits), read(byHand), 0);
      // Other ids in the padding change nothing.
      const repadded = rk.tensor(new Int32Array([1, 2, 3, 4, 5, 7, 6, 7, 7]), { shape: [3, 3] });
      expectClose(read(model.forward(repadded, { lengths })), read(logits), 0);
    });
  });

  it('trains with fit()', async () => {
    rk.seed(4);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 8, hiddenSize: 8, pooling: 'attention' });
    const history = await rk.train.fit(model, { ...fitOptions(8), optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.02 }) });
    expect(history.epochs.at(-1)!.valMetrics!.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

/** The CNN-over-embeddings baseline: embeddings → Conv1d → ReLU → max over time → Linear. */
class TextCnn extends rk.nn.Module {
  readonly embedding = this.registerModule('embedding', new rk.nn.Embedding(10, 8));
  readonly conv = this.registerModule('conv', new rk.nn.Conv1d(8, 16, 3, { padding: 1 }));
  readonly head = this.registerModule('head', new rk.nn.Linear(16, 2));

  forward(ids: rk.Tensor<'int32'>): rk.Tensor<'float32'> {
    return rk.tidy(() => {
      const x = this.embedding.forward(ids).transpose(1, 2); // [B, E, T]: channels first, as PyTorch
      return this.head.forward(rk.max(rk.relu(this.conv.forward(x)), 2));
    });
  }
}

describe('a Conv1d text classifier', () => {
  it('trains with fit()', async () => {
    rk.seed(5);
    const model = new TextCnn();
    const history = await rk.train.fit(model, { ...fitOptions(6), optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.02 }) });
    expect(history.epochs.at(-1)!.valMetrics!.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
