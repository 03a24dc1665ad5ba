// One training step of the news classifier (bench/news-classifier.mjs: Embedding -> 2-layer BiLSTM
// -> Linear, cross-entropy, Adam) on CUDA inside profile.capture, after two warm-up steps, for
// `ncu --nvtx --profile-from-start off` in the GPU bundle's run.sh: ncu then profiles only that
// step's kernels and prints the NVTX ranges each one was launched in, which summary.py checks
// (the cuDNN RNN kernels inside "lstm.fwd" / "lstm.bwd", the optimizer's inside "adam.step").
// Kernels are launched by the device's stream worker, so they sit in the native per-op ranges;
// the JS thread's own ranges ("step 3", "lstm.fwd 2x...") are on the JS thread's NVTX stack.
import * as rk from 'rnnkit';
import { batchOf, rnnkitStep } from '../../bench/news-classifier.mjs';

// Small enough for ncu to replay every kernel of the step in seconds.
const row = { hidden: 256, batch: 16, time: 12, lengths: 'random' };
const device = rk.device('cuda');
const ours = rnnkitStep(rk, row, batchOf(row), device);
const step = (n: number): Promise<void> => rk.profile.range(`step ${n}`, () => ours.step());

await step(1);
await step(2);
await rk.profile.capture(() => step(3));
console.log(`nvtx-step: step 3 on ${device} (loss ${ours.loss().toFixed(4)}) ran inside cudaProfilerStart/Stop`);
ours.dispose();
