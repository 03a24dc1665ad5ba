// One training step of the news classifier (Embedding -> 2-layer BiLSTM -> Linear, cross-entropy,
// Adam) on CUDA inside profile.capture, after two warm-up steps, for
// `ncu --nvtx --profile-from-start off` in the GPU bundle's run.sh: ncu then profiles only that
// step's kernels and prints the NVTX ranges each one was launched in, which summary.py checks
// (the cuDNN RNN kernels inside "lstm.fwd" / "lstm.bwd", the optimizer's inside "adam.step").
// Kernels are launched by the device's stream worker, so they sit in the native per-op ranges;
// the JS thread's own ranges ("step 3", "lstm.fwd 2x...") are on the JS thread's NVTX stack.
import * as rk from 'rnnkit';

const BATCH = 16;
const TIME = 12;
const VOCAB = 20000;

const device = rk.device('cuda');
rk.seed(0);
const model = new rk.nn.SequenceClassifier({
  vocabSize: VOCAB, numClasses: 4, embeddingDim: 128, hiddenSize: 256, numLayers: 2, bidirectional: true, cell: 'lstm',
}).to(device);
const optimizer = new rk.optim.Adam(model.parameters(), { lr: 1e-3 });
const ids = rk.tensor(Int32Array.from({ length: BATCH * TIME }, (_, i) => 1 + ((i * 7919) % (VOCAB - 1))), { shape: [BATCH, TIME], device });
const lengths = Int32Array.from({ length: BATCH }, (_, b) => TIME - (b % 5));
const targets = rk.tensor(Int32Array.from({ length: BATCH }, (_, b) => b % 4), { shape: [BATCH], device });

async function step(n: number): Promise<number> {
  return rk.profile.range(`step ${n}`, async () => {
    optimizer.zeroGrad();
    const loss = rk.tidy(() => rk.crossEntropy(model.forward(ids, { lengths }), targets));
    loss.backward();
    optimizer.step();
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  });
}

await step(1);
await step(2);
const loss = await rk.profile.capture(() => step(3));
console.log(`nvtx-step: step 3 on ${device} (loss ${loss.toFixed(4)}) ran inside cudaProfilerStart/Stop`);
