// `npm run bench:classifier`: the news classifier trained side by side with rnnkit and PyTorch:
// Embedding(20000, 128) → 2-layer bidirectional LSTM(H) → Linear(2H → 4) on the top layer's final
// states (both directions), cross-entropy, Adam (lr 1e-3). One timed step is a whole training
// step: zero grads, forward, loss, backward, optimizer step. Same batch (the very same token ids,
// lengths and targets: written to a temp file that bench/peers/torch_classifier.py reads), same
// thread count; prints a markdown table. Not a test: nothing here asserts a time.
//
//   npm run bench:classifier                       # all rows
//   npm run bench:classifier -- --rows 0,2         # some rows (0-based, in the table's order)
//   npm run bench:classifier -- --steps 21         # timed steps per side (default 7); the sides
//                                                  # alternate step by step, so a slow spell of a
//                                                  # shared machine hits both alike
//   npm run bench:classifier -- --profile          # also: where rnnkit's step goes (see below)
//   npm run bench:classifier -- --no-peer          # rnnkit only
//   RNNKIT_BENCH_PYTHON=python3 npm run bench:classifier   # a Python with torch (default .venv-ref/bin/python)
//
// Run `npm run build` first (the npm script does); the PyTorch side is skipped, with the reason,
// when no Python with torch is found.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as rk from 'rnnkit';
import { cpuSides, ITERS, lockstep, median, pickRows, SHAPES, TABLE_HEADER, tableRow, WARMUP } from './common.mjs';
import { batchOf, CLASSES, dispose, EMBED, LR, peerArgs, rnnkitStep, setup, VOCAB } from './news-classifier.mjs';

// The rows (PyTorch 2.13, 2 threads, gave 24.5k, 3.8k and 1.9k tokens/s): random lengths
// uniform in [T/2, T] (PyTorch: pack_padded_sequence), then all of length T (no packing).
const ROWS = SHAPES.flatMap((s) => [
  { ...s, lengths: 'random' },
  { ...s, lengths: 'equal' },
]);

/**
 * --profile: the same step cut in phases, each ended by a read (so each phase's time includes one
 * stream round trip, well under a millisecond): embedding gather, LSTM forward, head + loss,
 * backward (all of it), Adam. Median per phase.
 */
async function profileRnnkit(row, batch) {
  const ctx = setup(rk, row, batch);
  const { model, optimizer, ids, targets } = ctx;
  const { lengths } = batch;
  const phases = ['embedding', 'lstm fwd', 'head+loss', 'backward', 'adam'];
  const times = Object.fromEntries(phases.map((p) => [p, []]));
  const dirs = 2;
  const layers = 2;
  const step = async (record) => {
    const t = [performance.now()];
    const mark = async (tensor) => {
      await tensor.data();
      t.push(performance.now());
    };
    optimizer.zeroGrad();
    const x = model.embedding.forward(ids);
    await mark(x);
    const { output, state } = model.rnn.forward(x, { lengths });
    await mark(state.h);
    const loss = rk.tidy(() => {
      const top = state.h.narrow(0, (layers - 1) * dirs, dirs);
      const pooled = rk.concat([0, 1].map((d) => top.narrow(0, d, 1).reshape([row.batch, row.hidden])), 1);
      return rk.crossEntropy(model.head.forward(pooled), targets);
    });
    await mark(loss);
    loss.backward();
    await mark(model.head.bias); // queued after backward's last gradient (the embedding's)
    optimizer.step();
    await mark(model.head.bias);
    for (const u of [loss, x, output, state.h, state.c]) u?.dispose();
    if (record) phases.forEach((p, i) => times[p].push(t[i + 1] - t[i]));
  };
  for (let i = 0; i < WARMUP; i++) await step(false);
  for (let i = 0; i < ITERS; i++) await step(true);
  dispose(ctx);
  return Object.fromEntries(phases.map((p) => [p, median(times[p])]));
}

const rows = pickRows(ROWS);
const profile = process.argv.includes('--profile');
const noPeer = process.argv.includes('--no-peer');
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-bench-'));

console.log(`${cpuSides(rk)}; median of ${ITERS} steps after ${WARMUP} warm-up, the two sides alternating step by step`);
console.log(`Embedding(${VOCAB}, ${EMBED}) → 2-layer BiLSTM(H) → Linear(2H → ${CLASSES}) on the final states; cross-entropy; Adam lr ${LR}; zero grads + forward + backward + step\n`);
console.log(TABLE_HEADER);
const profiles = [];
try {
  for (const row of rows) {
    const batch = batchOf(row);
    const tokens = batch.lengths.reduce((a, b) => a + b, 0);
    const ours = rnnkitStep(rk, row, batch);
    const t = await lockstep(ours.step, 'torch_classifier.py', peerArgs(row, batch, dir), { noPeer });
    ours.dispose();
    console.log(tableRow(row, tokens, t.ours, t.theirs, t.error));
    if (process.env.RNNKIT_BENCH_VERBOSE) console.error(`  loss after the last step: rnnkit ${ours.loss().toFixed(4)}, PyTorch ${t.peer?.loss ?? 'n/a'}`);
    if (profile) profiles.push({ row, tokens, phases: await profileRnnkit(row, batch) });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (profile) {
  const names = Object.keys(profiles[0]?.phases ?? {});
  console.log(`\nrnnkit's step in phases (ms, median of ${ITERS}; each phase ends with a read):\n`);
  console.log(`| H | batch | T | lengths | ${names.join(' | ')} | sum |`);
  console.log(`|---|---|---|---|${names.map(() => '---|').join('')}---|`);
  for (const { row, phases } of profiles) {
    const total = names.reduce((a, n) => a + phases[n], 0);
    console.log(`| ${row.hidden} | ${row.batch} | ${row.time} | ${row.lengths} | ${names.map((n) => phases[n].toFixed(1)).join(' | ')} | ${total.toFixed(1)} |`);
  }
}
