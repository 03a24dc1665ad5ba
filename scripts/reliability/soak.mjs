// Soak: `node scripts/reliability/soak.mjs [--steps 20000] [--every 1000] [--warmup 2000]`
// (after `npm run build`). Trains a small bidirectional-LSTM classifier (seeded data, Adam,
// dropout, gradient clipping) with train.fit() for --steps steps and samples memory() and the
// process RSS every --every steps (after a garbage collection, so the figures are what is kept,
// not what is waiting to be collected). Prints the table. Passes when, after --warmup steps,
// memory() (live tensors and bytes) never changes and RSS never exceeds its value at the end of
// warm-up by 5% or more; exit 1 otherwise. The peak-to-peak growth (the highest RSS of the second
// half of the samples against the first half's) is printed too.
// V8 grows its young generation in steps, up to two 16 MiB semi-spaces, whenever allocation stays
// fast, which it does in a training loop: left alone, that alone moved RSS by 8-16 MiB at steps
// 4,000-14,000 of a 20,000-step run (v8.getHeapSpaceStatistics: new_space 8 -> 31 MiB). The soak
// starts V8 with the young generation at that maximum, so RSS measures what rnnkit keeps.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// The samples need a collection first, and the young generation at its maximum (see above):
// re-run with those V8 flags when they were not given.
if (typeof globalThis.gc !== 'function') {
  const v8Flags = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'];
  const r = spawnSync(process.execPath, [...v8Flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const rk = await import('rnnkit');
const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '20000' },
    every: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '2000' },
  },
});
const STEPS = Number(args.steps);
const EVERY = Number(args.every);
const WARMUP = Number(args.warmup);

// Data: 256 sequences of 4..12 tokens over 50 ids; the class is whether id 7 occurs.
const VOCAB = 50;
const BATCH = 16;
rk.setDeterministic(true, { seed: 2026 });
let s = 12345;
const next = () => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 2 ** 32;
};
const examples = Array.from({ length: 256 }, () => {
  const input = Array.from({ length: 4 + Math.floor(next() * 9) }, () => 1 + Math.floor(next() * (VOCAB - 1)));
  return { input, target: input.includes(7) ? 1 : 0 };
});
const data = new rk.train.SequenceDataset(examples, { batchSize: BATCH, seed: 1 });
const model = new rk.nn.SequenceClassifier({ vocabSize: VOCAB, numClasses: 2, embeddingDim: 16, hiddenSize: 16, numLayers: 2, bidirectional: true, dropout: 0.2 });
const optimizer = new rk.optim.Adam(model.parameters(), { lr: 3e-3 });
const stepsPerEpoch = Math.ceil(examples.length / BATCH);
const epochs = Math.ceil(STEPS / stepsPerEpoch);

const samples = [];
const sample = async (step, loss) => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rk.sync();
  const m = rk.memory();
  const { rss, heapUsed } = process.memoryUsage();
  samples.push({ step, tensors: m.tensors, bytes: m.bytes, rss, heapUsed, loss });
  const mib = (v) => (v / 2 ** 20).toFixed(1).padStart(8);
  console.log(`${String(step).padStart(6)}  ${String(m.tensors).padStart(7)}  ${String(m.bytes).padStart(9)}  ${mib(rss)}  ${mib(heapUsed)}  ${loss.toFixed(4)}  ${((performance.now() - started) / 1000).toFixed(0).padStart(5)}`);
};

console.log(`soak: ${STEPS} steps of a 2-layer BiLSTM classifier (embedding 16, hidden 16, batch ${BATCH}), ${epochs} epochs of ${stepsPerEpoch} steps; sample every ${EVERY}`);
console.log('  step  tensors      bytes  RSS MiB  JS heap  loss     secs');
const started = performance.now();
await sample(0, NaN);
await rk.train.fit(model, {
  data,
  epochs,
  optimizer,
  loss: (output, batch) => rk.crossEntropy(output, batch.targets),
  clipGradNorm: 1,
  progress: 'off',
  callbacks: [
    {
      async onStepEnd(step, loss, context) {
        if (step % EVERY === 0) await sample(step, loss);
        if (step >= STEPS) context.stop(`reached ${STEPS} steps`);
      },
    },
  ],
});

const after = samples.filter((x) => x.step >= WARMUP);
const base = after[0];
const last = samples.at(-1);
const flat = after.every((x) => x.tensors === base.tensors && x.bytes === base.bytes);
const half = Math.floor(after.length / 2);
const peak = (list) => Math.max(...list.map((x) => x.rss));
const firstPeak = peak(after.slice(0, half));
const secondPeak = peak(after.slice(half));
const peakGrowth = (secondPeak - firstPeak) / firstPeak;
const growth = (peak(after) - base.rss) / base.rss;
const mib = (v) => `${(v / 2 ** 20).toFixed(1)} MiB`;
console.log(`\nsteps run: ${last.step} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(`memory() after warm-up (step ${base.step}): ${base.tensors} tensors, ${base.bytes} bytes; ${flat ? 'the same at every later sample' : 'CHANGED later'}`);
console.log(`RSS after warm-up: ${mib(Math.min(...after.map((x) => x.rss)))} .. ${mib(peak(after))}; at step ${base.step} ${mib(base.rss)}, at step ${last.step} ${mib(last.rss)}`);
console.log(`RSS growth after warm-up (highest sample against step ${base.step}): ${(growth * 100).toFixed(2)}%`);
console.log(`RSS peak, steps ${after[0].step}-${after[half - 1].step}: ${mib(firstPeak)}; steps ${after[half].step}-${last.step}: ${mib(secondPeak)} (growth ${(peakGrowth * 100).toFixed(2)}%)`);
const ok = flat && growth < 0.05 && last.step >= STEPS;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
