import * as rk from 'rnnkit';

// Pretrained GloVe vectors, frozen, then unfrozen: a news classifier on AG News' CSV layout
// (class 1..4, title, description) over glove.6B.100d.txt, e.g.
//   node examples/glove-classifier.mjs glove.6B.100d.txt train.csv test.csv
const [vectorsFile, trainFile, testFile] = process.argv.slice(2);
const layout = { labelColumn: 0, textColumns: [1, 2], labelOffset: 1, numClasses: 4 };
const train = await rk.data.readClassificationCsv(trainFile, layout);
const test = await rk.data.readClassificationCsv(testFile, layout);

// The 100,000 most frequent GloVe words (streamed from the file), then the training texts' words
// GloVe lacks; GloVe is lowercase, and so is the tokenizer's default standardization.
const glove = await rk.io.loadWordVectors(vectorsFile, { limit: 100_000 });
const tokenizer = rk.data.WordTokenizer.fromVectors(glove.words, { corpus: train.texts, minCount: 2 });
const { weights, missing } = await rk.data.alignVectors(tokenizer, glove, { seed: 0 });
glove.vectors.dispose();
console.log(`${tokenizer.vocabSize} tokens, ${missing} of them without a GloVe vector (random rows)`);

rk.seed(0);
const model = new rk.nn.SequenceClassifier({
  vocabSize: tokenizer.vocabSize, embeddingDim: weights.shape[1], numClasses: 4, pooling: 'mean',
});
model.embedding.loadStateDict({ weight: weights });
weights.dispose();

const data = new rk.train.SequenceDataset(train.encode(tokenizer, { skipEmpty: true }), { batchSize: 64, seed: 0 });
const validationData = new rk.train.SequenceDataset(test.encode(tokenizer, { skipEmpty: true }), { batchSize: 256, shuffle: false });
// One Adam, two parameter groups: the pretrained vectors, once unfrozen, move at a fifth of the rate.
const optimizer = new rk.optim.Adam([
  { params: model.embedding.parameters(), lr: 2e-4 },
  { params: [...model.rnn.parameters(), ...model.head.parameters()] },
], { lr: 1e-3 });
const phase = (epochs, initialEpoch) =>
  rk.train.fit(model, {
    data, validationData, epochs: initialEpoch + epochs, initialEpoch, optimizer,
    loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
    metrics: [new rk.train.Accuracy()],
    clipGradNorm: 5,
  });

model.embedding.freeze(); // frozen: the LSTM and the head learn around GloVe
await phase(2, 0);
model.embedding.unfreeze(); // unfrozen: fine-tune the vectors too
const history = await phase(2, 2);
console.log(`test accuracy: ${(100 * history.epochs.at(-1).valMetrics.accuracy).toFixed(2)}%`);
