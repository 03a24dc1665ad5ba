// Child of rnn-inference-kernel.test.ts: runs a few inference forwards (eval, noGrad, B = 4,
// T = 4, unsorted lengths; or one bidirectional sequence, whose two directions run side by side
// on two threads) large enough for the CPU kernel to split them over threads, on the
// built package (dist/), and prints every output and state as hex bits, so the parent can compare
// runs with different OMP_NUM_THREADS exactly.
import * as rk from '../../dist/index.js';

const CASES = [
  { Layer: rk.nn.LSTM, options: {} },
  { Layer: rk.nn.LSTM, options: { projSize: 96, cellClip: 0.5 } },
  { Layer: rk.nn.GRU, options: {} },
  { Layer: rk.nn.RNN, options: { hiddenSize: 512 } },
  { Layer: rk.nn.GRU, options: { bidirectional: true } },
  { Layer: rk.nn.LSTM, options: { bidirectional: true, projSize: 96 }, B: 1, T: 24, lengths: [24] },
];
const C = 64;
const hex = (t) => Buffer.from(t.dataSync().buffer).toString('hex');

const results = CASES.map(({ Layer, options, B = 4, T = 4, lengths = [2, 4, 3, 1] }, i) => {
  rk.seed(40 + i);
  const layer = new Layer({ inputSize: C, hiddenSize: 256, numLayers: 2, ...options }).eval();
  const x = rk.tensor(Float32Array.from({ length: B * T * C }, (_, j) => Math.sin(j + i)), { shape: [B, T, C] });
  const { output, state } = rk.noGrad(() => layer.forward(x, { lengths }));
  return [hex(output), hex(state.h), state.c ? hex(state.c) : null];
});
process.stdout.write(JSON.stringify(results));
