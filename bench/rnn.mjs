// `npm run bench`: rnnkit and PyTorch side by side on the same recurrent training step (forward +
// backward of a stacked bidirectional LSTM, loss = sum(output) + sum(h)), same batch, same
// lengths, same thread count; prints a markdown table. Not a test: nothing here asserts a time.
//
//   npm run bench                      # all rows
//   npm run bench -- --rows 0,1        # some rows (0-based, in the table's order)
//   npm run bench -- --steps 21        # timed steps per side (default 7), alternating step by step
//   RNNKIT_BENCH_PYTHON=python3 npm run bench   # a Python with torch (default .venv-ref/bin/python)
//
// Run `npm run build` first (npm run bench does); the PyTorch side is skipped, with the reason,
// when no Python with torch is found.

import * as rk from 'rnnkit';
import { cpuSides, drawLengths, ITERS, lcg, lockstep, lstmAndInput, pickRows, SHAPES, TABLE_HEADER, tableRow, WARMUP } from './common.mjs';

// The rows: 2-layer BiLSTM, input 128; equal lengths, then random lengths in [T/2, T].
const ROWS = SHAPES.flatMap((s) => [
  { ...s, lengths: 'equal' },
  { ...s, lengths: 'random' },
]).map((r) => ({ mode: 'lstm', layers: 2, bidirectional: true, input: 128, ...r }));

/** Lengths of a row, drawn with a fixed seed so both sides run the very same batch. */
const lengthsOf = (row) => drawLengths(row, lcg(12345 + row.batch * 7 + row.time));

/** rnnkit's training step on `row` (async). */
function rnnkitStep(row, lengths) {
  const { lstm, x } = lstmAndInput(rk, row, { requiresGrad: true });
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
  return step;
}

/** The PyTorch peer's arguments for `row`. */
function peerArgs(row, lengths) {
  return [
    '--mode', row.mode, '--layers', String(row.layers), ...(row.bidirectional ? ['--bidirectional'] : []),
    '--input', String(row.input), '--hidden', String(row.hidden), '--batch', String(row.batch),
    '--time', String(row.time), '--lengths-list', lengths.join(','), '--input-grad',
  ];
}

const rows = pickRows(ROWS);

console.log(`${cpuSides(rk)}; median of ${ITERS} steps after ${WARMUP} warm-up, the two sides alternating step by step`);
console.log('2-layer bidirectional LSTM, input 128, forward + backward (input gradient included)\n');
console.log(TABLE_HEADER);
for (const row of rows) {
  const lengths = lengthsOf(row);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const t = await lockstep(rnnkitStep(row, lengths), 'torch_rnn.py', peerArgs(row, lengths));
  console.log(tableRow(row, tokens, t.ours, t.theirs, t.error));
}
