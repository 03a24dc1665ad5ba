// `npm run bench`: rnnkit and PyTorch side by side on the same recurrent training step (forward +
// backward of a stacked bidirectional LSTM, loss = sum(output) + sum(h)), same batch, same
// lengths, same thread count; prints a markdown table. Not a test: nothing here asserts a time.
//
//   npm run bench                      # all rows
//   npm run bench -- --rows 0,1        # some rows (0-based, in the table's order)
//   RNNKIT_BENCH_PYTHON=python3 npm run bench   # a Python with torch (default .venv-ref/bin/python)
//
// Run `npm run build` first (npm run bench does); the PyTorch side is skipped, with the reason,
// when no Python with torch is found.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as rk from 'rnnkit';

const root = fileURLToPath(new URL('../', import.meta.url));
const THREADS = Number(process.env.OMP_NUM_THREADS ?? availableParallelism());
const WARMUP = 2;
const ITERS = 7;

// The rows: 2-layer BiLSTM, input 128; equal lengths, then random lengths in [T/2, T].
const SHAPES = [
  { hidden: 64, batch: 32, time: 64 },
  { hidden: 256, batch: 32, time: 64 },
  { hidden: 512, batch: 64, time: 100 },
];
const ROWS = SHAPES.flatMap((s) => [
  { ...s, lengths: 'equal' },
  { ...s, lengths: 'random' },
]).map((r) => ({ mode: 'lstm', layers: 2, bidirectional: true, input: 128, ...r }));

/** Lengths of a row, drawn with a fixed seed so both sides run the very same batch. */
function lengthsOf(row) {
  if (row.lengths === 'equal') return new Array(row.batch).fill(row.time);
  const lo = Math.ceil(row.time / 2);
  let s = 12345 + row.batch * 7 + row.time; // a small LCG: the same lengths on every run
  return Array.from({ length: row.batch }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + (s % (row.time - lo + 1));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeRnnkit(row, lengths) {
  rk.seed(0);
  const lstm = new rk.nn.LSTM({
    inputSize: row.input,
    hiddenSize: row.hidden,
    numLayers: row.layers,
    bidirectional: row.bidirectional,
  });
  const n = row.batch * row.time * row.input;
  const xData = new Float32Array(n);
  for (let i = 0; i < n; i++) xData[i] = Math.sin(i) * 0.9;
  const x = rk.tensor(xData, { shape: [row.batch, row.time, row.input], requiresGrad: true });
  const step = async () => {
    for (const p of [x, ...lstm.parameters()]) {
      p.grad?.dispose();
      p.grad = null;
    }
    const loss = rk.tidy(() => {
      const { output, state } = lstm.forward(x, { lengths });
      return rk.add(rk.sum(output), rk.sum(state.h));
    });
    loss.backward();
    loss.dispose();
    await x.grad.data(); // the step is done when its last gradient is readable
  };
  for (let i = 0; i < WARMUP; i++) await step();
  const times = [];
  for (let i = 0; i < ITERS; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function timePytorch(row, lengths) {
  const python = process.env.RNNKIT_BENCH_PYTHON ?? `${root}.venv-ref/bin/python`;
  if (!process.env.RNNKIT_BENCH_PYTHON && !existsSync(python)) return { error: 'no .venv-ref (see bench/peers/README.md)' };
  const args = [
    `${root}bench/peers/torch_rnn.py`, '--mode', row.mode, '--layers', String(row.layers),
    ...(row.bidirectional ? ['--bidirectional'] : []),
    '--input', String(row.input), '--hidden', String(row.hidden), '--batch', String(row.batch),
    '--time', String(row.time), '--lengths-list', lengths.join(','), '--threads', String(THREADS),
    '--warmup', String(WARMUP), '--iters', String(ITERS), '--input-grad',
  ];
  const r = spawnSync(python, args, { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const pick = process.argv.indexOf('--rows');
const rows = pick > 0 ? process.argv[pick + 1].split(',').map((i) => ROWS[Number(i)]) : ROWS;
const fmt = (v) => Math.round(v).toLocaleString('en-US');

console.log(`rnnkit on ${rk.backends().map((b) => b.detail).join('; ')}; PyTorch with ${THREADS} threads; median of ${ITERS} steps after ${WARMUP} warm-up`);
console.log('2-layer bidirectional LSTM, input 128, forward + backward (input gradient included)\n');
console.log('| H | batch | T | lengths | tokens | rnnkit ms | rnnkit tokens/s | PyTorch ms | PyTorch tokens/s | rnnkit / PyTorch |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  const lengths = lengthsOf(row);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const ms = await timeRnnkit(row, lengths);
  const peer = timePytorch(row, lengths);
  const ours = (tokens / ms) * 1000;
  const theirs = peer.error ? null : peer.tokens_per_s;
  console.log(
    `| ${row.hidden} | ${row.batch} | ${row.time} | ${row.lengths} | ${tokens} | ${ms.toFixed(1)} | ${fmt(ours)} | ` +
      (theirs === null ? `n/a (${peer.error}) | | |` : `${peer.ms_per_iter.toFixed(1)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(2)}× |`),
  );
}
