import * as rk from 'rnnkit';

// Data-parallel training over Gloo: run it as `npx rnnkit launch --nproc-per-node 2 -- node
// examples/data-parallel.mjs`. Every rank runs this script on its share of the batches.
await rk.distributed.init({ backend: 'gloo' });

// The README's toy task: the class says whether the first and whether the last token is small.
function examples(n, seed) {
  let s = seed;
  const random = () => (s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296;
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 6 + Math.floor(random() * 19) }, () => 1 + Math.floor(random() * 9));
    return { input, target: 2 * Number(input[0] <= 4) + Number(input.at(-1) <= 4) };
  });
}

rk.seed(rk.distributed.rank()); // different initial weights per rank: DataParallel gives all rank 0's
const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 4, embeddingDim: 16, hiddenSize: 32, bidirectional: true });
const ddp = new rk.distributed.DataParallel(model);
const shard = rk.distributed.shardOptions(); // { rank, worldSize }
const history = await rk.train.fit(ddp, {
  // A global batch of 32: each of the worldSize ranks takes 32 / worldSize rows of it.
  data: new rk.train.SequenceDataset(examples(2000, 1), { batchSize: 32 / shard.worldSize, seed: 0, ...shard }),
  validationData: new rk.train.SequenceDataset(examples(400, 2), { batchSize: 50, shuffle: false, ...shard }),
  epochs: 3,
  optimizer: new rk.optim.Adam(ddp.parameters(), { lr: 0.01 }),
  loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
  metrics: [new rk.train.Accuracy()],
});
// The epoch logs are averaged over the ranks, so every rank prints the same figure.
console.log(`validation accuracy: ${(100 * history.epochs.at(-1).valMetrics.accuracy).toFixed(1)}%`);
await rk.distributed.destroy();
