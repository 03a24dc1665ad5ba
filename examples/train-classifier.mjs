import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as rk from 'rnnkit';

// A toy task that needs memory of both ends of each sequence: the class (0..3) says whether
// the first and whether the last token is "small" (1..4). Lengths vary from 6 to 24.
function examples(n, seed) {
  let s = seed;
  const random = () => (s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296;
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 6 + Math.floor(random() * 19) }, () => 1 + Math.floor(random() * 9));
    return { input, target: 2 * Number(input[0] <= 4) + Number(input.at(-1) <= 4) };
  });
}

rk.seed(0);
const model = new rk.nn.SequenceClassifier({
  vocabSize: 10, numClasses: 4, embeddingDim: 16, hiddenSize: 32, numLayers: 2, bidirectional: true,
});
const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.01 });

const history = await rk.train.fit(model, {
  data: new rk.train.SequenceDataset(examples(2000, 1), { batchSize: 32, seed: 0 }),
  validationData: new rk.train.SequenceDataset(examples(500, 2), { batchSize: 100, shuffle: false }),
  epochs: 3,
  optimizer,
  loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
  metrics: [new rk.train.Accuracy()],
  clipGradNorm: 5,
});

const last = history.epochs.at(-1);
console.log(`validation accuracy: ${(100 * last.valMetrics.accuracy).toFixed(1)}%`);
const file = join(tmpdir(), 'classifier.safetensors');
await rk.io.save(file, { model, optimizer, metadata: { epochs: history.epochs.length } });
console.log(`saved ${file}`);
