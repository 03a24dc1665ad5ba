// `node bench/pretrained.mjs`: what pretrained word vectors change for a text classifier, in the
// README's recipe "pretrained GloVe vectors, frozen, then unfrozen". Three runs of the same model,
// data, epochs and seed: a randomly initialised embedding, pretrained vectors frozen, and pretrained
// vectors frozen for the first half of the epochs then fine-tuned (one Adam with two parameter
// groups: the embedding's learning rate is --unfrozen-lr times the others'). Prints a markdown table: training accuracy, validation
// accuracy (all of it, and the part whose topic words never occur in the labelled training data),
// seconds per epoch, trainable parameters. Not a test: nothing asserts a time.
//
//   npm run build && node bench/pretrained.mjs         # 10 epochs, 600 texts, lr 0.005, unfrozen-lr 0.2
//   node bench/pretrained.mjs --epochs 16 --train 800 --seed 1 --lr 0.002 --unfrozen-lr 1
//
// No pretrained vectors can be downloaded here, so this script makes its own, honestly labelled:
// a synthetic language of 4 topics (60 pseudo-words each) and 120 shared filler words; an unlabelled
// corpus of it (40,000 sentences) trains count-based vectors (bench/ppmi-vectors.mjs: PPMI of
// windowed co-occurrences, factorised; GloVe's family), written as a GloVe text file with
// io.saveWordVectors and read back with io.loadWordVectors, as a real glove.6B.100d.txt would be.
// The labelled data is small and sees only the first third of each topic's words; validation uses
// all of them, the situation pretrained vectors are for (words the labelled data never showed).
// A few filler words occur only in the labelled data: the vectors lack them, they get random rows.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as rk from 'rnnkit';
import { ppmiVectors } from './ppmi-vectors.mjs';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    train: { type: 'string', default: '600' },
    seed: { type: 'string', default: '0' },
    lr: { type: 'string', default: '0.005' },
    'unfrozen-lr': { type: 'string', default: '0.2' },
  },
});
const EPOCHS = Number(args.epochs);
const TRAIN = Number(args.train);
const SEED = Number(args.seed);
const LR = Number(args.lr);
const UNFROZEN_LR = Number(args['unfrozen-lr']);
const TOPICS = 4;
const TOPIC_WORDS = 60;
const SEEN = TOPIC_WORDS / 3; // topic words the labelled training data uses
const DIM = 50;

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}
const random = lcg(12345 + SEED);
const pick = (list) => list[Math.floor(random() * list.length)];

/** Distinct pseudo-words of 2 or 3 syllables. */
function pseudoWords(count, taken) {
  const out = [];
  while (out.length < count) {
    const syllables = 2 + Math.floor(random() * 2);
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick('bdfgklmnprstvz') + pick('aeiou');
    if (!taken.has(w)) {
      taken.add(w);
      out.push(w);
    }
  }
  return out;
}
const taken = new Set();
const topics = Array.from({ length: TOPICS }, () => pseudoWords(TOPIC_WORDS, taken));
const filler = pseudoWords(120, taken);
const labelledOnly = pseudoWords(10, taken); // never in the unlabelled corpus: no vectors

/** A sentence of topic t: each word a topic word with probability pTopic (rarely another topic's), else filler. */
function sentence(t, { pTopic, topicWords, extra = [] }) {
  const n = 8 + Math.floor(random() * 8);
  const words = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < pTopic) words.push(pick(topicWords(t)));
    else if (r < pTopic + 0.03) words.push(pick(topicWords((t + 1 + Math.floor(random() * (TOPICS - 1))) % TOPICS)));
    else words.push(extra.length > 0 && random() < 0.05 ? pick(extra) : pick(filler));
  }
  return words;
}

const corpus = Array.from({ length: 40000 }, () => sentence(Math.floor(random() * TOPICS), { pTopic: 0.3, topicWords: (t) => topics[t] }));
const labelled = (n, topicWords) =>
  Array.from({ length: n }, (_, i) => {
    const label = i % TOPICS;
    return { text: sentence(label, { pTopic: 0.2, topicWords, extra: labelledOnly }).join(' '), label };
  });
const trainSet = labelled(TRAIN, (t) => topics[t].slice(0, SEEN));
const valSet = labelled(2000, (t) => topics[t]);
const seenWords = new Set(topics.flatMap((words) => words.slice(0, SEEN)));
const topicWords = new Set(topics.flat());
const unseenOnly = valSet.filter((ex) => {
  const words = ex.text.split(' ');
  return words.some((w) => topicWords.has(w)) && words.every((w) => !seenWords.has(w));
});

