// What stateful training changes: a character language model trained twice on the same text,
// with the same seed, model and number of optimizer steps — once stateful (the text as --batch
// contiguous streams, data.textStream, the state carried from batch to batch: truncated BPTT),
// once on shuffled windows of --time characters, each starting from a zero state (data.textWindows)
// — then both measured on the held-out last 10% of the text: perplexity with the state carried
// through the held-out text (as PyTorch's word_language_model evaluates), and on windows of
// --time characters from a zero state. Prints a markdown table. Not a test: nothing asserts.
//
//   node bench/stateful-lm.mjs                            # the Debian license texts below
//   node bench/stateful-lm.mjs --text a.txt,b.txt         # other texts, concatenated
//   node bench/stateful-lm.mjs --steps 1500 --hidden 256 --time 64 --batch 16 --seed 0
//
// Run `npm run build` first.

import { readFileSync } from 'node:fs';
import * as rk from 'rnnkit';
import { arg } from './common.mjs';

/** Real English prose found on every Debian system (the GNU and other free licenses). */
const DEBIAN_TEXTS = ['GPL-3', 'GPL-2', 'LGPL-2.1', 'GFDL-1.3', 'Apache-2.0', 'MPL-2.0', 'Artistic'].map((n) => `/usr/share/common-licenses/${n}`);

const files = arg('--text')?.split(',') ?? DEBIAN_TEXTS;
const steps = Number(arg('--steps') ?? 1500);
const hidden = Number(arg('--hidden') ?? 256);
const time = Number(arg('--time') ?? 64);
const batchSize = Number(arg('--batch') ?? 16);
const seed = Number(arg('--seed') ?? 0);

const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
const tokenizer = rk.data.CharTokenizer.fromCorpus(text);
const ids = tokenizer.encode(text);
const cut = Math.floor(ids.length * 0.9);
const train = ids.subarray(0, cut);
const heldOut = ids.subarray(cut);

/** The first `total` batches of a source, epoch after epoch (the last epoch cut short). */
function firstBatches(source, total) {
  return {
    numBatches: source.numBatches,
    async *batches(epoch) {
      let i = 0;
      for await (const b of source.batches(epoch)) {
        if (epoch * source.numBatches + i++ >= total) {
          b.inputs.dispose();
          b.targets.dispose();
          continue;
        }
        yield b;
      }
    },
  };
}

const loss = (logits, batch) => rk.crossEntropy(logits, batch.targets);

async function trainOne(stateful) {
  rk.seed(seed);
  const model = new rk.nn.LanguageModel({
    vocabSize: tokenizer.vocabSize, embeddingDim: 64, hiddenSize: hidden, numLayers: 1, embeddingDropout: 0.1, outputDropout: 0.2,
  });
  const source = stateful
    ? rk.data.textStream(train, { batchSize, time })
    : rk.data.textWindows(train, { time, batchSize, seed, keepLast: false });
  const epochs = Math.ceil(steps / source.numBatches);
  const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.002 });
  let done = 0;
  const started = performance.now();
  await rk.train.fit(model, {
    data: firstBatches(source, steps), epochs, optimizer, loss, clipGradNorm: 1, stateful, progress: 'off', seed,
    callbacks: [{ onStepEnd: () => void done++ }],
  });
  const seconds = (performance.now() - started) / 1000;
  const carried = await rk.train.evaluate(model, rk.data.textStream(heldOut, { batchSize: 4, time }), { loss, stateful: true });
  const windows = await rk.train.evaluate(model, rk.data.textWindows(heldOut, { time, batchSize: 64, shuffle: false }), { loss });
  return { stateful, done, epochs, seconds, carried: Math.exp(carried.loss), windows: Math.exp(windows.loss) };
}

process.stdout.write(
  `text: ${files.length} file(s), ${ids.length.toLocaleString('en-US')} characters (vocabulary ${tokenizer.vocabSize}); ` +
    `training on the first ${train.length.toLocaleString('en-US')}, held out the last ${heldOut.length.toLocaleString('en-US')}\n` +
    `model: embedding 64, 1-layer LSTM ${hidden}, embeddingDropout 0.1, outputDropout 0.2; Adam 0.002, clip 1, batch ${batchSize}, time ${time}, seed ${seed}\n\n`,
);
const rows = [await trainOne(true), await trainOne(false)];
process.stdout.write('| training | optimizer steps | held-out perplexity, state carried | held-out perplexity, windows of ' + time + ' from zero state | training time |\n');
process.stdout.write('| --- | ---: | ---: | ---: | ---: |\n');
for (const r of rows) {
  const name = r.stateful ? 'stateful (textStream, state carried)' : 'shuffled windows (zero state each)';
  process.stdout.write(`| ${name} | ${r.done} | ${r.carried.toFixed(3)} | ${r.windows.toFixed(3)} | ${r.seconds.toFixed(1)} s |\n`);
}
