// One recurrent step at a time, as text generation runs it: eval mode, noGrad, batch 1, T = 1,
// the state carried from step to step. Prints, per LSTM shape, the microseconds of
//  - "call": one step then a read of its h (what a JS decoding loop pays today, dispatch included),
//  - "queued": 200 steps queued back to back, then one read (per-call costs overlap the kernel),
//  - "in-call": one forward over T = 16 steps, per step (the kernel's own time, dispatch / 16;
//    16 is the most steps at B = 1 that native/cpu/rnn_infer.cpp takes),
// and, from the queued time (a token's step, which reads every weight from memory), the GB/s at which the step reads its fp32 weights, beside this
// machine's copy bandwidth (one large Buffer copy: bytes copied per second, each read and written).
// Last, one text at a time through a classifier (predict: eval, noGrad, batch 1, lengths 20..60,
// 2-layer BiLSTM H = 128, embedding 128, 4 classes), in texts per second (PyTorch 2.13 CPU does
// ~470-540 here).
// Run after `npm run build`: `OMP_NUM_THREADS=1 node bench/rnn-step.mjs` (and 2). Not a test.
import * as rk from '../dist/index.js';

const SHAPES = [
  { layers: 1, input: 64, hidden: 32 },
  { layers: 2, input: 64, hidden: 256 },
  { layers: 2, input: 64, hidden: 1024 },
];
const QUEUED = 200;
const IN_CALL = 16;

/** Weight bytes one step reads: every layer's W_ih, W_hh and biases (fp32). */
const weightBytes = ({ layers, input, hidden }) => {
  let n = 0;
  for (let k = 0; k < layers; k++) n += 4 * hidden * ((k === 0 ? input : hidden) + hidden + 2);
  return 4 * n;
};

function copyBandwidth() {
  const bytes = 256 << 20;
  const from = Buffer.alloc(bytes, 1), to = Buffer.alloc(bytes);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    from.copy(to);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return bytes / best / 1e9;
}

/** Runs `steps` steps from `state`; returns the last state (the earlier ones are disposed). */
function run(lstm, x, state, steps, read) {
  for (let i = 0; i < steps; i++) {
    const next = rk.noGrad(() => lstm.forward(x, { state }));
    next.output.dispose();
    state.h.dispose();
    state.c.dispose();
    state = next.state;
    if (read) state.h.dataSync();
  }
  return state;
}

function time(lstm, x, state, steps, read) {
  const t0 = process.hrtime.bigint();
  state = run(lstm, x, state, steps, read);
  state.h.dataSync();
  return { us: Number(process.hrtime.bigint() - t0) / 1e3 / steps, state };
}

/** Microseconds per step of one forward over IN_CALL steps from `state` (best of 3). */
function stepsInOneCall(lstm, shape, state) {
  const xs = rk.tensor(Float32Array.from({ length: IN_CALL * shape.input }, (_, i) => Math.sin(i)), {
    shape: [1, IN_CALL, shape.input],
  });
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const out = rk.noGrad(() => lstm.forward(xs, { state }));
    out.state.h.dataSync();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / IN_CALL);
    for (const t of [out.output, out.state.h, out.state.c]) t.dispose();
  }
  xs.dispose();
  return best;
}

console.log(`${rk.backends().find((b) => b.device === 'cpu')?.detail} OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? '(unset)'}`);
console.log('shape                   call us   queued us   in-call us   weights MB   GB/s');
for (const shape of SHAPES) {
  rk.seed(0);
  const lstm = new rk.nn.LSTM({ inputSize: shape.input, hiddenSize: shape.hidden, numLayers: shape.layers }).eval();
  const x = rk.tensor(Float32Array.from({ length: shape.input }, (_, i) => Math.sin(i)), { shape: [1, 1, shape.input] });
  const zeros = () => rk.zeros([shape.layers, 1, shape.hidden]);
  let state = run(lstm, x, { h: zeros(), c: zeros() }, 20, true); // warm-up
  const calls = Math.max(20, Math.min(400, Math.round(2e5 / (shape.hidden * shape.hidden))));
  const call = time(lstm, x, state, calls, true);
  const queued = time(lstm, x, call.state, Math.max(calls, QUEUED), false);
  state = queued.state;
  const inCall = stepsInOneCall(lstm, shape, state);
  const mb = weightBytes(shape) / 1e6;
  const name = `L=${shape.layers} H=${shape.hidden} in=${shape.input}`.padEnd(22);
  console.log(
    `${name} ${call.us.toFixed(1).padStart(8)} ${queued.us.toFixed(1).padStart(11)} ${inCall.toFixed(1).padStart(12)} ${mb
      .toFixed(2)
      .padStart(12)} ${((mb * 1e3) / queued.us).toFixed(1).padStart(6)}`,
  );
  state.h.dispose();
  state.c.dispose();
}
console.log(`copy bandwidth (256 MB Buffer.copy, bytes copied per second): ${copyBandwidth().toFixed(1)} GB/s`);

/** Texts per second of a batch-1 classifier forward then `await data()`, best of 3 x 200 texts. */
async function predictRate() {
  rk.seed(0);
  const model = new rk.nn.SequenceClassifier({ vocabSize: 20000, numClasses: 4, embeddingDim: 128, hiddenSize: 128, numLayers: 2 }).eval();
  const texts = Array.from({ length: 200 }, (_, i) => Int32Array.from({ length: 20 + ((i * 7) % 41) }, (_, k) => (i * 131 + k * 17) % 20000));
  const pass = async (n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const text = texts[i % texts.length];
      const ids = rk.tensor(text, { shape: [1, text.length] });
      const logits = rk.noGrad(() => model.forward(ids));
      await logits.data();
      ids.dispose();
      logits.dispose();
    }
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await pass(20);
  let best = 0;
  for (let r = 0; r < 3; r++) best = Math.max(best, await pass(200));
  return best;
}
console.log(`classifier predict, batch 1, T 20..60, 2x BiLSTM H=128: ${(await predictRate()).toFixed(0)} texts/s`);
