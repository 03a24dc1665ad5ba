// Child of rnn-threads.test.ts: runs a few bidirectional layers forward and backward on the
// built package (dist/) and prints every output and gradient as JSON, so the parent can compare
// the runs it starts with different OMP_NUM_THREADS (different CPU code paths, see the test).
import * as rk from '../../dist/index.js';

/** Deterministic values in [-1, 1) (an LCG; the same in every run). */
function values(n, seed) {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 31 - 1;
  });
}

const CASES = [
  { name: 'lstm, equal lengths', Layer: rk.nn.LSTM, options: {}, lengths: null },
  { name: 'lstm, lengths', Layer: rk.nn.LSTM, options: {}, lengths: [7, 3, 7, 1, 5] },
  { name: 'lstm, projection, lengths 6 of 7', Layer: rk.nn.LSTM, options: { projSize: 3 }, lengths: [6, 6, 6, 6, 6] },
  { name: 'lstm, cell clip, lengths', Layer: rk.nn.LSTM, options: { cellClip: 0.5 }, lengths: [2, 7, 4, 7, 5] },
  { name: 'gru, lengths', Layer: rk.nn.GRU, options: {}, lengths: [4, 7, 7, 2, 6] },
  { name: 'rnn, equal lengths', Layer: rk.nn.RNN, options: {}, lengths: null },
];

const [B, T, C, H] = [5, 7, 4, 6];
const results = {};
for (const [i, c] of CASES.entries()) {
  rk.seed(100 + i);
  const layer = new c.Layer({ inputSize: C, hiddenSize: H, numLayers: 2, bidirectional: true, ...c.options });
  const x = rk.tensor(values(B * T * C, 1 + i), { shape: [B, T, C], requiresGrad: true });
  const { output, state } = layer.forward(x, c.lengths ? { lengths: c.lengths } : {});
  const weights = rk.tensor(values(B * T * 2 * (c.options.projSize ?? H), 50 + i), { shape: [...output.shape] });
  let loss = rk.add(rk.sum(rk.mul(output, weights)), rk.sum(state.h));
  if (state.c) loss = rk.add(loss, rk.sum(state.c));
  loss.backward();
  const entry = { output: output.dataSync(), h: state.h.dataSync(), dx: x.grad.dataSync() };
  if (state.c) entry.c = state.c.dataSync();
  for (const [name, p] of layer.namedParameters()) entry[`d${name}`] = p.grad.dataSync();
  results[c.name] = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, Array.from(v)]));
}
process.stdout.write(JSON.stringify(results));