// The pretrained vectors, through a GloVe file as a user would get them.
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-pretrained-'));
const vectorsFile = join(dir, 'vectors.50d.txt');
let t0 = performance.now();
const made = ppmiVectors(corpus, { dim: DIM, random: lcg(SEED) });
await rk.io.saveWordVectors(vectorsFile, { words: made.words, vectors: rk.tensor(made.values, { shape: [made.words.length, DIM] }) });
const vectorSeconds = (performance.now() - t0) / 1000;
t0 = performance.now();
const glove = await rk.io.loadWordVectors(vectorsFile);
const loadSeconds = (performance.now() - t0) / 1000;
rmSync(dir, { recursive: true, force: true });

const tokenizer = rk.data.WordTokenizer.fromVectors(glove.words, { corpus: trainSet.map((ex) => ex.text) });
const { weights, missing, missingWords } = await rk.data.alignVectors(tokenizer, glove, { seed: SEED });

const examples = (set) => set.map((ex) => ({ input: Array.from(tokenizer.encode(ex.text)), target: ex.label }));
const data = new rk.train.SequenceDataset(examples(trainSet), { batchSize: 32, seed: SEED });
const val = new rk.train.SequenceDataset(examples(valSet), { batchSize: 200, shuffle: false });
const valUnseen = new rk.train.SequenceDataset(examples(unseenOnly), { batchSize: 200, shuffle: false });

async function run(name, { pretrained, frozenEpochs }) {
  rk.seed(SEED);
  const model = new rk.nn.SequenceClassifier({
    vocabSize: tokenizer.vocabSize, numClasses: TOPICS, embeddingDim: DIM, hiddenSize: 64, numLayers: 1, bidirectional: true, pooling: 'mean',
  });
  if (pretrained) model.embedding.loadStateDict({ weight: weights });
  // One optimizer for the whole run; pretrained vectors, once unfrozen, move at a lower rate.
  const optimizer = new rk.optim.Adam([
    { params: model.embedding.parameters(), lr: pretrained ? LR * UNFROZEN_LR : LR },
    { params: [...model.rnn.parameters(), ...model.head.parameters()] },
  ], { lr: LR });
  const logs = [];
  const trainable = [];
  const phase = async (epochs, initialEpoch) => {
    trainable.push(model.parameters().filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0).toLocaleString('en'));
    const history = await rk.train.fit(model, {
      data, validationData: val, epochs: initialEpoch + epochs, initialEpoch, optimizer, progress: 'off',
      loss: (logits, batch) => rk.crossEntropy(logits, batch.targets), metrics: [new rk.train.Accuracy()], clipGradNorm: 5,
    });
    logs.push(...history.epochs);
  };
  if (frozenEpochs > 0) {
    model.embedding.freeze();
    await phase(frozenEpochs, 0);
  }
  if (frozenEpochs < EPOCHS) {
    model.embedding.unfreeze();
    await phase(EPOCHS - frozenEpochs, frozenEpochs);
  }
  const unseen = await rk.train.evaluate(model, valUnseen, { metrics: [new rk.train.Accuracy()] });
  const seconds = logs.map((l) => l.seconds).sort((a, b) => a - b)[Math.floor(logs.length / 2)];
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const best = Math.max(...logs.map((l) => l.valMetrics.accuracy));
  return `| ${name} | ${pct(logs.at(-1).metrics.accuracy)} | ${pct(logs.at(-1).valMetrics.accuracy)} (best ${pct(best)}) | ${pct(unseen.metrics.accuracy)} | ${seconds.toFixed(2)} | ${trainable.join(' → ')} |`;
}

console.log(`vectors: ${glove.words.length} words × ${DIM} (made in ${vectorSeconds.toFixed(1)} s, read back in ${loadSeconds.toFixed(2)} s); ` +
  `vocabulary ${tokenizer.vocabSize} (${missing} labelled-data words without a vector, random rows: ${missingWords.slice(0, 4).join(', ')}${missing > 4 ? ', ...' : ''})`);
console.log(`${TRAIN} training texts (topic words: the first ${SEEN} of ${TOPIC_WORDS} per topic), ${valSet.length} validation texts, ` +
  `${unseenOnly.length} of them with only unseen topic words; ${EPOCHS} epochs, Adam lr ${LR} (pretrained embedding: ${LR * UNFROZEN_LR}), seed ${SEED}\n`);
console.log('| embedding | training accuracy | validation accuracy (last epoch) | on unseen-topic-word texts | s/epoch (median) | trainable parameters |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(await run('random init, trained', { pretrained: false, frozenEpochs: 0 }));
console.log(await run('pretrained, frozen', { pretrained: true, frozenEpochs: EPOCHS }));
console.log(await run(`pretrained, frozen ${EPOCHS / 2} epochs, then unfrozen`, { pretrained: true, frozenEpochs: EPOCHS / 2 }));
